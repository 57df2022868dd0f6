/** Anthropic Messages rendering for the fake server (shapes from @anthropic-ai/sdk v1 `Message`
 * and, streamed, `RawMessageStreamEvent`). */
import {
  requestedModel,
  startFakeServer,
  type Dialect,
  type FakeProviderServer,
  type FakeServerOptions,
  type RenderContext,
  type StreamSizes,
} from './fake-server.ts';
import type { FakeStop, FakeTextReply, FakeToolCallsReply, FakeUsage } from './script.ts';
import { pieces, type FakeSseEvent } from './sse-stream.ts';

/** Error `type` per status as api.anthropic.com sends it; the SDK exposes it as `err.type`. */
const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  408: 'timeout_error',
  409: 'conflict_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

const DEFAULT_MESSAGES: Record<string, string> = {
  authentication_error: 'invalid x-api-key',
  rate_limit_error: 'Number of requests has exceeded your rate limit.',
  overloaded_error: 'Overloaded',
  api_error: 'Internal server error',
};

/** Anthropic has no separate content-filter stop: a policy block is a `refusal`. */
const STOP_REASONS: Record<FakeStop, string> = {
  end: 'end_turn',
  length: 'max_tokens',
  refusal: 'refusal',
  content_filter: 'refusal',
  context_window: 'model_context_window_exceeded',
  pause: 'pause_turn',
};

const anthropic: Dialect = {
  provider: 'anthropic',
  basePath: '',
  paths: ['/v1/messages'],
  requestIdHeader: 'request-id',
  toolCallIdPrefix: 'toolu_',
  renderReply(reply, usage, ctx) {
    const text = reply.kind === 'text' || reply.text ? [{ type: 'text', text: reply.text ?? '', citations: null }] : [];
    const toolUses =
      reply.kind === 'tool_calls'
        ? reply.calls.map((c) => ({
            type: 'tool_use',
            id: c.id ?? ctx.toolCallId(),
            name: c.name,
            input: c.args ?? {},
            caller: { type: 'direct' },
          }))
        : [];
    return {
      ...messageHead(ctx),
      content: [...text, ...toolUses],
      stop_reason: stopReasonOf(reply),
      usage: usageBody(usage, usage.output),
    };
  },
  renderStream: renderEvents,
  renderStreamError(fault, ctx) {
    const type = fault.errorType ?? 'overloaded_error';
    const error = { type, message: fault.message ?? DEFAULT_MESSAGES[type] ?? type };
    return { event: 'error', data: JSON.stringify({ type: 'error', error, request_id: ctx.requestId }), role: 'final' };
  },
  renderError(e, ctx) {
    const type = e.errorType ?? ERROR_TYPES[e.status] ?? (e.status >= 500 ? 'api_error' : 'invalid_request_error');
    const error = {
      type,
      message: e.message ?? DEFAULT_MESSAGES[type] ?? `${type} (${e.status})`,
      // The SDK maps `details.error_code` to its specific error subclasses.
      ...(e.code !== undefined && { details: { error_code: e.code } }),
    };
    return { type: 'error', error, request_id: ctx.requestId };
  },
};

function stopReasonOf(reply: FakeTextReply | FakeToolCallsReply): string {
  return reply.kind === 'tool_calls' ? 'tool_use' : STOP_REASONS[reply.stop ?? 'end'];
}

function messageHead(ctx: RenderContext) {
  return {
    id: `msg_fake${ctx.seq}`,
    type: 'message',
    role: 'assistant',
    model: requestedModel(ctx.body) ?? 'fake-model',
    stop_sequence: null,
    stop_details: null,
    container: null,
    diagnostics: null,
  };
}

function usageBody(usage: FakeUsage, output: number) {
  const cached = usage.cached ?? 0;
  const cacheWrite = usage.cacheWrite ?? 0;
  return {
    // Anthropic counts cache reads and writes outside input_tokens; FakeUsage.input includes them.
    input_tokens: Math.max(0, usage.input - cached - cacheWrite),
    output_tokens: output,
    cache_read_input_tokens: cached,
    cache_creation_input_tokens: cacheWrite,
    cache_creation: { ephemeral_5m_input_tokens: cacheWrite, ephemeral_1h_input_tokens: 0 },
    server_tool_use: null,
    service_tier: 'standard',
    inference_geo: null,
    output_tokens_details: null,
    speed: null,
  };
}

/**
 * The answer as Anthropic streams it: `message_start` (the prompt's usage, one output token
 * so far), a `ping`, per content block a `content_block_start`, its `content_block_delta`s
 * (`text_delta`, or `input_json_delta` pieces of a tool's input) and a `content_block_stop`,
 * then `message_delta` (stop reason, the final output count) and `message_stop`.
 */
function renderEvents(
  reply: FakeTextReply | FakeToolCallsReply,
  usage: FakeUsage,
  ctx: RenderContext,
  sizes: StreamSizes,
): FakeSseEvent[] {
  const ev = (event: string, body: Record<string, unknown>, role: FakeSseEvent['role'] = 'frame'): FakeSseEvent => ({
    event,
    data: JSON.stringify({ type: event, ...body }),
    role,
  });
  const start = { ...messageHead(ctx), content: [], stop_reason: null, usage: usageBody(usage, 1) };
  const events: FakeSseEvent[] = [ev('message_start', { message: start }), ev('ping', {})];
  let index = 0;
  if (reply.kind === 'text' || reply.text) {
    events.push(ev('content_block_start', { index, content_block: { type: 'text', text: '', citations: null } }));
    for (const text of pieces(reply.text ?? '', sizes.chunkChars)) {
      events.push(ev('content_block_delta', { index, delta: { type: 'text_delta', text } }, 'chunk'));
    }
    events.push(ev('content_block_stop', { index }));
    index += 1;
  }
  if (reply.kind === 'tool_calls') {
    for (const c of reply.calls) {
      const block = {
        type: 'tool_use',
        id: c.id ?? ctx.toolCallId(),
        name: c.name,
        input: {},
        caller: { type: 'direct' },
      };
      events.push(ev('content_block_start', { index, content_block: block }));
      for (const partial_json of pieces(c.rawArgs ?? JSON.stringify(c.args ?? {}), sizes.argChunkChars)) {
        events.push(ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } }, 'chunk'));
      }
      events.push(ev('content_block_stop', { index }));
      index += 1;
    }
  }
  const delta = { stop_reason: stopReasonOf(reply), stop_sequence: null, stop_details: null, container: null };
  events.push(ev('message_delta', { delta, usage: { output_tokens: usage.output } }, 'final'));
  events.push(ev('message_stop', {}, 'final'));
  return events;
}

/** baseURL is `http://127.0.0.1:PORT` (the SDK appends `/v1/messages`). */
export function startFakeAnthropic(opts?: FakeServerOptions): Promise<FakeProviderServer> {
  return startFakeServer(anthropic, opts);
}
