import { z } from 'zod';
import type { Usage } from './usage.ts';

/** What a model costs, in USD per million tokens, as of a date (prices change: keep the
 * date, so a cost figure can always be traced to the table it came from). */
export const priceSchema = z.strictObject({
  inputPerMTok: z.number().nonnegative(),
  outputPerMTok: z.number().nonnegative(),
  cachedInputPerMTok: z.number().nonnegative(),
  /** Anthropic bills cache writes above the input price; absent means the input price. */
  cacheWritePerMTok: z.number().nonnegative().optional(),
  asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date, YYYY-MM-DD'),
});
export type Price = z.infer<typeof priceSchema>;

/** Prices by model name. */
export const priceTableSchema = z.record(z.string().min(1), priceSchema);
export type PriceTable = z.infer<typeof priceTableSchema>;

/**
 * List prices Bosun ships with, per model name. They are a convenience, not a source of
 * truth: check them against the provider's pricing page and override them per agent
 * (`agent.prices`) or per deployment. A model missing here is reported as unpriced.
 */
export const defaultPrices: PriceTable = {
  'gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8, cachedInputPerMTok: 0.5, asOf: '2025-10-01' },
  'gpt-4.1-mini': { inputPerMTok: 0.4, outputPerMTok: 1.6, cachedInputPerMTok: 0.1, asOf: '2025-10-01' },
  'gpt-4.1-nano': { inputPerMTok: 0.1, outputPerMTok: 0.4, cachedInputPerMTok: 0.025, asOf: '2025-10-01' },
  'gpt-4o': { inputPerMTok: 2.5, outputPerMTok: 10, cachedInputPerMTok: 1.25, asOf: '2025-10-01' },
  'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6, cachedInputPerMTok: 0.075, asOf: '2025-10-01' },
  'claude-opus-4-1': {
    inputPerMTok: 15,
    outputPerMTok: 75,
    cachedInputPerMTok: 1.5,
    cacheWritePerMTok: 18.75,
    asOf: '2025-10-01',
  },
  'claude-sonnet-4-5': {
    inputPerMTok: 3,
    outputPerMTok: 15,
    cachedInputPerMTok: 0.3,
    cacheWritePerMTok: 3.75,
    asOf: '2025-10-01',
  },
  'claude-haiku-4-5': {
    inputPerMTok: 1,
    outputPerMTok: 5,
    cachedInputPerMTok: 0.1,
    cacheWritePerMTok: 1.25,
    asOf: '2025-10-01',
  },
};

/**
 * The cost of a call in USD. Cached and cache-write tokens are part of `input` and are
 * billed at their own rates; the rest of the input at the input rate.
 *
 * @example costOf({ input: 1000, output: 100, cachedInput: 0, cacheWrite: 0 }, price) // 0.0028 for gpt-4.1
 */
export function costOf(usage: Usage, price: Price): number {
  const cacheWrite = usage.cacheWrite ?? 0;
  const freshInput = Math.max(0, usage.input - usage.cachedInput - cacheWrite);
  const micro =
    freshInput * price.inputPerMTok +
    usage.cachedInput * price.cachedInputPerMTok +
    cacheWrite * (price.cacheWritePerMTok ?? price.inputPerMTok) +
    usage.output * price.outputPerMTok;
  return roundUsd(micro / 1_000_000);
}

/** The most a call can cost: the whole prompt at the input rate plus the output cap. */
export function worstCaseCost(inputTokens: number, maxOutputTokens: number, price: Price): number {
  return roundUsd(
    (inputTokens * Math.max(price.inputPerMTok, price.cacheWritePerMTok ?? 0) + maxOutputTokens * price.outputPerMTok) /
      1_000_000,
  );
}

/** Costs are kept to 1e-9 USD so sums stay exact enough to compare in tests and reports. */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e9) / 1e9;
}
