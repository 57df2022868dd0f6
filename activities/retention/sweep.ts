/**
 * The `sweepRetention` activity: erases the stored content of runs that closed more than
 * the retention period ago. The store says which runs hold content first written before the
 * cutoff (a run cannot have closed before it started storing); Temporal says, for each,
 * whether it is open (kept, looked at again next sweep), closed after the cutoff (kept), or
 * closed before it or gone from Temporal altogether (its history already deleted by the
 * namespace's retention): erased, logged with reason `retention`.
 *
 * The period: `BOSUN_RETENTION_DAYS`, else the namespace's retention (`describeNamespace`),
 * so a run's stored content goes when its history does. Started by the `retentionSweep`
 * workflow, one at a time per task queue (see worker/retention-timer.ts).
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { RetentionSweepResult } from '../../core/erasure.ts';
import { eraseRun, type ErasureStores } from './erase-run.ts';
import { namespaceRetentionDays, runLiveness, workerClient } from './run-closed.ts';

/** Runs looked at per store read. */
const PAGE = 100;
const DAY_MS = 86_400_000;

export interface SweepRetentionInput {
  /** Overrides the configured period (an operator's one-off sweep, tests). */
  retentionDays?: number;
}

export interface RetentionDeps extends ErasureStores {
  /** BOSUN_RETENTION_DAYS, when set. */
  retentionDays?: number;
  /** The worker's client (its namespace is the runs'); the activity context's by default. */
  client?: () => Client;
  now?: () => number;
}

export function createSweepRetention(deps: RetentionDeps) {
  return async function sweepRetention(input: SweepRetentionInput = {}): Promise<RetentionSweepResult> {
    const client = (deps.client ?? workerClient)();
    const now = (deps.now ?? Date.now)();
    const period = await retentionPeriod(client, input.retentionDays ?? deps.retentionDays);
    const cutoff = now - period.days * DAY_MS;
    const result: RetentionSweepResult = {
      retentionDays: period.days,
      source: period.source,
      cutoff: new Date(cutoff).toISOString(),
      examined: 0,
      erased: 0,
      kept: 0,
    };
    // A retried attempt resumes after the last run the previous one finished.
    let after = heartbeatCursor();
    for (;;) {
      const page = await deps.store.storedRuns({ before: cutoff, limit: PAGE, ...(after ? { after } : {}) });
      for (const run of page) {
        const liveness = await runLiveness(client, run.runId);
        result.examined++;
        if (liveness.state === 'gone' || (liveness.state === 'closed' && liveness.closedAt.getTime() < cutoff)) {
          await eraseRun(deps, run.runId, { by: 'retention', reason: 'retention' });
          result.erased++;
        } else result.kept++;
        after = run.runId;
        heartbeat(after);
      }
      if (page.length < PAGE) return result;
    }
  };
}

async function retentionPeriod(
  client: Client,
  configured: number | undefined,
): Promise<{ days: number; source: RetentionSweepResult['source'] }> {
  if (configured !== undefined) return { days: configured, source: 'BOSUN_RETENTION_DAYS' };
  const days = await namespaceRetentionDays(client, client.options.namespace);
  if (days === undefined)
    throw ApplicationFailure.create({
      type: 'invalid_input',
      nonRetryable: true,
      message: `namespace ${client.options.namespace} reports no retention period: set BOSUN_RETENTION_DAYS`,
    });
  return { days, source: 'namespace' };
}

function heartbeatCursor(): string | undefined {
  try {
    const details = Context.current().info.heartbeatDetails as { after?: unknown } | undefined;
    return typeof details?.after === 'string' ? details.after : undefined;
  } catch {
    return undefined;
  }
}

function heartbeat(after: string): void {
  try {
    Context.current().heartbeat({ after });
  } catch {
    // Called outside an activity (direct use in tests): nothing to report to.
  }
}
