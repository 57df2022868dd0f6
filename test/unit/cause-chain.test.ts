import { describe, expect, it } from 'vitest';
import { causeChain } from '../../core/cause-chain.ts';

describe('causeChain', () => {
  it('lists an error and its causes, outermost first, stopping at a non-object', () => {
    const root = { name: 'ApplicationFailure', type: 'rate_limited', cause: 'a string is not a link' };
    const outer = new Error('activity failed', { cause: root });
    expect(causeChain(outer)).toEqual([outer, root]);
    expect(causeChain(undefined)).toEqual([]);
  });

  it('stops at a cycle and after maxDepth links', () => {
    const a: Record<string, unknown> = { name: 'a' };
    const b = { name: 'b', cause: a };
    a.cause = b;
    expect(causeChain(a)).toEqual([a, b]);
    let deep: Record<string, unknown> = { n: 0 };
    for (let n = 1; n < 20; n++) deep = { n, cause: deep };
    expect(causeChain(deep)).toHaveLength(8);
    expect(causeChain(deep, 3).map((e) => e.n)).toEqual([19, 18, 17]);
  });
});
