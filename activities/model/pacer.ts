/**
 * Paces model calls per model (`provider/model`) on one worker process, so a worker does not
 * stampede a provider that is limiting it.
 *
 * Two rules, both local to the worker (no coordination between workers, nothing to clean
 * up; each worker learns the provider's limits from its own answers):
 * - at most `maxInFlight` calls to one model are in flight at once; further calls wait in
 *   line (first come, first served). The slot limit smooths bursts but never costs a call its
 *   attempt: a call that waited all it may for a slot goes anyway (over the limit), since
 *   ending it would only put it back in line after a retry delay, one attempt poorer;
 * - after the provider said "not now" — a 429 with `retry-after`, or rate-limit headers
 *   saying a window is used up (`rate-limit-headers.ts`) — new calls to that model are held
 *   until the reset instead of each earning its own 429. Calls already sent go on.
 *
 * A call waits inside its activity (which heartbeats meanwhile) for at most the wait it is
 * given. A hold that outlasts it gets `{ ok: false, retryInMs }` and the activity ends with a
 * retryable `rate_limited` (code `paced`, nothing sent), so Temporal schedules the retry
 * after the hold instead of the activity outliving its timeout (the provider would have
 * answered 429 anyway).
 */

/** Leave to the pacer: `ok` with a lease to `release` once the call has ended (`overLimit`
 * when it waited all it could for a slot and goes anyway), or not within the wait allowed —
 * `held` by a rate limit for `retryInMs` more. */
export type PaceGrant =
  | { ok: true; waitedMs: number; overLimit: boolean; release(): void }
  | { ok: false; reason: 'held'; retryInMs: number };

export interface PaceSnapshot {
  inFlight: number;
  waiting: number;
  /** How long new calls are still held, 0 when they are not. */
  heldForMs: number;
}

export interface ModelPacer {
  /** Waits (at most `maxWaitMs`) until a call to `key` may be sent. Rejects with the signal's
   * reason when `signal` aborts while waiting (the activity was cancelled). */
  acquire(key: string, opts: { maxWaitMs: number; signal?: AbortSignal }): Promise<PaceGrant>;
  /** Holds new calls to `key` for `ms` (a rate limit's reset); a longer hold already in place
   * is kept. */
  hold(key: string, ms: number): void;
  snapshot(key: string): PaceSnapshot;
  readonly maxInFlight: number;
}

export interface ModelPacerOptions {
  /** Calls to one model in flight at once on this worker. Default 8. */
  maxInFlight?: number;
  now?: () => number;
}

interface Waiter {
  since: number;
  grant(): void;
  give(g: PaceGrant): void;
}

interface Lane {
  inFlight: number;
  holdUntil: number;
  queue: Waiter[];
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * @example
 * const pacer = createModelPacer({ maxInFlight: 8 }); // one per worker
 * const grant = await pacer.acquire('openai/gpt-4.1', { maxWaitMs: 8_000, signal });
 * if (grant.ok) try { await send(); } finally { grant.release(); }
 */
export function createModelPacer(opts: ModelPacerOptions = {}): ModelPacer {
  const maxInFlight = Math.max(1, Math.floor(opts.maxInFlight ?? 8));
  const now = opts.now ?? Date.now;
  const lanes = new Map<string, Lane>();

  const laneOf = (key: string): Lane => {
    let lane = lanes.get(key);
    if (!lane) {
      lane = { inFlight: 0, holdUntil: 0, queue: [] };
      lanes.set(key, lane);
    }
    return lane;
  };

  const lease = (key: string, lane: Lane, since: number): PaceGrant => {
    const overLimit = lane.inFlight >= maxInFlight;
    lane.inFlight++;
    let released = false;
    return {
      ok: true,
      overLimit,
      waitedMs: Math.max(0, now() - since),
      release() {
        if (released) return;
        released = true;
        lane.inFlight--;
        pump(key, lane);
      },
    };
  };

  /** Lets waiting calls go while slots are free and no hold is in place; wakes itself when a
   * hold ends. An idle lane is dropped (a worker serving many models keeps no garbage). */
  function pump(key: string, lane: Lane) {
    const wait = lane.holdUntil - now();
    if (wait > 0) {
      if (lane.queue.length > 0 && !lane.timer) {
        lane.timer = setTimeout(() => {
          lane.timer = undefined;
          pump(key, lane);
        }, wait);
        lane.timer.unref?.();
      }
      return;
    }
    while (lane.inFlight < maxInFlight && lane.queue.length > 0) lane.queue.shift()!.grant();
    if (lane.inFlight === 0 && lane.queue.length === 0 && !lane.timer) lanes.delete(key);
  }

  return {
    maxInFlight,
    acquire(key, { maxWaitMs, signal }) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      const lane = laneOf(key);
      const since = now();
      const heldFor = lane.holdUntil - since;
      if (heldFor <= 0 && lane.queue.length === 0 && lane.inFlight < maxInFlight) {
        return Promise.resolve(lease(key, lane, since));
      }
      if (heldFor > maxWaitMs) {
        pump(key, lane);
        return Promise.resolve({ ok: false, reason: 'held', retryInMs: heldFor });
      }
      return new Promise<PaceGrant>((resolve, reject) => {
        const leave = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          const i = lane.queue.indexOf(waiter);
          if (i >= 0) lane.queue.splice(i, 1);
        };
        const waiter: Waiter = {
          since,
          grant: () => {
            leave();
            resolve(lease(key, lane, since));
          },
          give: (g) => {
            leave();
            resolve(g);
          },
        };
        const timer = setTimeout(
          () => {
            const held = lane.holdUntil - now();
            if (held > 0) waiter.give({ ok: false, reason: 'held', retryInMs: held });
            else waiter.grant(); // waited all it may for a slot: goes anyway, over the limit
            pump(key, lane);
          },
          Math.max(0, maxWaitMs),
        );
        const onAbort = () => {
          leave();
          reject(signal!.reason);
          pump(key, lane);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        lane.queue.push(waiter);
        pump(key, lane);
      });
    },

    hold(key, ms) {
      if (!(ms > 0)) return;
      const lane = laneOf(key);
      const until = now() + ms;
      if (until <= lane.holdUntil) return;
      lane.holdUntil = until;
      if (lane.timer) {
        clearTimeout(lane.timer);
        lane.timer = undefined;
      }
      pump(key, lane);
    },

    snapshot(key) {
      const lane = lanes.get(key);
      if (!lane) return { inFlight: 0, waiting: 0, heldForMs: 0 };
      return { inFlight: lane.inFlight, waiting: lane.queue.length, heldForMs: Math.max(0, lane.holdUntil - now()) };
    },
  };
}
