/** Small formatters shared by the views. */

/** `0.0123` → `"$0.012300"`: costs of model calls are fractions of a cent. */
export const usd = (n) => (typeof n === 'number' ? `$${n.toFixed(6)}` : '—');

/** Tool arguments and results as people read them: JSON pretty-printed, text as it is. */
export function pretty(value) {
  if (typeof value === 'string') {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2);
}

/** `2026-11-30T18:00:00Z` → the reader's local date and time. */
export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');

export const tokens = (usage) => (usage ? `${usage.input ?? 0} in / ${usage.output ?? 0} out` : '—');
