import { z } from 'zod';
import type { OutputContractInput } from './output.ts';

/**
 * Turns a zod schema into an output contract a run or task can carry: the JSON Schema goes
 * to the provider's native structured-output mode and back into a zod validator inside the
 * workflow.
 *
 * @example
 * const refund = outputContract('refund_decision', z.object({
 *   approve: z.boolean(),
 *   amountCents: z.number().int().nonnegative(),
 *   reason: z.string(),
 * }));
 * const result = await bosun.run({ agent, task, output: refund });
 * if (result.outcome.kind === 'answer') console.log(result.outcome.output);
 */
export function outputContract(
  name: string,
  schema: z.ZodType,
  opts: Pick<OutputContractInput, 'maxRepairs' | 'escalateToStrongModel'> = {},
): OutputContractInput {
  const { $schema: _ignored, ...jsonSchema } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'output',
  }) as Record<string, unknown>;
  return { name, schema: jsonSchema, ...opts };
}
