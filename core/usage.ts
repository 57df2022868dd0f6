import { z } from 'zod';

/** Token usage of one model call or summed over a run. `cachedInput` is the part of
 * `input` served from the provider's prompt cache (billed cheaper). */
export const usageSchema = z.object({
  input: z.number().int().nonnegative(),
  output: z.number().int().nonnegative(),
  cachedInput: z.number().int().nonnegative(),
});
export type Usage = z.infer<typeof usageSchema>;

export const zeroUsage: Usage = Object.freeze({ input: 0, output: 0, cachedInput: 0 });

export function addUsage(a: Usage, b: Usage): Usage {
  return { input: a.input + b.input, output: a.output + b.output, cachedInput: a.cachedInput + b.cachedInput };
}
