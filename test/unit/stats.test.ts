import type { WorkflowExecutionInfo } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { percentile, summarizeRuns, withSubAgents } from '../../client/stats.ts';
import type { RunMemoStats } from '../../core/run-metrics.ts';
import { searchAttributes } from '../../workflows/definitions.ts';

const t0 = Date.parse('2026-11-28T10:00:00Z');
const window = { since: '2026-11-28T00:00:00.000Z', until: '2026-11-29T00:00:00.000Z' };

/** What the run list says of one run: Temporal's status and times, Bosun's search
 * attributes and memo, as a finished run (started at t0, `ms` long) by default. */
function run(
  opts: {
    status?: string;
    temporal?: 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'TERMINATED' | 'TIMED_OUT';
    ms?: number;
    cost?: number;
    failureType?: string;
    validation?: string;
    memo?: Partial<RunMemoStats> | unknown;
  } = {},
): WorkflowExecutionInfo {
  const temporal = opts.temporal ?? 'COMPLETED';
  const attrs = new TypedSearchAttributes([
    ...(opts.status ? [{ key: searchAttributes.status, value: opts.status }] : []),
    { key: searchAttributes.costUsd, value: opts.cost ?? 0 },
    ...(opts.failureType ? [{ key: searchAttributes.failureType, value: opts.failureType }] : []),
    ...(opts.validation ? [{ key: searchAttributes.validation, value: opts.validation }] : []),
  ]);
  return {
    status: { name: temporal, code: 0 },
    startTime: new Date(t0),
    ...(temporal === 'RUNNING' ? {} : { closeTime: new Date(t0 + (opts.ms ?? 1_000)) }),
    typedSearchAttributes: attrs,
    memo: { stats: opts.memo ?? { escalations: 0, modelCalls: 1, timeouts: 0 } },
  } as unknown as WorkflowExecutionInfo;
}

/** A run that ended with an answer from `by`, every fact of this version in its memo. */
const answered = (by: string, extra: Partial<RunMemoStats> = {}, opts: Parameters<typeof run>[0] = {}) =>
  run({ status: 'completed', ...opts, memo: { ...facts(), answeredBy: by, endReason: 'none', ...extra } });
const facts = (): RunMemoStats => ({
  escalations: 0,
  modelCalls: 1,
  timeouts: 0,
  startedAtMs: t0,
  humanWaitMs: 0,
  humanTimeouts: 0,
});
const ended = (
  status: string,
  endReason: string,
  extra: Partial<RunMemoStats> = {},
  opts: Parameters<typeof run>[0] = {},
) => run({ status, ...opts, memo: { ...facts(), endReason, ...extra } });

/** The issue's example: 16 finished runs, 10 completed — 7 by the model, 2 by a human, 1 by
 * the "not in the knowledge base" policy. */
function issueExample(): WorkflowExecutionInfo[] {
  return [
    ...Array.from({ length: 7 }, () => answered('model', {}, { cost: 0.01 })),
    answered('human:carol', { escalations: 1 }, { cost: 0.002 }),
    answered('human:dave', { escalations: 1 }, { cost: 0.002 }),
    answered('policy:not_in_knowledge_base'),
    ended('failed', 'timeout', { timeouts: 3 }, { failureType: 'timeout', cost: 0.004 }),
    ended('failed', 'rate_limited', {}, { failureType: 'rate_limited' }),
    ended('escalated', 'refused', { escalations: 1 }, { cost: 0.001 }),
    ended('escalated', 'invalid_output', { escalations: 1 }, { cost: 0.001 }),
    ended('budget_exhausted', 'wall_clock'),
    ended('stopped', 'cancelled'),
  ];
}

describe('stats: the six metrics by their definitions (docs/metrics.md)', () => {
  it('counts only model answers as task successes: 7 of 16 is 43.75%, not the 62.5% of all completed runs', () => {
    const r = summarizeRuns(issueExample(), window);
    expect(r).toMatchObject({ runs: 16, running: 0, finished: 16 });
    expect(r.outcomes).toEqual({ completed: 10, failed: 2, escalated: 2, budget_exhausted: 1, stopped: 1 });
    expect(r.answeredBy).toEqual({ model: 7, human: 2, policy: 1, other: 0, unknown: 0 });
    expect(r.successRate).toBe(0.4375);
    expect(r.humanAnswerRate).toBe(0.125);
    expect(r.policyAnswerRate).toBe(0.0625);
    expect(r.notes).toEqual([]);
  });

  it('prices a completed task as the cost of every finished run over the successes', () => {
    const r = summarizeRuns(issueExample(), window);
    // 7 × 0.01 + 2 × 0.002 + 0.004 + 2 × 0.001: the failures and escalations were paid for too.
    expect(r.costUsd).toBeCloseTo(0.08, 9);
    expect(r.costPerCompletedUsd).toBeCloseTo(0.08 / 7, 9);
    expect(r.costPerRunUsd).toBeCloseTo(0.08 / 16, 9);
    const none = summarizeRuns([ended('failed', 'auth', {}, { failureType: 'auth', cost: 0.001 })], window);
    expect(none.costPerCompletedUsd).toBeNull();
  });

  it('counts a run as escalated when it went to a human at least once, however it ended', () => {
    // 2 answered by a human after an escalation, 2 ended escalated: 4 of 16.
    expect(summarizeRuns(issueExample(), window).escalationRate).toBe(0.25);
    const redirected = answered('model', { escalations: 2 });
    expect(summarizeRuns([redirected, answered('model')], window)).toMatchObject({
      successRate: 1,
      escalationRate: 0.5,
    });
  });

  it('reports latency with and without the time spent waiting for a human', () => {
    const r = summarizeRuns(
      [
        answered('model', {}, { ms: 1_000 }),
        answered('model', {}, { ms: 2_000 }),
        answered('human:carol', { escalations: 1, humanWaitMs: 3_600_000 }, { ms: 3_603_000 }),
        answered('model', { humanWaitMs: 60_000 }, { ms: 64_000 }), // a tool call waited for approval
      ],
      window,
    );
    expect(r.latencyMs).toEqual({ runs: 4, p50: 2_000, p95: 3_603_000 });
    expect(r.latencyExclHumanMs).toEqual({ runs: 4, p50: 2_000, p95: 4_000 });
  });

  it('measures a continued-as-new run from the start of its chain', () => {
    const chainStart = t0 - 50_000;
    const r = summarizeRuns([answered('model', { startedAtMs: chainStart }, { ms: 10_000 })], window);
    expect(r.latencyMs).toEqual({ runs: 1, p50: 60_000, p95: 60_000 });
  });

  it('counts runs ended by a timeout apart from human deadlines and from call timeouts that were retried', () => {
    const r = summarizeRuns(
      [
        ended('failed', 'timeout', { timeouts: 3 }, { failureType: 'timeout' }),
        ended('budget_exhausted', 'wall_clock'),
        run({ status: 'running', temporal: 'TIMED_OUT', memo: facts() }), // Temporal's execution timeout
        answered('model', { timeouts: 1 }), // a model call timed out, the retry answered
        answered('model', { humanTimeouts: 1 }), // an approval expired (denied), the model went on
        ended('escalated', 'refused', { escalations: 1, humanTimeouts: 1 }), // nobody answered in time
        ended('budget_exhausted', 'cost'),
        answered('model'),
      ],
      window,
    );
    expect(r.outcomes).toMatchObject({ timed_out: 1, failed: 1, budget_exhausted: 2 });
    expect(r.timeoutRate).toBe(0.375);
    expect(r.humanTimeoutRate).toBe(0.25);
    expect(r.callTimeoutRate).toBe(0.25);
  });

  it('rates schema validation among the runs whose output contract settled', () => {
    const r = summarizeRuns(
      [
        answered('model', {}, { validation: 'initial' }),
        answered('model', {}, { validation: 'initial' }),
        answered('model', {}, { validation: 'repaired' }),
        ended('escalated', 'invalid_output', { escalations: 1 }, { validation: 'escalated' }),
        answered('model'), // no contract: not counted
      ],
      window,
    );
    expect(r.validation).toEqual({ runs: 4, successRate: 0.75, firstTryRate: 0.5 });
    expect(summarizeRuns([answered('model')], window).validation).toEqual({
      runs: 0,
      successRate: null,
      firstTryRate: null,
    });
  });

  it('rates retrieval by the share of retrieval runs whose set passed the relevance threshold, whatever the raw scores', () => {
    const r = summarizeRuns(
      [
        answered('model', { retrieval: { chunks: 3, weak: false, topScore: 12.5 } }),
        answered('model', { retrieval: { chunks: 2, weak: false, topScore: 0.8 } }),
        answered('policy:not_in_knowledge_base', { retrieval: { chunks: 0, weak: true, topScore: 0 } }),
        answered('model'), // no retrieval
      ],
      window,
    );
    expect(r.retrieval).toEqual({ runs: 3, relevantRate: 0.6667 });
    expect(r.retrieval).not.toHaveProperty('meanTopScore');
  });

  it('leaves running runs out of every rate, and reports nothing to divide as null', () => {
    const r = summarizeRuns([run({ status: 'running', temporal: 'RUNNING' })], window);
    expect(r).toMatchObject({
      runs: 1,
      running: 1,
      finished: 0,
      successRate: null,
      escalationRate: null,
      timeoutRate: null,
      latencyMs: null,
      costPerRunUsd: null,
    });
  });

  it('says what it left out when runs predate a fact, and never guesses it', () => {
    // Memos as the workflow wrote them before humanWaitMs, humanTimeouts, startedAtMs and endReason.
    const old = { escalations: 0, modelCalls: 1, timeouts: 0 };
    const r = summarizeRuns(
      [
        run({ status: 'completed', memo: { ...old, answeredBy: 'model' } }),
        run({ status: 'completed', memo: old }), // no answeredBy at all
        run({ status: 'budget_exhausted', memo: old }),
        answered('model'),
      ],
      window,
    );
    expect(r.answeredBy).toEqual({ model: 2, human: 0, policy: 0, other: 0, unknown: 1 });
    expect(r.successRate).toBe(0.5);
    expect(r.latencyMs?.runs).toBe(4);
    expect(r.latencyExclHumanMs?.runs).toBe(1);
    expect(r.humanTimeoutRate).toBe(0);
    expect(r.timeoutRate).toBe(0);
    expect(r.notes).toEqual([
      '1 completed run(s) do not say who answered: not counted as successes',
      "3 run(s) do not record their chain's start: their latency counts from their last run (the same unless they continued as new)",
      'latency without human wait covers 1 of 4 run(s): the others do not record their human wait',
      'human timeout rate covers 1 of 4 run(s): the others do not record human deadlines',
      '1 budget stop(s) do not say which budget: a wall-clock stop among them is not counted as a timeout',
    ]);
  });

  it("takes Temporal's word for runs it closed itself, and ignores a memo of another shape", () => {
    const r = summarizeRuns(
      [
        run({ status: 'needs_human', temporal: 'TERMINATED' }),
        run({ status: 'running', temporal: 'CANCELLED' }),
        run({ status: 'completed', memo: 'not an object' }),
        run({ status: 'completed', memo: { answeredBy: 42, humanWaitMs: -5, escalations: 'x' } }),
      ],
      window,
    );
    expect(r.outcomes).toEqual({ terminated: 1, cancelled: 1, completed: 2 });
    expect(r.answeredBy.unknown).toBe(2);
    expect(r.escalationRate).toBe(0);
    expect(r.latencyExclHumanMs).toBeNull();
  });

  it('takes the nearest-rank percentile', () => {
    expect(percentile([], 0.5)).toBe(0);
    expect(percentile([5, 1, 3, 2, 4], 0.5)).toBe(3);
    expect(percentile([5, 1, 3, 2, 4], 0.95)).toBe(5);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        0.95,
      ),
    ).toBe(95);
  });
});

describe('stats: sub-agents count for their tree’s top run, not as tasks', () => {
  const withId = (info: WorkflowExecutionInfo, workflowId: string, parent?: string) =>
    ({
      ...info,
      workflowId,
      ...(parent ? { parentExecution: { workflowId: parent, runId: 'r' } } : {}),
    }) as WorkflowExecutionInfo;

  it('folds a child’s escalations, human facts and timeouts into the top run; its cost only when it left no result', () => {
    const top = withId(answered('model', { escalations: 0, timeouts: 0 }, { cost: 0.01 }), 'top');
    const child = withId(
      answered(
        'human:ann',
        { escalations: 1, timeouts: 2, humanWaitMs: 5_000, humanTimeouts: 1, rootRunId: 'top' },
        { cost: 0.004 },
      ),
      'top:sub1.1',
      'top',
    );
    const cancelled = withId(
      ended('stopped', 'cancelled', { rootRunId: 'top' }, { temporal: 'CANCELLED', cost: 0.002 }),
      'top:sub2.1',
      'top',
    );
    const stray = withId(answered('model', {}, { cost: 9 }), 'other:sub1.1', 'other');
    const [facts] = withSubAgents([top], [child, cancelled, stray]);
    expect(facts).toMatchObject({ escalations: 1, callTimeouts: 2, humanWaitMs: 5_000, humanTimeouts: 1 });
    // The completed child's $0.004 is in the top run's cost already; the cancelled one's is not.
    expect(facts!.costUsd).toBeCloseTo(0.012, 12);
    expect(withSubAgents([top], [])[0]!.costUsd).toBe(0.01);
  });
});
