import { describe, expect, it } from 'vitest';
import { failureTypeNames, type FailureType } from '../../core/failures.ts';
import type { ModelRef } from '../../core/model.ts';
import {
  chooseRoute,
  classifyAgentStep,
  defaultClassTiers,
  modelTiers,
  nextAfterFailure,
  routingTableSchema,
  singleModelRouting,
  taskClasses,
  type Route,
  type RoutingTableInput,
} from '../../core/routing.ts';

const sonnet: ModelRef = { provider: 'anthropic', name: 'claude-sonnet-4-5' };
const gpt41: ModelRef = { provider: 'openai', name: 'gpt-4.1' };
const mini: ModelRef = { provider: 'openai', name: 'gpt-4.1-mini' };
const haiku: ModelRef = { provider: 'anthropic', name: 'claude-haiku-4-5' };
const local: ModelRef = { provider: 'openai-compatible', name: 'qwen-72b' };

const table = (input: RoutingTableInput) => routingTableSchema.parse(input);
const route = (chain: ModelRef[], fallbackOnRefusal = false): Route => ({
  chain,
  attemptsPerModel: 3,
  fallbackOnRefusal,
});

/** Failure types that are the provider's problem, not the request's: another model may succeed. */
const providerSide = [
  'provider_unavailable',
  'rate_limited',
  'timeout',
  'invalid_response',
  'model_not_found',
  'auth',
  'quota_exhausted',
] as const;
/** Failure types that follow the request to any model. */
const requestSide = failureTypeNames.filter(
  (t) => !(providerSide as readonly string[]).includes(t) && t !== 'context_too_long' && t !== 'refused',
);

describe('routingTableSchema', () => {
  it('fills the defaults: no class overrides, 3 attempts per model, refusals escalate', () => {
    expect(table({ tiers: { strong: { chain: [sonnet] } } })).toEqual({
      classes: {},
      tiers: { strong: { chain: [sonnet], attemptsPerModel: 3, fallbackOnRefusal: false } },
    });
  });

  it('keeps explicit class overrides and route settings', () => {
    const t = table({
      classes: { act: 'strong' },
      tiers: { strong: { chain: [sonnet, gpt41], attemptsPerModel: 5, fallbackOnRefusal: true } },
    });
    expect(t.classes).toEqual({ act: 'strong' });
    expect(t.tiers.strong).toEqual({ chain: [sonnet, gpt41], attemptsPerModel: 5, fallbackOnRefusal: true });
  });

  it('requires at least one tier', () => {
    const r = routingTableSchema.safeParse({ tiers: {} });
    expect(r.success).toBe(false);
    expect(r.error!.issues).toEqual([
      expect.objectContaining({ path: ['tiers'], message: 'define at least one tier' }),
    ]);
  });

  it('rejects a tier name it does not know', () => {
    const r = routingTableSchema.safeParse({ tiers: { huge: { chain: [sonnet] } } });
    expect(r.success).toBe(false);
    expect(r.error!.issues).toContainEqual(expect.objectContaining({ path: ['tiers'], code: 'unrecognized_keys' }));
  });

  it('rejects a task class name it does not know', () => {
    const r = routingTableSchema.safeParse({ classes: { think: 'strong' }, tiers: { strong: { chain: [sonnet] } } });
    expect(r.success).toBe(false);
    expect(r.error!.issues).toEqual([expect.objectContaining({ path: ['classes'], code: 'unrecognized_keys' })]);
  });

  it('rejects a class mapped to a tier name it does not know', () => {
    const r = routingTableSchema.safeParse({ classes: { act: 'huge' }, tiers: { strong: { chain: [sonnet] } } });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path)).toEqual([['classes', 'act']]);
  });

  it('rejects an empty chain and attempts outside 1..20', () => {
    for (const strong of [
      { chain: [] },
      { chain: [sonnet], attemptsPerModel: 0 },
      { chain: [sonnet], attemptsPerModel: 21 },
      { chain: [sonnet], attemptsPerModel: 1.5 },
    ]) {
      expect(routingTableSchema.safeParse({ tiers: { strong } }).success, JSON.stringify(strong)).toBe(false);
    }
  });
});

describe('chooseRoute', () => {
  const full = table({
    tiers: { strong: { chain: [sonnet, gpt41] }, cheap: { chain: [mini, haiku] }, specialized: { chain: [local] } },
  });

  it('sends thinking work to strong and mechanical work to cheap by default', () => {
    expect(defaultClassTiers).toEqual({
      plan: 'strong',
      act: 'cheap',
      synthesize: 'strong',
      extract: 'cheap',
      classify: 'cheap',
      rewrite: 'cheap',
    });
    for (const taskClass of taskClasses) {
      const tier = defaultClassTiers[taskClass];
      expect(chooseRoute(full, taskClass)).toEqual({
        taskClass,
        tier,
        route: full.tiers[tier],
        reason: `${taskClass} → ${tier} (default for ${taskClass})`,
      });
    }
  });

  it('follows a configured class and says it was configured', () => {
    const t = table({ ...full, classes: { act: 'strong', extract: 'specialized' } });
    expect(chooseRoute(t, 'act')).toEqual({
      taskClass: 'act',
      tier: 'strong',
      route: t.tiers.strong,
      reason: 'act → strong (configured)',
    });
    expect(chooseRoute(t, 'extract')).toEqual({
      taskClass: 'extract',
      tier: 'specialized',
      route: t.tiers.specialized,
      reason: 'extract → specialized (configured)',
    });
    expect(chooseRoute(t, 'classify').reason).toBe('classify → cheap (default for classify)');
  });

  it('falls back to strong when the default tier has no models, and says why', () => {
    const t = table({ tiers: { strong: { chain: [sonnet] }, specialized: { chain: [local] } } });
    expect(chooseRoute(t, 'act')).toEqual({
      taskClass: 'act',
      tier: 'strong',
      route: t.tiers.strong,
      reason: 'act → strong (default for act is cheap, which has no models)',
    });
  });

  it('falls back to strong when the configured tier has no models, and says why', () => {
    const t = table({
      classes: { plan: 'specialized' },
      tiers: { strong: { chain: [sonnet] }, cheap: { chain: [mini] } },
    });
    expect(chooseRoute(t, 'plan')).toEqual({
      taskClass: 'plan',
      tier: 'strong',
      route: t.tiers.strong,
      reason: 'plan → strong (configured is specialized, which has no models)',
    });
  });

  it('falls back to any defined tier when strong has no models either', () => {
    const cheapOnly = table({ tiers: { cheap: { chain: [mini] } } });
    expect(chooseRoute(cheapOnly, 'plan')).toEqual({
      taskClass: 'plan',
      tier: 'cheap',
      route: cheapOnly.tiers.cheap,
      reason: 'plan → cheap (default for plan is strong, which has no models)',
    });
    const specializedOnly = table({ tiers: { specialized: { chain: [local] } } });
    expect(chooseRoute(specializedOnly, 'act')).toMatchObject({
      tier: 'specialized',
      reason: 'act → specialized (default for act is cheap, which has no models)',
    });
    const configured = table({ classes: { rewrite: 'strong' }, tiers: { specialized: { chain: [local] } } });
    expect(chooseRoute(configured, 'rewrite')).toMatchObject({
      tier: 'specialized',
      reason: 'rewrite → specialized (configured is strong, which has no models)',
    });
  });

  it('always returns a tier that has models', () => {
    for (const only of modelTiers) {
      const t = table({ tiers: { [only]: { chain: [mini] } } });
      for (const taskClass of taskClasses) {
        const choice = chooseRoute(t, taskClass);
        expect(choice.tier).toBe(only);
        expect(choice.route.chain).toEqual([mini]);
      }
    }
  });
});

describe('singleModelRouting', () => {
  it('is a valid table with one strong chain of that model, 6 attempts, refusals escalating', () => {
    const t = singleModelRouting(gpt41);
    expect(t).toEqual({
      classes: {},
      tiers: { strong: { chain: [gpt41], attemptsPerModel: 6, fallbackOnRefusal: false } },
    });
    expect(routingTableSchema.parse(t)).toEqual(t);
  });

  it('serves every task class with that model', () => {
    const t = singleModelRouting(gpt41);
    for (const taskClass of taskClasses) {
      const choice = chooseRoute(t, taskClass);
      expect(choice.tier).toBe('strong');
      expect(choice.route.chain).toEqual([gpt41]);
    }
    expect(chooseRoute(t, 'plan').reason).toBe('plan → strong (default for plan)');
    expect(chooseRoute(t, 'act').reason).toBe('act → strong (default for act is cheap, which has no models)');
  });
});

describe('classifyAgentStep', () => {
  it('plans on step 1, acts between, synthesizes on the last step of the budget', () => {
    expect(classifyAgentStep(1, 5)).toEqual({ taskClass: 'plan', why: 'first step' });
    expect(classifyAgentStep(2, 5)).toEqual({ taskClass: 'act', why: 'step 2 after tool results' });
    expect(classifyAgentStep(4, 5)).toEqual({ taskClass: 'act', why: 'step 4 after tool results' });
    expect(classifyAgentStep(5, 5)).toEqual({ taskClass: 'synthesize', why: 'last step of the budget' });
  });

  it('has no act step in a two-step budget', () => {
    expect([1, 2].map((s) => classifyAgentStep(s, 2).taskClass)).toEqual(['plan', 'synthesize']);
  });

  it('synthesizes when the budget is a single step: that step must answer', () => {
    expect(classifyAgentStep(1, 1)).toEqual({ taskClass: 'synthesize', why: 'last step of the budget' });
  });

  it('escalates when every model of a refusal-tolerant chain refused', () => {
    expect(nextAfterFailure(route([sonnet, gpt41], true), 1, 'refused')).toEqual({
      kind: 'escalate',
      reason: 'every model in the chain refused (last: openai/gpt-4.1)',
    });
  });
});

describe('nextAfterFailure', () => {
  const chain = route([sonnet, gpt41, mini]);

  it('covers every failure type with exactly one policy', () => {
    expect([...providerSide, ...requestSide, 'context_too_long', 'refused'].sort()).toEqual(
      [...failureTypeNames].sort(),
    );
  });

  it.each(providerSide)('moves to the next model on %s', (failure) => {
    expect(nextAfterFailure(chain, 0, failure)).toEqual({
      kind: 'next',
      index: 1,
      reason: `${failure} on anthropic/claude-sonnet-4-5 → openai/gpt-4.1`,
    });
    expect(nextAfterFailure(chain, 1, failure)).toEqual({
      kind: 'next',
      index: 2,
      reason: `${failure} on openai/gpt-4.1 → openai/gpt-4.1-mini`,
    });
  });

  it.each(providerSide)('fails on %s when the last model of the chain is spent', (failure) => {
    expect(nextAfterFailure(chain, 2, failure)).toEqual({
      kind: 'fail',
      reason: `${failure} on the last model of the chain (openai/gpt-4.1-mini)`,
    });
    expect(nextAfterFailure(route([sonnet]), 0, failure).kind).toBe('fail');
  });

  it.each(requestSide)('fails on %s at once, whatever models remain', (failure) => {
    for (const index of [0, 2]) {
      expect(nextAfterFailure(chain, index, failure)).toEqual({
        kind: 'fail',
        reason: `${failure} is not a provider problem; another model would fail the same way`,
      });
    }
  });

  it('fails at once on a bad request, invalid output and tool failures', () => {
    for (const failure of [
      'bad_request',
      'invalid_output',
      'tool_input_invalid',
      'unknown_tool',
      'tool_failed',
      'tool_unavailable',
    ] as FailureType[]) {
      expect(requestSide).toContain(failure);
      expect(nextAfterFailure(chain, 0, failure).kind).toBe('fail');
    }
  });

  describe('on a refusal', () => {
    it('escalates to a human by default, even with models left', () => {
      for (const index of [0, 2]) {
        expect(nextAfterFailure(chain, index, 'refused')).toEqual({
          kind: 'escalate',
          reason: `${chain.chain[index]!.provider}/${chain.chain[index]!.name} refused; refusals go to a human`,
        });
      }
    });

    it('moves to the next model when the route allows falling back', () => {
      expect(nextAfterFailure(route([sonnet, gpt41], true), 0, 'refused')).toEqual({
        kind: 'next',
        index: 1,
        reason: 'refused on anthropic/claude-sonnet-4-5 → openai/gpt-4.1',
      });
    });

    it('does not move past the end of the chain when falling back', () => {
      expect(nextAfterFailure(route([sonnet, gpt41], true), 1, 'refused').kind).not.toBe('next');
    });
  });

  describe('on a context-length failure', () => {
    const w = (m: ModelRef, contextWindow: number): ModelRef => ({ ...m, contextWindow });

    it('skips models whose window is not larger and takes the first larger one', () => {
      const r = route([
        w(mini, 128_000),
        w(haiku, 100_000),
        w(gpt41, 128_000),
        w(sonnet, 200_000),
        w(local, 1_000_000),
      ]);
      expect(nextAfterFailure(r, 0, 'context_too_long')).toEqual({
        kind: 'next',
        index: 3,
        reason: 'context too long for openai/gpt-4.1-mini → anthropic/claude-sonnet-4-5',
      });
    });

    it('counts a model with an unknown window as a candidate', () => {
      const r = route([w(mini, 128_000), w(haiku, 100_000), gpt41, w(sonnet, 200_000)]);
      expect(nextAfterFailure(r, 0, 'context_too_long')).toMatchObject({ kind: 'next', index: 2 });
    });

    it('takes the very next model when the failing model’s window is unknown', () => {
      const r = route([mini, w(haiku, 8_000), w(sonnet, 200_000)]);
      expect(nextAfterFailure(r, 0, 'context_too_long')).toMatchObject({ kind: 'next', index: 1 });
    });

    it('only looks after the failing model', () => {
      const r = route([w(sonnet, 200_000), w(mini, 128_000), w(haiku, 100_000)]);
      expect(nextAfterFailure(r, 1, 'context_too_long')).toEqual({
        kind: 'fail',
        reason: 'no model after openai/gpt-4.1-mini has a larger context window',
      });
    });

    it('fails when no later model is larger, or none is left', () => {
      const r = route([w(sonnet, 200_000), w(gpt41, 200_000), w(mini, 128_000)]);
      expect(nextAfterFailure(r, 0, 'context_too_long')).toEqual({
        kind: 'fail',
        reason: 'no model after anthropic/claude-sonnet-4-5 has a larger context window',
      });
      expect(nextAfterFailure(route([mini]), 0, 'context_too_long')).toEqual({
        kind: 'fail',
        reason: 'no model after openai/gpt-4.1-mini has a larger context window',
      });
    });
  });
});
