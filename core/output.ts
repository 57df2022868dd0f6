import { z } from 'zod';
import { outputFormatSchema } from './model.ts';
import { issueLines } from './zod-issues.ts';

/**
 * A structured-output contract: the answer must be JSON matching `schema`. Clients build it
 * from a zod schema (`outputContract('refund', zodSchema)` in the client); the workflow
 * rebuilds a zod validator from the JSON Schema, so validation runs in the workflow
 * deterministically, with zod's own messages.
 */
export const outputContractSchema = outputFormatSchema.extend({
  /** How many times the model is shown its validation issues and asked again. */
  maxRepairs: z.number().int().min(0).max(5).default(2),
  /** After the repairs, try once on the strong tier before escalating. */
  escalateToStrongModel: z.boolean().default(true),
  /** Escalate a valid answer whose top-level numeric `field` is below `min` (a confidence
   * the model reports in the contract). */
  confidence: z.strictObject({ field: z.string().min(1), min: z.number() }).optional(),
});
export type OutputContract = z.infer<typeof outputContractSchema>;
export type OutputContractInput = z.input<typeof outputContractSchema>;

export type OutputCheck = { ok: true; value: unknown } | { ok: false; issues: string[] };

/** Validators by contract, built once. Bounded: in the workflow sandbox this module is shared
 * by every run of a worker (workflows/shared-modules.ts), and runs may bring contracts of
 * their own; the oldest built is dropped first. */
const validators = new Map<string, z.ZodType>();
const maxValidators = 256;

/** Validates a model's JSON answer against a contract. Issues are written for the model to
 * fix its answer (path: message). */
export function checkOutput(contract: { name: string; schema: Record<string, unknown> }, text: string): OutputCheck {
  let value: unknown;
  try {
    value = JSON.parse(stripFence(text));
  } catch {
    return { ok: false, issues: ['(output): not valid JSON. Answer with a single JSON value and nothing else.'] };
  }
  const parsed = validatorFor(contract).safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    issues: issueLines(parsed.error, { root: '(output)', max: 10 }),
  };
}

function validatorFor(contract: { name: string; schema: Record<string, unknown> }): z.ZodType {
  const key = `${contract.name}:${JSON.stringify(contract.schema)}`;
  let v = validators.get(key);
  if (!v) {
    v = z.fromJSONSchema(contract.schema as Parameters<typeof z.fromJSONSchema>[0]);
    if (validators.size >= maxValidators) validators.delete(validators.keys().next().value!);
    validators.set(key, v);
  }
  return v;
}

/** Models sometimes wrap JSON in a markdown fence even when asked not to; that is not worth
 * a repair round-trip. */
function stripFence(text: string): string {
  const m = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/.exec(text);
  return m ? m[1]! : text;
}

/** The message that asks the model to repair its output. */
export function repairPrompt(contractName: string, issues: string[]): string {
  return (
    `Your answer does not match the required "${contractName}" format:\n` +
    issues.map((i) => `- ${i}`).join('\n') +
    '\nReply again with only the corrected JSON.'
  );
}

/** One rung of the output ladder, counted per schema so the validation success rate is a
 * number a run reports. */
export const validationAttemptSchema = z.object({
  rung: z.enum(['initial', 'repair', 'stronger_model']),
  model: z.string(),
  valid: z.boolean(),
  issues: z.array(z.string()).optional(),
});
export type ValidationAttempt = z.infer<typeof validationAttemptSchema>;

export const validationReportSchema = z.object({
  schema: z.string(),
  attempts: z.array(validationAttemptSchema),
  /** initial = valid at once; repaired = valid after repair or a stronger model; escalated = never valid. */
  result: z.enum(['initial', 'repaired', 'escalated']),
});
export type ValidationReport = z.infer<typeof validationReportSchema>;
