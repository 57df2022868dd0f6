/** OpenAI Chat Completions rendering for the fake server (shapes from openai v7 `ChatCompletion`). */
import {
  requestedModel,
  startFakeServer,
  type Dialect,
  type FakeProviderServer,
  type FakeServerOptions,
} from './fake-server.ts';
import type { FakeStop } from './script.ts';

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
      usage: {
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
      },
      service_tier: 'default',
    };
  },
  renderError(e) {
    const d = ERRORS[e.status] ?? ERRORS[e.status >= 500 ? 500 : 400]!;
    return {
      error: { message: e.message ?? d.message, type: e.errorType ?? d.type, param: null, code: e.code ?? d.code },
    };
  },
};

/** baseURL is `http://127.0.0.1:PORT/v1`, as the SDK expects. */
export function startFakeOpenAI(opts?: FakeServerOptions): Promise<FakeProviderServer> {
  return startFakeServer(openai, opts);
}
