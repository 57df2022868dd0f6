/** OpenAI Chat Completions rendering for the fake server (shapes from openai v7 `ChatCompletion`
 * and, streamed, `ChatCompletionChunk`). */
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

type ErrorDefaults = { type: string; code: string | null; message: string };

/** What api.openai.com sends for each status, so code branching on `err.type`/`err.code` is exercised. */
const ERRORS: Record<number, ErrorDefaults> = {
  400: { type: 'invalid_request_error', code: null, message: 'Invalid request.' },
  401: { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided.' },
  403: { type: 'invalid_request_error', code: null, message: 'You have insufficient permissions for this operation.' },
  404: {
    type: 'invalid_request_error',
    code: 'model_not_found',
    message: 'The model does not exist or you do not have access to it.',
  },
  429: { type: 'requests', code: 'rate_limit_exceeded', message: 'Rate limit reached for requests.' },
  500: { type: 'server_error', code: null, message: 'The server had an error while processing your request.' },
  503: { type: 'server_error', code: null, message: 'The engine is currently overloaded, please try again later.' },
};

/** OpenAI has no context-window or pause stop: the nearest it sends are `length` and `stop`. */
const FINISH_REASONS: Record<FakeStop, string> = {
  end: 'stop',
  length: 'length',
  refusal: 'stop',
  content_filter: 'content_filter',
  context_window: 'length',
  pause: 'stop',
};

const openai: Dialect = {
  provider: 'openai',
  basePath: '/v1',
  paths: ['/v1/chat/completions', '/chat/completions'],
  requestIdHeader: 'x-request-id',
  toolCallIdPrefix: 'call_',
  renderReply(reply, usage, ctx) {
    const tools = reply.kind === 'tool_calls';
    const stop = reply.kind === 'text' ? (reply.stop ?? 'end') : undefined;
    const refused = stop === 'refusal';
    const message = {
      role: 'assistant',
      // A refusal arrives in `refusal` with `content: null`, as OpenAI sends it.
      content: tools ? (reply.text ?? null) : refused ? null : reply.text,
      refusal: refused ? reply.text : null,
      annotations: [],
      ...(tools && {
        tool_calls: reply.calls.map((c) => ({
          id: c.id ?? ctx.toolCallId(),
          type: 'function',
          function: { name: c.name, arguments: c.rawArgs ?? JSON.stringify(c.args ?? {}) },
        })),
      }),
    };
    const finish_reason = tools ? 'tool_calls' : FINISH_REASONS[stop ?? 'end'];
    return {
      id: `chatcmpl-fake${ctx.seq}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: requestedModel(ctx.body) ?? 'fake-model',
      choices: [{ index: 0, message, logprobs: null, finish_reason }],
      usage: usageBody(usage),
      service_tier: 'default',
    };
  },
  renderStream: renderChunks,
  renderStreamError(fault) {
    const d = ERRORS[500]!;
    const error = {
      message: fault.message ?? d.message,
      type: fault.errorType ?? d.type,
      param: null,
      code: fault.code ?? null,
    };
    return { data: JSON.stringify({ error }), role: 'final' };
  },
  renderError(e) {
    const d = ERRORS[e.status] ?? ERRORS[e.status >= 500 ? 500 : 400]!;
    return {
      error: { message: e.message ?? d.message, type: e.errorType ?? d.type, param: null, code: e.code ?? d.code },
    };
  },
};

function usageBody(usage: FakeUsage) {
  return {
    prompt_tokens: usage.input,
    completion_tokens: usage.output,
    total_tokens: usage.input + usage.output,
    prompt_tokens_details: { cached_tokens: usage.cached ?? 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/**
 * The answer as OpenAI streams it: a role chunk, the text (or refusal) in deltas, each tool
 * call opened with its id and name and then its arguments in pieces, a finish chunk, the
 * usage chunk (only when the request asked for it: `stream_options.include_usage`), and
 * `[DONE]`.
 */
function renderChunks(
  reply: FakeTextReply | FakeToolCallsReply,
  usage: FakeUsage,
  ctx: RenderContext,
  sizes: StreamSizes,
): FakeSseEvent[] {
  const tools = reply.kind === 'tool_calls';
  const stop = reply.kind === 'text' ? (reply.stop ?? 'end') : undefined;
  const refused = stop === 'refusal';
  const text = reply.text ?? '';
  const options = ctx.body.stream_options as { include_usage?: unknown } | undefined;
  const withUsage = options?.include_usage === true;
  const base = {
    id: `chatcmpl-fake${ctx.seq}`,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: requestedModel(ctx.body) ?? 'fake-model',
    service_tier: 'default',
    system_fingerprint: null,
  };
  const chunk = (delta: Record<string, unknown>, finish: string | null = null): string =>
    JSON.stringify({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(withUsage ? { usage: null } : {}),
    });

  const events: FakeSseEvent[] = [
    {
      data: chunk({ role: 'assistant', content: refused || (tools && !reply.text) ? null : '', refusal: null }),
      role: 'frame',
    },
  ];
  for (const piece of pieces(text, sizes.chunkChars)) {
    events.push({ data: chunk(refused ? { refusal: piece } : { content: piece }), role: 'chunk' });
  }
  if (tools) {
    reply.calls.forEach((c, index) => {
      const opening = {
        index,
        id: c.id ?? ctx.toolCallId(),
        type: 'function',
        function: { name: c.name, arguments: '' },
      };
      events.push({ data: chunk({ tool_calls: [opening] }), role: 'frame' });
      for (const piece of pieces(c.rawArgs ?? JSON.stringify(c.args ?? {}), sizes.argChunkChars)) {
        events.push({ data: chunk({ tool_calls: [{ index, function: { arguments: piece } }] }), role: 'chunk' });
      }
    });
  }
  const finish = tools ? 'tool_calls' : FINISH_REASONS[stop ?? 'end'];
  events.push({ data: chunk({}, finish), role: 'final' });
  if (withUsage)
    events.push({ data: JSON.stringify({ ...base, choices: [], usage: usageBody(usage) }), role: 'final' });
  events.push({ data: '[DONE]', role: 'final' });
  return events;
}

/** baseURL is `http://127.0.0.1:PORT/v1`, as the SDK expects. */
export function startFakeOpenAI(opts?: FakeServerOptions): Promise<FakeProviderServer> {
  return startFakeServer(openai, opts);
}
