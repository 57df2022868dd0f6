/**
 * One streamed provider call, the streaming sibling of `callProvider`: sends the request,
 * hands the response headers on, lets the adapter read the events into the canonical
 * response, and types every way it can fail — before the stream exactly as `callProvider`
 * does, and inside it as well (an error event, a lost connection, a stream cut short, the
 * attempt's time running out). The partial answer of a failed stream is never returned.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ModelDelta, ModelResponse, ProviderId } from '../../core/model.ts';
import {
  hasNetworkCause,
  hasTimeoutCause,
  InvalidProviderResponseError,
  ProviderStreamError,
  toProviderFailure,
  typeForStreamError,
  type ProviderErrorReader,
} from './provider-errors.ts';
import type { HeaderSource } from './retry-after.ts';
import { tellHeaders } from './response.ts';
import type { CallOptions } from './types.ts';

/** A stream the provider's SDK opened: its parsed events, and the HTTP response they come
 * from (headers; a body that is JSON after all when a server ignores `stream: true`). */
export interface OpenedStream<E> {
  events: AsyncIterable<E>;
  response: { headers: HeaderSource & { get(name: string): string | null }; text(): Promise<string> };
  requestId?: string | null;
}

/** What the adapter's reader is given: `emit` passes a delta on to `opts.onDelta` (never
 * throwing), `elapsedMs` is the time since the request was sent. */
export interface StreamReadContext {
  emit(delta: ModelDelta): void;
  elapsedMs(): number;
  requestId: string | undefined;
}

/** An error event inside a stream, as the provider's SDK threw it: its error type and code. */
export type StreamErrorEvent = { errorType?: string; code?: string };

/**
 * @param open sends the request with `signal` (the caller's, plus the attempt's deadline)
 * @param read consumes the events into the canonical response; throws
 *   `ProviderStreamError` when the stream ends before its final event,
 *   `InvalidProviderResponseError` when the complete answer is unusable
 * @param readEventError recognises an error event the SDK threw from inside the stream
 */
export async function callStreaming<E>(
  provider: ProviderId,
  opts: CallOptions,
  open: (signal: AbortSignal) => Promise<OpenedStream<E>>,
  read: (opened: OpenedStream<E>, ctx: StreamReadContext) => Promise<ModelResponse>,
  readError: ProviderErrorReader | undefined,
  readEventError: (err: unknown) => StreamErrorEvent | undefined,
): Promise<ModelResponse> {
  const started = performance.now();
  // The SDK's own timeout stops at the response headers; this one covers the whole stream.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline.signal]) : deadline.signal;
  // Worded as the SDK's own timeout before the headers, so both read the same.
  const timedOut = (midStream: boolean) =>
    toProviderFailure(
      new ProviderStreamError('timeout', midStream ? 'request timed out mid-stream' : 'request timed out'),
      provider,
      readError,
    );
  try {
    let opened: OpenedStream<E>;
    try {
      opened = await open(signal);
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? err;
      if (deadline.signal.aborted) throw timedOut(false);
      tellHeaders(opts, (err as { headers?: unknown } | null)?.headers);
      throw toProviderFailure(err, provider, readError);
    }
    tellHeaders(opts, opened.response.headers);
    const requestId = opened.requestId ?? undefined;
    const ctx: StreamReadContext = {
      emit: (delta) => emitSafely(opts, delta),
      elapsedMs: () => Math.max(0, Math.round(performance.now() - started)),
      requestId,
    };
    try {
      return await read(opened, ctx);
    } catch (err) {
      // The SDK ends an aborted stream quietly, so the reader sees a stream cut short;
      // what cut it decides the failure.
      if (opts.signal?.aborted) throw opts.signal.reason ?? err;
      if (deadline.signal.aborted) throw timedOut(true);
      throw toProviderFailure(midStream(err, readEventError, requestId), provider, readError);
    }
  } finally {
    clearTimeout(timer);
  }
}

/** An error thrown while the events were read, as the taxonomy should see it. */
function midStream(
  err: unknown,
  readEventError: (err: unknown) => StreamErrorEvent | undefined,
  requestId: string | undefined,
): unknown {
  if (
    err instanceof ApplicationFailure ||
    err instanceof ProviderStreamError ||
    err instanceof InvalidProviderResponseError
  ) {
    return err;
  }
  const event = readEventError(err);
  if (event) {
    const code = event.errorType ?? event.code;
    return new ProviderStreamError(typeForStreamError(event.errorType, event.code), 'error event in the stream', {
      ...(code !== undefined ? { code } : {}),
      requestId,
    });
  }
  if (hasTimeoutCause(err)) {
    return new ProviderStreamError('timeout', 'request timed out mid-stream', {
      code: 'stream_interrupted',
      requestId,
    });
  }
  if (hasNetworkCause(err) || isTerminated(err)) {
    return new ProviderStreamError('provider_unavailable', 'connection lost mid-stream', {
      code: 'stream_interrupted',
      requestId,
    });
  }
  if (err instanceof SyntaxError) {
    return new ProviderStreamError('invalid_response', 'invalid response: a stream event is not valid JSON', {
      requestId,
    });
  }
  return err;
}

/** undici's error for a response body whose connection closed under it. */
function isTerminated(err: unknown): boolean {
  return err instanceof TypeError && err.message === 'terminated';
}

function emitSafely(opts: CallOptions, delta: ModelDelta): void {
  if (!opts.onDelta) return;
  try {
    opts.onDelta(delta);
  } catch {
    // Deltas only show progress; the answer matters more.
  }
}

/** Whether the response is a whole JSON answer rather than events (a server that ignored
 * `stream: true`). */
export function isJsonBody(opened: OpenedStream<unknown>): boolean {
  const type = opened.response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type.includes('application/json') || type.endsWith('+json');
}

/** Passes a whole answer on as deltas (its text, then each tool call), for a server that
 * answered a stream request with one JSON body. */
export function emitAnswer(answer: ModelResponse, emit: (delta: ModelDelta) => void): void {
  if (answer.message.text) emit({ kind: 'text', text: answer.message.text });
  answer.message.toolCalls.forEach((c, index) =>
    emit({
      kind: 'tool-call',
      index,
      id: c.id,
      name: c.name,
      args: typeof c.input === 'string' ? c.input : JSON.stringify(c.input ?? {}),
    }),
  );
}
