import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { answerSource } from '../core/run-metrics.ts';
import { searchAttributes, workflowNames } from '../workflows/definitions.ts';
import { runFactsOf, type RunFacts } from './run-facts.ts';

/** A p50/p95 over `runs` runs (nearest rank), in ms. */
export interface LatencySummary {
  runs: number;
  p50: number;
  p95: number;
}

/**
 * The six business metrics of a set of runs, as `docs/metrics.md` defines them. Rates are
 * fractions (0.4375 is 43.75%) over the finished runs, `null` when nothing was there to
 * count; `notes` says in words what a figure left out (runs that predate a fact).
 */
export interface RunStats {
  window: { since: string; until: string; agent?: string; tenant?: string };
  /** Runs started in the window; a continue-as-new chain counts once, by its last run. */
  runs: number;
  /** Runs still going (in no rate). */
  running: number;
  /** The denominator of every rate below unless it says otherwise. */
  finished: number;
  /** Finished runs by how they ended (`completed`, `failed`, `escalated`, `budget_exhausted`,
   * `stopped`; `timed_out` / `terminated` / `cancelled` when Temporal closed the run). */
  outcomes: Record<string, number>;
  /** Completed runs by who answered; `unknown` when the run does not say (it predates that fact). */
  answeredBy: { model: number; human: number; policy: number; other: number; unknown: number };

  /** 1. Task success: answered by the model (and accepted by the output contract when the
   * run has one) / finished runs. Human and policy answers are not successes. */
  successRate: number | null;
  /** Answered by a human (an escalation answered) / finished runs. */
  humanAnswerRate: number | null;
  /** Answered by a policy (e.g. "not in the knowledge base") / finished runs. */
  policyAnswerRate: number | null;

  /** 2. Latency, start to end, human waits included. */
  latencyMs: LatencySummary | null;
  /** Latency less the time spent waiting for a human, over the runs that record that wait. */
  latencyExclHumanMs: LatencySummary | null;
  /** Runs ended by a timeout: failed `timeout`, the wall-clock budget, Temporal's execution
   * timeout / finished runs. */
  timeoutRate: number | null;
  /** Runs in which a human deadline passed (approval or escalation) / the finished runs
   * that record it. */
  humanTimeoutRate: number | null;
  /** Runs with at least one model call that timed out, retried or not / finished runs. */
  callTimeoutRate: number | null;

  /** 3. Cost: all finished runs (failures are paid for too). */
  costUsd: number;
  /** Cost of all finished runs / successful tasks (the success rate's numerator). */
  costPerCompletedUsd: number | null;
  costPerRunUsd: number | null;
  /** Calls whose model had no price, so `costUsd` leaves them out: how many, in how many
   * runs, and which models (`provider/name`). Zero when every call was priced. */
  unpriced: { calls: number; runs: number; models: string[] };

  /** 4. Among finished runs whose output contract settled: valid at once or after repair
   * (`successRate`), valid at once (`firstTryRate`). */
  validation: { runs: number; successRate: number | null; firstTryRate: number | null };

  /** 5. Runs handed to a human at least once (parked or returned) / finished runs. Tool
   * approvals are not escalations. */
  escalationRate: number | null;

  /** 6. Among finished retrieval-augmented runs: the share whose retrieved set passed the
   * relevance threshold (not weak). Offline: `npm run eval-retrieval` (recall@k, MRR). */
  retrieval: { runs: number; relevantRate: number | null };

  /** What the figures leave out, in words. */
  notes: string[];
}

/**
 * Computes the report from the runs themselves: one visibility query over the window (runs
 * that continued as new count once, by their last run), reading only search attributes and
 * the memo — no payloads, no history.
 *
 * @example
 * const report = await runStats(client, { since: new Date(Date.now() - 86_400_000) });
 * console.log(report.successRate, report.latencyMs?.p95, report.costPerCompletedUsd);
 */
export async function runStats(
  client: Client,
  opts: { since: Date; until?: Date; agent?: string; limit?: number; tenant?: string },
): Promise<RunStats> {
  const until = opts.until ?? new Date();
  const limit = opts.limit ?? 10_000;
  const query = [
    `WorkflowType = "${workflowNames.agentRun}"`,
    `StartTime >= "${opts.since.toISOString()}"`,
    `StartTime <= "${until.toISOString()}"`,
    ...(opts.agent ? [`${searchAttributes.agent.name} = "${opts.agent.replaceAll('"', '')}"`] : []),
    // Only runs acting for this tenant (the HTTP API's callers see their own tenant's figures).
    ...(opts.tenant !== undefined ? [`${searchAttributes.tenant.name} = "${opts.tenant.replaceAll('"', '')}"`] : []),
  ].join(' AND ');
  const infos: WorkflowExecutionInfo[] = [];
  const subAgents: WorkflowExecutionInfo[] = [];
  for await (const info of client.workflow.list({ query })) {
    if (info.status.name === 'CONTINUED_AS_NEW') continue;
    // A sub-agent's run is part of its parent's task: folded into its tree's top run, and
    // counted as a task only when the report is about that agent.
    if (info.parentExecution && !opts.agent) subAgents.push(info);
    else infos.push(info);
    if (infos.length >= limit) break;
  }
  const report = summarizeFacts(withSubAgents(infos, subAgents), {
    since: opts.since.toISOString(),
    until: until.toISOString(),
    ...(opts.agent ? { agent: opts.agent } : {}),
    ...(opts.tenant !== undefined ? { tenant: opts.tenant } : {}),
  });
  if (infos.length >= limit) report.notes.push(`stopped at ${limit} runs: later runs of the window are not counted`);
  if (subAgents.length)
    report.notes.push(
      `${subAgents.length} sub-agent run(s) folded into their top runs, not counted as tasks (--agent <name> reports an agent's runs)`,
    );
  return report;
}

/**
 * The facts of top-level runs with their sub-agents folded in: a child's escalations, human
 * waits and deadlines and timed-out calls count for its tree's top run (by the memo's
 * `rootRunId`, else its parent), and so does its cost when Temporal closed it before it
 * could hand its result to its parent (cancelled, terminated, timed out); otherwise its cost
 * is in its parent's already. Children whose top run is not in the list are left out.
 */
export function withSubAgents(tops: WorkflowExecutionInfo[], subAgents: WorkflowExecutionInfo[]): RunFacts[] {
  const facts = tops.map(runFactsOf);
  const byId = new Map(tops.map((info, i) => [info.workflowId, facts[i]!]));
  const unrolled = new Set(['CANCELLED', 'TERMINATED', 'TIMED_OUT']);
  for (const info of subAgents) {
    const memo = info.memo?.stats as { rootRunId?: unknown } | undefined;
    const root = byId.get(
      typeof memo?.rootRunId === 'string' ? memo.rootRunId : (info.parentExecution?.workflowId ?? ''),
    );
    if (!root) continue;
    const child = runFactsOf(info);
    root.escalations += child.escalations;
    root.callTimeouts += child.callTimeouts;
    if (child.humanTimeouts !== undefined) root.humanTimeouts = (root.humanTimeouts ?? 0) + child.humanTimeouts;
    if (child.humanWaitMs !== undefined) root.humanWaitMs = (root.humanWaitMs ?? 0) + child.humanWaitMs;
    if (unrolled.has(info.status.name)) root.costUsd += child.costUsd;
  }
  return facts;
}

/** The arithmetic over the run list, separate so it is tested without a server. */
export function summarizeRuns(infos: WorkflowExecutionInfo[], window: RunStats['window']): RunStats {
  return summarizeFacts(infos.map(runFactsOf), window);
}

/** The six metrics by their definitions (`docs/metrics.md`), from each run's facts. */
export function summarizeFacts(facts: RunFacts[], window: RunStats['window']): RunStats {
  const finished = facts.filter((f) => !f.open);
  const n = finished.length;
  const rate = (count: number, of = n) => (of ? round(count / of) : null);
  const notes: string[] = [];

  const outcomes: Record<string, number> = {};
  for (const f of finished) outcomes[f.outcome] = (outcomes[f.outcome] ?? 0) + 1;

  const answeredBy = { model: 0, human: 0, policy: 0, other: 0, unknown: 0 };
  for (const f of finished.filter((f) => f.outcome === 'completed'))
    answeredBy[f.answeredBy ? answerSource(f.answeredBy) : 'unknown']++;
  if (answeredBy.unknown)
    notes.push(`${answeredBy.unknown} completed run(s) do not say who answered: not counted as successes`);
  if (answeredBy.other)
    notes.push(`${answeredBy.other} completed run(s) were answered by a source this version does not know`);
  const successes = answeredBy.model;

  const timed = finished.filter((f) => f.latencyMs !== undefined);
  const unstarted = timed.filter((f) => !f.startKnown).length;
  if (unstarted)
    notes.push(
      `${unstarted} run(s) do not record their chain's start: their latency counts from their last run (the same unless they continued as new)`,
    );
  const waited = timed.filter((f) => f.humanWaitMs !== undefined);
  if (waited.length < timed.length)
    notes.push(
      `latency without human wait covers ${waited.length} of ${timed.length} run(s): the others do not record their human wait`,
    );
  const withHumanTimeouts = finished.filter((f) => f.humanTimeouts !== undefined);
  if (withHumanTimeouts.length < n)
    notes.push(
      `human timeout rate covers ${withHumanTimeouts.length} of ${n} run(s): the others do not record human deadlines`,
    );
  const budgetStops = finished.filter((f) => f.outcome === 'budget_exhausted');
  const unreasoned = budgetStops.filter((f) => f.endReason === undefined).length;
  if (unreasoned)
    notes.push(
      `${unreasoned} budget stop(s) do not say which budget: a wall-clock stop among them is not counted as a timeout`,
    );

  const costUsd = round(
    finished.reduce((s, f) => s + f.costUsd, 0),
    9,
  );
  const validated = finished.filter((f) => f.validation);
  const rag = finished.filter((f) => f.retrieval);

  return {
    window,
    runs: facts.length,
    running: facts.length - n,
    finished: n,
    outcomes,
    answeredBy,
    successRate: rate(successes),
    humanAnswerRate: rate(answeredBy.human),
    policyAnswerRate: rate(answeredBy.policy),
    latencyMs: summarizeLatency(timed.map((f) => f.latencyMs!)),
    latencyExclHumanMs: summarizeLatency(waited.map((f) => Math.max(0, f.latencyMs! - f.humanWaitMs!))),
    timeoutRate: rate(finished.filter(endedByTimeout).length),
    humanTimeoutRate: rate(withHumanTimeouts.filter((f) => f.humanTimeouts! > 0).length, withHumanTimeouts.length),
    callTimeoutRate: rate(finished.filter((f) => f.callTimeouts > 0).length),
    costUsd,
    costPerCompletedUsd: successes ? round(costUsd / successes, 9) : null,
    costPerRunUsd: n ? round(costUsd / n, 9) : null,
    unpriced: {
      calls: finished.reduce((s, f) => s + f.unpricedCalls, 0),
      runs: finished.filter((f) => f.unpricedCalls > 0).length,
      models: [...new Set(finished.flatMap((f) => f.unpricedModels))].sort(),
    },
    validation: {
      runs: validated.length,
      successRate: rate(validated.filter((f) => f.validation !== 'escalated').length, validated.length),
      firstTryRate: rate(validated.filter((f) => f.validation === 'initial').length, validated.length),
    },
    escalationRate: rate(finished.filter((f) => f.escalations > 0 || f.outcome === 'escalated').length),
    retrieval: { runs: rag.length, relevantRate: rate(rag.filter((f) => !f.retrieval!.weak).length, rag.length) },
    notes,
  };
}

/** A run that ended because time ran out: a timeout failure, its wall-clock budget, or
 * Temporal's execution timeout. */
function endedByTimeout(f: RunFacts): boolean {
  return (
    f.outcome === 'timed_out' ||
    (f.outcome === 'failed' && f.failureType === 'timeout') ||
    (f.outcome === 'budget_exhausted' && f.endReason === 'wall_clock')
  );
}

function summarizeLatency(values: number[]): LatencySummary | null {
  return values.length ? { runs: values.length, p50: percentile(values, 0.5), p95: percentile(values, 0.95) } : null;
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

function round(n: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
