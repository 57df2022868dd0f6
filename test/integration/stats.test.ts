import { z } from 'zod';
import { beforeAll, describe, expect, it } from 'vitest';
import { outputContract } from '../../core/output-contract.ts';
import { runStats, type RunStats } from '../../client/stats.ts';
import { startFakeOpenAI } from '../kit/index.ts';
import { useHarness, fakeConfig, openaiModel, testAgent, uniqueName, withWorker } from '../helpers/harness.ts';

const h = useHarness();

/** How long the human takes to answer the escalated run. */
const humanWaitMs = 3_000;

/**
 * Six runs of one agent on a real dev server, one of each kind the definitions tell apart
 * (docs/metrics.md): two model answers (one with retrieval, one repaired to its contract), a
 * "not in the knowledge base" policy answer, a human answer after an escalation, a failure
 * (401) and an escalation ended at once. The report is read once, the way `bosun stats` does.
 */
let report: RunStats;
let expectedCost = 0;
beforeAll(async () => {
  const fake = await startFakeOpenAI();
  const since = new Date(Date.now() - 1_000);
  const name = uniqueName('stats-agent');
  try {
    await withWorker(h, fakeConfig({ openai: fake }), async ({ bosun }) => {
      const agent = (extra = {}) => ({ ...testAgent(openaiModel, extra), name });
      fake.push({ kind: 'text', text: 'answer one', usage: { input: 1_000, output: 100 } });
      await bosun.run({ agent: agent({ retrieval: { k: 2 } }), task: 'What restocking fee applies to opened items?' });
      fake.push(
        { kind: 'text', text: '{"n": "x"}', usage: { input: 500, output: 10 } },
        { kind: 'text', text: '{"n": 2}', usage: { input: 600, output: 10 } },
      );
      await bosun.run({ agent: agent(), task: 'n?', output: outputContract('n', z.object({ n: z.number() })) });
      await bosun.run({
        agent: agent({ retrieval: { k: 3, minScore: 50, onWeak: 'degrade' } }),
        task: 'Explain quantum chromodynamics',
      });
      const parked = await bosun.start({
        agent: agent({ policy: { sensitive: [{ pattern: '\\blawyer\\b', reason: 'legal matter' }] } }),
        task: 'My lawyer says you owe me money.',
        runId: uniqueName('stats-human'),
      });
      const escalationId = await until(async () => (await parked.status()).escalation?.id);
      await new Promise((r) => setTimeout(r, humanWaitMs));
      await parked.answer(escalationId, { id: 'carol' }, 'A team lead will call you today.');
      await parked.result();
      fake.push({ kind: 'error', status: 401 });
      await bosun.run({ agent: agent(), task: 'fail' });
      fake.push({ kind: 'text', text: 'no', stop: 'refusal', usage: { input: 100, output: 1 } });
      await bosun.run({ agent: agent({ escalation: { mode: 'return' } }), task: 'refuse' });

      // Visibility is eventually consistent: wait until every run shows as finished.
      report = await until(async () => {
        const r = await runStats(h.temporal, { since, agent: name });
        return r.finished === 6 ? r : undefined;
      });
    });
  } finally {
    await fake.close();
  }
  // gpt-4.1-mini ($0.40 in, $1.60 out per million), every billed call: the two answers, the
  // repair, and the refused call (the 401 was not billed; the policy and human answers call
  // no model).
  expectedCost = (1_000 * 0.4 + 100 * 1.6 + 500 * 0.4 + 10 * 1.6 + 600 * 0.4 + 10 * 1.6 + 100 * 0.4 + 1 * 1.6) / 1e6;
}, 60_000);

/** Polls `read` until it returns a value (`expect.poll` is for tests, not `beforeAll`). */
async function until<T>(read: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`nothing after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('business metrics from the runs themselves', () => {
  it('counts only model answers as successes, with human and policy answers apart', () => {
    expect(report.outcomes).toEqual({ completed: 4, failed: 1, escalated: 1 });
    expect(report.answeredBy).toEqual({ model: 2, human: 1, policy: 1, other: 0, unknown: 0 });
    // 2 of 6: the old definition (every completed run) said 4 of 6.
    expect(report.successRate).toBe(0.3333);
    expect(report.humanAnswerRate).toBe(0.1667);
    expect(report.policyAnswerRate).toBe(0.1667);
  });

  it('reports cost per completed task, validation, escalation and retrieval figures', () => {
    expect(report.costUsd).toBeCloseTo(expectedCost, 9);
    expect(report.costPerCompletedUsd).toBeCloseTo(expectedCost / 2, 9);
    expect(report.costPerRunUsd).toBeCloseTo(expectedCost / 6, 9);
    expect(report.validation).toEqual({ runs: 1, successRate: 1, firstTryRate: 0 });
    // The human-answered run and the escalated one.
    expect(report.escalationRate).toBe(0.3333);
    // The restocking question found its documents; quantum chromodynamics did not.
    expect(report.retrieval).toEqual({ runs: 2, relevantRate: 0.5 });
    expect(report.timeoutRate).toBe(0);
    expect(report.callTimeoutRate).toBe(0);
    expect(report.latencyMs!.runs).toBe(6);
    expect(report.latencyMs!.p95).toBeGreaterThanOrEqual(humanWaitMs);
    expect(report.latencyMs!.p50).toBeGreaterThan(0);
  });

  // Needs the workflow to write humanWaitMs, humanTimeouts, startedAtMs and endReason into the memo.
  it('reports latency without the human wait, human timeouts, and leaves nothing out', () => {
    expect(report.notes).toEqual([]);
    expect(report.latencyExclHumanMs!.runs).toBe(6);
    expect(report.latencyExclHumanMs!.p95).toBeLessThan(humanWaitMs);
    expect(report.humanTimeoutRate).toBe(0);
  });
});
