import type { WorkflowExecutionInfo } from '@temporalio/client';
import { outcomeWords, type OutcomeWord, type RunMemoStats } from '../core/run-metrics.ts';
import { searchAttributes } from '../workflows/definitions.ts';

/**
 * What the `stats` report knows of one run, read from the run list alone (search
 * attributes and the memo; no payload, no history). Memo facts a run did not write — it
 * predates them, or it never got that far — are `undefined`, never guessed.
 */
export interface RunFacts {
  open: boolean;
  /**
   * How the run ended: `BosunStatus`'s terminal word (`completed`, `failed`, `escalated`,
   * `budget_exhausted`, `stopped`), or — for a run Temporal closed before Bosun could say —
   * `timed_out`, `terminated`, `cancelled`, `failed` from the execution status.
   */
  outcome: string;
  answeredBy?: string | undefined;
  failureType?: string | undefined;
  endReason?: string | undefined;
  validation?: string | undefined;
  costUsd: number;
  /** Close minus start (the memo's `startedAtMs` when there is one, else this run's start). */
  latencyMs?: number | undefined;
  /** Whether `latencyMs` counts from the memo's chain start. */
  startKnown: boolean;
  humanWaitMs?: number | undefined;
  humanTimeouts?: number | undefined;
  escalations: number;
  callTimeouts: number;
  retrieval?: { weak: boolean } | undefined;
  /** Calls whose model had no price, and those models. */
  unpricedCalls: number;
  unpricedModels: string[];
}

export function runFactsOf(info: WorkflowExecutionInfo): RunFacts {
  const memo = readMemoStats(info.memo?.stats);
  const open = info.status.name === 'RUNNING';
  const word = info.typedSearchAttributes.get(searchAttributes.status);
  const terminal = word !== undefined && (outcomeWords as readonly string[]).includes(word);
  const startMs = memo.startedAtMs ?? info.startTime.getTime();
  return {
    open,
    outcome: terminal ? (word as OutcomeWord) : open ? 'running' : temporalOutcome(info.status.name),
    answeredBy: memo.answeredBy,
    failureType: info.typedSearchAttributes.get(searchAttributes.failureType),
    endReason: memo.endReason,
    validation: info.typedSearchAttributes.get(searchAttributes.validation),
    costUsd: info.typedSearchAttributes.get(searchAttributes.costUsd) ?? 0,
    latencyMs: info.closeTime ? Math.max(0, info.closeTime.getTime() - startMs) : undefined,
    startKnown: memo.startedAtMs !== undefined,
    humanWaitMs: memo.humanWaitMs,
    humanTimeouts: memo.humanTimeouts,
    escalations: memo.escalations ?? 0,
    callTimeouts: memo.timeouts ?? 0,
    retrieval: memo.retrieval ? { weak: memo.retrieval.weak } : undefined,
    unpricedCalls: memo.unpricedCalls ?? 0,
    unpricedModels: memo.unpricedModels ?? [],
  };
}

function temporalOutcome(status: string): string {
  return status === 'CANCELLED' ? 'cancelled' : status.toLowerCase();
}

/** The memo's facts, each kept only when it has the type the workflow writes (a memo is
 * whatever was upserted; a foreign or older shape must not break the report). */
function readMemoStats(raw: unknown): Partial<RunMemoStats> {
  if (typeof raw !== 'object' || raw === null) return {};
  const m = raw as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const r = m.retrieval as Record<string, unknown> | undefined;
  const out: Partial<RunMemoStats> = {};
  const set = <K extends keyof RunMemoStats>(key: K, value: RunMemoStats[K] | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  set('escalations', num(m.escalations));
  set('modelCalls', num(m.modelCalls));
  set('timeouts', num(m.timeouts));
  set('answeredBy', str(m.answeredBy));
  set('startedAtMs', num(m.startedAtMs));
  set('humanWaitMs', num(m.humanWaitMs));
  set('humanTimeouts', num(m.humanTimeouts));
  set('endReason', str(m.endReason));
  set('unpricedCalls', num(m.unpricedCalls));
  if (Array.isArray(m.unpricedModels))
    out.unpricedModels = m.unpricedModels.filter((x): x is string => typeof x === 'string');
  if (typeof r === 'object' && r !== null && typeof r.weak === 'boolean')
    out.retrieval = { chunks: num(r.chunks) ?? 0, weak: r.weak, topScore: num(r.topScore) ?? 0 };
  return out;
}
