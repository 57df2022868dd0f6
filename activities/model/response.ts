import type { ToolCall } from '../../core/messages.ts';
import type { ModelRequest, ModelResponse, ProviderId, StopReason } from '../../core/model.ts';
import { zeroUsage, type Usage } from '../../core/usage.ts';
import { toProviderFailure, type ProviderErrorReader } from './provider-errors.ts';
import type { HeaderSource } from './retry-after.ts';
import type { CallOptions } from './types.ts';

/**
 * Sends one provider request, times it, and reads the answer into the canonical response.
 * Errors — from the request or from reading an unusable answer — become the provider failure
 * taxonomy (`readError` is the provider's reader of its SDK's errors), except the caller's
 * own abort, rethrown as is so Temporal sees the activity's cancellation. Adapters of your
 * own can use it too.
 */
export async function callProvider<T>(
  provider: ProviderId,
  opts: CallOptions,
  send: () => Promise<T>,
  read: (result: T, latencyMs: number) => ModelResponse,
  readError?: ProviderErrorReader,
): Promise<ModelResponse> {
  const started = performance.now();
  let result: T;
  try {
    result = await send();
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? err;
    tellHeaders(opts, (err as { headers?: unknown } | null)?.headers);
    throw toProviderFailure(err, provider, readError);
  }
  tellHeaders(opts, (result as { response?: { headers?: unknown } } | null)?.response?.headers);
  try {
    return read(result, Math.max(0, Math.round(performance.now() - started)));
  } catch (err) {
    throw toProviderFailure(err, provider, readError);
  }
}

/** Hands the response headers (an SDK's `withResponse().response.headers`, or an HTTP error's
 * `headers`) to `opts.onHeaders`; a throwing listener never fails the call. */
export function tellHeaders(opts: CallOptions, headers: unknown): void {
  if (!opts.onHeaders || typeof (headers as { get?: unknown } | null)?.get !== 'function') return;
  try {
    opts.onHeaders(headers as HeaderSource);
  } catch {
    // Pacing is advice; the answer matters more.
  }
}

/** The canonical response every adapter builds once they have read the provider's body. */
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
