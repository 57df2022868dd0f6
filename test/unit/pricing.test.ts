import { describe, expect, it } from 'vitest';
import {
  costOf,
  defaultPrices,
  priceSchema,
  priceTableSchema,
  roundUsd,
  worstCaseCost,
  type Price,
} from '../../core/pricing.ts';
import type { Usage } from '../../core/usage.ts';

/** Round numbers make each rate's contribution readable in the expected value. */
const openaiLike: Price = { inputPerMTok: 2, outputPerMTok: 8, cachedInputPerMTok: 0.5, asOf: '2025-10-01' };
const anthropicLike: Price = {
  inputPerMTok: 3,
  outputPerMTok: 15,
  cachedInputPerMTok: 0.3,
  cacheWritePerMTok: 3.75,
  asOf: '2025-10-01',
};
const usage = (u: Partial<Usage>): Usage => ({ input: 0, output: 0, cachedInput: 0, cacheWrite: 0, ...u });

describe('costOf', () => {
  it('bills fresh input at the input rate and output at the output rate', () => {
    // 1000 × $2 + 100 × $8 per million tokens
    expect(costOf(usage({ input: 1000, output: 100 }), openaiLike)).toBe(0.0028);
  });

  it('bills cached input at the cached rate and only the rest at the input rate', () => {
    // 400 fresh × $2 + 600 cached × $0.5
    expect(costOf(usage({ input: 1000, cachedInput: 600 }), openaiLike)).toBe(0.0011);
  });

  it('bills cache writes at the cache-write rate', () => {
    expect(costOf(usage({ input: 1000, cacheWrite: 1000 }), anthropicLike)).toBe(0.00375);
  });

  it('bills cache writes at the input rate when the price has no cache-write rate', () => {
    expect(costOf(usage({ input: 1000, cacheWrite: 1000 }), openaiLike)).toBe(0.002);
    expect(costOf(usage({ input: 1000, cacheWrite: 1000 }), openaiLike)).toBe(
      costOf(usage({ input: 1000 }), openaiLike),
    );
  });

  it('adds all four parts: fresh, cached, cache-write and output', () => {
    // 1000 fresh × $3 + 6000 cached × $0.3 + 3000 written × $3.75 + 500 out × $15
    expect(costOf(usage({ input: 10_000, cachedInput: 6000, cacheWrite: 3000, output: 500 }), anthropicLike)).toBe(
      0.02355,
    );
  });

  it('is exact for a handful of tokens', () => {
    const nano = defaultPrices['gpt-4.1-nano']!;
    expect(costOf(usage({ input: 1, output: 1 }), nano)).toBe(5e-7);
    expect(costOf(usage({ input: 3, cachedInput: 1 }), nano)).toBe(2.25e-7);
    expect(costOf(usage({ input: 1, cachedInput: 1 }), defaultPrices['gpt-4o-mini']!)).toBe(7.5e-8);
  });

  it('never bills negative fresh input when cached and written tokens exceed the reported input', () => {
    // 80 cached × $0.3 + 40 written × $3.75; the fresh part is clamped to zero
    expect(costOf(usage({ input: 100, cachedInput: 80, cacheWrite: 40 }), anthropicLike)).toBe(0.000174);
  });

  it('costs nothing for no tokens', () => {
    expect(costOf(usage({}), anthropicLike)).toBe(0);
  });
});

describe('worstCaseCost', () => {
  it('prices the whole prompt at the input rate plus the full output cap', () => {
    expect(worstCaseCost(1000, 100, openaiLike)).toBe(0.0028);
  });

  it('prices the prompt at the cache-write rate when that is dearer', () => {
    // 1000 × $3.75 + 100 × $15
    expect(worstCaseCost(1000, 100, anthropicLike)).toBe(0.00525);
  });

  it('is never below the cost of any usage within those limits', () => {
    for (const price of Object.values(defaultPrices)) {
      const worst = worstCaseCost(10_000, 1000, price);
      for (const u of [
        usage({ input: 10_000, output: 1000 }),
        usage({ input: 10_000, output: 1000, cachedInput: 10_000 }),
        usage({ input: 10_000, output: 1000, cacheWrite: 10_000 }),
        usage({ input: 10_000, output: 1000, cachedInput: 5000, cacheWrite: 5000 }),
      ]) {
        expect(costOf(u, price)).toBeLessThanOrEqual(worst);
      }
    }
  });
});

describe('roundUsd', () => {
  it('keeps costs to a billionth of a dollar', () => {
    expect(roundUsd(1.23456789049)).toBe(1.23456789);
    expect(roundUsd(1.2345678905)).toBe(1.234567891);
    expect(roundUsd(6e-10)).toBe(1e-9);
    expect(roundUsd(4e-10)).toBe(0);
  });

  it('removes floating-point noise from sums', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(roundUsd(0.1 + 0.2)).toBe(0.3);
  });
});

describe('priceSchema', () => {
  it('accepts a price with or without a cache-write rate', () => {
    expect(priceSchema.parse(anthropicLike)).toEqual(anthropicLike);
    expect(priceSchema.parse(openaiLike)).toEqual(openaiLike);
  });

  it('requires the date as YYYY-MM-DD', () => {
    for (const asOf of ['2025-10-01', '1999-01-31'])
      expect(priceSchema.safeParse({ ...openaiLike, asOf }).success).toBe(true);
    for (const asOf of [
      '2025-10',
      '2025-1-01',
      '01-10-2025',
      '2025/10/01',
      '2025-10-01T00:00:00Z',
      ' 2025-10-01',
      '',
    ]) {
      const r = priceSchema.safeParse({ ...openaiLike, asOf });
      expect(r.success, asOf).toBe(false);
      expect(r.error!.issues).toEqual([expect.objectContaining({ path: ['asOf'], message: 'a date, YYYY-MM-DD' })]);
    }
    const { asOf: _asOf, ...undated } = openaiLike;
    expect(priceSchema.safeParse(undated).success).toBe(false);
  });

  it('rejects negative rates', () => {
    for (const key of ['inputPerMTok', 'outputPerMTok', 'cachedInputPerMTok', 'cacheWritePerMTok'] as const) {
      const r = priceSchema.safeParse({ ...anthropicLike, [key]: -1 });
      expect(r.success, key).toBe(false);
      expect(r.error!.issues.map((i) => i.path)).toEqual([[key]]);
    }
  });
});

describe('defaultPrices', () => {
  it('has entries, each a valid dated price', () => {
    const entries = Object.entries(defaultPrices);
    expect(entries.length).toBeGreaterThan(0);
    for (const [name, price] of entries) {
      expect(priceSchema.safeParse(price).success, name).toBe(true);
      expect(priceSchema.parse(price), name).toEqual(price);
    }
    expect(priceTableSchema.parse(defaultPrices)).toEqual(defaultPrices);
  });

  it('prices cached input no dearer than fresh input, and cache writes no cheaper', () => {
    for (const [name, price] of Object.entries(defaultPrices)) {
      expect(price.cachedInputPerMTok, name).toBeLessThanOrEqual(price.inputPerMTok);
      if (price.cacheWritePerMTok !== undefined)
        expect(price.cacheWritePerMTok, name).toBeGreaterThanOrEqual(price.inputPerMTok);
    }
  });
});
