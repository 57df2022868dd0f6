import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { modelRefSchema, type ModelRef } from '../core/model.ts';
import { routingTableSchema } from '../core/routing.ts';
import { agentDefinitionSchema, instructionsSchema, type AgentDefinition } from '../core/run.ts';
import { stepClassifierSchema } from '../core/step-classifier.ts';
import { issueLines } from '../core/zod-issues.ts';

/**
 * A variant is what an evaluation compares: the same cases, the same catalog agent, with
 * some of its model-facing settings replaced — the prompt (`instructions`: a template, a
 * pinned version, or inline text), the models (`model` or a `routing` table) and the context
 * policy (`summarizeHistory`). Each is plain data, given by name (the built-ins below) or as
 * a JSON file, so a prompt or routing change is evaluated before it ships.
 *
 * @example
 * // variants/prompt-v2.json
 * { "name": "prompt-v2", "agent": { "instructions": "You are a support agent. …" } }
 */
export const variantSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits and . _ - (start with one of the first two)'),
  description: z.string().optional(),
  agent: z
    .strictObject({
      instructions: instructionsSchema.optional(),
      model: modelRefSchema.optional(),
      routing: routingTableSchema.optional(),
      summarizeHistory: z.boolean().optional(),
      stepClassifier: stepClassifierSchema.optional(),
      /** For agents that retrieve (`retrieval`): how many chunks go with the task. Agents
       * without retrieval are left as they are. */
      retrievalK: z.number().int().min(1).max(20).optional(),
      maxOutputTokens: z.number().int().positive().optional(),
      temperature: z.number().min(0).max(2).optional(),
      maxSteps: z.number().int().positive().max(10_000).optional(),
    })
    .refine((a) => a.model === undefined || a.routing === undefined, {
      message: 'give `model` or `routing`, not both',
      path: ['model'],
    })
    .default({}),
});
export type Variant = z.infer<typeof variantSchema>;

/** A variant file that is not a valid variant, or a name that is no built-in. */
export class VariantError extends Error {
  override readonly name = 'VariantError';
}

/** The models the built-in variants use (OpenAI's by default): the strong and cheap tiers,
 * and the smallest model, which serves the step classifier's `classify` calls in
 * `routed-classified` (a choice between two words does not need the act tier's model). */
export interface Tiers {
  strong: ModelRef;
  cheap: ModelRef;
  classifier: ModelRef;
}

export const openaiTiers: Tiers = {
  strong: { provider: 'openai', name: 'gpt-4.1' },
  cheap: { provider: 'openai', name: 'gpt-4.1-mini' },
  classifier: { provider: 'openai', name: 'gpt-4.1-nano' },
};

/**
 * The built-in variants:
 * - `as-defined`: the catalog's agent unchanged;
 * - `routed`: Bosun's routing (plan and the final step on the strong tier, steps after tool
 *   results on the cheap one) with its context curation on (summaries);
 * - `routed-classified`: `routed` with the step classifier on — a `classify` call on the
 *   smallest model (the `specialized` tier) decides plan (strong) or act (cheap) for each
 *   step but the budget's last (the first step too), instead of position;
 * - `cheap`: the cheap model for every call (summaries on) — what routing saves against
 *   when it is wrong to trust the cheap tier;
 * - `naive`: the baseline economics compare against — the strong model for every call, the
 *   whole context every call, no summaries, and for agents that retrieve, everything the
 *   retriever returns (k = 20, the most an agent may ask) instead of their curated top k.
 */
export function builtInVariants(tiers: Tiers = openaiTiers): Record<string, Variant> {
  return {
    'as-defined': { name: 'as-defined', description: "the catalog's agent unchanged", agent: {} },
    routed: {
      name: 'routed',
      description: `routing: plan/synthesize → ${label(tiers.strong)}, act → ${label(tiers.cheap)}; summaries on`,
      agent: {
        routing: routingTableSchema.parse({
          tiers: { strong: { chain: [tiers.strong] }, cheap: { chain: [tiers.cheap] } },
        }),
        summarizeHistory: true,
      },
    },
    'routed-classified': {
      name: 'routed-classified',
      description: `routing as routed, with the step classifier on ${label(tiers.classifier)} deciding plan (${label(tiers.strong)}) or act (${label(tiers.cheap)}) for each step (the first too)`,
      agent: {
        routing: routingTableSchema.parse({
          tiers: {
            strong: { chain: [tiers.strong] },
            cheap: { chain: [tiers.cheap] },
            specialized: { chain: [tiers.classifier] },
          },
          classes: { classify: 'specialized' },
        }),
        summarizeHistory: true,
        stepClassifier: stepClassifierSchema.parse({ enabled: true }),
      },
    },
    cheap: {
      name: 'cheap',
      description: `${label(tiers.cheap)} for every call; summaries on`,
      agent: { model: tiers.cheap, summarizeHistory: true },
    },
    naive: {
      name: 'naive',
      description: `${label(tiers.strong)} for every call, whole context, no summaries, all retrieved chunks`,
      agent: { model: tiers.strong, summarizeHistory: false, retrievalK: 20 },
    },
  };
}

const label = (m: ModelRef) => `${m.provider}/${m.name}`;

/** A built-in name, or a path to a JSON file holding one variant. */
export function loadVariant(spec: string, tiers?: Tiers): Variant {
  const builtIn = builtInVariants(tiers)[spec];
  if (builtIn) return builtIn;
  if (!spec.endsWith('.json'))
    throw new VariantError(
      `--variant ${spec}: not a built-in (${Object.keys(builtInVariants()).join(', ')}) nor a .json file`,
    );
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(spec, 'utf8'));
  } catch (err) {
    throw new VariantError(`--variant ${spec}: ${(err as Error).message}`);
  }
  const parsed = variantSchema.safeParse(json);
  if (!parsed.success)
    throw new VariantError(`--variant ${spec}: ${issueLines(parsed.error, { root: '(variant)' })[0]}`);
  return parsed.data;
}

/** The catalog agent with the variant's settings in place (a whole definition, checked). */
export function applyVariant(agent: AgentDefinition, variant: Variant): AgentDefinition {
  const { model, routing, retrievalK, ...rest } = variant.agent;
  const merged: Record<string, unknown> = { ...agent, ...rest };
  if (retrievalK !== undefined && agent.retrieval) merged.retrieval = { ...agent.retrieval, k: retrievalK };
  if (model !== undefined) {
    merged.model = model;
    delete merged.routing;
  }
  if (routing !== undefined) {
    merged.routing = routing;
    delete merged.model;
  }
  // The agent's own prices stay; the client pins the default price of any other model the
  // variant names when the run starts (`pinPrices`).
  const parsed = agentDefinitionSchema.safeParse(merged);
  if (!parsed.success)
    throw new VariantError(`variant ${variant.name} on agent ${agent.name}: ${issueLines(parsed.error).join('; ')}`);
  return parsed.data;
}
