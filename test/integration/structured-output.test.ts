import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { outputContract } from '../../core/output-contract.ts';
import type { ModelRef } from '../../core/model.ts';
import type { FakeProviderServer } from '../kit/index.ts';
import {
  anthropicModel,
  useHarness,
  fakeConfig,
  maybeRecordHistory,
  openaiModel,
  testAgent,
  withFakeProviders,
  withWorker,
} from '../helpers/harness.ts';
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

const refund = outputContract(
  'refund_decision',
  z.object({ approve: z.boolean(), amountCents: z.number().int().nonnegative(), reason: z.string().min(3) }),
);
const valid = { approve: true, amountCents: 3312, reason: 'opened items, 10% fee' };
const text = (value: unknown) => ({
  kind: 'text' as const,
  text: typeof value === 'string' ? value : JSON.stringify(value),
});
/** The last turn's text: a string (OpenAI) or text blocks (Anthropic). */
const lastUserText = (body: unknown): string => {
  const last = (body as { messages: { content: string | { text?: string }[] }[] }).messages.at(-1)!;
  return typeof last.content === 'string' ? last.content : last.content.map((b) => b.text ?? '').join('');
};

describe.each([
  ['openai', openaiModel],
  ['anthropic', anthropicModel],
] as [string, ModelRef][])('structured output on %s', (provider, model) => {
  const fake = () => (provider === 'openai' ? openai : anthropic);

  it('asks for the contract through the native structured-output mode and returns the parsed value', () =>
    withFakes(() =>
      withWorker(h, fakeConfig({ openai, anthropic }), async ({ bosun }) => {
        fake().push(text(valid));
        const result = await bosun.run({
          agent: testAgent(model),
          task: 'Refund 2 opened mugs at $18.40?',
          output: refund,
        });
        expect(result.outcome).toMatchObject({ kind: 'answer', output: valid });
        expect(result.validation).toEqual({
          schema: 'refund_decision',
          result: 'initial',
          attempts: [{ rung: 'initial', model: `${model.provider}/${model.name}`, valid: true }],
        });
        // The schema as each provider's wire format carries it.
        const body = fake().requests[0]!.body as {
          response_format: { json_schema: { schema: { required: string[] } } };
          output_config: { format: { schema: { properties: Record<string, unknown> } } };
        };
        if (provider === 'openai') {
          expect(body.response_format).toMatchObject({
            type: 'json_schema',
            json_schema: { name: 'refund_decision', strict: true },
          });
          expect(body.response_format.json_schema.schema.required).toEqual(['approve', 'amountCents', 'reason']);
        } else {
          expect(body.output_config).toMatchObject({ format: { type: 'json_schema' } });
          expect(body.output_config.format.schema.properties.amountCents).toMatchObject({ type: 'integer' });
        }
      }),
    ));

  it('repairs an invalid answer by showing the model the zod issues', () =>
    withFakes(() =>
      withWorker(h, fakeConfig({ openai, anthropic }), async ({ bosun }) => {
        fake().push(text({ approve: 'yes', amountCents: 3312, reason: 'ok fee' }), text(valid));
        const result = await bosun.run({ agent: testAgent(model), task: 'Refund?', output: refund });
        expect(result.outcome).toMatchObject({ kind: 'answer', output: valid });
        expect(result.validation?.result).toBe('repaired');
        expect(result.validation?.attempts.map((a) => [a.rung, a.valid])).toEqual([
          ['initial', false],
          ['repair', true],
        ]);
        expect(lastUserText(fake().requests[1]!.body)).toMatch(
          /does not match the required "refund_decision" format:\n- approve: Invalid input: expected boolean/,
        );
        expect(result.calls.map((c) => c.purpose)).toEqual(['step', 'repair']);
        await maybeRecordHistory(h.temporal, result.runId, `agent-run-repair-${provider}`);
      }),
    ));
});

describe('the output ladder', () => {
  const routing = {
    tiers: {
      strong: { chain: [anthropicModel] },
      cheap: { chain: [openaiModel] },
    },
  };

  it('climbs repair → stronger model when repairs do not help, counting every rung', () =>
    withFakes(() =>
      withWorker(h, fakeConfig({ openai, anthropic }), async ({ bosun }) => {
        openai.push(
          text('not json at all'),
          text({ approve: true }),
          text({ approve: true, amountCents: -5, reason: 'x' }),
        );
        anthropic.push(text(valid));
        const result = await bosun.runTask({
          name: 'refund-extract',
          taskClass: 'extract',
          instructions: 'Extract the refund decision.',
          input: 'Customer returns 2 opened mugs at $18.40.',
          routing,
          output: refund,
          timeouts: { modelCallMs: 10_000, heartbeatMs: 2_000, toolCallMs: 5_000 },
        });
        expect(result.outcome).toMatchObject({ kind: 'answer', output: valid });
        expect(result.validation?.attempts.map((a) => [a.rung, a.model, a.valid])).toEqual([
          ['initial', 'openai/gpt-4.1-mini', false],
          ['repair', 'openai/gpt-4.1-mini', false],
          ['repair', 'openai/gpt-4.1-mini', false],
          ['stronger_model', 'anthropic/claude-haiku-4-5', true],
        ]);
        expect(result.validation?.result).toBe('repaired');
        await maybeRecordHistory(h.temporal, result.runId, 'complete-task-ladder');
        expect(result.calls.map((c) => [c.purpose, c.tier])).toEqual([
          ['task', 'cheap'],
          ['repair', 'cheap'],
          ['repair', 'cheap'],
          ['stronger_model', 'strong'],
        ]);
      }),
    ));

  it('escalates with the last invalid output and its issues when every rung fails', () =>
    withFakes(() =>
      withWorker(h, fakeConfig({ openai, anthropic }), async ({ bosun }) => {
        const bad = { approve: true, amountCents: 1.5, reason: 'x' };
        openai.setHandler(() => text(bad));
        anthropic.push(text(bad));
        const result = await bosun.runTask({
          name: 'refund-extract',
          instructions: 'Extract the refund decision.',
          input: 'Customer returns 2 opened mugs.',
          routing,
          output: { ...refund, maxRepairs: 1 },
        });
        expect(result.outcome).toMatchObject({
          kind: 'escalated',
          reason: 'invalid_output',
          lastOutput: JSON.stringify(bad),
          issues: [
            'amountCents: Invalid input: expected int, received number',
            'reason: Too small: expected string to have >=3 characters',
          ],
        });
        expect(result.validation).toMatchObject({ result: 'escalated' });
        expect(result.validation?.attempts.map((a) => a.rung)).toEqual(['initial', 'repair', 'stronger_model']);
      }),
    ));
});

describe('completeTask', () => {
  it('classifies in one cheap call with the same contracts', () =>
    withFakes(() =>
      withWorker(h, fakeConfig({ openai }), async ({ bosun }) => {
        openai.push({ kind: 'text', text: '{"label":"billing"}', usage: { input: 80, output: 6 } });
        const result = await bosun.runTask({
          name: 'ticket-triage',
          taskClass: 'classify',
          instructions: 'Classify the ticket.',
          input: 'I was charged twice for my order.',
          model: openaiModel,
          output: outputContract('ticket_label', z.object({ label: z.enum(['billing', 'shipping', 'other']) })),
        });
        expect(result.outcome).toMatchObject({ kind: 'answer', output: { label: 'billing' } });
        expect(result.modelCalls).toBe(1);
        expect(result.calls[0]).toMatchObject({
          taskClass: 'classify',
          purpose: 'task',
          outcome: 'ok',
          usage: { input: 80, output: 6 },
        });
        expect(result.costUsd).toBeGreaterThan(0);
        expect(chatBody(openai.requests[0]!).tools).toBeUndefined();
      }),
    ));
});
