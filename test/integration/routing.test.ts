import { describe, expect, it } from 'vitest';
import { costOf, defaultPrices } from '../../core/pricing.ts';
import type { RoutingTableInput } from '../../core/routing.ts';
import { byModel, type FakeProviderServer } from '../kit/index.ts';
import {
  useHarness,
  fakeConfig,
  maybeRecordHistory,
  activitiesRun,
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

const routedAgent = (routing: RoutingTableInput, overrides = {}) => ({
  ...testAgent({ provider: 'openai', name: 'x' }),
  model: undefined,
  routing,
  ...overrides,
});
const calc = (expression: string) => ({
  kind: 'tool_calls' as const,
  calls: [{ name: 'calculator', args: { expression } }],
});

type RouteInput = NonNullable<RoutingTableInput['tiers']['strong']>;
/** An agent whose one tier, strong, tries `chain` in order. */
const chainAgent = (chain: RouteInput['chain'], route: Omit<RouteInput, 'chain'> = {}) =>
  routedAgent({ tiers: { strong: { chain, ...route } } });
const gpt41 = { provider: 'openai', name: 'gpt-4.1' } as const;
const haiku = { provider: 'anthropic', name: 'claude-haiku-4-5' } as const;
const mini = { provider: 'openai', name: 'gpt-4.1-mini' } as const;

describe('model routing', () => {
  it('routes each step by task class, across providers, and records route, reason, answerer and cost', () =>
    withFakes(() =>
      withWorker(h, fakeConfig({ openai, anthropic }), async ({ bosun }) => {
        openai.push(
          { ...calc('1 + 1'), usage: { input: 1000, output: 50 } },
          { kind: 'text', text: 'two and four', usage: { input: 3000, output: 80, cached: 1000 } },
        );
        anthropic.push({ ...calc('2 + 2'), usage: { input: 2000, output: 40, cached: 500, cacheWrite: 700 } });
        const agent = routedAgent(
          {
            tiers: {
              strong: { chain: [gpt41] },
              cheap: { chain: [haiku] },
            },
          },
          { maxSteps: 3 },
        );
        const result = await bosun.run({ agent, task: '1+1 then 2+2' });

        expect(result.outcome).toMatchObject({ kind: 'answer', text: 'two and four' });
        expect(result.calls.map((c) => [c.taskClass, c.tier, c.model, c.outcome])).toEqual([
          ['plan', 'strong', 'openai/gpt-4.1', 'ok'],
          ['act', 'cheap', 'anthropic/claude-haiku-4-5', 'ok'],
          ['synthesize', 'strong', 'openai/gpt-4.1', 'ok'],
        ]);
        expect(result.calls[0]!.routeReason).toBe('plan → strong (default for plan); first step');
        expect(result.calls[1]!.routeReason).toBe('act → cheap (default for act); step 2 after tool results');
        expect(result.calls.every((c) => c.answeredBy && c.priceAsOf === '2025-10-01')).toBe(true);
        expect(openai.requests.map((r) => chatBody(r).model)).toEqual(['gpt-4.1', 'gpt-4.1']);
        expect(anthropic.requests.map((r) => chatBody(r).model)).toEqual(['claude-haiku-4-5']);

        const strong = defaultPrices['gpt-4.1']!;
        const cheap = defaultPrices['claude-haiku-4-5']!;
        const expected = [
          costOf({ input: 1000, output: 50, cachedInput: 0, cacheWrite: 0 }, strong),
          costOf({ input: 2000, output: 40, cachedInput: 500, cacheWrite: 700 }, cheap),
          costOf({ input: 3000, output: 80, cachedInput: 1000, cacheWrite: 0 }, strong),
        ];
        expect(result.calls.map((c) => c.costUsd)).toEqual(expected);
        expect(result.costUsd).toBeCloseTo(
          expected.reduce((a, b) => a + b, 0),
          9,
        );
        expect(result.usage).toEqual({ input: 6000, output: 170, cachedInput: 1500, cacheWrite: 700 });
        expect(result.unpricedCalls).toBe(0);
        await maybeRecordHistory(h.temporal, result.runId, 'agent-run-routing');
      }),
    ));

  it('reports calls to a model with no price as unpriced instead of free', () =>
    withFakes(() =>
      withWorker(h, fakeConfig({ openai }), async ({ bosun }) => {
        openai.push({ kind: 'text', text: 'hi', usage: { input: 10, output: 2 } });
        const result = await bosun.run({ agent: testAgent({ provider: 'openai', name: 'my-finetune' }), task: 'hi' });
        expect(result).toMatchObject({ costUsd: 0, unpricedCalls: 1 });
        expect(result.calls[0]!.costUsd).toBeNull();
      }),
    ));
});

describe('fallback chains', () => {
  it('falls back to the next model when 503s outlast the retries, as its own visible activity', () =>
    withFakes(() =>
      withWorker(h, fakeConfig({ openai, anthropic }), async ({ bosun }) => {
        openai.setHandler(() => ({ kind: 'error', status: 503 }));
        anthropic.push({ kind: 'text', text: 'served by the fallback', usage: { input: 100, output: 10 } });
        const agent = chainAgent([gpt41, haiku], { attemptsPerModel: 2 });
        const result = await bosun.run({ agent, task: 'hi' });

        expect(result.outcome).toMatchObject({ kind: 'answer', text: 'served by the fallback' });
        expect(openai.requests).toHaveLength(2);
        expect(anthropic.requests).toHaveLength(1);
        expect(result.calls.map((c) => [c.model, c.outcome, c.fallbackFrom])).toEqual([
          ['openai/gpt-4.1', 'provider_unavailable', undefined],
          ['anthropic/claude-haiku-4-5', 'ok', 'openai/gpt-4.1'],
        ]);
        expect(result.calls[1]!.fallbackReason).toBe(
          'provider_unavailable on openai/gpt-4.1 → anthropic/claude-haiku-4-5',
        );
        expect(await activitiesRun(h.temporal, result.runId)).toEqual(['callModel', 'callModel']);
        await maybeRecordHistory(h.temporal, result.runId, 'agent-run-fallback');
      }),
    ));

  it('moves on at once from a model the provider does not know (404)', () =>
    withFakes(() =>
      withWorker(h, fakeConfig({ openai }), async ({ bosun }) => {
        openai.setHandler(byModel({ 'gpt-4.1-mini': [{ kind: 'text', text: 'mini answered' }] }));
        const agent = chainAgent([{ provider: 'openai', name: 'retired-model' }, mini]);
        const result = await bosun.run({ agent, task: 'hi' });
        expect(result.outcome).toMatchObject({ kind: 'answer', text: 'mini answered' });
        expect(openai.requests.map((r) => chatBody(r).model)).toEqual(['retired-model', 'gpt-4.1-mini']);
        expect(result.calls[0]!.outcome).toBe('model_not_found');
      }),
    ));

  it('sends a context-length failure to a larger model, never to one of the same size', () =>
    withFakes(() =>
      withWorker(h, fakeConfig({ openai }), async ({ bosun }) => {
        openai.setHandler(
          byModel({
            small: [
              {
                kind: 'error',
                status: 400,
                code: 'context_length_exceeded',
                message: "This model's maximum context length is 8192 tokens.",
              },
            ],
            'same-size': [{ kind: 'text', text: 'should not be asked' }],
            large: [{ kind: 'text', text: 'large answered' }],
          }),
        );
        const agent = chainAgent([
          { provider: 'openai', name: 'small', contextWindow: 8_192 },
          { provider: 'openai', name: 'same-size', contextWindow: 8_192 },
          { provider: 'openai', name: 'large', contextWindow: 128_000 },
        ]);
        const result = await bosun.run({ agent, task: 'a very long question' });
        expect(result.outcome).toMatchObject({ kind: 'answer', text: 'large answered' });
        expect(openai.requests.map((r) => chatBody(r).model)).toEqual(['small', 'large']);
        expect(result.calls.map((c) => c.outcome)).toEqual(['context_too_long', 'ok']);
        expect(result.calls[1]!.fallbackReason).toBe('context too long for openai/small → openai/large');
      }),
    ));

  it('escalates a refusal instead of shopping it to another model', () =>
    withFakes(() =>
      withWorker(h, fakeConfig({ openai, anthropic }), async ({ bosun }) => {
        anthropic.push({ kind: 'text', text: 'I cannot help with that.', stop: 'refusal' });
        const agent = chainAgent([haiku, mini]);
        const result = await bosun.run({
          agent: { ...agent, escalation: { mode: 'return' } },
          task: 'something sensitive',
        });
        expect(result.outcome).toMatchObject({ kind: 'escalated', reason: 'refused' });
        expect(openai.requests).toHaveLength(0);
        expect(result.calls.map((c) => c.outcome)).toEqual(['refused']);
      }),
    ));

  it('lets a refusal fall back when the route allows it', () =>
    withFakes(() =>
      withWorker(h, fakeConfig({ openai, anthropic }), async ({ bosun }) => {
        openai.push({ kind: 'text', text: 'refusal', stop: 'refusal' });
        anthropic.push({ kind: 'text', text: 'here you go' });
        const agent = chainAgent([mini, haiku], { fallbackOnRefusal: true });
        const result = await bosun.run({ agent, task: 'borderline' });
        expect(result.outcome).toMatchObject({ kind: 'answer', text: 'here you go' });
        expect(result.calls.map((c) => c.outcome)).toEqual(['refused', 'ok']);
      }),
    ));

  it('counts usage billed by a failed attempt, across retries and the fallback, exactly once', () =>
    withFakes(() =>
      withWorker(h, fakeConfig({ openai, anthropic }), async ({ bosun }) => {
        // Attempt 1: a 200 the provider billed but whose body is unusable; attempts 2-3: 503s.
        openai.push(
          {
            kind: 'raw',
            status: 200,
            body: {
              id: 'x',
              object: 'chat.completion',
              model: 'gpt-4.1',
              choices: [],
              usage: { prompt_tokens: 400, completion_tokens: 30, total_tokens: 430 },
            },
          },
          { kind: 'error', status: 503 },
          { kind: 'error', status: 503 },
        );
        anthropic.push({ kind: 'text', text: 'fallback answer', usage: { input: 120, output: 12 } });
        const agent = chainAgent([gpt41, haiku], { attemptsPerModel: 3 });
        const result = await bosun.run({ agent, task: 'hi' });
        expect(result.outcome).toMatchObject({ kind: 'answer', text: 'fallback answer' });
        expect(openai.requests).toHaveLength(3);
        expect(result.calls.map((c) => [c.outcome, c.usage.input, c.usage.output])).toEqual([
          ['provider_unavailable', 400, 30],
          ['ok', 120, 12],
        ]);
        expect(result.usage).toMatchObject({ input: 520, output: 42 });
        const expected =
          costOf({ input: 400, output: 30, cachedInput: 0, cacheWrite: 0 }, defaultPrices['gpt-4.1']!) +
          costOf({ input: 120, output: 12, cachedInput: 0, cacheWrite: 0 }, defaultPrices['claude-haiku-4-5']!);
        expect(result.costUsd).toBeCloseTo(expected, 9);
      }),
    ));
});

describe('circuit breaker', () => {
  it('stops calling a model that keeps failing, across runs of the same worker', () =>
    withFakes(() =>
      withWorker(
        h,
        { ...fakeConfig({ openai }), BOSUN_BREAKER_FAILURES: 2, BOSUN_BREAKER_OPEN_MS: 60_000 },
        async ({ bosun }) => {
          openai.setHandler(
            byModel({
              flaky: () => ({ kind: 'error', status: 503 }),
              backup: () => ({ kind: 'text', text: 'backup answered' }),
            }),
          );
          const agent = chainAgent(
            [
              { provider: 'openai', name: 'flaky' },
              { provider: 'openai', name: 'backup' },
            ],
            { attemptsPerModel: 2 },
          );
          const first = await bosun.run({ agent, task: 'one' });
          const second = await bosun.run({ agent, task: 'two' });

          for (const r of [first, second]) expect(r.outcome).toMatchObject({ kind: 'answer', text: 'backup answered' });
          // Run one spent both attempts on flaky and opened the breaker; run two never reached it.
          expect(openai.requests.map((r) => chatBody(r).model)).toEqual(['flaky', 'flaky', 'backup', 'backup']);
          expect(second.calls[0]).toMatchObject({ model: 'openai/flaky', outcome: 'provider_unavailable' });
          expect(second.calls[1]).toMatchObject({
            model: 'openai/backup',
            outcome: 'ok',
            fallbackFrom: 'openai/flaky',
          });
        },
      ),
    ));
});
