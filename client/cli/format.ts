/**
 * The small pieces every command's output is built from, so the same thing (a count, a
 * usage, a cost, a tool call's arguments) reads the same wherever it shows.
 */
import type { RunResult, RunStatus } from '../../core/run.ts';
import type { InboxApproval } from '../client.ts';

/** `plural(1, 'step')` → `1 step`; `plural(2, 'step')` → `2 steps`. */
export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** An identifier as words: `running_tools` → `running tools`. */
export const words = (id: string) => id.replaceAll('_', ' ');

/** The first line of an error's message (SDK errors can run to many). */
export const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();

/** `0.778` → `77.8%`; `null` (nothing to divide) → `n/a`. */
export const pct = (r: number | null) => (r === null ? 'n/a' : `${(r * 100).toFixed(1)}%`);

export function formatUsage(u: RunStatus['usage']): string {
  return `${u.input} input${u.cachedInput ? ` (${u.cachedInput} cached)` : ''} / ${u.output} output tokens`;
}

export function formatCost(r: Pick<RunResult, 'costUsd' | 'unpricedCalls'>): string {
  const cost = `$${r.costUsd.toFixed(6)}`;
  return r.unpricedCalls ? `${cost} (+${plural(r.unpricedCalls, 'unpriced call')})` : cost;
}

/**
 * What an unpriced model does to a cost, said where the cost is: `cost unknown for 2 calls:
 * model openai/gpt-9 has no price`. Undefined when every call was priced. An unpriced call
 * is never shown as costing $0 without this line beside it.
 */
export function formatUnpriced(
  calls: number | undefined,
  models: readonly string[] = [],
  /** Where the calls were, after the count: ` in 2 runs`. */
  scope = '',
): string | undefined {
  if (!calls) return undefined;
  const which =
    models.length === 0
      ? 'a model has no price'
      : models.length === 1
        ? `model ${models[0]} has no price`
        : `models ${models.join(', ')} have no price`;
  return `cost unknown for ${plural(calls, 'call')}${scope}: ${which} (set its price in the agent's \`prices\`)`;
}

/** The models of the calls that had no price, each once, in order of first use. */
export const unpricedModelsOf = (calls: readonly { model: string; costUsd: number | null }[]): string[] => [
  ...new Set(calls.filter((c) => c.costUsd === null).map((c) => c.model)),
];

/** `90_000` → `1m 30s`; `1500` → `1.5s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? ` ${s % 60}s` : ''}`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}h${m % 60 ? ` ${m % 60}m` : ''}`;
}

/** How long a tool's arguments may print in the inbox and status before they are cut. */
export const argsSummaryLength = 80;

/** A tool call's arguments on one line, cut to `max` characters. */
export function summarizeArgs(input: unknown, max = argsSummaryLength): string {
  const text = input === undefined ? '(no arguments)' : (JSON.stringify(input) ?? String(input));
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** Why an approval waits, for whom, until when: the same in `status` and the inbox. */
export const approvalTerms = (a: Pick<InboxApproval, 'reason' | 'group' | 'deadlineAt' | 'escalated'>) =>
  `${a.reason}; group ${a.group ?? '(any approver)'}; deadline ${a.deadlineAt}${a.escalated ? ' (escalated)' : ''}`;
