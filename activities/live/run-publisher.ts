import { log, type Context } from '@temporalio/activity';
import { encodeToPayloads } from '@temporalio/common/lib/internal-non-workflow/index.js';
import type { CallModelInput } from '../../core/activity-contracts.ts';
import { PUBLISH_DELTAS_SIGNAL, type PublishDeltasInput } from '../../core/run-events.ts';
import { createDeltaPublisher, type DeltaPacing } from './delta-publisher.ts';

/**
 * The publisher of a `callModel` attempt that was asked to stream (`input.live`): batches
 * go to the run that scheduled it (this execution, not a later one of its chain) as
 * `publishDeltas` signals, through the worker's own client. Without a client (a mock
 * activity environment) nothing is published.
 *
 * Each batch is a history event of the run, so it is sent with the service's own signal
 * call rather than the handle's: no request id (36 bytes an event; the workflow applies a
 * batch once by its `seq` anyway, so the server's dedup is not needed), no header (deltas
 * carry no trace context) and no identity (the worker's is on the activity's own events).
 * The payload goes through the client's data converter and codec like any other.
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
  const { loadedDataConverter } = client.options;
  const execution = { workflowId: run.workflowId, runId: run.runId };
  return createDeltaPublisher({
    call: input.live.call,
    attempt: info.attempt,
    ...(pacing ? { pacing } : {}),
    send: async (batch: PublishDeltasInput) => {
      await client.workflowService.signalWorkflowExecution({
        namespace: info.workflowNamespace,
        workflowExecution: execution,
        signalName: PUBLISH_DELTAS_SIGNAL,
        input: { payloads: await encodeToPayloads(loadedDataConverter, batch) },
      });
    },
    onError: (err) =>
      log.debug('live deltas not published', { step: input.step, error: (err as Error)?.message ?? String(err) }),
  });
}
