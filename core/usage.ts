import { z } from 'zod';

/**
 * Token usage of one model call or summed over a run. `input` is the whole prompt, so it is
 * comparable across providers; `cachedInput` is the part served from the provider's prompt
 * cache (billed cheaper) and `cacheWrite` the part written to it (Anthropic bills it dearer).
 */
export const usageSchema = z.object({
  input: z.number().int().nonnegative(),
  output: z.number().int().nonnegative(),
  cachedInput: z.number().int().nonnegative(),
  cacheWrite: z.number().int().nonnegative().default(0),
});
export type Usage = z.infer<typeof usageSchema>;

export const zeroUsage: Usage = Object.freeze({ input: 0, output: 0, cachedInput: 0, cacheWrite: 0 });

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    input: a.input + b.input,
    output: a.output + b.output,
    cachedInput: a.cachedInput + b.cachedInput,
    cacheWrite: (a.cacheWrite ?? 0) + (b.cacheWrite ?? 0),
  };
}
