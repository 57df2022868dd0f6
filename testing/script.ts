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
 * always an object, so its fake ignores `rawArgs` and sends `args ?? {}`. */
export type FakeToolCall = { id?: string; name: string; args?: unknown; rawArgs?: string };

/** `headers` on an answer are sent with it, e.g. a provider's rate-limit headers
 * (`x-ratelimit-remaining-requests: 0`) on a success. */
export type FakeReply =
  | { kind: 'text'; text: string; usage?: FakeUsage; stop?: FakeStop; headers?: Record<string, string> }
  | { kind: 'tool_calls'; calls: FakeToolCall[]; text?: string; usage?: FakeUsage; headers?: Record<string, string> }
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
  | { kind: 'malformed' } // 200 + content-type json + a body that is not valid JSON
  | { kind: 'drop' } // destroy the socket without any response (connection reset)
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
