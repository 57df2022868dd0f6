/** Limits of the API server; each has a default that suits one team's console. */
export interface ApiLimits {
  /** Largest request body, bytes (default 64 KiB): a larger one is refused with 413. */
  bodyBytes: number;
  /** Sustained requests per second per identity (default 10). */
  ratePerSecond: number;
  /** Requests an identity may make at once before the rate applies (default 60). */
  burst: number;
}

export const defaultApiLimits: ApiLimits = { bodyBytes: 64 * 1024, ratePerSecond: 10, burst: 60 };

export type RateDecision = { ok: true } | { ok: false; retryAfterSec: number };

/**
 * A token bucket per key (the caller's tenant and user): each request takes a token, tokens
 * come back at `ratePerSecond` up to `burst`. In memory, one process: behind several API
 * processes each limits on its own.
 *
 * @example
 * const limiter = createRateLimiter({ ratePerSecond: 10, burst: 60 });
 * const d = limiter.take('acme/alice'); if (!d.ok) // 429, retry-after: d.retryAfterSec
 */
export function createRateLimiter(
  opts: Pick<ApiLimits, 'ratePerSecond' | 'burst'>,
  now: () => number = Date.now,
): { take(key: string): RateDecision } {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const maxKeys = 10_000;
  return {
    take(key) {
      const t = now();
      let b = buckets.get(key);
      if (!b) {
        if (buckets.size >= maxKeys) prune(t);
        b = { tokens: opts.burst, at: t };
        buckets.set(key, b);
      }
      b.tokens = Math.min(opts.burst, b.tokens + ((t - b.at) / 1000) * opts.ratePerSecond);
      b.at = t;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterSec: Math.max(1, Math.ceil((1 - b.tokens) / opts.ratePerSecond)) };
    },
  };
  /** Forgets buckets that have refilled: they would start full anyway. */
  function prune(t: number) {
    for (const [k, b] of buckets)
      if (b.tokens + ((t - b.at) / 1000) * opts.ratePerSecond >= opts.burst) buckets.delete(k);
  }
}
