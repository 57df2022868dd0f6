import { ApplicationFailure, setHandler, upsertMemo } from '@temporalio/workflow';
import type { RunOutcome, RunResult } from '../core/run.ts';
import { resultQuery } from './definitions.ts';

/**
 * How a run's execution ends in Temporal, so operators' own tools (the UI's status and
 * Failures filter, `ExecutionStatus` queries, SDK metrics, alerts) see what happened:
 * - `failed`, and `escalated` with nobody to decide: the workflow **fails** with an
 *   `ApplicationFailure` whose `type` is the failure type (or `escalated`) and whose details
 *   carry the typed result;
 * - cancelled: the workflow ends **Canceled** (the caller rethrows the cancellation);
 * - anything else (an answer, a budget or stop condition, a human's decision): Completed.
 * Either way the typed result stays readable: the `result` query and the memo's `outcome`,
 * and the client's `result()` returns it as it would a completed run's.
 */
export function endRun<R extends Pick<RunResult, 'outcome'>>(result: R): R {
  setHandler(resultQuery, () => result as unknown as RunResult);
  upsertMemo({ outcome: result.outcome });
  const failure = failureOf(result.outcome);
  if (failure) throw ApplicationFailure.create({ ...failure, nonRetryable: true, details: [result] });
  return result;
}

function failureOf(outcome: RunOutcome): { type: string; message: string } | undefined {
  if (outcome.kind === 'failed') return { type: outcome.failure.type, message: outcome.failure.message };
  if (outcome.kind === 'escalated') return { type: 'escalated', message: `${outcome.reason}: ${outcome.message}` };
  return undefined;
}
