import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { searchAttributes, workflowNames } from '../workflows/definitions.ts';

/** The business figures of a set of runs: what the engine reports about itself. */
export interface RunStats {
  window: { since: string; until: string; agent?: string };
  runs: number;
  /** Runs still going (not counted in the rates). */
  running: number;
  /** Completed with an answer / finished runs. */
  successRate: number;
  outcomes: Record<string, number>;
  latencyMs: { p50: number; p95: number };
  /** Runs that failed with a timeout (model or tool) or timed out in Temporal. */
  timeoutRate: number;
  costUsd: number;
  /** Total cost of all finished runs / runs completed with an answer. */
  costPerCompletedUsd: number | null;
  /** Among runs with an output contract: valid at once, after repair, never. */
  validation: { runs: number; successRate: number | null; firstTryRate: number | null };
  /** Runs that went to a human at least once / finished runs. */
  escalationRate: number;
  /** Runs answered by a human. */
  humanAnswers: number;
  /** Retrieval-augmented runs: how often the knowledge base had nothing, the mean best score. */
  retrieval: { runs: number; weakRate: number | null; meanTopScore: number | null };
  /** Calls whose model had no price, so `costUsd` leaves them out: how many, in how many
   * runs, and which models (`provider/name`). Zero when every call was priced. */
  unpriced: { calls: number; runs: number; models: string[] };
}

interface MemoStats {
  escalations?: number;
  timeouts?: number;
  retrieval?: { chunks: number; weak: boolean; topScore: number };
  answeredBy?: string;
  unpricedCalls?: number;
  unpricedModels?: string[];
}

/**
 * Computes the report from the runs themselves: one visibility query over the window (runs
 * that continued as new count once, by their last run), reading only search attributes and
 * the memo — no payloads, no history.
 *
 * @example
 * const report = await runStats(client, { since: new Date(Date.now() - 86_400_000) });
 * console.log(report.successRate, report.latencyMs.p95, report.costPerCompletedUsd);
 */
export async function runStats(
  client: Client,
  opts: { since: Date; until?: Date; agent?: string; limit?: number },
): Promise<RunStats> {
  const until = opts.until ?? new Date();
  const query = [
    `WorkflowType = "${workflowNames.agentRun}"`,
    `StartTime >= "${opts.since.toISOString()}"`,
    `StartTime <= "${until.toISOString()}"`,
    ...(opts.agent ? [`${searchAttributes.agent.name} = "${opts.agent.replaceAll('"', '')}"`] : []),
  ].join(' AND ');
  const infos: WorkflowExecutionInfo[] = [];
  for await (const info of client.workflow.list({ query })) {
    if (info.status.name === 'CONTINUED_AS_NEW') continue;
    infos.push(info);
    if (infos.length >= (opts.limit ?? 10_000)) break;
  }
  return summarizeRuns(infos, {
    since: opts.since.toISOString(),
    until: until.toISOString(),
    ...(opts.agent ? { agent: opts.agent } : {}),
  });
}

/** The arithmetic, separate so it is tested without a server. */
export function summarizeRuns(infos: WorkflowExecutionInfo[], window: RunStats['window']): RunStats {
  const finished = infos.filter((i) => i.status.name !== 'RUNNING');
  const statusOf = (i: WorkflowExecutionInfo) =>
    i.typedSearchAttributes.get(searchAttributes.status) ?? i.status.name.toLowerCase();
  const memoOf = (i: WorkflowExecutionInfo) => (i.memo?.stats ?? {}) as MemoStats;
  const outcomes: Record<string, number> = {};
  for (const i of finished) outcomes[statusOf(i)] = (outcomes[statusOf(i)] ?? 0) + 1;
  const completed = outcomes.completed ?? 0;
  const rate = (n: number, d: number) => (d ? round(n / d) : 0);
  const durations = finished.filter((i) => i.closeTime).map((i) => i.closeTime!.getTime() - i.startTime.getTime());
  const costUsd = round(
    finished.reduce((s, i) => s + (i.typedSearchAttributes.get(searchAttributes.costUsd) ?? 0), 0),
    9,
  );
  const validations = finished
    .map((i) => i.typedSearchAttributes.get(searchAttributes.validation))
    .filter((v): v is string => !!v);
  const rag = finished.map((i) => memoOf(i).retrieval).filter((r): r is NonNullable<MemoStats['retrieval']> => !!r);
  const timedOut = finished.filter(
    (i) =>
      i.status.name === 'TIMED_OUT' ||
      i.typedSearchAttributes.get(searchAttributes.failureType) === 'timeout' ||
      (memoOf(i).timeouts ?? 0) > 0,
  );
  const unpricedRuns = finished.map(memoOf).filter((m) => (m.unpricedCalls ?? 0) > 0);
  return {
    window,
    runs: infos.length,
    running: infos.length - finished.length,
    successRate: rate(completed, finished.length),
    outcomes,
    latencyMs: { p50: percentile(durations, 0.5), p95: percentile(durations, 0.95) },
    timeoutRate: rate(timedOut.length, finished.length),
    costUsd,
    costPerCompletedUsd: completed ? round(costUsd / completed, 9) : null,
    validation: {
      runs: validations.length,
      successRate: validations.length
        ? rate(validations.filter((v) => v !== 'escalated').length, validations.length)
        : null,
      firstTryRate: validations.length
        ? rate(validations.filter((v) => v === 'initial').length, validations.length)
        : null,
    },
    escalationRate: rate(
      finished.filter((i) => (memoOf(i).escalations ?? 0) > 0 || statusOf(i) === 'escalated').length,
      finished.length,
    ),
    humanAnswers: finished.filter((i) => memoOf(i).answeredBy?.startsWith('human:')).length,
    retrieval: {
      runs: rag.length,
      weakRate: rag.length ? rate(rag.filter((r) => r.weak).length, rag.length) : null,
      meanTopScore: rag.length ? round(rag.reduce((s, r) => s + r.topScore, 0) / rag.length) : null,
    },
    unpriced: {
      calls: unpricedRuns.reduce((s, m) => s + (m.unpricedCalls ?? 0), 0),
      runs: unpricedRuns.length,
      models: [...new Set(unpricedRuns.flatMap((m) => m.unpricedModels ?? []))].sort(),
    },
  };
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
