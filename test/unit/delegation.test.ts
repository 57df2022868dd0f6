import { describe, expect, it } from 'vitest';
import { validateRunInput } from '../../client/client.ts';
import { RunInputError } from '../../client/errors.ts';
import {
  addEffects,
  carveBudget,
  childRunId,
  effectsAdded,
  holdUnaccounted,
  delegateToolName,
  narrowPrincipal,
  noDelegation,
  rollUp,
  withCarvedBudget,
} from '../../core/delegation.ts';
import { principalSchema } from '../../core/principal.ts';
import { newRunIdSchema, runIdSchema } from '../../core/run.ts';
import { sha256Hex } from '../../tools/fingerprint.ts';
import { CatalogError, defineCatalog } from '../../tools/catalog.ts';

const model = { provider: 'openai', name: 'gpt-4.1-mini' } as const;
const agent = (name: string, extra: object = {}) => ({ name, instructions: `[${name}]`, model, ...extra });

describe('carveBudget', () => {
  it('gives each delegation of a step an even share of what is left, keeping one share for the parent', () => {
    expect(carveBudget({ steps: 19, costUsd: 0.9, toolCalls: 10, wallClockMs: 60_000 }, 2)).toEqual({
      budget: { maxSteps: 6, maxToolCalls: 3, maxCostUsd: 0.3, maxWallClockMs: 60_000 },
    });
  });

  it('caps a share by the delegate’s own caps and leaves unlimited budgets unlimited', () => {
    expect(carveBudget({ steps: 40, inputTokens: 9_000 }, 1, { maxSteps: 3, maxCostUsd: 0.05 })).toEqual({
      budget: { maxSteps: 3, maxInputTokens: 4_500, maxCostUsd: 0.05 },
    });
  });

  it('refuses, naming the budget, when a share would be nothing', () => {
    expect(carveBudget({ steps: 2 }, 2)).toEqual({
      short: expect.stringMatching(/^the run has 2 steps left: too little to carve a share for 2 delegation/),
    });
    expect(carveBudget({ steps: 10, costUsd: 0 }, 1)).toEqual({ short: expect.stringMatching(/has 0 cost left/) });
  });
});

describe('withCarvedBudget', () => {
  it('lowers an agent’s limits to the carved budget, never raises them', () => {
    const a = { maxSteps: 5, budgets: { maxCostUsd: 0.01, maxToolCalls: 50 } };
    expect(withCarvedBudget(a, { maxSteps: 9, maxCostUsd: 0.5, maxToolCalls: 4, maxWallClockMs: 1_000 })).toEqual({
      maxSteps: 5,
      budgets: { maxCostUsd: 0.01, maxToolCalls: 4, maxWallClockMs: 1_000 },
    });
  });
});

describe('narrowPrincipal', () => {
  const parent = principalSchema.parse({ tenant: 't', user: 'u', scopes: ['a', 'b'], roles: ['r'] });
  it('keeps only the scopes the delegate names that the parent has', () => {
    expect(narrowPrincipal(parent, ['b', 'c']).scopes).toEqual(['b']);
    expect(narrowPrincipal(parent, []).scopes).toEqual([]);
    expect(narrowPrincipal(parent, undefined)).toBe(parent);
    expect(narrowPrincipal(parent, ['a'])).toMatchObject({ tenant: 't', user: 'u', roles: ['r'] });
  });
});

describe('rollUp', () => {
  it('adds a child and everything below it; usage and cost come from the child’s totals', () => {
    const grandchild = { ...noDelegation, runs: 1, steps: 2, toolCalls: 1, modelCalls: 2, costUsd: 0.1 };
    const usage = { input: 10, output: 5, cachedInput: 0, cacheWrite: 0 };
    const r = rollUp(noDelegation, {
      steps: 3,
      toolCalls: 2,
      modelCalls: 3,
      usage,
      costUsd: 0.3,
      delegated: grandchild,
    });
    expect(r).toEqual({ runs: 2, steps: 5, toolCalls: 3, modelCalls: 5, usage, costUsd: 0.3, unaccounted: 0 });
  });
});

describe('names', () => {
  it('offers a delegate as ask_<agent> unless named, within provider limits', () => {
    expect(delegateToolName({ agent: 'kb search' })).toBe('ask_kb_search');
    expect(delegateToolName({ agent: 'x', tool: 'research' })).toBe('research');
    expect(delegateToolName({ agent: 'a'.repeat(100) })).toHaveLength(64);
  });

  it('derives child ids from parent, step and position, bounded in length', () => {
    expect(childRunId('run-1', 3, 2, sha256Hex)).toBe('run-1:sub3.2');
    const long = childRunId('r'.repeat(199), 1, 1, sha256Hex);
    expect(long.length).toBeLessThanOrEqual(200);
    expect(long).toMatch(/^r{160}\.[0-9a-f]{16}:sub1\.1$/);
    expect(childRunId('r'.repeat(199), 1, 1, sha256Hex)).toBe(long);
  });
});

describe('catalog and input checks', () => {
  it('refuses a delegate the catalog does not define, and a delegate tool name that clashes', () => {
    expect(() => defineCatalog({ agents: [agent('lead', { delegates: ['ghost'] })] })).toThrow(
      new CatalogError('agent "lead" delegates to "ghost", which this catalog does not define (agents: lead)'),
    );
    expect(() =>
      defineCatalog({ agents: [agent('lead', { delegates: [{ agent: 'kb', tool: 'calculator' }] }), agent('kb')] }),
    ).toThrow(/offers sub-agent "kb" as the tool "calculator", a name another tool has/);
    expect(
      defineCatalog({ agents: [agent('lead', { delegates: ['kb'] }), agent('kb')] }).agent('lead')!.delegates,
    ).toEqual(['kb']);
  });

  it('refuses a caller-set parent link, and unknown delegates of an inline agent', () => {
    const catalog = defineCatalog({ agents: [agent('kb')] });
    const parent = {
      runId: 'p',
      agent: 'lead',
      step: 1,
      callId: 'c',
      rootRunId: 'p',
      depth: 1,
      depthLeft: 5,
      budget: { maxSteps: 100 },
    };
    expect(() => validateRunInput({ agent: 'kb', task: 't', parent }, { catalog })).toThrow(
      /parent: is set by a parent run/,
    );
    expect(() =>
      validateRunInput({ agent: agent('lead', { delegates: ['kb', 'nope'] }), task: 't' }, { catalog }),
    ).toThrow(RunInputError);
    expect(() =>
      validateRunInput({ agent: agent('lead', { delegates: ['kb', 'nope'] }), task: 't' }, { catalog }),
    ).toThrow(/agent.delegates.1: unknown agent "nope"/);
  });
});

describe('effects across the tree, and children without a result', () => {
  it('adds to a parent only what a child did beyond what it inherited', () => {
    const inherited = { refund: { calls: 1, totals: { cents: 1_000 } }, ask_x: { calls: 1, totals: {} } };
    const after = {
      refund: { calls: 3, totals: { cents: 2_500 } },
      ask_x: { calls: 1, totals: {} },
      calc: { calls: 2, totals: {} },
    };
    const added = effectsAdded(inherited, after);
    expect(added).toEqual({ refund: { calls: 2, totals: { cents: 1_500 } }, calc: { calls: 2, totals: {} } });
    expect(addEffects(inherited, added)).toEqual(after);
  });

  it('holds a lost child’s carved budget against the parent’s, and rolls holds up the tree', () => {
    const held = holdUnaccounted(noDelegation, { maxSteps: 4, maxCostUsd: 0.02, maxToolCalls: 3 });
    expect(held).toMatchObject({
      unaccounted: 1,
      held: { steps: 4, toolCalls: 3, inputTokens: 0, outputTokens: 0, costUsd: 0.02 },
    });
    const usage = { input: 1, output: 1, cachedInput: 0, cacheWrite: 0 };
    const parent = rollUp(noDelegation, {
      steps: 1,
      toolCalls: 0,
      modelCalls: 1,
      usage,
      costUsd: 0.1,
      delegated: held,
    });
    expect(parent).toMatchObject({ unaccounted: 1, held: { steps: 4, costUsd: 0.02 } });
  });

  it('keeps ids ending in :sub<step>.<n> for sub-agents', () => {
    expect(newRunIdSchema.safeParse('order-7:sub3.1').success).toBe(false);
    expect(newRunIdSchema.safeParse('order-7:sub3').success).toBe(true);
    expect(runIdSchema.safeParse('order-7:sub3.1').success).toBe(true);
  });
});
