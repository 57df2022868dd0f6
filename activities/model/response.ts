import type { ToolCall } from '../../core/messages.ts';
import type { ModelRequest, ModelResponse, ProviderName, StopReason } from '../../core/model.ts';
import { zeroUsage, type Usage } from '../../core/usage.ts';
import { toProviderFailure } from './provider-errors.ts';
import type { CallOptions } from './types.ts';

/**
 * Sends one provider request, times it, and reads the answer into the canonical response.
 * Errors — from the request or from reading an unusable answer — become the provider failure
 * taxonomy, except the caller's own abort, rethrown as is so Temporal sees the activity's
 * cancellation.
 */
export async function callProvider<T>(
  provider: ProviderName,
  opts: CallOptions,
  send: () => Promise<T>,
  read: (result: T, latencyMs: number) => ModelResponse,
): Promise<ModelResponse> {
  const started = performance.now();
  try {
    const result = await send();
    return read(result, Math.max(0, Math.round(performance.now() - started)));
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? err;
    throw toProviderFailure(err, provider);
  }
}

/** The canonical response both adapters build once they have read the provider's body. */
export function assistantResponse(r: {
  req: ModelRequest;
  text: string;
  toolCalls: ToolCall[];
  stop: StopReason;
  usage: Usage | undefined;
  reportedModel: unknown;
  requestId: string | null | undefined;
  latencyMs: number;
}): ModelResponse {
  return {
    message: { role: 'assistant', text: r.text, toolCalls: r.toolCalls },
    // Some servers report a plain stop although the turn asks for tools.
    stop: r.stop === 'end' && r.toolCalls.length > 0 ? 'tool_calls' : r.stop,
    usage: r.usage ?? { ...zeroUsage },
    modelVersion: typeof r.reportedModel === 'string' && r.reportedModel ? r.reportedModel : r.req.model.name,
    ...(r.requestId ? { requestId: r.requestId } : {}),
    latencyMs: r.latencyMs,
  };
}

/** A token count from an untrusted body: a finite non-negative number, or undefined. */
export function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
}
