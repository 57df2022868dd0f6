/**
 * The vocabulary of Bosun's business metrics, in one place: how a run's end is classified
 * (outcome, reason, who answered, validation, retrieval) and the names and buckets of the
 * per-run Prometheus metrics. The workflow emits them when a run ends
 * (`workflows/run-metrics.ts`), the worker's Runtime sets their buckets, `stats` reads the
 * same classification back from search attributes and the memo, and the Grafana dashboard
 * queries these names — so a figure means the same thing wherever it is read. The
 * definitions themselves are in `docs/metrics.md`.
 *
 * @example
 * answerSource('human:carol');                 // 'human'
 * runEndLabels({ agent: 'support', outcome: { kind: 'failed', failure } , ... });
 * // { agent: 'support', outcome: 'failed', reason: 'timeout', answered_by: 'none', validation: 'none', retrieval: 'none' }
 */
import type { RunOutcome } from './run.ts';

/** The per-run metric names, as Prometheus shows them (no prefix, no suffix is added). */
export const runMetricNames = {
  /** Counter: finished runs, by agent, outcome, reason, answered_by, validation, retrieval. */
  runs: 'bosun_runs',
  /** Histogram (USD): a run's total cost at the agent's prices. */
  cost: 'bosun_run_cost_usd',
  /** Histogram: a run's steps (model turns of the loop). */
  steps: 'bosun_run_steps',
  /** Histogram: escalations to a human per run (`le="0"` is the runs with none). */
  escalations: 'bosun_run_escalations',
  /** Histogram: human deadlines that passed per run (approvals and escalations). */
  humanTimeouts: 'bosun_run_human_timeouts',
  /** Histogram (ms): start to end, across continue-as-new, human waits included. */
  latency: 'bosun_run_latency',
  /** Histogram (ms): the same less the time spent waiting for a human. */
  latencyExclHuman: 'bosun_run_latency_excl_human',
} as const;

/** Histogram buckets of the per-run metrics, by name (the worker's Runtime installs them). */
export const runMetricBuckets: Record<
  Exclude<(typeof runMetricNames)[keyof typeof runMetricNames], 'bosun_runs'>,
  number[]
> = {
  [runMetricNames.cost]: [0.0001, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  // 0: answered before any model call (a policy answer, a human at the first escalation).
  [runMetricNames.steps]: [0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 50, 100],
  [runMetricNames.escalations]: [0, 1, 2, 3, 5, 10],
  [runMetricNames.humanTimeouts]: [0, 1, 2, 5],
  [runMetricNames.latency]: runLatencyBucketsMs(),
  [runMetricNames.latencyExclHuman]: runLatencyBucketsMs(),
};

/** 250 ms to 24 h: a run answered in one call, up to a run that waited a day for a human. */
function runLatencyBucketsMs(): number[] {
  return [
    250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000, 14_400_000,
    86_400_000,
  ];
}

/** The labels of the per-run histograms (fewer than `bosun_runs`: each adds buckets). */
export const runHistogramLabels = ['agent', 'outcome'] as const;

/** The `outcome` label and the `stats` outcome: `BosunStatus`'s word for how a run ended. */
export type OutcomeWord = 'completed' | 'failed' | 'escalated' | 'budget_exhausted' | 'stopped';

/** Who produced a completed run's answer: the model, a human who answered an escalation,
 * or a policy (e.g. `policy:not_in_knowledge_base`, the canned "not in the knowledge base"
 * reply). `other` is an `answeredBy` this version does not know. */
export type AnswerSource = 'model' | 'human' | 'policy' | 'other';

/** Every value a closed label of `bosun_runs` takes (`agent` and `reason` aside). */
export const runLabelValues = {
  outcome: ['completed', 'failed', 'escalated', 'budget_exhausted', 'stopped'],
  answered_by: ['model', 'human', 'policy', 'other', 'none'],
  validation: ['initial', 'repaired', 'escalated', 'none'],
  retrieval: ['relevant', 'weak', 'none'],
} as const satisfies Record<string, readonly string[]>;

/** `BosunStatus`'s terminal words (the others — `running`, `needs_human`, ... — are live). */
export const outcomeWords: readonly OutcomeWord[] = runLabelValues.outcome;

export function outcomeWord(kind: RunOutcome['kind']): OutcomeWord {
  return kind === 'answer' ? 'completed' : kind;
}

/** Classifies a run's `answeredBy` (`model`, `human:<id>`, `policy:<rule>`). */
export function answerSource(answeredBy: string): AnswerSource {
  if (answeredBy === 'model') return 'model';
  if (answeredBy.startsWith('human:')) return 'human';
  if (answeredBy.startsWith('policy:')) return 'policy';
  return 'other';
}

/** Why a run ended as it did: the failure type of a failed run, the escalation reason, the
 * stop reason, the budget that ran out; `none` for a completed run. */
export function outcomeReason(outcome: RunOutcome): string {
  switch (outcome.kind) {
    case 'answer':
      return 'none';
    case 'failed':
      return outcome.failure.type;
    case 'escalated':
    case 'stopped':
      return outcome.reason;
    case 'budget_exhausted':
      return outcome.budget;
  }
}

/** The facts of a run's end the per-run metrics are made of. */
export interface RunEnd {
  agent: string;
  outcome: RunOutcome;
  /** Total cost in USD at the agent's prices. */
  costUsd: number;
  steps: number;
  /** Escalations to a human (parked or returned at once). */
  escalations: number;
  /** Wall-clock ms from the run's start (the first run of a continue-as-new chain) to its end. */
  latencyMs: number;
  /** Wall-clock ms the run waited on at least one human (approvals and escalations; waits
   * that overlap count once). Without it, `bosun_run_latency_excl_human` is not emitted. */
  humanWaitMs?: number | undefined;
  /** Approvals and escalations whose last deadline passed without a decision (an approval
   * moved on to its escalation group is not one yet). Without it,
   * `bosun_run_human_timeouts` is not emitted. */
  humanTimeouts?: number | undefined;
  /** The output contract's settled validation, for runs with a contract that got that far. */
  validation?: 'initial' | 'repaired' | 'escalated' | undefined;
  /** What retrieval found, for retrieval-augmented runs. */
  retrieval?: { weak: boolean } | undefined;
  /** A sub-agent's run (its cost is in its parent's too: sum `sub_agent="false"` for tasks). */
  subAgent?: boolean | undefined;
}

/** The labels of `bosun_runs`. Every value comes from a closed set (or the agent's name),
 * so the series stay few. */
export interface RunEndLabels {
  [label: string]: string;
  agent: string;
  outcome: OutcomeWord;
  reason: string;
  /** `model` | `human` | `policy` | `other` for completed runs, `none` otherwise. */
  answered_by: AnswerSource | 'none';
  /** `initial` | `repaired` | `escalated`, or `none` without an output contract. */
  validation: string;
  /** `relevant` (the retrieved set passed the relevance threshold) | `weak` | `none`. */
  retrieval: 'relevant' | 'weak' | 'none';
}

export function runEndLabels(end: RunEnd): RunEndLabels {
  const { outcome } = end;
  return {
    agent: end.agent,
    outcome: outcomeWord(outcome.kind),
    reason: outcomeReason(outcome),
    answered_by: outcome.kind === 'answer' ? answerSource(outcome.answeredBy ?? 'model') : 'none',
    validation: end.validation ?? 'none',
    retrieval: end.retrieval ? (end.retrieval.weak ? 'weak' : 'relevant') : 'none',
    sub_agent: end.subAgent ? 'true' : 'false',
  };
}

/**
 * The facts the workflow keeps in a run's memo (`memo.stats`) for the `stats` report, which
 * reads them from the run list without opening a payload. The fields after `answeredBy`
 * came later: runs written before them lack them, and `stats` says what it left out.
 */
export interface RunMemoStats {
  escalations: number;
  modelCalls: number;
  /** Model calls that timed out (retried or not). */
  timeouts: number;
  retrieval?: { chunks: number; weak: boolean; topScore: number };
  /** `model`, `human:<id>` or `policy:<rule>`, once the run ended with an answer. */
  answeredBy?: string;
  /** Epoch ms of the run's start — of the first run of a continue-as-new chain. */
  startedAtMs?: number;
  /** As `RunEnd.humanWaitMs`, so far. */
  humanWaitMs?: number;
  /** As `RunEnd.humanTimeouts`, so far. */
  humanTimeouts?: number;
  /** `outcomeReason(outcome)`, once the run ended. */
  endReason?: string;
  /** Calls whose model had no price (their cost is unknown, not $0), and those models. */
  unpricedCalls?: number;
  unpricedModels?: string[];
  /** For a sub-agent: the top run of its tree, which `stats` folds it into. */
  rootRunId?: string;
}
