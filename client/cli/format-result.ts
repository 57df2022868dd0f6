/**
 * A finished run or task as a human reads it: the outcome first (what they came for), then
 * what it cost, which models served it and which knowledge-base chunks it used. Shared by
 * `run --wait`, `task --wait` and `result`.
 */
import type { BudgetKind } from '../../core/budgets.ts';
import type { CallRecord } from '../../core/calls.ts';
import type { RunOutcome, RunResult, TaskResult } from '../../core/run.ts';
import {
  formatCost,
  formatDuration,
  formatUnpriced,
  formatUsage,
  oneLine,
  plural,
  unpricedModelsOf,
  words,
} from './format.ts';

/** A budget's limit in its own unit: `6 steps`, `$0.50`, `5m`. */
export function formatBudgetLimit(budget: BudgetKind, limit: number): string {
  switch (budget) {
    case 'steps':
      return plural(limit, 'step');
    case 'tool_calls':
      return plural(limit, 'tool call');
    case 'input_tokens':
      return `${limit} input tokens`;
    case 'output_tokens':
      return `${limit} output tokens`;
    case 'cost':
      return `$${Number.isInteger(limit * 100) ? limit.toFixed(2) : limit}`;
    case 'wall_clock':
      return formatDuration(limit);
  }
}

/**
 * Which models served the calls, in order of first use, with their tier when there was more
 * than one model or tier: `openai/gpt-4.1 (strong) ×1, openai/gpt-4.1-mini (cheap) ×2`.
 * Failed calls are counted apart, so a fallback shows.
 */
export function formatModelsUsed(calls: readonly CallRecord[]): string {
  const routed = new Set(calls.map((c) => `${c.model} ${c.tier}`)).size > 1;
  const seen = new Map<string, { ok: number; failed: number }>();
  for (const c of calls) {
    const key = routed ? `${c.model} (${c.tier})` : c.model;
    const n = seen.get(key) ?? { ok: 0, failed: 0 };
    if (c.outcome === 'ok') n.ok++;
    else n.failed++;
    seen.set(key, n);
  }
  return [...seen].map(([key, n]) => `${key} ×${n.ok}${n.failed ? ` (+${n.failed} failed)` : ''}`).join(', ');
}

/** The knowledge-base chunks the calls were given, each once: `refunds#3f9a0c21be, ... (index 9c1e...)`. */
export function formatRetrieved(calls: readonly CallRecord[]): string | undefined {
  const ids = [...new Set(calls.flatMap((c) => c.retrieved?.ids ?? []))];
  if (ids.length === 0) return undefined;
  const versions = [...new Set(calls.flatMap((c) => (c.retrieved ? [c.retrieved.indexVersion] : [])))];
  return `${ids.join(', ')} (index ${versions.join(', ')})`;
}

/** An outcome as its first lines: what a human came for. */
export function formatOutcome(outcome: RunOutcome): string {
  let head: string;
  switch (outcome.kind) {
    case 'answer': {
      const by = outcome.answeredBy ?? '';
      const human = by.startsWith('human:')
        ? `from ${by.slice('human:'.length)}, a human`
        : by === 'policy:not_in_knowledge_base'
          ? 'not in the knowledge base; no model was asked'
          : by.startsWith('policy:')
            ? `by policy: ${words(by.slice('policy:'.length))}`
            : '';
      const notes = [human, outcome.truncated ? 'truncated at the output token limit' : ''].filter(Boolean);
      head = `answer${notes.length ? ` (${notes.join('; ')})` : ''}:\n${outcome.text}`;
      break;
    }
    case 'budget_exhausted':
      head = `budget exhausted (${words(outcome.budget)}): the limit of ${formatBudgetLimit(outcome.budget, outcome.limit)} was reached\nsummary: ${outcome.summary}`;
      break;
    case 'escalated':
      head = `escalated to a human (${words(outcome.reason)}): ${outcome.message}`;
      if (outcome.issues?.length) head += `\nissues:\n${outcome.issues.map((i) => `  - ${i}`).join('\n')}`;
      if (outcome.lastOutput !== undefined) head += `\nlast output: ${outcome.lastOutput}`;
      break;
    case 'stopped':
      head = `stopped (${words(outcome.reason)}): ${outcome.message}\nsummary: ${outcome.summary}`;
      break;
    case 'failed': {
      const { failure } = outcome;
      const d = failure.details;
      const details = d
        ? [
            d.provider && `provider ${d.provider}`,
            d.status !== undefined && `status ${d.status}`,
            d.code && `code ${d.code}`,
            d.requestId && `request ${d.requestId}`,
          ]
            .filter(Boolean)
            .join(', ')
        : '';
      head = `failed (${failure.type}): ${failure.message}${details ? `\n  ${details}` : ''}`;
      break;
    }
  }
  return head;
}

/**
 * A run's or a single task's outcome first (what a human came for), then what it cost, which
 * models served it and which knowledge-base chunks it used.
 */
export function formatResult(r: RunResult | TaskResult): string {
  const retrieved = formatRetrieved(r.calls ?? []);
  const unpriced = formatUnpriced(r.unpricedCalls, unpricedModelsOf(r.calls ?? []));
  const details = [
    ...(unpriced ? [unpriced] : []),
    ...(r.calls?.length ? [`models: ${formatModelsUsed(r.calls)}`] : []),
    ...(retrieved ? [`retrieved: ${retrieved}`] : []),
    ...('toolResults' in r && r.toolResults?.length
      ? ['tool results:', ...r.toolResults.map((t) => `  step ${t.step} ${t.tool}: ${oneLine(t.content, 200)}`)]
      : []),
  ];
  if (!('agent' in r)) {
    return [
      formatOutcome(r.outcome),
      '',
      `${plural(r.modelCalls, 'model call')}, ${formatUsage(r.usage)}, ${formatCost(r)}`,
      ...details,
      `task ${r.runId} (${r.task})`,
    ].join('\n');
  }
  const escalations = r.escalations ? `, ${plural(r.escalations, 'escalation')}` : '';
  return [
    formatOutcome(r.outcome),
    '',
    `${plural(r.steps, 'step')}, ${plural(r.modelCalls, 'model call')}, ${plural(r.toolCalls, 'tool call')}${escalations}, ${formatUsage(r.usage)}, ${formatCost(r)}`,
    ...details,
    `run ${r.runId} (agent ${r.agent})`,
  ].join('\n');
}

/**
 * The outcomes that make the CLI exit non-zero: a failure, an escalation nobody resolved, a
 * loop of identical tool calls. A budget running out, a human ending the run and a
 * cancellation are outcomes someone chose, not errors.
 */
export const resultExitCode = (r: Pick<RunResult | TaskResult, 'outcome'>): number => {
  const { outcome } = r;
  if (outcome.kind === 'failed' || outcome.kind === 'escalated') return 1;
  if (outcome.kind === 'stopped' && outcome.reason === 'loop_detected') return 1;
  return 0;
};
