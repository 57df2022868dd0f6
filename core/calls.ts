import { z } from 'zod';
import { contextRecordSchema } from './context.ts';
import { failureTypeSchema } from './failures.ts';
import { stopReasonSchema } from './model.ts';
import { modelTierSchema, taskClassSchema } from './routing.ts';
import { usageSchema } from './usage.ts';

/**
 * One model call as the run remembers it: what it was for, where routing sent it and why,
 * who answered, what it used and cost, how it ended. A run is explainable from these alone.
 */
export const callRecordSchema = z.object({
  /** 1-based number of the call in the run. */
  seq: z.number().int().positive(),
  step: z.number().int().nonnegative(),
  /** `classify`: the step classifier deciding the tier of a step's call (`core/step-classifier.ts`). */
  purpose: z.enum(['step', 'repair', 'stronger_model', 'task', 'summary', 'classify']),
  taskClass: taskClassSchema,
  tier: modelTierSchema,
  routeReason: z.string(),
  /** `provider/name` asked for. */
  model: z.string(),
  /** The model version the provider reports having answered with. */
  answeredBy: z.string().optional(),
  /** Set when this call is a fallback: the model it replaced and why. */
  fallbackFrom: z.string().optional(),
  fallbackReason: z.string().optional(),
  outcome: z.union([z.literal('ok'), failureTypeSchema]),
  stop: stopReasonSchema.optional(),
  /** Includes usage of failed-but-billed attempts of the same call. */
  usage: usageSchema,
  /** null when the model has no price in the run's price table. */
  costUsd: z.number().nonnegative().nullable(),
  priceAsOf: z.string().optional(),
  latencyMs: z.number().nonnegative().optional(),
  /** The pinned prompt version the call used, `name@hash12`. */
  prompt: z.string().optional(),
  /** The version of the tool set the call offered (`toolsetFingerprint` of each tool's
   * version); the run's result lists each tool's version. */
  tools: z.string().optional(),
  /** What the request held: per section tokens, kept / truncated / dropped, stable prefix. */
  context: contextRecordSchema.optional(),
  /** Knowledge-base chunks in the call's context, and the index version they came from. */
  retrieved: z.object({ indexVersion: z.string(), ids: z.array(z.string()) }).optional(),
  requestId: z.string().optional(),
});
export type CallRecord = z.infer<typeof callRecordSchema>;
