/**
 * Provider-neutral script items for the fake provider servers. A test describes what the
 * "model" should answer once; each fake renders it in its own wire format, so the same
 * script can drive the OpenAI and the Anthropic adapter.
 */

/** `input` is the whole prompt, `cached` the part of it served from the prompt cache
 * (same meaning as `Usage.cachedInput` in core/usage.ts). The Anthropic fake therefore
 * reports `input_tokens = input - cached`, since Anthropic counts cache reads separately. */
export type FakeUsage = { input: number; output: number; cached?: number };

export type FakeReply =
  | { kind: 'text'; text: string; usage?: FakeUsage; stop?: 'end' | 'length' }
  | { kind: 'tool_calls'; calls: { id?: string; name: string; args: unknown }[]; text?: string; usage?: FakeUsage }
  | { kind: 'error'; status: number; headers?: Record<string, string>; errorType?: string; code?: string; message?: string }
  | { kind: 'malformed' } // 200 + content-type json + a body that is not valid JSON
  | { kind: 'drop' } // destroy the socket without any response (connection reset)
  | { kind: 'delay'; ms: number; then: FakeReply };

export type FakeTextReply = Extract<FakeReply, { kind: 'text' }>;
export type FakeToolCallsReply = Extract<FakeReply, { kind: 'tool_calls' }>;
export type FakeErrorReply = Extract<FakeReply, { kind: 'error' }>;

/** Usage to report when the script gave none: a rough ~4 chars/token estimate, so tests
 * that sum usage see plausible, non-zero, deterministic numbers. */
export function usageOf(reply: FakeTextReply | FakeToolCallsReply, requestBodyChars: number): FakeUsage {
  if (reply.usage) return reply.usage;
  const output = reply.kind === 'text' ? Math.ceil(reply.text.length / 4) : 10;
  return { input: Math.ceil(requestBodyChars / 4), output };
}
