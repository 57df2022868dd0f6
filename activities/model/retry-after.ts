/**
 * How long a provider asks us to wait before retrying, read from its response headers.
 * Pure (no I/O, `now` injectable) so it is tested without a server.
 */

/** Longest wait we honour from a provider header; a larger ask is capped to this so one
 * misbehaving gateway cannot park a run for hours. */
export const MAX_RETRY_AFTER_MS = 300_000;

/** Anything headers come as: the fetch `Headers` of an SDK error, or a plain record
 * (keys in any case). */
export type HeaderSource =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>
  | null
  | undefined;

/** Case-insensitive header lookup over `Headers` or a plain record. */
export function headerValue(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    return typeof value === 'string' ? value : value[0];
  }
  return undefined;
}

const DECIMAL = /^\d+(?:\.\d+)?$/;
const HTTP_DATE = /^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s.*\b\d{2}:\d{2}:\d{2}\b/i;

/** A provider's retry hint: `requestedMs` is what it asked for, `delayMs` what we honour
 * (`requestedMs` capped to `MAX_RETRY_AFTER_MS`). */
export interface RetryAfter {
  delayMs: number;
  requestedMs: number;
}

/**
 * The retry delay a response asks for, or `undefined` when it asks for none (or says
 * something unparseable). Reads `retry-after-ms` first (milliseconds, an OpenAI extension),
 * then `retry-after` as delta-seconds or as an HTTP date relative to `now`. Both values are
 * whole milliseconds, at least 0 (a date in the past is 0); `delayMs` is at most
 * `MAX_RETRY_AFTER_MS`, and `requestedMs > delayMs` says the ask was capped.
 *
 * @example
 * retryAfterFromHeaders(new Headers({ 'retry-after': '3600' })); // { delayMs: 300000, requestedMs: 3600000 }
 */
export function retryAfterFromHeaders(headers: HeaderSource, now: number = Date.now()): RetryAfter | undefined {
  const ms = headerValue(headers, 'retry-after-ms')?.trim();
  if (ms !== undefined && DECIMAL.test(ms)) return bounded(Number(ms));

  const after = headerValue(headers, 'retry-after')?.trim();
  if (!after) return undefined;
  if (DECIMAL.test(after)) return bounded(Number(after) * 1000);
  // Date.parse is lenient ("garbage 1" is a date in 2001), so accept only the shapes of an
  // HTTP date (IMF-fixdate, RFC 850, asctime): a weekday name first and a hh:mm:ss time.
  if (!HTTP_DATE.test(after)) return undefined;
  // HTTP dates are always GMT; the asctime form omits the zone and Date.parse would read
  // it as local time.
  const at = Date.parse(/\b(?:GMT|UTC)\b/i.test(after) ? after : `${after} GMT`);
  if (Number.isNaN(at)) return undefined;
  return bounded(at - now);
}

/**
 * The retry delay in milliseconds a response asks for, capped to `MAX_RETRY_AFTER_MS`
 * (see `retryAfterFromHeaders`), or `undefined` when it asks for none.
 *
 * @example
 * retryDelayFromHeaders(new Headers({ 'retry-after': '2' })); // 2000
 */
export function retryDelayFromHeaders(headers: HeaderSource, now: number = Date.now()): number | undefined {
  return retryAfterFromHeaders(headers, now)?.delayMs;
}

function bounded(ms: number): RetryAfter | undefined {
  if (!Number.isFinite(ms)) return undefined;
  const requestedMs = Math.max(0, Math.ceil(ms));
  return { delayMs: Math.min(MAX_RETRY_AFTER_MS, requestedMs), requestedMs };
}
