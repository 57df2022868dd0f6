import { describe, expect, it } from 'vitest';
import type { FakeProviderServer, FakeReply } from '../kit/index.ts';
import {
  anthropicModel,
  capturedLogs,
  fakeConfig,
  maybeRecordHistory,
  openaiModel,
  activitiesRun,
  EARLY_TOOL,
  testAgent,
  uniqueName,
  withFakeProviders,
  useHarness,
  withWorker,
} from '../helpers/harness.ts';
import type { ModelRef } from '../../core/model.ts';
import { chatBody } from '../helpers/chat-body.ts';

const h = useHarness();
let openai: FakeProviderServer;
let anthropic: FakeProviderServer;

/** Runs `fn` with fresh fakes in this file's `openai` and `anthropic`. */
const withFakes = <T>(fn: () => Promise<T>) =>
  withFakeProviders((fakes) => {
    ({ openai, anthropic } = fakes);
    return fn();
  });

const threeStepScript: FakeReply[] = [
  {
    kind: 'tool_calls',
    calls: [{ name: 'search_docs', args: { query: 'restocking fee opened items' } }],
    usage: { input: 100, output: 10 },
  },
  {
    kind: 'tool_calls',
    calls: [{ name: 'calculator', args: { expression: '2 * 18.40 * 0.9' } }],
    usage: { input: 300, output: 12, cached: 80 },
  },
  { kind: 'text', text: 'The refund is $33.12.', usage: { input: 350, output: 9 } },
];

describe.each([
  ['openai', openaiModel],
  ['anthropic', anthropicModel],
] as [string, ModelRef][])('agentRun on %s', (provider, model) => {
  const fake = () => (provider === 'openai' ? openai : anthropic);

  it('completes a multi-step tool-using run and feeds each tool result back', () =>
    withFakes(() =>
      withWorker(h, fakeConfig({ openai, anthropic }), async ({ bosun }) => {
        fake().push(...structuredClone(threeStepScript));
        const result = await bosun.run({ agent: testAgent(model), task: 'Refund for 2 opened mugs at $18.40?' });

        expect(result.outcome).toEqual({ kind: 'answer', text: 'The refund is $33.12.', truncated: false });
        expect(result).toMatchObject({ steps: 3, modelCalls: 3, toolCalls: 2 });
        expect(result.usage).toEqual({ input: 750, output: 31, cachedInput: 80, cacheWrite: 0 });
        expect(fake().requests).toHaveLength(3);
        const lastBody = JSON.stringify(fake().requests[2]!.body);
        expect(lastBody).toContain('restocking fee'); // the search result came back to the model
        expect(lastBody).toContain('2 * 18.40 * 0.9 = 33.12'); // and so did the calculator's
        // Both tools are reads: each ran inside the model call that asked for it.
        expect(await activitiesRun(h.temporal, result.runId)).toEqual([
          'callModel',
          EARLY_TOOL,
          'callModel',
          EARLY_TOOL,
          'callModel',
        ]);
        await maybeRecordHistory(h.temporal, result.runId, `agent-run-tools-${provider}`);
      }),
    ));

  it('runs parallel tool calls and returns the results in call order', () =>
    withFakes(() =>
      withWorker(h, fakeConfig({ openai, anthropic }), async ({ bosun }) => {
        fake().push(
          {
            kind: 'tool_calls',
            calls: [
              { id: 'c_first', name: 'calculator', args: { expression: '1 + 1' } },
              { id: 'c_second', name: 'read_doc', args: { id: 'shipping' } },
              { id: 'c_third', name: 'calculator', args: { expression: '3 * 3' } },
            ],
          },
          { kind: 'text', text: 'done' },
        );
        const result = await bosun.run({ agent: testAgent(model), task: 'Do three things at once.' });
        expect(result.outcome.kind).toBe('answer');
        expect(result.toolCalls).toBe(3);
        const body = JSON.stringify(fake().requests[1]!.body);
        const order = ['c_first', 'c_second', 'c_third'].map((id) => body.lastIndexOf(id));
        expect(order.every((pos) => pos > 0)).toBe(true);
        expect([...order].sort((a, b) => a - b)).toEqual(order);
        expect(body).toContain('1 + 1 = 2');
        expect(body).toContain('3 * 3 = 9');
      }),
    ));
});

describe('agentRun tool validation', () => {
  it('never executes a call whose arguments fail the schema, and lets the model correct itself', () =>
    withFakes(() =>
      withWorker(h, fakeConfig({ openai }), async ({ bosun }) => {
        openai.push(
          { kind: 'tool_calls', calls: [{ name: 'calculator', args: { expr: 42 } }] },
          { kind: 'tool_calls', calls: [{ name: 'no_such_tool', args: {} }] },
          { kind: 'tool_calls', calls: [{ name: 'calculator', args: { expression: '6 * 7' } }] },
          { kind: 'text', text: '42' },
        );
        const result = await bosun.run({ agent: testAgent(openaiModel), task: 'What is 6 * 7?' });

        expect(result.outcome).toMatchObject({ kind: 'answer', text: '42' });
        expect(result.toolCalls).toBe(1);
        const activities = await activitiesRun(h.temporal, result.runId);
        expect(activities.filter((a) => a.startsWith('executeTool'))).toEqual([EARLY_TOOL]);
        const toolMessages = (i: number) => chatBody(openai.requests[i]!).messages.filter((m) => m.role === 'tool');
        expect(toolMessages(1).at(-1)!.content).toMatch(/Invalid arguments for tool "calculator": expression: /);
        expect(toolMessages(2).at(-1)!.content).toMatch(/Unknown tool "no_such_tool"/);
        expect(toolMessages(3).at(-1)!.content).toBe('6 * 7 = 42');
        await maybeRecordHistory(h.temporal, result.runId, 'agent-run-invalid-args');
      }),
    ));

  it('feeds a tool failure back to the model as an error result', () =>
    withFakes(() =>
      withWorker(h, fakeConfig({ openai }), async ({ bosun }) => {
        openai.push(
          { kind: 'tool_calls', calls: [{ name: 'calculator', args: { expression: '1 / 0' } }] },
          { kind: 'text', text: 'cannot' },
        );
        const result = await bosun.run({ agent: testAgent(openaiModel), task: '1/0?' });
        expect(result.outcome.kind).toBe('answer');
        const tool = chatBody(openai.requests[1]!).messages.find((m) => m.role === 'tool')!;
        expect(tool.content).toMatch(/tool_failed.*division by zero/);
      }),
    ));
});

describe('agentRun budgets and failures', () => {
  it('ends with a typed budget_exhausted outcome when the step budget runs out', () =>
    withFakes(() =>
      withWorker(h, fakeConfig({ openai }), async ({ bosun }) => {
        openai.setHandler((_req, i) => ({
          kind: 'tool_calls',
          calls: [{ name: 'calculator', args: { expression: `${i} + 1` } }],
        }));
        const result = await bosun.run({ agent: testAgent(openaiModel, { maxSteps: 3 }), task: 'loop forever' });
        expect(result.outcome).toMatchObject({ kind: 'budget_exhausted', budget: 'steps', limit: 3 });
        if (result.outcome.kind !== 'budget_exhausted') throw new Error('unreachable');
        expect(result.outcome.summary).toMatch(
          /^Stopped after 3 steps \(limit 3\).*\(the model asked for calculator×3\)/,
        );
        expect(openai.requests).toHaveLength(3);
        expect(result.toolCalls).toBe(3);
        await maybeRecordHistory(h.temporal, result.runId, 'agent-run-step-budget');
      }),
    ));

  it('retries a 429 no sooner than its retry-after: 2 and then completes', () =>
    withFakes(() =>
      withWorker(h, fakeConfig({ openai }), async ({ bosun }) => {
        openai.push(
          { kind: 'error', status: 429, headers: { 'retry-after': '2' } },
          { kind: 'text', text: 'ok after waiting' },
        );
        const result = await bosun.run({ agent: testAgent(openaiModel), task: 'hi' });
        expect(result.outcome).toMatchObject({ kind: 'answer', text: 'ok after waiting' });
        expect(openai.requests).toHaveLength(2);
        const gap = openai.requests[1]!.at - openai.requests[0]!.at;
        expect(gap).toBeGreaterThanOrEqual(2_000);
        expect(gap).toBeLessThan(6_000);
      }),
    ));

  it('fails fast on 401 with a typed auth failure after exactly one request', () =>
    withFakes(() =>
      withWorker(h, fakeConfig({ anthropic }), async ({ bosun }) => {
        anthropic.push({ kind: 'error', status: 401, message: 'RAW-PROVIDER-BODY-TEXT invalid x-api-key' });
        const started = Date.now();
        const result = await bosun.run({ agent: testAgent(anthropicModel), task: 'hi' });
        expect(result.outcome).toMatchObject({ kind: 'failed', failure: { type: 'auth', retryable: false } });
        expect(anthropic.requests).toHaveLength(1);
        expect(Date.now() - started).toBeLessThan(5_000);
        const history = JSON.stringify(await h.temporal.workflow.getHandle(result.runId).fetchHistory());
        for (const where of [JSON.stringify(result), history, capturedLogs.join('\n')]) {
          expect(where).not.toContain('sk-ant-test-key');
          expect(where).not.toContain('RAW-PROVIDER-BODY-TEXT');
        }
        expect(capturedLogs.join('\n')).toContain('model call failed');
      }),
    ));

  it('answers the status query while a model call is pending', () =>
    withFakes(() =>
      withWorker(h, fakeConfig({ openai }), async ({ bosun }) => {
        openai.push({
          kind: 'tool_calls',
          calls: [{ name: 'calculator', args: { expression: '2+2' } }],
          usage: { input: 40, output: 5 },
        });
        openai.push({ kind: 'delay', ms: 3_000, then: { kind: 'text', text: 'four' } });
        const run = await bosun.start({ agent: testAgent(openaiModel), task: '2+2?', runId: uniqueName('status') });
        await expect.poll(() => openai.requests.length, { timeout: 10_000 }).toBe(2);
        await expect
          .poll(() => run.status(), { timeout: 5_000 })
          .toMatchObject({
            phase: 'calling_model',
            step: 2,
            usage: { input: 40, output: 5 },
            pending: [{ kind: 'model_call', step: 2 }],
          });
        const result = await run.result();
        expect(result.outcome).toMatchObject({ kind: 'answer', text: 'four' });
        expect(await run.status()).toMatchObject({ phase: 'completed', outcome: 'answer', pending: [] });
      }),
    ));
});
