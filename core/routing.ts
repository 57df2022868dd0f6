import { z } from 'zod';
import type { FailureType } from './failures.ts';
import { modelRefSchema, type ModelRef } from './model.ts';

/**
 * Model routing: what kind of work a call does (its task class) decides which tier of model
 * serves it, and each tier is an ordered fallback chain of concrete models. All of it is
 * plain data in the run input plus pure functions here, so the workflow decides
 * deterministically and records why.
 */
export const taskClasses = ['plan', 'act', 'synthesize', 'extract', 'classify', 'rewrite'] as const;
export const taskClassSchema = z.enum(taskClasses);
export type TaskClass = z.infer<typeof taskClassSchema>;

export const modelTiers = ['strong', 'cheap', 'specialized'] as const;
export const modelTierSchema = z.enum(modelTiers);
export type ModelTier = z.infer<typeof modelTierSchema>;

/** An ordered chain of models for a tier: the first serves, the next take over on failure. */
export const routeSchema = z.strictObject({
  chain: z.array(modelRefSchema).min(1),
  /** Temporal attempts per model before moving down the chain (retryable failures only). */
  attemptsPerModel: z.number().int().min(1).max(20).default(3),
  /** Let a refusal or content block move to the next model instead of escalating. */
  fallbackOnRefusal: z.boolean().default(false),
});
export type Route = z.infer<typeof routeSchema>;

/** Where each task class goes when the table does not say: thinking work to the strong
 * tier, mechanical work to the cheap one. */
export const defaultClassTiers: Record<TaskClass, ModelTier> = {
  plan: 'strong',
  act: 'cheap',
  synthesize: 'strong',
  extract: 'cheap',
  classify: 'cheap',
  rewrite: 'cheap',
};

/**
 * @example
 * const routing: RoutingTableInput = {
 *   tiers: {
 *     strong: { chain: [{ provider: 'anthropic', name: 'claude-sonnet-4-5' }, { provider: 'openai', name: 'gpt-4.1' }] },
 *     cheap: { chain: [{ provider: 'openai', name: 'gpt-4.1-mini' }, { provider: 'anthropic', name: 'claude-haiku-4-5' }] },
 *   },
 *   classes: { act: 'strong' }, // override a default
 * };
 */
export const routingTableSchema = z
  .strictObject({
    classes: z.partialRecord(taskClassSchema, modelTierSchema).default({}),
    tiers: z.partialRecord(modelTierSchema, routeSchema),
  })
  .refine((t) => Object.values(t.tiers).some(Boolean), { message: 'define at least one tier', path: ['tiers'] });
export type RoutingTable = z.infer<typeof routingTableSchema>;
export type RoutingTableInput = z.input<typeof routingTableSchema>;

/** A single model is the smallest routing table: every class, one tier, a chain of one. */
export function singleModelRouting(model: ModelRef): RoutingTable {
  return { classes: {}, tiers: { strong: { chain: [model], attemptsPerModel: 6, fallbackOnRefusal: false } } };
}

export interface RouteChoice {
  taskClass: TaskClass;
  tier: ModelTier;
  route: Route;
  /** Why, in words an operator reads in the UI: `plan → strong (default for plan)`. */
  reason: string;
}

/** Picks the route for a task class. A missing tier falls back to strong, then to any
 * defined tier, and the reason says so. */
export function chooseRoute(table: RoutingTable, taskClass: TaskClass): RouteChoice {
  const configured = table.classes[taskClass];
  const wanted = configured ?? defaultClassTiers[taskClass];
  const why = configured ? 'configured' : `default for ${taskClass}`;
  const direct = table.tiers[wanted];
  if (direct) return { taskClass, tier: wanted, route: direct, reason: `${taskClass} → ${wanted} (${why})` };
  const fallbackTier = (['strong', ...modelTiers] as ModelTier[]).find((t) => table.tiers[t])!;
  return {
    taskClass,
    tier: fallbackTier,
    route: table.tiers[fallbackTier]!,
    reason: `${taskClass} → ${fallbackTier} (${why} is ${wanted}, which has no models)`,
  };
}

/** The task class of an agent-loop step: the first step plans, the last step the budget
 * allows must synthesize an answer, the steps between act on tool results. */
export function classifyAgentStep(step: number, maxSteps: number): { taskClass: TaskClass; why: string } {
  // The last step must answer, even when it is also the first.
  if (step >= maxSteps) return { taskClass: 'synthesize', why: 'last step of the budget' };
  if (step === 1) return { taskClass: 'plan', why: 'first step' };
  return { taskClass: 'act', why: `step ${step} after tool results` };
}

/** What to do after a model in a chain failed for good (its retries are spent). */
export type FallbackDecision =
  | { kind: 'next'; index: number; reason: string }
  | { kind: 'escalate'; reason: string }
  | { kind: 'fail'; reason: string };

const providerSide: ReadonlySet<FailureType> = new Set<FailureType>([
  'provider_unavailable',
  'rate_limited',
  'timeout',
  'invalid_response',
  'model_not_found',
  'auth',
  'quota_exhausted',
]);

/**
 * Fallback policy. Provider-side failures move to the next model. A context-length failure
 * does not resend the same request to a model no larger: it skips to the next model with a
 * larger (or unknown) window. Refusals escalate unless the route allows falling back.
 * Anything else (a bad request) fails: another model would fail the same way.
 */
export function nextAfterFailure(route: Route, index: number, failure: FailureType): FallbackDecision {
  const current = route.chain[index]!;
  const label = (m: ModelRef) => `${m.provider}/${m.name}`;
  if (failure === 'refused' && !route.fallbackOnRefusal) {
    return { kind: 'escalate', reason: `${label(current)} refused; refusals go to a human` };
  }
  if (failure === 'context_too_long') {
    const window = current.contextWindow;
    const next = route.chain.findIndex(
      (m, i) => i > index && (window === undefined || m.contextWindow === undefined || m.contextWindow > window),
    );
    if (next === -1) return { kind: 'fail', reason: `no model after ${label(current)} has a larger context window` };
    return {
      kind: 'next',
      index: next,
      reason: `context too long for ${label(current)} → ${label(route.chain[next]!)}`,
    };
  }
  if (failure === 'refused' && index + 1 >= route.chain.length) {
    return { kind: 'escalate', reason: `every model in the chain refused (last: ${label(current)})` };
  }
  if (providerSide.has(failure) || failure === 'refused') {
    if (index + 1 >= route.chain.length)
      return { kind: 'fail', reason: `${failure} on the last model of the chain (${label(current)})` };
    return {
      kind: 'next',
      index: index + 1,
      reason: `${failure} on ${label(current)} → ${label(route.chain[index + 1]!)}`,
    };
  }
  return { kind: 'fail', reason: `${failure} is not a provider problem; another model would fail the same way` };
}
