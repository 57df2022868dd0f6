import { z } from 'zod';
import type { OutputContractInput } from './output.ts';
import type { RunOutcome, RunResult, TaskResult } from './run.ts';

declare const outputType: unique symbol;

/**
 * An output contract that remembers, in its type only, what a valid answer holds:
 * `outputContract(name, zodSchema)` returns one, and `bosun.run`, `start`, `runTask` and
 * `startTask` give back a result whose `outcome.output` has that type. At run time it is a
 * plain `OutputContractInput` (the JSON Schema travels; the zod schema does not).
 */
export type TypedOutputContract<T> = OutputContractInput & { readonly [outputType]?: T };

type AnswerOutcome = Extract<RunOutcome, { kind: 'answer' }>;

/** An outcome whose answer carries the contract's validated output, typed. */
export type RunOutcomeOf<T> = Exclude<RunOutcome, { kind: 'answer' }> | (Omit<AnswerOutcome, 'output'> & { output: T });

/** A run's result under an output contract of type `T` (see `TypedOutputContract`). */
export type RunResultOf<T> = Omit<RunResult, 'outcome'> & { outcome: RunOutcomeOf<T> };

/** A single task's result under an output contract of type `T`. */
export type TaskResultOf<T> = Omit<TaskResult, 'outcome'> & { outcome: RunOutcomeOf<T> };

/**
 * Turns a zod schema into an output contract a run or task can carry: the JSON Schema goes
 * to the provider's native structured-output mode and back into a zod validator inside the
 * workflow. The contract keeps the schema's type, so the answer's `output` is typed.
 *
 * @example
 * const refund = outputContract('refund_decision', z.object({
 *   approve: z.boolean(),
 *   amountCents: z.number().int().nonnegative(),
 *   reason: z.string(),
 * }));
 * const result = await bosun.run({ agent, task, output: refund });
 * if (result.outcome.kind === 'answer') console.log(result.outcome.output.amountCents); // number
 */
export function outputContract<S extends z.ZodType>(
  name: string,
  schema: S,
  opts: Pick<OutputContractInput, 'maxRepairs' | 'escalateToStrongModel'> = {},
): TypedOutputContract<z.output<S>> {
  const { $schema: _ignored, ...jsonSchema } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'output',
  }) as Record<string, unknown>;
  return { name, schema: jsonSchema, ...opts };
}
