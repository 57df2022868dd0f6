import { z } from 'zod';
import type { Usage } from './usage.ts';

/**
 * Whole-run budgets, enforced by the workflow. Each counts everything paid for, retried and
 * failed attempts included. Before a model call, its worst case (whole prompt at the input
 * price + `maxOutputTokens` at the output price) is reserved against the cost budget and
 * the call is refused if it does not fit.
 */
export const budgetsSchema = z.strictObject({
  maxToolCalls: z.number().int().positive().optional(),
  maxInputTokens: z.number().int().positive().optional(),
  maxOutputTokens: z.number().int().positive().optional(),
  maxCostUsd: z.number().positive().optional(),
  maxWallClockMs: z.number().int().positive().optional(),
  /** Park the run for a human when this share of the cost budget is left (e.g. 0.1). */
  escalateWhenCostLeft: z.number().gt(0).lt(1).optional(),
});
export type Budgets = z.infer<typeof budgetsSchema>;

export const budgetKinds = ['steps', 'tool_calls', 'input_tokens', 'output_tokens', 'cost', 'wall_clock'] as const;
export type BudgetKind = (typeof budgetKinds)[number];

export interface Spent {
  steps: number;
  toolCalls: number;
  usage: Usage;
  costUsd: number;
  elapsedMs: number;
}

/** The first budget `spent` has reached, if any. Pure: the workflow calls it before every
 * step and tool call. */
export function exhaustedBudget(
  b: Budgets & { maxSteps: number },
  s: Spent,
): { budget: BudgetKind; limit: number } | undefined {
  if (s.steps >= b.maxSteps) return { budget: 'steps', limit: b.maxSteps };
  if (b.maxToolCalls !== undefined && s.toolCalls >= b.maxToolCalls)
    return { budget: 'tool_calls', limit: b.maxToolCalls };
  if (b.maxInputTokens !== undefined && s.usage.input >= b.maxInputTokens)
    return { budget: 'input_tokens', limit: b.maxInputTokens };
  if (b.maxOutputTokens !== undefined && s.usage.output >= b.maxOutputTokens)
    return { budget: 'output_tokens', limit: b.maxOutputTokens };
  if (b.maxCostUsd !== undefined && s.costUsd >= b.maxCostUsd) return { budget: 'cost', limit: b.maxCostUsd };
  if (b.maxWallClockMs !== undefined && s.elapsedMs >= b.maxWallClockMs)
    return { budget: 'wall_clock', limit: b.maxWallClockMs };
  return undefined;
}

/** A conservative token estimate for reservations, used where no tokenizer runs (the
 * workflow sandbox): three characters per token over the serialized request. */
export function estimateTokens(serialized: string): number {
  return Math.ceil(serialized.length / 3);
}
