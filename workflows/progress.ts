import type { RunMemoStats } from '../core/run-metrics.ts';
import { setCurrentDetails, setHandler, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { parentShown } from '../core/delegation.ts';
import type { RunOutcome } from '../core/run.ts';
import { callsQuery, searchAttributes, statusQuery } from './definitions.ts';
import type { HumanDesk } from './human.ts';
import type { RunState } from './run-state.ts';

/**
 * What operators see of a run without opening a payload: the `status` and `calls`
 * queries, search attributes (filter on status, cost, tokens, model, failure type), the
 * run page's current details in the Temporal UI, and a memo the `stats` report reads.
 */
/** Search attributes and memo show step, tokens and cost at least this often. */
export const SHOWN_EVERY_STEPS = 10;

export function createProgress(run: RunState, desk: () => HumanDesk | undefined) {
  const { status, totals } = run;
  /** Calls whose model had no price: their cost is unknown, not $0 (said in status and stats). */
  const unpriced = () =>
    totals.unpricedCalls
      ? {
          unpricedCalls: totals.unpricedCalls,
          unpricedModels: [...new Set(totals.calls.filter((c) => c.costUsd === null).map((c) => c.model))].sort(),
        }
      : {};
  setHandler(statusQuery, () => {
    const d = desk();
    const open = d?.openEscalation();
    return {
      ...status,
      usage: totals.usage,
      costUsd: totals.costUsd,
      modelCalls: totals.calls.length,
      ...unpriced(),
      pendingApprovals: d?.pendingApprovals() ?? [],
      escalations: d?.escalations() ?? 0,
      ...(open ? { escalation: open } : {}),
      ...(run.input.parent ? { parent: parentShown(run.input.parent) } : {}),
      ...(run.childrenStarted ? { children: run.children, delegated: run.delegated } : {}),
    };
  });
  setHandler(callsQuery, () => totals.calls);

  /** What search attributes and memo last showed; they change only when it does. */
  let shown = startKey();
  /** Publishes what operators see. Current details (no history event) are refreshed every
   * time; search attributes and memo — an event and a visibility write each — only when what
   * they are for changes: the status word, pending approvals, escalations, output validation,
   * a failure type, a run's end, or every `SHOWN_EVERY_STEPS` steps (step, tokens, cost and
   * model in between are in `status` and current details). */
  function publish(end?: { word: string; failureType?: string; outcome: RunOutcome }) {
    const d = desk();
    if (!d) return;
    const pending = d.pendingApprovals().length;
    const word = end?.word ?? (d.openEscalation() ? 'needs_human' : pending > 0 ? 'waiting_for_approval' : 'running');
    const tokens = totals.usage.input + totals.usage.output;
    const key = keyOf(word, pending, d.escalations(), end?.failureType);
    const changed = end !== undefined || key !== shown;
    shown = key;
    if (changed) {
      upsertSearchAttributes([
        { key: searchAttributes.status, value: word },
        { key: searchAttributes.agent, value: run.agent.name },
        { key: searchAttributes.pendingApprovals, value: pending },
        { key: searchAttributes.steps, value: status.step },
        { key: searchAttributes.tokens, value: tokens },
        { key: searchAttributes.costUsd, value: totals.costUsd },
        ...(status.model ? [{ key: searchAttributes.model, value: status.model }] : []),
        ...(end?.failureType ? [{ key: searchAttributes.failureType, value: end.failureType }] : []),
        ...(run.validation ? [{ key: searchAttributes.validation, value: run.validation.result }] : []),
      ]);
    }
    const open = d.openEscalation();
    const approvals = d
      .pendingApprovals()
      .map(
        (a) => `- approval \`${a.id}\`: **${a.tool}** — ${a.reason} (group ${a.group ?? 'any'}, until ${a.deadlineAt})`,
      );
    const model = status.model ? ` · model \`${status.model}\`` : '';
    // Shown on the run's page in the Temporal UI (no history event, no payload to open).
    setCurrentDetails(
      [
        `**Bosun run** · agent \`${run.agent.name}\` · status **${word.replaceAll('_', ' ')}**`,
        `step ${status.step}/${status.maxSteps} · ${tokens} tokens · cost **$${totals.costUsd.toFixed(6)}**${model}`,
        ...(approvals.length ? ['**Pending approvals**', ...approvals] : []),
        ...(open ? [`**Needs a human**: ${open.reason} — ${open.message} (escalation \`${open.id}\`)`] : []),
      ].join('\n'),
    );
    if (!changed) return;
    const pendingNote = `${pending ? ` · ${pending} approval(s) pending` : ''}${d.escalations() ? ` · ${d.escalations()} escalation(s)` : ''}`;
    upsertMemo({
      summary: `${run.agent.name} · ${word.replaceAll('_', ' ')} · step ${status.step}/${status.maxSteps} · ${tokens} tokens · $${totals.costUsd.toFixed(4)}${status.model ? ` · ${status.model}` : ''}${pendingNote}`,
      // Structured facts the `stats` report reads from the run list without opening payloads.
      stats: {
        escalations: d.escalations(),
        modelCalls: totals.calls.length + run.droppedCalls,
        timeouts: totals.calls.filter((c) => c.outcome === 'timeout').length,
        ...unpriced(),
        ...(run.retrievalFacts ? { retrieval: run.retrievalFacts } : {}),
        ...(run.answeredBy ? { answeredBy: run.answeredBy } : {}),
        startedAtMs: run.startedAt,
        humanWaitMs: d.humanWaitMs(),
        humanTimeouts: d.humanTimeouts(),
        ...(run.endReason ? { endReason: run.endReason } : {}),
        ...(run.input.parent ? { rootRunId: run.input.parent.rootRunId } : {}),
      } satisfies RunMemoStats,
      // The typed outcome, for runs whose Temporal result is a failure (see `endRun`).
      ...(end ? { outcome: end.outcome } : {}),
    });
  }

  function keyOf(word: string, pending: number, escalations: number, failureType?: string): string {
    const every = Math.floor(status.step / SHOWN_EVERY_STEPS);
    return [word, pending, escalations, run.validation?.result ?? '', failureType ?? '', every].join(':');
  }

  /** The client sets status and agent when it starts a run (so it is findable before its
   * first workflow task): then there is nothing new to show until the run moves on. */
  function startKey(): string {
    const sa = workflowInfo().typedSearchAttributes;
    const preset =
      !run.input.resume &&
      sa.get(searchAttributes.status) === 'running' &&
      sa.get(searchAttributes.agent) === run.agent.name &&
      sa.get(searchAttributes.pendingApprovals) === 0;
    return preset ? keyOf('running', 0, 0) : '';
  }
  return { publish };
}
export type Progress = ReturnType<typeof createProgress>;
