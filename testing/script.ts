/**
 * Provider-neutral script items for the fake provider servers. A test describes what the
 * "model" should answer once; each fake renders it in its own wire format, so the same
 * script can drive the OpenAI and the Anthropic adapter.
 */

/** `input` is the whole prompt; `cached` the part of it served from the prompt cache and
 * `cacheWrite` the part written to it (same meaning as `Usage.cachedInput` / `cacheWrite`
 * in core/usage.ts). The Anthropic fake therefore reports
 * `input_tokens = input - cached - cacheWrite`, since Anthropic counts cache reads and
 * writes separately; the OpenAI fake has no cache-write field and ignores `cacheWrite`. */
export type FakeUsage = { input: number; output: number; cached?: number; cacheWrite?: number };

/**
 * Why a text reply stopped, rendered per provider:
 *
 * | stop             | OpenAI `finish_reason`                          | Anthropic `stop_reason`           |
 * |------------------|-------------------------------------------------|-----------------------------------|
 * | `end` (default)  | `stop`                                          | `end_turn`                        |
 * | `length`         | `length`                                        | `max_tokens`                      |
 * | `refusal`        | `stop`, text in `message.refusal`, content null | `refusal`                         |
 * | `content_filter` | `content_filter`                                | `refusal` (Anthropic has no other)|
 * | `context_window` | `length` (OpenAI has no such reason)            | `model_context_window_exceeded`   |
 * | `pause`          | `stop` (OpenAI has no such reason)              | `pause_turn`                      |
 */
export type FakeStop = 'end' | 'length' | 'refusal' | 'content_filter' | 'context_window' | 'pause';

/** One tool call. `rawArgs` (OpenAI only) is sent verbatim as `function.arguments`, e.g. to
 * simulate a model that emits arguments that are not valid JSON; Anthropic's `input` is
 * always an object, so its fake ignores `rawArgs` and sends `args ?? {}` (when streaming,
 * Anthropic's `input_json_delta` pieces do carry `rawArgs` verbatim, as a model may write
 * them). */
export type FakeToolCall = { id?: string; name: string; args?: unknown; rawArgs?: string };

/**
 * How an answer streams when the request asks for it (`stream: true`); a request without it
 * gets the whole answer at once and ignores all of this. Text is cut into deltas of
 * `chunkChars` characters, each tool call's arguments into pieces of `argChunkChars`; every
 * such delta or piece is one "chunk" (the framing events around them — OpenAI's role and
 * finish chunks, Anthropic's block starts and stops — are not counted).
 *
 * @example
 * // ~10 deltas, the first after 200 ms, then one every 50 ms
 * { kind: 'text', text: 'x'.repeat(80), stream: { firstChunkDelayMs: 200, chunkDelayMs: 50 } }
 * // two deltas, then the provider's overloaded error event instead of the rest
 * { kind: 'text', text: 'a long answer', stream: { chunkChars: 4, fault: { kind: 'error', afterChunks: 2 } } }
 */
export type FakeStreamOptions = {
  /** Characters per text delta. Default 8, or more for a text over 2,048 characters, which
   * then comes in 256 deltas (so a multi-megabyte answer is not a million events). */
  chunkChars?: number;
  /** Characters per piece of a tool call's arguments. Default as `chunkChars`. */
  argChunkChars?: number;
  /** Wait after the response headers, before the first event (time to first token). Default 0. */
  firstChunkDelayMs?: number;
  /** Wait before each chunk after the first one. Default 0. */
  chunkDelayMs?: number;
  /** A failure in the middle of the stream, after the headers and a 200. */
  fault?: FakeStreamFault;
};

/**
 * A mid-stream failure, once `afterChunks` chunks (see `FakeStreamOptions`) were sent; an
 * `afterChunks` at or beyond the answer's chunk count fails after all of them, just before
 * the final events.
 * - `error`: the provider's error event, then the stream ends. OpenAI: a data chunk
 *   `{ error: { type, code, message } }` (default type `server_error`); Anthropic:
 *   `event: error` with `{ type: 'error', error: { type, message } }` (default type
 *   `overloaded_error`; `api_error`, `rate_limit_error`, ... as the API sends them).
 * - `reset`: the socket is destroyed (a connection reset).
 * - `cut`: the response ends cleanly without its final events (OpenAI: no finish chunk, no
 *   usage chunk, no `[DONE]`; Anthropic: no `message_delta`, no `message_stop`).
 */
export type FakeStreamFault =
  | { kind: 'error'; afterChunks: number; errorType?: string; code?: string; message?: string }
  | { kind: 'reset'; afterChunks: number }
  | { kind: 'cut'; afterChunks: number };

/** `headers` on an answer are sent with it, e.g. a provider's rate-limit headers
 * (`x-ratelimit-remaining-requests: 0`) on a success. `stream` sets how it streams when the
 * request asks for a stream (pace, chunk sizes, a mid-stream fault). */
export type FakeReply =
  | {
      kind: 'text';
      text: string;
      usage?: FakeUsage;
      stop?: FakeStop;
      headers?: Record<string, string>;
      stream?: FakeStreamOptions;
    }
  | {
      kind: 'tool_calls';
      calls: FakeToolCall[];
      text?: string;
      usage?: FakeUsage;
      headers?: Record<string, string>;
      stream?: FakeStreamOptions;
    }
  | {
      kind: 'error';
      status: number;
      headers?: Record<string, string>;
      errorType?: string;
      code?: string;
      message?: string;
    }
  /** Sends exactly `JSON.stringify(body)` with this status (e.g. a 200 with usage but no
   * choices). The request-id header is added unless `headers` sets it. */
  | { kind: 'raw'; status: number; body: unknown; headers?: Record<string, string> }
  /** 200 + content-type json + a body that is not valid JSON (a streaming request gets it too). */
  | { kind: 'malformed' }
  /** Destroys the socket without any response (connection reset before the stream). */
  | { kind: 'drop' }
  /** Waits `ms` before answering `then` (before the headers, streaming or not). */
  | { kind: 'delay'; ms: number; then: FakeReply };

export type FakeTextReply = Extract<FakeReply, { kind: 'text' }>;
export type FakeToolCallsReply = Extract<FakeReply, { kind: 'tool_calls' }>;
export type FakeErrorReply = Extract<FakeReply, { kind: 'error' }>;
export type FakeRawReply = Extract<FakeReply, { kind: 'raw' }>;

/** Usage to report when the script gave none: a rough ~4 chars/token estimate, so tests
 * that sum usage see plausible, non-zero, deterministic numbers. */
export function usageOf(reply: FakeTextReply | FakeToolCallsReply, requestBodyChars: number): FakeUsage {
  if (reply.usage) return reply.usage;
  const output = reply.kind === 'text' ? Math.ceil(reply.text.length / 4) : 10;
  return { input: Math.ceil(requestBodyChars / 4), output };
}
