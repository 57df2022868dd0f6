import { describe, expect, it } from 'vitest';
import type { ModelRef } from '../../core/model.ts';
import { callsQuery } from '../../workflows/definitions.ts';
import { startFakeAnthropic, startFakeOpenAI, type FakeProviderServer } from '../kit/index.ts';
import { anthropicModel, useHarness, fakeConfig, openaiModel, testAgent, withWorker } from '../helpers/harness.ts';
import { chatBody } from '../helpers/chat-body.ts';

const h = useHarness();

describe('request assembly under a token budget', () => {
  it.each([
    ['openai', openaiModel, true],
    ['anthropic', anthropicModel, false],
  ] as [string, ModelRef, boolean][])(
    'records sections, tokens and the stable prefix of every %s call',
    async (provider, model, exact) => {
      const fake: FakeProviderServer = provider === 'openai' ? await startFakeOpenAI() : await startFakeAnthropic();
      try {
        await withWorker(
          h,
          fakeConfig(provider === 'openai' ? { openai: fake } : { anthropic: fake }),
          async ({ bosun }) => {
            fake.push(
              { kind: 'tool_calls', calls: [{ name: 'read_doc', args: { id: 'shipping' } }] },
              { kind: 'text', text: 'ok' },
            );
            const result = await bosun.run({ agent: testAgent(model), task: 'How long does shipping take?' });
            const [first, second] = result.calls.map((c) => c.context!);
            expect(first!.tokenizer.exact).toBe(exact);
            expect(first!.sections.reduce((sum, s) => sum + s.tokens, 0)).toBe(first!.totalTokens);
            expect(second!.totalTokens).toBeGreaterThan(first!.totalTokens);
            // System + tool definitions are the same prefix on both calls (prompt caching works).
            expect(second!.stablePrefixHash).toBe(first!.stablePrefixHash);
            expect(second!.stablePrefixTokens).toBe(first!.stablePrefixTokens);
            expect(first!.stablePrefixShare).toBeGreaterThan(second!.stablePrefixShare);
            // Operators read the same records from the running (or finished) run by query.
            expect(await h.temporal.workflow.getHandle(result.runId).query(callsQuery)).toEqual(result.calls);
          },
        );
      } finally {
        await fake.close();
      }
    },
  );

  it('drops the oldest turns, never the task or the latest turn, when the window is small', async () => {
    const fake = await startFakeOpenAI();
    try {
      await withWorker(h, fakeConfig({ openai: fake }), async ({ bosun }) => {
        const docs = ['refunds', 'shipping', 'pricing', 'support', 'returns', 'warranty'];
        fake.setHandler((_req, i) =>
          i < docs.length
            ? { kind: 'tool_calls', calls: [{ name: 'read_doc', args: { id: docs[i] } }] }
            : { kind: 'text', text: 'done' },
        );
        const small: ModelRef = { provider: 'openai', name: 'gpt-4.1-mini', contextWindow: 1_200 };
        const result = await bosun.run({
          agent: testAgent(small, { maxSteps: 10, maxOutputTokens: 256, summarizeHistory: false }),
          task: 'Summarize every policy document.',
        });
        expect(result.outcome).toMatchObject({ kind: 'answer', text: 'done' });
        const last = result.calls.at(-1)!.context!;
        const history = last.sections.find((s) => s.section === 'history')!;
        expect(history.dropped).toBeGreaterThan(0);
        expect(last.totalTokens).toBeLessThanOrEqual(last.budgetTokens);
        const sent = chatBody(fake.requests.at(-1)!).messages;
        expect(sent[1]).toEqual({ role: 'user', content: 'Summarize every policy document.' });
        expect(sent.at(-1)!.role).toBe('tool');
        expect(sent.length).toBeLessThan(2 + 2 * docs.length);
      });
    } finally {
      await fake.close();
    }
  });

  it('summarizes the dropped turns with the cheap model, sends the summary in their place, and bills it', async () => {
    const fake = await startFakeOpenAI();
    try {
      await withWorker(h, fakeConfig({ openai: fake }), async ({ bosun }) => {
        const docs = ['refunds', 'shipping', 'pricing', 'support', 'returns', 'warranty'];
        let steps = 0;
        fake.setHandler((req) => {
          if (String(chatBody(req).messages[0]!.content).startsWith('You compress')) {
            return {
              kind: 'text',
              text: `SUMMARY of ${chatBody(req).messages[1]!.content.length} chars: docs were read.`,
              usage: { input: 300, output: 20 },
            };
          }
          const i = steps++;
          return i < docs.length
            ? { kind: 'tool_calls', calls: [{ name: 'read_doc', args: { id: docs[i] } }] }
            : { kind: 'text', text: 'done' };
        });
        const small: ModelRef = { provider: 'openai', name: 'gpt-4.1', contextWindow: 1_200 };
        const cheap: ModelRef = { provider: 'openai', name: 'gpt-4.1-mini' };
        const result = await bosun.run({
          agent: {
            ...testAgent(small, { maxSteps: 10, maxOutputTokens: 256 }),
            model: undefined,
            routing: { tiers: { strong: { chain: [small] }, cheap: { chain: [cheap] } }, classes: { act: 'strong' } },
          },
          task: 'Summarize every policy document.',
        });
        expect(result.outcome).toMatchObject({ kind: 'answer', text: 'done' });
        const summaries = result.calls.filter((c) => c.purpose === 'summary');
        expect(summaries.length).toBeGreaterThan(0);
        expect(summaries.every((c) => c.model === 'openai/gpt-4.1-mini' && c.tier === 'cheap' && c.costUsd! > 0)).toBe(
          true,
        );
        const summaryRequests = fake.requests.filter((r) =>
          String(chatBody(r).messages[0]!.content).startsWith('You compress'),
        );
        expect(summaryRequests.map((r) => chatBody(r).model)).toEqual(summaries.map(() => 'gpt-4.1-mini'));
        // The last main request carries the summary after the task, and the latest turn whole.
        const last = chatBody(fake.requests.at(-1)!).messages;
        expect(last[1]).toEqual({ role: 'user', content: 'Summarize every policy document.' });
        expect(last.some((m) => m.role === 'user' && m.content.includes('SUMMARY of'))).toBe(true);
        expect(last.at(-1)!.role).toBe('tool');
        expect(result.costUsd).toBeCloseTo(
          result.calls.reduce((s, c) => s + (c.costUsd ?? 0), 0),
          9,
        );
      });
    } finally {
      await fake.close();
    }
  });
});
