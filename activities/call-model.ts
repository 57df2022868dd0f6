import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { CallModelInput } from '../core/activity-contracts.ts';
import { describeModel, type ModelResponse, type ProviderName } from '../core/model.ts';
import type { ModelAdapter } from './model/types.ts';
import { toProviderFailure } from './model/provider-errors.ts';

export type ModelAdapters = Partial<Record<ProviderName, ModelAdapter>>;

/**
 * One model call = one activity attempt = one provider request. The SDK does not retry
 * (`maxRetries: 0`); Temporal does, using the failure type and `nextRetryDelay` that
 * `toProviderFailure` derives from the provider's answer. The call heartbeats while it
 * waits so a dead worker is noticed within the heartbeat timeout, not the call timeout.
 */
export function createCallModel(adapters: ModelAdapters) {
  return async function callModel(input: CallModelInput): Promise<ModelResponse> {
    const { request, runId, step } = input;
    const adapter = adapters[request.model.provider];
    if (!adapter) {
      throw ApplicationFailure.create({
        type: 'auth',
        nonRetryable: true,
        message: `provider ${request.model.provider} is not configured on this worker (no API key or base URL)`,
      });
    }
    const ctx = Context.current();
    const beat = setInterval(() => ctx.heartbeat({ step }), Math.max(200, Math.floor(heartbeatEvery(ctx))));
    try {
      const response = await adapter.call(request, { signal: ctx.cancellationSignal, timeoutMs: input.timeoutMs });
      log.info('model call', {
        runId,
        step,
        model: describeModel(request.model),
        attempt: ctx.info.attempt,
        inputTokens: response.usage.input,
        outputTokens: response.usage.output,
        latencyMs: response.latencyMs,
        stop: response.stop,
      });
      return response;
    } catch (err) {
      const failure = err instanceof ApplicationFailure ? err : toProviderFailure(err, request.model.provider);
      log.warn('model call failed', { runId, step, model: describeModel(request.model), attempt: ctx.info.attempt, type: failure.type });
      throw failure;
    } finally {
      clearInterval(beat);
    }
  };
}

function heartbeatEvery(ctx: Context): number {
  const timeout = ctx.info.heartbeatTimeoutMs;
  return timeout ? timeout / 3 : 5_000;
}
