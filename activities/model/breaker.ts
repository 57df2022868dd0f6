/**
 * A circuit breaker per model (`provider/model`), shared by all runs of one worker process.
 *
 * A model that keeps failing for provider reasons (unavailable, overloaded, timing out,
 * answering garbage) would otherwise cost every run its full retry schedule before the
 * run's fallback chain moves on. After `failureThreshold` consecutive such failures the
 * circuit opens: calls to that model fail at once, without a request, non-retryably and
 * typed by the last real failure (`code: 'circuit_open'`), so each workflow takes the next
 * model of its chain immediately. After `openMs` one call is let through as a probe
 * (half-open): if it succeeds the circuit closes, if it fails it opens for another `openMs`.
 *
 * Rate limits are not outages: a 429 proves the provider is up and says when to come back,
 * so `rate_limited` never counts (the caller `release`s instead of recording it; pacing the
 * calls is `createModelPacer`'s job). Counting them let five 429s of a short burst fail
 * every in-flight run at once and every new one for `openMs`.
 *
 * State is in memory, per worker process: each worker learns on its own (a few extra
 * failures per worker, no coordination, nothing to clean up), and a restarted worker starts
 * closed. Pure: the clock is injected.
 */
import type { FailureType } from '../../core/failures.ts';

/** Failure types that say "this model is not answering properly right now". Request errors
 * (bad request, auth, context too long, refusals, ...) prove the provider is up and count
 * as a success for the breaker. */
export const breakerFailureTypes: readonly FailureType[] = ['provider_unavailable', 'timeout', 'invalid_response'];

export function isBreakerFailure(type: string | null | undefined): boolean {
  return breakerFailureTypes.includes(type as FailureType);
}

export type BreakerCheck =
  /** Send the request. `probe` is true when it is the one half-open trial call. */
  | { open: false; probe: boolean }
  /** Do not send: fail fast. `retryInMs` until the next probe may go; `last` is the failure
   * that (re)opened the circuit, when the caller recorded one. */
  | { open: true; retryInMs: number; failures: number; last?: BreakerCause };

/** What the last counted failure was, kept so a fast failure names the real cause (a 500,
 * a hang) rather than only "circuit open". Safe to show: the provider failure's own summary. */
export interface BreakerCause {
  type: FailureType;
  message: string;
  status?: number;
  code?: string;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerSnapshot {
  state: BreakerState;
  /** Consecutive breaker failures counted so far (reset by a success). */
  failures: number;
  /** The last failure counted, when the caller said what it was. */
  last?: BreakerCause;
}

export interface CircuitBreaker {
  /** Ask before sending a call for `key`. When it returns `open: false` the caller must
   * report the outcome with `record`, or `release` when the call ended without one
   * (cancelled). */
  check(key: string): BreakerCheck;
  /** The outcome of a call that `check` let through; a failure may say what it was. */
  record(key: string, outcome: 'success' | 'failure', cause?: BreakerCause): void;
  /** A call that `check` let through ended without a verdict (cancelled): a half-open
   * probe slot is freed so the next call may probe at once. */
  release(key: string): void;
  snapshot(key: string): BreakerSnapshot;
}

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long the circuit stays open before a probe is let through. Default 30 s. */
  openMs?: number;
  now?: () => number;
}

interface Entry {
  failures: number;
  state: BreakerState;
  /** When the circuit (re)opened. */
  openedAt: number;
  /** When the half-open probe was let through; a probe without a verdict after `openMs`
   * is presumed lost and another one may go. */
  probeAt: number;
  last?: BreakerCause;
}

/**
 * @example
 * const breaker = createCircuitBreaker({ failureThreshold: 5, openMs: 30_000 });
 * const activities = createActivities({ models, tools, breaker }); // one per worker
 */
export function createCircuitBreaker(opts: CircuitBreakerOptions = {}): CircuitBreaker {
  const failureThreshold = Math.max(1, Math.floor(opts.failureThreshold ?? 5));
  const openMs = Math.max(0, opts.openMs ?? 30_000);
  const now = opts.now ?? Date.now;
  const entries = new Map<string, Entry>();

  const entry = (key: string): Entry => {
    let e = entries.get(key);
    if (!e) {
      e = { failures: 0, state: 'closed', openedAt: 0, probeAt: 0 };
      entries.set(key, e);
    }
    return e;
  };

  return {
    check(key) {
      const e = entries.get(key);
      if (!e || e.state === 'closed') return { open: false, probe: false };
      const t = now();
      if (e.state === 'open') {
        const waited = t - e.openedAt;
        if (waited < openMs) return openCheck(openMs - waited, e);
      } else {
        const probing = t - e.probeAt;
        if (probing < openMs) return openCheck(openMs - probing, e);
      }
      e.state = 'half_open';
      e.probeAt = t;
      return { open: false, probe: true };
    },

    record(key, outcome, cause) {
      if (outcome === 'success') {
        // Any success closes the circuit, including a late one from a call sent before it opened.
        entries.delete(key);
        return;
      }
      const e = entry(key);
      e.failures += 1;
      if (cause) e.last = cause;
      if (e.state === 'half_open' || (e.state === 'closed' && e.failures >= failureThreshold)) {
        e.state = 'open';
        e.openedAt = now();
      }
    },

    release(key) {
      const e = entries.get(key);
      if (e?.state === 'half_open') {
        e.state = 'open';
        e.openedAt = now() - openMs; // the next check probes at once
      }
    },

    snapshot(key) {
      const e = entries.get(key);
      if (!e) return { state: 'closed', failures: 0 };
      return { state: e.state, failures: e.failures, ...(e.last ? { last: e.last } : {}) };
    },
  };
}

function openCheck(retryInMs: number, e: Entry): BreakerCheck {
  return { open: true, retryInMs, failures: e.failures, ...(e.last ? { last: e.last } : {}) };
}
