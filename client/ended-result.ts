import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { resultQuery } from '../workflows/definitions.ts';

/** How long the client waits for a worker to answer the `result` query of a Canceled run. */
const queryTimeoutMs = 10_000;

/**
 * The typed result of a run whose execution ended Failed or Canceled (see
 * `workflows/ending.ts`): a failed run carries it in its failure's details; a cancelled
 * one answers the `result` query (a worker replays it), or else its memo holds the outcome.
 * Anything else (terminated, timed out, a bug) is not a Bosun result: undefined.
 */
export async function resultOfEndedRun(err: unknown, handle: WorkflowHandle): Promise<unknown> {
  if (!(err instanceof WorkflowFailedError)) return undefined;
  const cause = err.cause;
  if (cause instanceof ApplicationFailure) {
    const [result] = cause.details ?? [];
    return isResult(result) ? result : undefined;
  }
  if (!(cause instanceof CancelledFailure)) return undefined;
  const queried = await Promise.race([
    handle.query(resultQuery).catch(() => undefined),
    new Promise<undefined>((r) => setTimeout(() => r(undefined), queryTimeoutMs).unref()),
  ]);
  if (isResult(queried)) return queried;
  const { memo, workflowId } = await handle.describe();
  const outcome = (memo as { outcome?: unknown } | undefined)?.outcome;
  if (!outcome) return undefined;
  const zero = { input: 0, output: 0, cachedInput: 0, cacheWrite: 0 };
  return {
    runId: workflowId,
    agent: '',
    outcome,
    steps: 0,
    modelCalls: 0,
    toolCalls: 0,
    usage: zero,
    costUsd: 0,
    unpricedCalls: 0,
    calls: [],
    audit: [],
    escalations: 0,
  };
}

const isResult = (v: unknown): v is { outcome: unknown } => typeof v === 'object' && v !== null && 'outcome' in v;
