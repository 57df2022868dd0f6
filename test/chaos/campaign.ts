/**
 * The campaign's vocabulary: a case, how one run of it is judged, and the helpers every case
 * uses to start runs and wait for them within a deadline.
 *
 * A run ends in exactly one column:
 *   answered    the run answered (after whatever retries it took);
 *   typed       it ended with one of the outcomes the case documents as right for the fault
 *               (a typed failure of docs/failures.md, an escalation, an input refused before
 *               start, a tampered payload refused);
 *   unexpected  it ended, but not as documented (another failure type, `internal`, an error
 *               thrown at the caller that is not Bosun's);
 *   lost        no result: hung past the case's deadline, or ended without a Bosun result.
 * Duplicate effects are counted beside: refunds applied more often than the run asked.
 */
import { ServiceError, WorkflowFailedError } from '@temporalio/client';
import type { BosunClient, RunHandle } from '../../client/client.ts';
import type { RunInputInit, RunResult } from '../../core/run.ts';
import { openOrderStore } from '../../examples/demo/handlers/order-store.ts';
import { join } from 'node:path';
import type { Rig } from './rig.ts';

export type Verdict = 'answered' | 'typed' | 'unexpected' | 'lost';

export interface RunRecord {
  runId: string;
  verdict: Verdict;
  /** How it ended, in a word or two: `answer`, `failed rate_limited`, `escalated refused`,
   * `start threw RunInputError`, `lost`. The JSON line counts runs by it. */
  outcome: string;
  /** What happened, e.g. the failure's message, or `no result after 60 s`. */
  detail: string;
  /** Effects beyond those the run asked for (refunds applied twice). */
  duplicates: number;
}

/** Which endings count as `typed` for a case (an answer always counts as `answered`). */
export interface Accept {
  /** Failure types, e.g. `['rate_limited']`. */
  failures?: readonly string[];
  /** Escalation reasons, e.g. `['refused']`. */
  escalated?: readonly string[];
  /** Error names thrown by `start`, e.g. `['RunInputError']`. */
  startErrors?: readonly string[];
}

/** A run's ending, before effects are counted. */
export type Ended = Pick<RunRecord, 'verdict' | 'outcome' | 'detail'>;

export interface CaseContext {
  rig: Rig;
  /** How many runs this time (the case's full or short count, or `--runs`). */
  runs: number;
  short: boolean;
  /** Epoch ms by which every run of the case must have ended. */
  deadline: number;
  log(line: string): void;
  /** A fresh run id, remembered: whatever of it is still running when the case ends is
   * terminated. */
  runId(label: string): string;
}

export interface ChaosCase {
  /** Unique, stable: the known-bug list and `--only` refer to it. */
  name: string;
  group: string;
  /** Part of `--short` (fast, and few runs). */
  inShort: boolean;
  runs: { full: number; short: number };
  /** The case's deadline: every run must end within it. */
  timeoutMs: number;
  /** May run beside other such cases (it kills nothing and has its own model names). */
  parallel?: boolean;
  run(ctx: CaseContext): Promise<RunRecord[]>;
}

/** How a finished run is judged against what the case accepts. */
export function judge(result: RunResult, accept: Accept): Ended {
  const o = result.outcome;
  switch (o.kind) {
    case 'answer':
      return { verdict: 'answered', outcome: 'answer', detail: `answer (${o.text.length} chars)` };
    case 'failed':
      return {
        verdict: accept.failures?.includes(o.failure.type) ? 'typed' : 'unexpected',
        outcome: `failed ${o.failure.type}`,
        detail: `failed ${o.failure.type}${o.failure.details?.code ? ` (${o.failure.details.code})` : ''}: ${o.failure.message.slice(0, 160)}`,
      };
    case 'escalated':
      return {
        verdict: accept.escalated?.includes(o.reason) ? 'typed' : 'unexpected',
        outcome: `escalated ${o.reason}`,
        detail: `escalated ${o.reason}: ${o.message.slice(0, 160)}`,
      };
    default:
      return { verdict: 'unexpected', outcome: o.kind, detail: `${o.kind}: ${JSON.stringify(o).slice(0, 160)}` };
  }
}

/** Resolves after `ms`, or never when `ms` is not positive — unref'd, so it keeps nothing alive. */
const timer = (ms: number) => new Promise<'deadline'>((r) => setTimeout(() => r('deadline'), ms).unref());
const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/**
 * Waits for a run's result until `deadline`. Connection trouble (the dev-server restart case)
 * is waited out; a run still going at the deadline is `lost` and terminated, so nothing of it
 * outlives its case.
 */
export async function awaitRun(rig: Rig, handle: RunHandle, accept: Accept, deadline: number): Promise<Ended> {
  const started = Date.now();
  for (;;) {
    const left = deadline - Date.now();
    const ended = await Promise.race([
      handle.result().then(
        (r) => ({ r }),
        (e: unknown) => ({ e }),
      ),
      timer(left),
    ]);
    if (ended === 'deadline') {
      await terminate(rig, handle.runId, 'chaos: past the case deadline');
      return { verdict: 'lost', outcome: 'lost', detail: `no result after ${seconds(Date.now() - started)}` };
    }
    if ('r' in ended) return judge(ended.r, accept);
    if (ended.e instanceof WorkflowFailedError) {
      return { verdict: 'lost', outcome: 'lost', detail: `ended without a result: ${describeError(ended.e)}` };
    }
    if (Date.now() >= deadline) {
      await terminate(rig, handle.runId, 'chaos: past the case deadline');
      return { verdict: 'lost', outcome: 'lost', detail: `no result: ${describeError(ended.e)}` };
    }
    // The server is away (restarting) or the long poll was cut: ask again.
    await timer(Math.min(1_000, Math.max(0, deadline - Date.now())));
  }
}

/**
 * Starts a run and waits for it. A `start` that throws is judged by `accept.startErrors`; one
 * that does not return by the deadline is `lost`.
 */
export async function startAndAwait(
  rig: Rig,
  bosun: BosunClient,
  input: RunInputInit & { runId: string },
  accept: Accept,
  deadline: number,
): Promise<RunRecord> {
  const started = await startRun(bosun, input, accept, deadline);
  if ('verdict' in started) return { runId: input.runId, duplicates: 0, ...started };
  return { runId: input.runId, duplicates: 0, ...(await awaitRun(rig, started, accept, deadline)) };
}

/** `bosun.start` within the deadline: the handle, or the run's verdict when start failed. */
export async function startRun(
  bosun: BosunClient,
  input: RunInputInit & { runId: string },
  accept: Accept,
  deadline: number,
): Promise<RunHandle | Ended> {
  const t0 = Date.now();
  const started = await Promise.race([
    bosun.start(input).then(
      (h) => ({ h }),
      (e: unknown) => ({ e }),
    ),
    timer(deadline - Date.now()),
  ]);
  if (started === 'deadline')
    return { verdict: 'lost', outcome: 'lost', detail: `start did not return in ${seconds(Date.now() - t0)}` };
  if ('h' in started) return started.h;
  const name = errorName(started.e);
  return {
    verdict: accept.startErrors?.includes(name) ? 'typed' : 'unexpected',
    outcome: `start threw ${name}`,
    detail: `start threw after ${seconds(Date.now() - t0)}: ${describeError(started.e)}`,
  };
}

export async function terminate(rig: Rig, runId: string, reason: string): Promise<void> {
  await rig.temporal.workflow
    .getHandle(runId)
    .terminate(reason)
    .catch(() => {});
}

function errorName(e: unknown): string {
  return e instanceof Error ? e.name : typeof e;
}

export function describeError(e: unknown): string {
  if (e instanceof WorkflowFailedError) return `${e.message}: ${e.cause?.name ?? ''} ${e.cause?.message ?? ''}`;
  if (e instanceof ServiceError) return `ServiceError ${e.message.slice(0, 160)}`;
  return e instanceof Error ? `${e.name}: ${e.message.slice(0, 200)}` : String(e);
}

/** Waits until `check` holds (polled every `everyMs`), or throws after `timeoutMs` naming `what`. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 100,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${seconds(timeoutMs)} waiting for ${what}`);
    await timer(everyMs);
  }
}

/** Refunds applied per run, read from the order store the workers of `stateDir` share
 * (idempotency keys are `<runId>:<callId>`). */
export function refundsByRun(stateDir: string): Map<string, number> {
  const store = openOrderStore({ path: join(stateDir, 'orders.db') });
  try {
    const counts = new Map<string, number>();
    for (const r of store.effects()) {
      const runId = r.idempotencyKey.slice(0, r.idempotencyKey.lastIndexOf(':'));
      counts.set(runId, (counts.get(runId) ?? 0) + 1);
    }
    return counts;
  } finally {
    store.close();
  }
}

/** Sets each record's duplicates: refunds beyond `expected` per run. */
export function countDuplicates(records: RunRecord[], stateDir: string, expected = 1): RunRecord[] {
  const refunds = refundsByRun(stateDir);
  return records.map((r) => {
    const applied = refunds.get(r.runId) ?? 0;
    const duplicates = Math.max(0, applied - expected);
    return duplicates > 0 ? { ...r, duplicates, detail: `${r.detail}; ${applied} refunds applied` } : r;
  });
}
