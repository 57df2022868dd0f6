import { setTimeout as sleep } from 'node:timers/promises';
import { QueryNotRegisteredError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { EventsPage, RunEvent } from '../core/run-events.ts';
import { eventsQuery } from '../workflows/definitions.ts';
import { isEncryptedPayloadError } from './encrypted-payload.ts';

export interface RunEventsOptions {
  /** The first offset wanted: 0 (default) for everything the run still holds, or the
   * offset after the last event seen, to resume after a disconnect. */
  from?: number;
  /** Pause between polls while the run has nothing new (default 100 ms). */
  pollMs?: number;
  /** Stops following: the iterator ends. */
  signal?: AbortSignal;
}

/** How long a run may stay unreachable (no worker answering its query) before `events()`
 * gives up; a worker that restarts within it is followed seamlessly. */
const UNREACHABLE_MAX_MS = 120_000;
/** Between two checks that a silent run is still open (a terminated run logs no end). */
const OPEN_CHECK_MS = 2_000;

/**
 * Follows a run's live events (see `core/run-events.ts`): yields every event from `from`,
 * in offset order, each once, until the run's `run_ended` event (or the run closed without
 * one: terminated, timed out). Reads with the `events` query, which costs the run no
 * history. Across continue-as-new the offsets go on; events an earlier execution of the
 * chain holds are read from it. Events the bounded log already dropped are skipped (the
 * trace keeps them): the next event's offset then jumps.
 *
 * @example
 * for await (const e of run.events()) {
 *   if (e.type === 'model_delta' && e.text) process.stdout.write(e.text);
 * }
 */
export async function* followRunEvents(
  client: Client,
  runId: string,
  opts: RunEventsOptions = {},
): AsyncGenerator<RunEvent, void, undefined> {
  const pollMs = opts.pollMs ?? 100;
  let next = opts.from ?? 0;
  let failingSince: number | undefined;
  let lastOpenCheck = Date.now();
  const latest = client.workflow.getHandle(runId);
  const read = (execution: string | undefined, from: number): Promise<EventsPage> =>
    client.workflow.getHandle(runId, execution).query(eventsQuery, { from });

  while (!opts.signal?.aborted) {
    let page: EventsPage;
    try {
      page = await read(undefined, next);
      failingSince = undefined;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw err;
      if (err instanceof QueryNotRegisteredError)
        throw new NoRunEventsError(runId, 'it is not an agent run (a single task has no live events)');
      // Encrypted with keys this client lacks: asking again cannot help.
      if (isEncryptedPayloadError(err)) throw err;
      failingSince ??= Date.now();
      if (Date.now() - failingSince > UNREACHABLE_MAX_MS) throw err;
      await pause(Math.min(1_000, pollMs * 4), opts.signal);
      continue;
    }
    if (page.first > next && page.previousRunId) {
      // Events before this execution: an earlier run of the continue-as-new chain has them.
      for await (const e of earlier(read, page.previousRunId, next, page.first)) {
        yield e;
        next = e.offset + 1;
      }
      next = Math.max(next, page.first);
    }
    for (const e of page.events) {
      if (e.offset < next) continue;
      yield e;
      next = e.offset + 1;
    }
    if (page.ended) return;
    if (page.events.length) continue;
    if (Date.now() - lastOpenCheck > OPEN_CHECK_MS) {
      lastOpenCheck = Date.now();
      const { status } = await latest.describe();
      if (status.name !== 'RUNNING' && status.name !== 'CONTINUED_AS_NEW') {
        // Closed without a `run_ended` (terminated, timed out): read what is left, then stop.
        const last = await read(undefined, next);
        for (const e of last.events) if (e.offset >= next) yield e;
        return;
      }
    }
    await pause(pollMs, opts.signal);
  }
}

/** The events `[from, until)` held by an earlier execution of the chain (and the ones
 * before it). */
async function* earlier(
  read: (execution: string | undefined, from: number) => Promise<EventsPage>,
  execution: string,
  from: number,
  until: number,
): AsyncGenerator<RunEvent, void, undefined> {
  let next = from;
  for (;;) {
    const page = await read(execution, next);
    if (page.first > next && page.previousRunId) {
      for await (const e of earlier(read, page.previousRunId, next, page.first)) {
        yield e;
        next = e.offset + 1;
      }
      next = Math.max(next, page.first);
    }
    const fresh = page.events.filter((e) => e.offset >= next && e.offset < until);
    for (const e of fresh) {
      yield e;
      next = e.offset + 1;
    }
    if (!fresh.length || next >= until) return;
  }
}

/** The workflow has no live events to follow. */
export class NoRunEventsError extends Error {
  readonly runId: string;
  constructor(runId: string, reason: string) {
    super(`run ${runId} has no live events: ${reason}`);
    this.name = 'NoRunEventsError';
    this.runId = runId;
  }
}

async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms, undefined, signal ? { signal } : undefined);
  } catch {
    // aborted: the caller's loop sees it
  }
}
