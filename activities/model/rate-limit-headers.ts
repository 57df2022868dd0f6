/**
 * What a provider's rate-limit headers say about its current window, read from any response
 * (a success as much as a 429). Pure (`now` injectable) so it is tested without a server.
 *
 * - OpenAI (and most OpenAI-compatible gateways): `x-ratelimit-remaining-requests` with
 *   `x-ratelimit-reset-requests` (a duration: `1s`, `6m0s`, `20ms`), and the same pair for
 *   `-tokens`.
 * - Anthropic: `anthropic-ratelimit-requests-remaining` with `anthropic-ratelimit-requests-reset`
 *   (an RFC 3339 time), and the same for `tokens`, `input-tokens` and `output-tokens`.
 */
import { headerValue, MAX_RETRY_AFTER_MS, type HeaderSource } from './retry-after.ts';

interface Window {
  remaining: string;
  reset: string;
  /** How the reset value is written. */
  resetAs: 'duration' | 'time';
}

const windows: readonly Window[] = [
  ...['requests', 'tokens'].map((w) => ({
    remaining: `x-ratelimit-remaining-${w}`,
    reset: `x-ratelimit-reset-${w}`,
    resetAs: 'duration' as const,
  })),
  ...['requests', 'tokens', 'input-tokens', 'output-tokens'].map((w) => ({
    remaining: `anthropic-ratelimit-${w}-remaining`,
    reset: `anthropic-ratelimit-${w}-reset`,
    resetAs: 'time' as const,
  })),
];

/**
 * How long until the provider accepts calls again when one of its windows is used up
 * (`remaining` is 0 and a reset is given), in whole milliseconds capped to
 * `MAX_RETRY_AFTER_MS`; the longest such wait when several are. `undefined` when no window
 * is used up (or the headers say nothing readable).
 *
 * @example
 * exhaustedWindowMs(new Headers({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1.5s' })); // 1500
 */
export function exhaustedWindowMs(headers: HeaderSource, now: number = Date.now()): number | undefined {
  let longest: number | undefined;
  for (const w of windows) {
    const remaining = headerValue(headers, w.remaining)?.trim();
    if (remaining === undefined || !/^\d+$/.test(remaining) || Number(remaining) > 0) continue;
    const raw = headerValue(headers, w.reset)?.trim();
    if (!raw) continue;
    const ms = w.resetAs === 'duration' ? parseDurationMs(raw) : parseTimeMs(raw, now);
    if (ms === undefined) continue;
    longest = Math.max(longest ?? 0, ms);
  }
  return longest === undefined ? undefined : Math.min(MAX_RETRY_AFTER_MS, Math.max(0, Math.ceil(longest)));
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };

/** A Go-style duration (`1h2m3.5s`, `20ms`) or plain seconds (`2`, `0.5`), in milliseconds. */
export function parseDurationMs(text: string): number | undefined {
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text) * 1000;
  if (!/^(?:\d+(?:\.\d+)?(?:ms|h|m|s))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) total += Number(n) * UNIT_MS[unit!]!;
  return Number.isFinite(total) ? total : undefined;
}

/** An RFC 3339 time (`2025-06-01T12:00:30Z`), as milliseconds from `now` (0 when past). */
function parseTimeMs(text: string, now: number): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
