/**
 * Anthropic Messages adapter. It streams when the caller takes deltas (`opts.onDelta`), and
 * makes one plain request otherwise; both give the same canonical response. Anthropic SDK
 * types stay inside this file and `anthropic-stream.ts`.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { transformJSONSchema } from '@anthropic-ai/sdk/lib/transform-json-schema';
import type { Message, ToolCall } from '../../core/messages.ts';
import type { ModelRequest, ModelResponse, StopReason } from '../../core/model.ts';
import type { Usage } from '../../core/usage.ts';
import { assembleAnthropicStream } from './anthropic-stream.ts';
import { InvalidProviderResponseError, ProviderStreamError } from './provider-errors.ts';
import { readAnthropicError, readAnthropicStreamError } from './providers/anthropic-errors.ts';
import { assistantResponse, callProvider, count } from './response.ts';
import { callStreaming, emitAnswer, isJsonBody, type OpenedStream } from './stream-call.ts';
import type { CallOptions, ModelAdapter } from './types.ts';

type MessagesParams = Anthropic.MessageCreateParamsNonStreaming;
type MessageParam = Anthropic.MessageParam;
type ContentBlockParam = Anthropic.ContentBlockParam;
type AnthropicMessage = Anthropic.Message;

/**
 * `provider` is the id the adapter serves: `anthropic`, or your own for an
 * Anthropic-protocol gateway.
 *
 * @example
 * const adapter = createAnthropicAdapter(new Anthropic({ apiKey, maxRetries: 0 }));
 * const res = await adapter.call(request, { timeoutMs: 60_000, signal });
 */
export function createAnthropicAdapter(client: Anthropic, provider: string = 'anthropic'): ModelAdapter {
  return {
    provider,
    async call(req: ModelRequest, opts: CallOptions): Promise<ModelResponse> {
      if (opts.onDelta) return streamMessages(client, provider, req, opts);
      const body = toAnthropicRequest(req);
      return callProvider(
        provider,
        opts,
        () =>
          client.messages.create(body, { signal: opts.signal, timeout: opts.timeoutMs, maxRetries: 0 }).withResponse(),
        ({ data, request_id }, latencyMs) => fromAnthropicResponse(data, req, latencyMs, request_id),
        readAnthropicError,
      );
    },
  };
}

/**
 * The same call, streamed (`stream: true`). Usage comes from `message_start` (the prompt,
 * cache reads and writes) and `message_delta` (the final counts). A stream is an answer only
 * once `message_stop` came: one that ends before is cut short (`stream_truncated`), and its
 * partial answer is dropped; an `event: error` is typed by its error type.
 */
function streamMessages(
  client: Anthropic,
  provider: string,
  req: ModelRequest,
  opts: CallOptions,
): Promise<ModelResponse> {
  const body: Anthropic.MessageCreateParamsStreaming = { ...toAnthropicRequest(req), stream: true };
  return callStreaming<Anthropic.RawMessageStreamEvent>(
    provider,
    opts,
    async (signal) => {
      const { data, response, request_id } = await client.messages
        .create(body, { signal, timeout: opts.timeoutMs, maxRetries: 0 })
        .withResponse();
      return { events: data, response, requestId: request_id };
    },
    async (opened, ctx) => {
      if (isJsonBody(opened)) {
        const answer = fromAnthropicResponse(await wholeBody(opened), req, ctx.elapsedMs(), ctx.requestId);
        emitAnswer(answer, ctx.emit);
        return answer;
      }
      const stream = assembleAnthropicStream(ctx.emit);
      for await (const event of opened.events) stream.push(event);
      const { message, finished } = stream.result();
      if (!finished) {
        throw new ProviderStreamError('provider_unavailable', 'stream ended before message_stop', {
          code: 'stream_truncated',
          requestId: ctx.requestId,
        });
      }
      return fromAnthropicResponse(message, req, ctx.elapsedMs(), ctx.requestId);
    },
    readAnthropicError,
    readAnthropicStreamError,
  );
}

/** The JSON a server sent although a stream was asked for. */
async function wholeBody(opened: OpenedStream<unknown>): Promise<AnthropicMessage> {
  const text = await opened.response.text();
  try {
    return JSON.parse(text) as AnthropicMessage;
  } catch {
    throw new InvalidProviderResponseError('response body is not valid JSON');
  }
}

/** Marks the end of a cached prefix (5-minute ephemeral cache). */
const CACHE_POINT = { type: 'ephemeral' } as const;

/**
 * Canonical request → Messages API body. Exported for tests.
 *
 * Prompt caching: unless `req.cachePrefix === false`, the stable prefix is marked for
 * Anthropic's prompt cache — `cache_control` on the last tool definition and on the system
 * block (Anthropic orders the prefix tools → system → messages, so these two breakpoints
 * cache the tools alone and tools + system). A prefix shorter than the model's minimum
 * (1024–4096 tokens) is simply not cached; the markers cost nothing.
 *
 * Structured output (`req.output`) uses the native `output_config.format` (JSON schema);
 * the JSON comes back as the text of the answer. The schema goes through the SDK's own
 * `transformJSONSchema` (what its `zodOutputFormat` helper does): constraints Anthropic does
 * not accept (`minLength`, `propertyNames`, ...) move into the description, `oneOf` becomes
 * `anyOf`, every object gets `additionalProperties: false`. The answer is validated against
 * the original contract by the caller anyway.
 */
export function toAnthropicRequest(req: ModelRequest): MessagesParams {
  const messages: MessageParam[] = [];
  for (const m of req.messages) {
    const converted = toAnthropicMessage(m);
    if (converted) messages.push(converted);
  }
  const cache = req.cachePrefix !== false;
  const body: MessagesParams = { model: req.model.name, max_tokens: req.maxOutputTokens, messages };
  if (req.system) {
    body.system = cache ? [{ type: 'text', text: req.system, cache_control: CACHE_POINT }] : req.system;
  }
  // `req.temperature` is deliberately not sent: the Messages API in @anthropic-ai/sdk 1.x
  // no longer has a temperature parameter (it was deprecated, then dropped from the params).
  if (req.tools.length > 0) {
    const last = req.tools.length - 1;
    body.tools = req.tools.map((t, i) => ({
      name: t.name,
      description: t.description,
      input_schema: { type: 'object' as const, ...t.inputSchema },
      ...(cache && i === last ? { cache_control: CACHE_POINT } : {}),
    }));
  }
  if (req.output) {
    body.output_config = { format: { type: 'json_schema', schema: anthropicOutputSchema(req.output.schema) } };
  }
  return body;
}

/** The schema in the subset Anthropic's structured outputs accept; a schema the transform
 * cannot handle (a subschema without a type, e.g. `z.unknown()`) is sent as given, and the
 * API's answer (a 400 → `bad_request`) says what is wrong with it. */
function anthropicOutputSchema(schema: Record<string, unknown>): Record<string, unknown> {
  try {
    return transformJSONSchema(schema);
  } catch {
    return schema;
  }
}

function toAnthropicMessage(m: Message): MessageParam | undefined {
  switch (m.role) {
    case 'user':
      return { role: 'user', content: m.content };
    case 'assistant': {
      const content: ContentBlockParam[] = [];
      if (m.text !== '') content.push({ type: 'text', text: m.text });
      for (const c of m.toolCalls) {
        // Anthropic requires an object; arguments that were not valid JSON go back as `{}`.
        const input = typeof c.input === 'object' && c.input !== null && !Array.isArray(c.input) ? c.input : {};
        content.push({ type: 'tool_use', id: c.id, name: c.name, input });
      }
      // Anthropic rejects an empty assistant turn; an empty answer carries nothing anyway.
      return content.length > 0 ? { role: 'assistant', content } : undefined;
    }
    case 'tool':
      return {
        role: 'user',
        content: m.results.map((r) => ({
          type: 'tool_result' as const,
          tool_use_id: r.callId,
          content: r.content,
          is_error: r.isError,
        })),
      };
  }
}

/** Messages API response → canonical response. Exported for tests. */
export function fromAnthropicResponse(
  data: AnthropicMessage,
  req: ModelRequest,
  latencyMs: number,
  requestId?: string | null,
): ModelResponse {
  if (typeof data !== 'object' || data === null) {
    throw new InvalidProviderResponseError('message is not a JSON object', undefined, requestId);
  }
  const id = requestId ?? (data as { _request_id?: string | null })._request_id;
  // Read first: a 2xx answer that turns out unusable is still billed, and says so here.
  const usage = readUsage(data.usage);
  if (!Array.isArray(data.content)) {
    throw new InvalidProviderResponseError('message without a content array', usage, id);
  }
  let text = '';
  const toolCalls: ToolCall[] = [];
  for (const block of data.content) {
    if (typeof block !== 'object' || block === null) continue;
    if (block.type === 'text') text += block.text;
    else if (block.type === 'tool_use') toolCalls.push({ id: block.id, name: block.name, input: block.input });
  }

  return assistantResponse({
    req,
    text,
    toolCalls,
    stop: mapStopReason(data.stop_reason),
    usage,
    reportedModel: data.model,
    requestId: id,
    latencyMs,
  });
}

/** Anthropic usage → canonical usage, or `undefined` when the body has none worth the
 * name. Anthropic's `input_tokens` excludes cache reads and writes; the canonical `input`
 * is the whole prompt, comparable with OpenAI's `prompt_tokens`. */
function readUsage(u: unknown): Usage | undefined {
  if (typeof u !== 'object' || u === null) return undefined;
  const r = u as Record<string, unknown>;
  const fresh = count(r['input_tokens']);
  const output = count(r['output_tokens']);
  if (fresh === undefined && output === undefined) return undefined;
  const cacheRead = count(r['cache_read_input_tokens']) ?? 0;
  const cacheWrite = count(r['cache_creation_input_tokens']) ?? 0;
  return { input: (fresh ?? 0) + cacheRead + cacheWrite, output: output ?? 0, cachedInput: cacheRead, cacheWrite };
}

/** Anthropic stop reasons → canonical. `model_context_window_exceeded` (the answer was cut
 * because the context window filled up) is a `length` stop; `pause_turn` (a server tool
 * paused a long turn) has no canonical meaning and is `other`. Anthropic reports policy
 * blocks as `refusal` too, so it never yields `content_filter`. */
function mapStopReason(reason: string | null | undefined): StopReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'end';
    case 'tool_use':
      return 'tool_calls';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'refusal':
      return 'refusal';
    case 'pause_turn':
    default:
      return 'other';
  }
}
