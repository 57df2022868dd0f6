/**
 * OpenAI Chat Completions adapter, also used for `openai-compatible` servers (vLLM, Ollama,
 * llama.cpp, gateways). It streams when the caller takes deltas (`opts.onDelta`), and makes
 * one plain request otherwise; both give the same canonical response. OpenAI SDK types stay
 * inside this file and `openai-stream.ts`.
 */
import type OpenAI from 'openai';
import type { Message, ToolCall } from '../../core/messages.ts';
import type { ModelRequest, ModelResponse, StopReason } from '../../core/model.ts';
import type { Usage } from '../../core/usage.ts';
import { assembleOpenAIStream } from './openai-stream.ts';
import { InvalidProviderResponseError, ProviderStreamError } from './provider-errors.ts';
import { readOpenAIError, readOpenAIStreamError } from './providers/openai-errors.ts';
import { assistantResponse, callProvider, count } from './response.ts';
import { callStreaming, emitAnswer, isJsonBody, type OpenedStream } from './stream-call.ts';
import { isStrictCompatible } from './strict-schema.ts';
import type { CallOptions, ModelAdapter } from './types.ts';

type ChatParams = OpenAI.ChatCompletionCreateParamsNonStreaming;
type ChatMessage = OpenAI.ChatCompletionMessageParam;
type ChatCompletion = OpenAI.ChatCompletion;

/**
 * `provider` is the id the adapter serves: `openai` speaks OpenAI's own dialect, any other id
 * (`openai-compatible`, a gateway of your own) the compatible one (see `toOpenAIRequest`).
 *
 * @example
 * const adapter = createOpenAIAdapter(new OpenAI({ apiKey, maxRetries: 0 }));
 * const res = await adapter.call(request, { timeoutMs: 60_000, signal });
 */
export function createOpenAIAdapter(client: OpenAI, provider: string = 'openai'): ModelAdapter {
  return {
    provider,
    async call(req: ModelRequest, opts: CallOptions): Promise<ModelResponse> {
      if (opts.onDelta) return streamChat(client, provider, req, opts);
      const body = toOpenAIRequest(req, provider);
      return callProvider(
        provider,
        opts,
        () =>
          client.chat.completions
            .create(body, { signal: opts.signal, timeout: opts.timeoutMs, maxRetries: 0 })
            .withResponse(),
        ({ data, request_id }, latencyMs) => fromOpenAIResponse(data, req, latencyMs, request_id),
        readOpenAIError,
      );
    },
  };
}

/**
 * The same call, streamed: `stream_options.include_usage` asks for the usage chunk OpenAI
 * sends last. A stream is an answer only once its finish reason came (and, from OpenAI
 * itself, its usage): one that ends before is cut short (`stream_truncated`), and its
 * partial answer is dropped. Other servers may not send usage; theirs then counts zero, as
 * a plain answer without usage does.
 */
function streamChat(client: OpenAI, provider: string, req: ModelRequest, opts: CallOptions): Promise<ModelResponse> {
  const body: OpenAI.ChatCompletionCreateParamsStreaming = {
    ...toOpenAIRequest(req, provider),
    stream: true,
    stream_options: { include_usage: true },
  };
  return callStreaming<OpenAI.ChatCompletionChunk>(
    provider,
    opts,
    async (signal) => {
      const { data, response, request_id } = await client.chat.completions
        .create(body, { signal, timeout: opts.timeoutMs, maxRetries: 0 })
        .withResponse();
      return { events: data, response, requestId: request_id };
    },
    async (opened, ctx) => {
      if (isJsonBody(opened)) {
        const answer = fromOpenAIResponse(await wholeBody(opened), req, ctx.elapsedMs(), ctx.requestId);
        emitAnswer(answer, ctx.emit);
        return answer;
      }
      const stream = assembleOpenAIStream(ctx.emit);
      for await (const chunk of opened.events) stream.push(chunk);
      const { completion, finished, hasUsage } = stream.result();
      if (!finished || (provider === 'openai' && !hasUsage)) {
        throw new ProviderStreamError(
          'provider_unavailable',
          `stream ended before its ${finished ? 'usage' : 'finish reason'}`,
          { code: 'stream_truncated', requestId: ctx.requestId },
        );
      }
      return fromOpenAIResponse(completion, req, ctx.elapsedMs(), ctx.requestId);
    },
    readOpenAIError,
    readOpenAIStreamError,
  );
}

/** The JSON a server sent although a stream was asked for. */
async function wholeBody(opened: OpenedStream<unknown>): Promise<ChatCompletion> {
  const text = await opened.response.text();
  try {
    return JSON.parse(text) as ChatCompletion;
  } catch {
    throw new InvalidProviderResponseError('response body is not valid JSON');
  }
}

/**
 * Canonical request → Chat Completions body. Exported for tests.
 *
 * OpenAI caches prompt prefixes automatically (no markers), so the body keeps the stable
 * part first and byte-identical between calls: the system message, then the tools, then the
 * conversation. `req.cachePrefix` needs no translation here.
 *
 * Structured output (`req.output`) becomes `response_format: json_schema`, strict when the
 * schema allows it (`isStrictCompatible`); the JSON comes back as the assistant text.
 */
export function toOpenAIRequest(req: ModelRequest, provider: string): ChatParams {
  const messages: ChatMessage[] = [];
  if (req.system) messages.push({ role: 'system', content: req.system });
  for (const m of req.messages) messages.push(...toOpenAIMessages(m));

  const body: ChatParams = { model: req.model.name, messages };
  // Many OpenAI-compatible servers do not know `max_completion_tokens` yet: only OpenAI
  // itself is sent it.
  if (provider === 'openai') body.max_completion_tokens = req.maxOutputTokens;
  else body.max_tokens = req.maxOutputTokens;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.tools.length > 0) {
    body.tools = req.tools.map((t) => ({
      type: 'function',
      function: { name: t.name, description: t.description, parameters: t.inputSchema },
    }));
  }
  if (req.output) {
    body.response_format = {
      type: 'json_schema',
      json_schema: { name: req.output.name, schema: req.output.schema, strict: isStrictCompatible(req.output.schema) },
    };
  }
  return body;
}

function toOpenAIMessages(m: Message): ChatMessage[] {
  switch (m.role) {
    case 'user':
      return [{ role: 'user', content: m.content }];
    case 'assistant': {
      if (m.toolCalls.length === 0) return [{ role: 'assistant', content: m.text }];
      return [
        {
          role: 'assistant',
          // OpenAI's own convention for a pure tool-call turn is `content: null`.
          content: m.text === '' ? null : m.text,
          tool_calls: m.toolCalls.map((c) => ({
            id: c.id,
            type: 'function' as const,
            function: {
              name: c.name,
              arguments: typeof c.input === 'string' ? c.input : JSON.stringify(c.input ?? {}),
            },
          })),
        },
      ];
    }
    case 'tool':
      return m.results.map((r) => ({ role: 'tool' as const, tool_call_id: r.callId, content: r.content }));
  }
}

/** Chat Completions response → canonical response. Exported for tests. */
export function fromOpenAIResponse(
  data: ChatCompletion,
  req: ModelRequest,
  latencyMs: number,
  requestId?: string | null,
): ModelResponse {
  if (typeof data !== 'object' || data === null) {
    throw new InvalidProviderResponseError('chat completion is not a JSON object', undefined, requestId);
  }
  const id = requestId ?? (data as { _request_id?: string | null })._request_id;
  // Read first: a 2xx answer that turns out unusable is still billed, and says so here.
  const usage = readUsage(data.usage);
  if (!Array.isArray(data.choices) || data.choices.length === 0) {
    throw new InvalidProviderResponseError('chat completion without choices', usage, id);
  }
  const choice = data.choices[0];
  if (!choice || typeof choice.message !== 'object' || choice.message === null) {
    throw new InvalidProviderResponseError('chat completion without a message', usage, id);
  }
  const message = choice.message;
  const refusal = typeof message.refusal === 'string' && message.refusal.length > 0 ? message.refusal : undefined;
  // A refusal arrives in `refusal` with `content: null`; keep its wording as the text.
  const text = (typeof message.content === 'string' ? message.content : '') || refusal || '';

  const toolCalls: ToolCall[] = (Array.isArray(message.tool_calls) ? message.tool_calls : []).map((c) =>
    c.type === 'custom'
      ? { id: c.id, name: c.custom.name, input: c.custom.input }
      : { id: c.id, name: c.function.name, input: parseArguments(c.function.arguments) },
  );

  const stop: StopReason = refusal ? 'refusal' : mapFinishReason(choice.finish_reason);
  // A normal stop with neither content nor tool calls nor refusal is an empty answer the
  // loop cannot use (seen from gateways and local servers that failed to parse tool calls);
  // retrying is the only sensible reaction. `length`/`content_filter` may be empty legally.
  if (stop === 'end' && toolCalls.length === 0 && message.content == null) {
    throw new InvalidProviderResponseError('chat completion with neither content nor tool calls', usage, id);
  }

  return assistantResponse({ req, text, toolCalls, stop, usage, reportedModel: data.model, requestId: id, latencyMs });
}

/** OpenAI usage → canonical usage, or `undefined` when the body has none worth the name.
 * OpenAI has no cache-write charge: `cacheWrite` is always 0. */
function readUsage(u: unknown): Usage | undefined {
  if (typeof u !== 'object' || u === null) return undefined;
  const r = u as Record<string, unknown>;
  const input = count(r['prompt_tokens']);
  const output = count(r['completion_tokens']);
  if (input === undefined && output === undefined) return undefined;
  const details = r['prompt_tokens_details'];
  const cached =
    typeof details === 'object' && details !== null
      ? count((details as Record<string, unknown>)['cached_tokens'])
      : undefined;
  return { input: input ?? 0, output: output ?? 0, cachedInput: cached ?? 0, cacheWrite: 0 };
}

/** Tool arguments as JSON; when they are not valid JSON the raw string is kept (validation
 * then rejects it with a clear message). An empty string means "no arguments". */
function parseArguments(raw: string): unknown {
  if (raw.trim() === '') return {};
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function mapFinishReason(reason: string | null | undefined): StopReason {
  switch (reason) {
    case 'stop':
      return 'end';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'length':
      return 'length';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'other';
  }
}
