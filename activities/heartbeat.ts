import type { Context } from '@temporalio/activity';

/** The floor on the interval: a tiny heartbeat timeout must not turn into a busy loop. */
const minIntervalMs = 100;

/** A third of the heartbeat timeout when the workflow set one (so two beats may be lost
 * before Temporal gives up on the worker), else every 5 s. */
export function heartbeatInterval(ctx: Context): number {
  const timeout = ctx.info.heartbeatTimeoutMs;
  return Math.max(minIntervalMs, Math.floor(timeout ? timeout / 3 : 5_000));
}

/**
 * Heartbeats `details()` at `heartbeatInterval` while a long call is under way, so a dead
 * worker is noticed within the heartbeat timeout (not the call timeout) and a cancellation
 * reaches the activity through `ctx.cancellationSignal`. Returns the function that stops it;
 * call it in a `finally`.
 *
 * @example
 * const stop = startHeartbeat(ctx, () => ({ step }));
 * try { return await provider.call(request); } finally { stop(); }
 */
export function startHeartbeat(ctx: Context, details: () => unknown): () => void {
  const timer = setInterval(() => ctx.heartbeat(details()), heartbeatInterval(ctx));
  return () => clearInterval(timer);
}
