import { ApplicationFailure, setHandler, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { RunOutcome, RunResult, RunStatus } from '../core/run.ts';
import { zeroUsage } from '../core/usage.ts';
import { resultQuery, searchAttributes, statusQuery } from './definitions.ts';
import { make } from './failures.ts';
import { recordRunEnd } from './run-metrics.ts';

/**
 * How a run's execution ends in Temporal, so operators' own tools (the UI's status and
 * Failures filter, `ExecutionStatus` queries, SDK metrics, alerts) see what happened:
 * - `failed`, and `escalated` with nobody to decide: the workflow **fails** with an
 *   `ApplicationFailure` whose `type` is the failure type (or `escalated`) and whose details
 *   carry the typed result;
 * - cancelled: the workflow ends **Canceled** (the caller rethrows the cancellation);
 * - anything else (an answer, a budget or stop condition, a human's decision): Completed.
 * Either way the typed result stays readable: the `result` query and the memo's `outcome`
 * (written with the rest of the memo: an agent run's last progress update, `memoOutcome`),
 * and the client's `result()` returns it as it would a completed run's.
 */
export function endRun<R extends Pick<RunResult, 'outcome'>>(result: R): R {
  setHandler(resultQuery, () => result as unknown as RunResult);
  const failure = failureOf(result.outcome);
  if (failure) throw ApplicationFailure.create({ ...failure, nonRetryable: true, details: [result] });
  return result;
}

/** The memo's `outcome`, for workflows that keep no other memo (tasks, rejected input). */
export function memoOutcome(outcome: RunOutcome): void {
  upsertMemo({ outcome });
}

function failureOf(outcome: RunOutcome): { type: string; message: string } | undefined {
  if (outcome.kind === 'failed') return { type: outcome.failure.type, message: outcome.failure.message };
  if (outcome.kind === 'escalated') return { type: 'escalated', message: `${outcome.reason}: ${outcome.message}` };
  return undefined;
}

/** Input that fails its schema ends the run at once as `failed (invalid_input)`, with the
 * issues named; nothing else runs. */
export function rejectInput(rawInput: unknown, message: string): RunResult {
  const runId = workflowInfo().workflowId;
  const given = (rawInput as { agent?: { name?: unknown } } | undefined)?.agent?.name;
  const agent = typeof given === 'string' ? given : 'unknown';
  const outcome: RunOutcome = { kind: 'failed', failure: make('invalid_input', message) };
  const status: RunStatus = {
    runId,
    agent,
    phase: 'completed',
    step: 0,
    maxSteps: 0,
    usage: zeroUsage,
    costUsd: 0,
    modelCalls: 0,
    toolCalls: 0,
    lastEvent: 'run ended: failed (invalid_input)',
    recentEvents: [],
    pending: [],
    pendingApprovals: [],
    escalations: 0,
    outcome: 'failed',
  };
  setHandler(statusQuery, () => status);
  upsertSearchAttributes([
    { key: searchAttributes.status, value: 'failed' },
    { key: searchAttributes.agent, value: agent },
    { key: searchAttributes.failureType, value: 'invalid_input' },
  ]);
  memoOutcome(outcome);
  recordRunEnd({
    agent,
    outcome,
    costUsd: 0,
    steps: 0,
    escalations: 0,
    latencyMs: Date.now() - workflowInfo().runStartTime.getTime(),
    humanWaitMs: 0,
    humanTimeouts: 0,
  });
  const none = {
    steps: 0,
    modelCalls: 0,
    toolCalls: 0,
    usage: zeroUsage,
    costUsd: 0,
    unpricedCalls: 0,
    calls: [],
    audit: [],
    escalations: 0,
  };
  return { runId, agent, outcome, ...none };
}
