import { ServiceError, WorkflowFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { CancelledFailure, TerminatedFailure, TimeoutFailure, WorkflowNotFoundError } from '@temporalio/common';
import { DecisionRejectedError, RunAlreadyExistsError, type RunInputError } from '../errors.ts';
import { firstLine } from './format.ts';
import { formatIssue } from '../../core/zod-issues.ts';
import { isEncryptedPayloadError } from '../encrypted-payload.ts';

const grpcDeadlineExceeded = 4;

/** One line for an error after connecting, saying what happened to which run. */
export function describeError(err: unknown, runId: string, namespace: string): string {
  if (err instanceof DecisionRejectedError) return err.message;
  if (isEncryptedPayloadError(err))
    return `run ${runId}'s payloads are encrypted by the workers' payload codec and this CLI has no keys: read it with a client built with the same keys (createBosunClient with the codec's data converter, or the HTTP API), or through the codec server in the Temporal UI`;
  if (err instanceof RunAlreadyExistsError)
    return `${err.message}; read it with "status ${err.runId}" or pick another --run-id`;
  if (err instanceof WorkflowNotFoundError) {
    // Updates, signals and cancellations of a finished run get NOT_FOUND too.
    if (/already completed/i.test(err.message))
      return `run ${runId} has already ended; read its outcome with "result ${runId}"`;
    return `no run with id "${runId}" in namespace ${namespace}`;
  }
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return `run ${runId} did not take the decision in time (no worker answered for this run: is one running?)`;
  }
  if (err instanceof WorkflowFailedError) {
    const how =
      err.cause instanceof TerminatedFailure
        ? 'was terminated'
        : err.cause instanceof CancelledFailure
          ? 'was cancelled'
          : err.cause instanceof TimeoutFailure
            ? 'timed out'
            : 'failed';
    const why = firstLine(err.cause ?? err);
    return `run ${runId} ${how}${why ? `: ${why}` : ''}`;
  }
  if (err instanceof ServiceError) {
    // The gRPC status is on the cause; its `details` is the server's own explanation.
    const cause = err.cause as { code?: unknown; details?: unknown } | undefined;
    const details = typeof cause?.details === 'string' && cause.details ? `: ${cause.details}` : '';
    const hint =
      cause?.code === grpcDeadlineExceeded && err.message.includes('query')
        ? ' (no worker answered for this run: is one running?)'
        : '';
    return `${firstLine(err)}${details}${hint}`;
  }
  return firstLine(err);
}

/** Invalid input, every issue on its own line under what was invalid. */
export const describeInputError = (err: RunInputError) =>
  [`error: invalid ${err.subject}`, ...err.issues.map((i) => `  ${formatIssue(i)}`)].join('\n');
