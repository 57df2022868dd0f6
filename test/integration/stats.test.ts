import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { outputContract } from '../../core/output-contract.ts';
import { runStats } from '../../client/stats.ts';
import { startFakeOpenAI } from '../kit/index.ts';
import { useHarness, fakeConfig, openaiModel, testAgent, uniqueName, withWorker } from '../helpers/harness.ts';

const h = useHarness();

describe('business metrics from the runs themselves', () => {
  it('reports success rate, latency, cost per completed task, validation, escalation and retrieval figures', async () => {
    const fake = await startFakeOpenAI();
    const since = new Date(Date.now() - 1_000);
    const name = uniqueName('stats-agent');
    try {
      await withWorker(h, fakeConfig({ openai: fake }), async ({ bosun }) => {
        const agent = (extra = {}) => ({ ...testAgent(openaiModel, extra), name });
        // 1. answered (with retrieval), 2. answered after a repair, 3. failed (401), 4. escalated.
        fake.push({ kind: 'text', text: 'answer one', usage: { input: 1_000, output: 100 } });
        await bosun.run({
          agent: agent({ retrieval: { k: 2 } }),
          task: 'What restocking fee applies to opened items?',
        });
        fake.push(
          { kind: 'text', text: '{"n": "x"}', usage: { input: 500, output: 10 } },
          { kind: 'text', text: '{"n": 2}', usage: { input: 600, output: 10 } },
        );
        await bosun.run({ agent: agent(), task: 'n?', output: outputContract('n', z.object({ n: z.number() })) });
        fake.push({ kind: 'error', status: 401 });
        await bosun.run({ agent: agent(), task: 'fail' });
        fake.push({ kind: 'text', text: 'no', stop: 'refusal', usage: { input: 100, output: 1 } });
        await bosun.run({ agent: agent({ escalation: { mode: 'return' } }), task: 'refuse' });

        let report = await runStats(h.temporal, { since, agent: name });
        await expect
          .poll(async () => (report = await runStats(h.temporal, { since, agent: name })).runs, { timeout: 15_000 })
          .toBe(4);
        expect(report.outcomes).toEqual({ completed: 2, failed: 1, escalated: 1 });
        expect(report.successRate).toBe(0.5);
        expect(report.escalationRate).toBe(0.25);
        expect(report.validation).toEqual({ runs: 1, successRate: 1, firstTryRate: 0 });
        expect(report.retrieval).toMatchObject({ runs: 1, weakRate: 0 });
        expect(report.retrieval.meanTopScore).toBeGreaterThan(0);
        // gpt-4.1-mini ($0.40 in, $1.60 out per million), every billed call: the two answers,
        // the repair, and the refused call (the 401 was not billed).
        const expected =
          (1_000 * 0.4 + 100 * 1.6 + 500 * 0.4 + 10 * 1.6 + 600 * 0.4 + 10 * 1.6 + 100 * 0.4 + 1 * 1.6) / 1e6;
        expect(report.costUsd).toBeCloseTo(expected, 9);
        expect(report.costPerCompletedUsd).toBeCloseTo(expected / 2, 9);
        expect(report.latencyMs.p95).toBeGreaterThanOrEqual(report.latencyMs.p50);
        expect(report.latencyMs.p50).toBeGreaterThan(0);
      });
    } finally {
      await fake.close();
    }
  });
});
