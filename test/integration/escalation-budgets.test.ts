import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import type { BosunClient } from '../../client/client.ts';
import { outputContract } from '../../core/output-contract.ts';
import type { EscalationResolutionInput } from '../../core/approvals.ts';
import { resolveEscalationUpdate, statusQuery } from '../../workflows/definitions.ts';
import type { FakeProviderServer, FakeReply } from '../kit/index.ts';
import {
  useHarness,
  fakeConfig,
  maybeRecordHistory,
  openaiModel,
  testAgent,
  uniqueName,
  withFakeProviders,
  withWorker,
} from '../helpers/harness.ts';
import { chatBody } from '../helpers/chat-body.ts';

const h = useHarness();
let fake: FakeProviderServer;
/** Runs `fn` against a worker on a fresh fake OpenAI, kept in this file's `fake`. */
const withFake = <T>(fn: (bosun: BosunClient) => Promise<T>) =>
  withFakeProviders(({ openai }) => {
    fake = openai;
    return withWorker(h, fakeConfig({ openai }), ({ bosun }) => fn(bosun));
  });

const human = { id: 'carol', groups: ['support-leads'] };
const calc = (expression: string, usage?: { input: number; output: number }): FakeReply => ({
  kind: 'tool_calls',
  calls: [{ name: 'calculator', args: { expression } }],
  ...(usage ? { usage } : {}),
});
async function openEscalation(runId: string) {
  const handle = h.temporal.workflow.getHandle(runId);
  await expect
    .poll(async () => (await handle.query(statusQuery)).escalation?.id ?? '', { timeout: 15_000 })
    .not.toBe('');
  return (await handle.query(statusQuery)).escalation!;
}
const resolve = (runId: string, resolution: EscalationResolutionInput) =>
  h.temporal.workflow.getHandle(runId).executeUpdate(resolveEscalationUpdate, { args: [resolution] });

describe('escalation to a human', () => {
  it('parks a policy-sensitive request before any model call; a human answers it', () =>
    withFake(async (bosun) => {
      const run = await bosun.start({
        agent: testAgent(openaiModel, {
          policy: { sensitive: [{ pattern: '\\blawyer|lawsuit\\b', reason: 'legal matter' }] },
        }),
        task: 'My lawyer says you owe me money.',
        runId: uniqueName('sensitive'),
      });
      const esc = await openEscalation(run.runId);
      expect(esc).toMatchObject({ reason: 'policy_sensitive', message: 'legal matter' });
      expect(await run.status()).toMatchObject({ phase: 'needs_human', escalations: 1 });
      expect(fake.requests).toHaveLength(0);
      await resolve(run.runId, {
        action: 'answer',
        escalationId: esc.id,
        by: human,
        text: 'A team lead will call you today.',
      });
      const result = await run.result();
      expect(result.outcome).toEqual({
        kind: 'answer',
        text: 'A team lead will call you today.',
        truncated: false,
        answeredBy: 'human:carol',
      });
      expect(result.escalations).toBe(1);
      await maybeRecordHistory(h.temporal, run.runId, 'agent-run-escalation-answer');
      expect(result.audit.map((a) => [a.event, a.by])).toEqual([
        ['escalation_opened', 'system'],
        ['escalation_resolved', 'human:carol'],
      ]);
    }));

  it('lets a human redirect a run whose output never matched its contract', () =>
    withFake(async (bosun) => {
      const contract = outputContract('total', z.object({ totalCents: z.number().int() }), {
        maxRepairs: 1,
        escalateToStrongModel: false,
      });
      fake.push(
        { kind: 'text', text: 'about twelve dollars' },
        { kind: 'text', text: '{"totalCents": "12"}' },
        { kind: 'text', text: '{"totalCents": 1200}' },
      );
      const run = await bosun.start({
        agent: testAgent(openaiModel),
        task: 'total?',
        output: contract,
        runId: uniqueName('redirect'),
      });
      const esc = await openEscalation(run.runId);
      expect(esc.reason).toBe('invalid_output');
      await expect(
        resolve(run.runId, { action: 'redirect', escalationId: 'esc-99', by: human, instruction: 'x' }),
      ).rejects.toThrow();
      await resolve(run.runId, {
        action: 'redirect',
        escalationId: esc.id,
        by: human,
        instruction: 'Answer with integer cents only.',
      });
      const result = await run.result();
      expect(result.outcome).toMatchObject({ kind: 'answer', output: { totalCents: 1200 } });
      const last = chatBody(fake.requests.at(-1)!).messages.at(-1);
      expect(last).toEqual({ role: 'user', content: 'Answer with integer cents only.' });
    }));

  it('escalates a low-confidence answer, and a human can end the run', () =>
    withFake(async (bosun) => {
      const contract = outputContract('triage', z.object({ label: z.string(), confidence: z.number().min(0).max(1) }));
      fake.push({ kind: 'text', text: '{"label":"billing","confidence":0.4}' });
      const run = await bosun.start({
        agent: testAgent(openaiModel),
        task: 'triage',
        output: { ...contract, confidence: { field: 'confidence', min: 0.7 } },
        runId: uniqueName('lowconf'),
      });
      const esc = await openEscalation(run.runId);
      expect(esc).toMatchObject({ reason: 'low_confidence', message: 'confidence is 0.4, below 0.7' });
      await resolve(run.runId, { action: 'end', escalationId: esc.id, by: human, reason: 'route to a person' });
      const result = await run.result();
      expect(result.outcome).toMatchObject({
        kind: 'stopped',
        reason: 'ended_by_human',
        message: 'ended by carol: route to a person',
      });
    }));

  it('ends as escalated when nobody answers before the deadline', () =>
    withFake(async (bosun) => {
      fake.push({ kind: 'text', text: 'no', stop: 'refusal' });
      const result = await bosun.run({
        agent: testAgent(openaiModel, { escalation: { mode: 'park', timeoutMs: 1_000 } }),
        task: 't',
      });
      expect(result.outcome).toMatchObject({ kind: 'escalated', reason: 'refused' });
      if (result.outcome.kind === 'escalated') expect(result.outcome.message).toMatch(/no human resolved it in time$/);
      expect(result.escalations).toBe(1);
    }));
});

describe('budgets and stop conditions', () => {
  it('stops at the tool-call budget with a summary of what was done', () =>
    withFake(async (bosun) => {
      fake.setHandler((_r, i) => calc(`${i} * 2`));
      const result = await bosun.run({
        agent: testAgent(openaiModel, { maxSteps: 10, budgets: { maxToolCalls: 2 } }),
        task: 't',
      });
      expect(result.outcome).toMatchObject({ kind: 'budget_exhausted', budget: 'tool_calls', limit: 2 });
      expect(result.toolCalls).toBe(2);
      if (result.outcome.kind === 'budget_exhausted')
        expect(result.outcome.summary).toMatch(/2 tool calls run \(the model asked for calculator×2\)/);
    }));

  it('stops at the input- and output-token budgets, counting retried billed attempts', () =>
    withFake(async (bosun) => {
      fake.push(
        {
          kind: 'raw',
          status: 200,
          body: {
            id: 'x',
            object: 'chat.completion',
            model: 'm',
            choices: [],
            usage: { prompt_tokens: 600, completion_tokens: 5, total_tokens: 605 },
          },
        },
        calc('1+1', { input: 500, output: 5 }),
      );
      fake.setHandler((_r, i) => calc(`${i}+2`, { input: 500, output: 5 }));
      const result = await bosun.run({
        agent: testAgent(openaiModel, { maxSteps: 10, budgets: { maxInputTokens: 1_500 } }),
        task: 't',
      });
      // 600 (billed, unusable) + 500 → 1100 < 1500 → one more call → 1600 ≥ 1500.
      expect(result.outcome).toMatchObject({ kind: 'budget_exhausted', budget: 'input_tokens', limit: 1_500 });
      expect(result.usage.input).toBe(1_600);
      expect(result.modelCalls).toBe(2);

      fake.setHandler((_r, i) => calc(`${i}+3`, { input: 10, output: 40 }));
      const out = await bosun.run({
        agent: testAgent(openaiModel, { maxSteps: 10, budgets: { maxOutputTokens: 100 } }),
        task: 't',
      });
      expect(out.outcome).toMatchObject({ kind: 'budget_exhausted', budget: 'output_tokens', limit: 100 });
      expect(out.usage.output).toBe(120);
    }));

  it('refuses a model call whose worst case does not fit the cost budget, before it is sent', () =>
    withFake(async (bosun) => {
      fake.setHandler((_r, i) => calc(`${i}+4`, { input: 1_000, output: 100 }));
      // gpt-4.1-mini: $0.40/M in, $1.60/M out. Each call costs $0.00056; the worst case with
      // 256 output tokens is about $0.0004 + input. Budget: $0.0015.
      const result = await bosun.run({
        agent: testAgent(openaiModel, { maxSteps: 20, budgets: { maxCostUsd: 0.0015 } }),
        task: 't',
      });
      expect(result.outcome).toMatchObject({ kind: 'budget_exhausted', budget: 'cost', limit: 0.0015 });
      expect(result.costUsd).toBeLessThanOrEqual(0.0015);
      expect(fake.requests).toHaveLength(result.modelCalls);
      expect(result.audit.at(-1)).toMatchObject({ event: 'budget_refused', by: 'system' });
      await maybeRecordHistory(h.temporal, result.runId, 'agent-run-cost-budget');
    }));

  it('stops at the wall-clock budget', () =>
    withFake(async (bosun) => {
      fake.setHandler((_r, i) => ({ kind: 'delay', ms: 400, then: calc(`${i}+5`) }));
      const result = await bosun.run({
        agent: testAgent(openaiModel, { maxSteps: 50, budgets: { maxWallClockMs: 1_000 } }),
        task: 't',
      });
      expect(result.outcome).toMatchObject({ kind: 'budget_exhausted', budget: 'wall_clock', limit: 1_000 });
      expect(result.steps).toBeGreaterThanOrEqual(1);
      expect(result.steps).toBeLessThanOrEqual(4);
    }));

  it('stops a loop of identical tool calls', () =>
    withFake(async (bosun) => {
      fake.setHandler(() => calc('2 + 2'));
      const result = await bosun.run({ agent: testAgent(openaiModel, { maxSteps: 10 }), task: 't' });
      expect(result.outcome).toMatchObject({
        kind: 'stopped',
        reason: 'loop_detected',
        message: 'calculator called 3 times with the same arguments',
      });
      expect(result.toolCalls).toBe(2);
    }));

  it('counts nothing twice when the run is replayed: a query after completion matches the result', () =>
    withFake(async (bosun) => {
      fake.push(
        { kind: 'error', status: 429, headers: { 'retry-after-ms': '100' } },
        calc('1+1', { input: 100, output: 10 }),
        { kind: 'text', text: 'done', usage: { input: 150, output: 5 } },
      );
      const result = await bosun.run({ agent: testAgent(openaiModel), task: 't' });
      // Querying a closed run replays its whole history on a worker.
      const status = await h.temporal.workflow.getHandle(result.runId).query(statusQuery);
      expect(status.usage).toEqual(result.usage);
      expect(status.costUsd).toBe(result.costUsd);
      expect(status.toolCalls).toBe(result.toolCalls);
      expect(result.usage).toMatchObject({ input: 250, output: 15 });
    }));
});
