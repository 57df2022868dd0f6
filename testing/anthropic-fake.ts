/** Anthropic Messages rendering for the fake server (shapes from @anthropic-ai/sdk v1 `Message`). */
import {
  requestedModel,
  startFakeServer,
  type Dialect,
  type FakeProviderServer,
  type FakeServerOptions,
} from './fake-server.ts';
import type { FakeStop } from './script.ts';

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
    const stop_reason = reply.kind === 'tool_calls' ? 'tool_use' : STOP_REASONS[reply.stop ?? 'end'];
    const cached = usage.cached ?? 0;
    const cacheWrite = usage.cacheWrite ?? 0;
    return {
      id: `msg_fake${ctx.seq}`,
      type: 'message',
      role: 'assistant',
      model: requestedModel(ctx.body) ?? 'fake-model',
      content: [...text, ...toolUses],
      stop_reason,
      stop_sequence: null,
      stop_details: null,
      container: null,
      diagnostics: null,
      usage: {
        // Anthropic counts cache reads and writes outside input_tokens; FakeUsage.input includes them.
        input_tokens: Math.max(0, usage.input - cached - cacheWrite),
        output_tokens: usage.output,
        cache_read_input_tokens: cached,
        cache_creation_input_tokens: cacheWrite,
        cache_creation: { ephemeral_5m_input_tokens: cacheWrite, ephemeral_1h_input_tokens: 0 },
        server_tool_use: null,
        service_tier: 'standard',
        inference_geo: null,
        output_tokens_details: null,
        speed: null,
      },
    };
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

/** baseURL is `http://127.0.0.1:PORT` (the SDK appends `/v1/messages`). */
export function startFakeAnthropic(opts?: FakeServerOptions): Promise<FakeProviderServer> {
  return startFakeServer(anthropic, opts);
}
