/**
 * A moment as people say it, relative to now: "in 4 min", "2 h ago", "in 30 s", "now".
 * Deadlines in the inbox read this way; the exact time is in the element's title.
 *
 * @example relativeTime(Date.parse('2026-01-01T10:04:00Z'), Date.parse('2026-01-01T10:00:00Z')) // "in 4 min"
 */
export function relativeTime(atMs, nowMs = Date.now()) {
  const diff = atMs - nowMs;
  const abs = Math.abs(diff);
  if (abs < 5_000) return 'now';
  const units = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1_000, 's'],
  ];
  const [size, name] = units.find(([size]) => abs >= size) ?? units.at(-1);
  const n = Math.round(abs / size);
  return diff > 0 ? `in ${n} ${name}` : `${n} ${name} ago`;
}
