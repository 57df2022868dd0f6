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

/** Text on one line (white space folded), cut to `max` characters. */
export function oneLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

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
export const approvalTerms = (
  a: Pick<InboxApproval, 'reason' | 'group' | 'deadlineAt' | 'escalated'>,
  now = Date.now(),
) =>
  `${a.reason}; group ${a.group ?? '(any approver)'}; ${formatDeadline(a.deadlineAt, now)}${a.escalated ? ' (escalated)' : ''}`;

/** A deadline as people read it: `due in 3h 59m (2026-11-30 17:12 UTC)`, or `overdue by 2m`. */
export function formatDeadline(at: string, now = Date.now()): string {
  const ms = Date.parse(at) - now;
  if (!Number.isFinite(ms)) return `deadline ${at}`;
  const when = `${at.slice(0, 16).replace('T', ' ')} UTC`;
  return ms >= 0
    ? `due in ${formatDuration(Math.round(ms / 1000) * 1000)} (${when})`
    : `overdue by ${formatDuration(Math.round(-ms / 1000) * 1000)} (${when})`;
}

/** What an approver needs beside the call: the run's task, who it acts for, what the tools
 * returned before it. Lines indented under the call. */
export function approvalContext(a: Pick<InboxApproval, 'context'>): string[] {
  const c = a.context;
  if (!c) return [];
  return [
    `  task: ${oneLine(c.task, 160)}`,
    `  for: ${c.principal.user} (tenant ${c.principal.tenant})`,
    ...(c.parent
      ? [
          `  sub-agent of run ${c.parent.runId} (agent ${c.parent.agent}, step ${c.parent.step})${c.parent.rootRunId !== c.parent.runId ? `, in the tree of ${c.parent.rootRunId}` : ''}`,
        ]
      : []),
    ...c.earlierResults.map(
      (r) => `  earlier, step ${r.step} ${r.tool}${r.isError ? ' (error)' : ''}: ${oneLine(r.content, 140)}`,
    ),
  ];
}
