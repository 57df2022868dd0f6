import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { RUN_OPEN_FAILURE, RUN_UNKNOWN_FAILURE, type Erasure, type ReadErasuresInput } from '../core/erasure.ts';
import { workflowNames } from '../workflows/definitions.ts';
import { NoWorkerAnsweredError } from './mcp-inventory.ts';
import { isEncryptedPayloadError } from './encrypted-payload.ts';

/** `forget` refused: the run is still open (only a closed run's content is erased). */
export class RunStillOpenError extends Error {
  readonly runId: string;
  constructor(runId: string, message: string) {
    super(message);
    this.name = 'RunStillOpenError';
    this.runId = runId;
  }
}

/**
 * Erases a closed run's stored content — conversation, summaries, content kept by
 * reference, trace records, blobs — through a worker of `taskQueue` (the one with the run
 * store; `forgetRun` workflow), which logs the erasure (`readErasureLog`). Throws
 * `RunStillOpenError` for an open run, `NoWorkerAnsweredError` when no worker answers.
 */
export async function forgetStoredRun(
  client: Client,
  taskQueue: string,
  input: { runId: string; by: string },
  timeoutMs = 60_000,
): Promise<Erasure> {
  try {
    return (await client.workflow.execute(workflowNames.forgetRun, {
      taskQueue,
      workflowId: `bosun-forget-${input.runId}-${randomUUID()}`,
      workflowExecutionTimeout: timeoutMs,
      args: [input],
    })) as Erasure;
  } catch (err) {
    throw translate(err, taskQueue, timeoutMs, input.runId);
  }
}

/** `forget` named a run Temporal does not know (a typo, or one past the namespace's
 * retention, which the retention sweep erases). Nothing was erased or logged. */
export class RunNotKnownError extends Error {
  readonly runId: string;
  constructor(runId: string, message: string) {
    super(message);
    this.name = 'RunNotKnownError';
    this.runId = runId;
  }
}

/** The store's erasure log, newest first (all runs', or one run's). */
export async function readErasureLog(
  client: Client,
  taskQueue: string,
  input: ReadErasuresInput = {},
  timeoutMs = 30_000,
): Promise<Erasure[]> {
  try {
    return (await client.workflow.execute(workflowNames.erasureLog, {
      taskQueue,
      workflowId: `bosun-erasures-${randomUUID()}`,
      workflowExecutionTimeout: timeoutMs,
      args: [input],
    })) as Erasure[];
  } catch (err) {
    throw translate(err, taskQueue, timeoutMs);
  }
}

/** The workers encrypt payloads and this client has no keys: the worker did the work, but
 * its answer (the erasure, the log) is ciphertext here. */
export class ErasureResultEncryptedError extends Error {
  constructor(what: string) {
    super(
      `${what} ran on a worker, but its answer is encrypted by the workers' payload codec and this client has no keys: read the erasure log with bosun.erasures() from a client built with the workers' data converter (dataConverterFromConfig)`,
    );
    this.name = 'ErasureResultEncryptedError';
  }
}

function translate(err: unknown, taskQueue: string, timeoutMs: number, runId?: string): unknown {
  if (isEncryptedPayloadError(err))
    return new ErasureResultEncryptedError(runId ? `forget ${runId}` : 'reading the erasure log');
  if (!(err instanceof WorkflowFailedError)) return err;
  const cause = err.cause as { name?: string; cause?: unknown } | undefined;
  if (cause?.name === 'TimeoutFailure') return new NoWorkerAnsweredError(taskQueue, timeoutMs);
  // The activity's failure is the cause of the workflow's ActivityFailure.
  const app = cause?.cause;
  if (runId && app instanceof ApplicationFailure && app.type === RUN_UNKNOWN_FAILURE)
    return new RunNotKnownError(runId, app.message);
  if (runId && app instanceof ApplicationFailure && app.type === RUN_OPEN_FAILURE)
    return new RunStillOpenError(
      runId,
      `run ${runId} is still open: only a closed run's content is erased (cancel it first, or wait for it to end)`,
    );
  return err;
}
