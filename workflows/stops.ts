import { workflowInfo } from '@temporalio/workflow';
import { exhaustedBudget, type BudgetKind } from '../core/budgets.ts';
import type { RunOutcome } from '../core/run.ts';
import { spent, spentUsd, summarize, type RunState } from './run-state.ts';

/**
 * The run's budget and stop conditions, each a small predicate over the run's state. The
 * loop asks `budgetStop` before every step, `toolBudgetStop` before every tool call, and
 * `continueAsNewDue` at every step boundary.
 */

/** The outcome of a run that ran out of `budget`. */
export function budgetOutcome(run: RunState, budget: BudgetKind, limit: number): RunOutcome {
  return { kind: 'budget_exhausted', budget, limit, summary: summarize(run) };
}

/** Before a step: every budget, steps included. */
export function budgetStop(run: RunState): RunOutcome | undefined {
  const over = exhaustedBudget({ maxSteps: run.agent.maxSteps, ...run.agent.budgets }, spent(run));
  return over && budgetOutcome(run, over.budget, over.limit);
}

/** Before a tool call: every budget but steps (the step that asked is already counted). */
export function toolBudgetStop(run: RunState): RunOutcome | undefined {
  const over = exhaustedBudget({ maxSteps: Infinity, ...run.agent.budgets }, spent(run));
  return over && budgetOutcome(run, over.budget, over.limit);
}

/** The cost budget ran out while settling a call (the worst case did not fit). */
export function costStop(run: RunState): RunOutcome {
  return budgetOutcome(run, 'cost', run.agent.budgets.maxCostUsd!);
}

/** The same tool with the same arguments `maxIdenticalToolCalls` times: a loop. Counts the
 * call as it asks. */
export function loopStop(run: RunState, tool: string, key: string): RunOutcome | undefined {
  const seen = (run.identicalCalls.get(key) ?? 0) + 1;
  // Most recently used last: the keys carried across continue-as-new are the latest ones.
  run.identicalCalls.delete(key);
  run.identicalCalls.set(key, seen);
  if (seen < run.agent.maxIdenticalToolCalls) return undefined;
  return {
    kind: 'stopped',
    reason: 'loop_detected',
    message: `${tool} called ${seen} times with the same arguments`,
    summary: summarize(run),
  };
}

/** True once, when the share of the cost budget left falls to `escalateWhenCostLeft`. */
export function costRunningLow(run: RunState): number | undefined {
  const { escalateWhenCostLeft: share, maxCostUsd: max } = run.agent.budgets;
  if (share === undefined || max === undefined || run.budgetLowEscalated) return undefined;
  const left = max - spentUsd(run);
  if (left > share * max) return undefined;
  run.budgetLowEscalated = true;
  return left;
}

/** Before the model's worst-case cost is reserved: a reason when the call would not fit. */
export function costReservationRefused(
  run: RunState,
  worstCaseUsd: number | undefined,
  model: string,
): string | undefined {
  const max = run.agent.budgets.maxCostUsd;
  const used = spentUsd(run);
  if (max === undefined || worstCaseUsd === undefined || used + worstCaseUsd <= max) return undefined;
  return `a call to ${model} could cost up to $${worstCaseUsd.toFixed(6)}; $${(max - used).toFixed(6)} of the $${max} budget is left`;
}

/** Continue-as-new before Temporal's limits: when the server suggests it, or past the
 * agent's own event budget. */
export function continueAsNewDue(run: RunState): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength >= run.agent.continueAsNewAfterEvents;
}
