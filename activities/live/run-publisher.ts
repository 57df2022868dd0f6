import { log, type Context } from '@temporalio/activity';
import type { CallModelInput } from '../../core/activity-contracts.ts';
import { PUBLISH_DELTAS_SIGNAL, type PublishDeltasInput } from '../../core/run-events.ts';
import { createDeltaPublisher, type DeltaPacing } from './delta-publisher.ts';

/**
 * The publisher of a `callModel` attempt that was asked to stream (`input.live`): batches
 * go to the run that scheduled it (this execution, not a later one of its chain) as
 * `publishDeltas` signals, through the worker's own client. Without a client (a mock
 * activity environment) nothing is published.
 */
export function runPublisher(input: CallModelInput, ctx: Context, pacing?: DeltaPacing) {
  if (!input.live) return undefined;
  let client;
  try {
    client = ctx.client;
  } catch {
    return undefined;
  }
  const { info } = ctx;
  const run = info.workflowExecution;
  if (!run) return undefined;
  const handle = client.workflow.getHandle(run.workflowId, run.runId);
  return createDeltaPublisher({
    call: input.live.call,
    attempt: info.attempt,
    ...(pacing ? { pacing } : {}),
    send: (batch) => handle.signal<[PublishDeltasInput]>(PUBLISH_DELTAS_SIGNAL, batch),
    onError: (err) =>
      log.debug('live deltas not published', { step: input.step, error: (err as Error)?.message ?? String(err) }),
  });
}
