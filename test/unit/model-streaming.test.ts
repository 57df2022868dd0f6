import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { ApplicationFailure } from '@temporalio/common';
import type { Message, ToolSpec } from '../../core/messages.ts';
import type { ModelDelta, ModelRequest, ModelResponse } from '../../core/model.ts';
import {
  createAnthropicAdapter,
  createOpenAIAdapter,
  headerValue,
  typeForStreamError,
  type CallOptions,
  type ModelAdapter,
  type ProviderFailureDetails,
} from '../../activities/model/index.ts';
import {
  startFakeAnthropic,
  startFakeOpenAI,
  type FakeProviderServer,
  type FakeReply,
  type FakeStreamFault,
} from '../kit/index.ts';
import { rejectionOf } from '../helpers/rejection.ts';

// Streaming through the official SDKs against the fakes' real server-sent events: the
// adapters stream when the caller takes deltas (`onDelta`), and must return exactly what
// the plain call returns, or a typed failure — never a partial answer.

const KEY = 'sk-secret-stream-key';

const open: FakeProviderServer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

const weatherTool: ToolSpec = {
  name: 'get_weather',
  description: 'Current weather for a city.',
  inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

const question: Message = { role: 'user', content: 'Weather in Paris and Rome?' };

function request(provider: 'openai' | 'anthropic'): ModelRequest {
  return {
    model: { provider, name: 'test-model' },
    system: 'You are a weather bot.',
    messages: [question],
    tools: [weatherTool],
    maxOutputTokens: 256,
  };
}

type Setup = { server: FakeProviderServer; adapter: ModelAdapter };

async function setup(provider: 'openai' | 'anthropic', providerId?: string): Promise<Setup> {
  const server =
    provider === 'openai'
      ? await startFakeOpenAI({ requireApiKey: KEY })
      : await startFakeAnthropic({ requireApiKey: KEY });
  open.push(server);
  const adapter =
    provider === 'openai'
      ? createOpenAIAdapter(new OpenAI({ apiKey: KEY, baseURL: server.baseURL, maxRetries: 0 }), providerId)
      : createAnthropicAdapter(new Anthropic({ apiKey: KEY, baseURL: server.baseURL, maxRetries: 0 }), providerId);
  return { server, adapter };
}

/** Calls with a delta collector; `opts` adds to the call options. */
async function streamed(
  { adapter }: Setup,
  provider: 'openai' | 'anthropic',
  opts: Partial<CallOptions> = {},
): Promise<{ deltas: ModelDelta[]; result: Promise<ModelResponse> }> {
  const deltas: ModelDelta[] = [];
  const result = adapter.call(request(provider), { timeoutMs: 5_000, onDelta: (d) => deltas.push(d), ...opts });
  return { deltas, result };
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await rejectionOf(p);
  expect(err).toBeInstanceOf(ApplicationFailure);
  const f = err as ApplicationFailure;
  for (const text of [f.message, JSON.stringify(f)]) expect(text).not.toContain('sk-secret');
  return f;
}

/** The canonical response without what differs between two calls (timing, request id). */
function comparable(r: ModelResponse) {
  const { latencyMs: _l, requestId: _r, ...rest } = r;
  return rest;
}

const textOf = (deltas: ModelDelta[]) => deltas.flatMap((d) => (d.kind === 'text' ? [d.text] : []));

describe.each(['openai', 'anthropic'] as const)('%s adapter, streaming', (provider) => {
  it('text arrives in several deltas, in order; the answer equals the plain call', async () => {
    const s = await setup(provider);
    const reply: FakeReply = {
      kind: 'text',
      text: 'Paris is sunny, Rome is cloudy.',
      usage: { input: 90, output: 9, cached: 40 },
      stream: { chunkChars: 5 },
    };
    s.server.push(reply, reply);
    const { deltas, result } = await streamed(s, provider);
    const answer = await result;
    expect(textOf(deltas)).toEqual(['Paris', ' is s', 'unny,', ' Rome', ' is c', 'loudy', '.']);
    expect(deltas.every((d) => d.kind === 'text')).toBe(true);
    expect(answer.message.text).toBe(textOf(deltas).join(''));
    expect(answer).toMatchObject({ stop: 'end', modelVersion: 'test-model', requestId: 'req_fake_1' });
    expect(answer.latencyMs).toBeGreaterThanOrEqual(0);

    const plain = await s.adapter.call(request(provider), { timeoutMs: 5_000 });
    expect(comparable(answer)).toEqual(comparable(plain));
    const [streamedReq, plainReq] = s.server.requests.map((r) => r.body as Record<string, unknown>);
    expect(streamedReq?.stream).toBe(true);
    expect(plainReq?.stream).toBeUndefined();
    if (provider === 'openai') expect(streamedReq?.stream_options).toEqual({ include_usage: true });
  });

  it('usage comes from the stream, cache reads (and Anthropic cache writes) included', async () => {
    const s = await setup(provider);
    s.server.push({ kind: 'text', text: 'ok', usage: { input: 1000, output: 7, cached: 600, cacheWrite: 300 } });
    const { result } = await streamed(s, provider);
    expect((await result).usage).toEqual(
      provider === 'openai'
        ? { input: 1000, output: 7, cachedInput: 600, cacheWrite: 0 }
        : { input: 1000, output: 7, cachedInput: 600, cacheWrite: 300 },
    );
  });

  it('tool-call arguments in pieces assemble into the calls; deltas carry index, id and name first', async () => {
    const s = await setup(provider);
    const reply: FakeReply = {
      kind: 'tool_calls',
      text: 'Checking both.',
      calls: [
        { name: 'get_weather', args: { city: 'Paris' } },
        { name: 'get_weather', args: { city: 'Rome', units: 'metric' } },
        { name: 'get_weather', args: {} },
      ],
      usage: { input: 120, output: 30 },
      stream: { argChunkChars: 4 },
    };
    s.server.push(reply, reply);
    const { deltas, result } = await streamed(s, provider);
    const answer = await result;
    expect(answer.stop).toBe('tool_calls');
    expect(answer.message.text).toBe('Checking both.');
    expect(answer.message.toolCalls.map((c) => c.input)).toEqual([
      { city: 'Paris' },
      { city: 'Rome', units: 'metric' },
      {},
    ]);
    const prefix = provider === 'openai' ? 'call_' : 'toolu_';
    expect(answer.message.toolCalls.map((c) => c.id)).toEqual([`${prefix}1`, `${prefix}2`, `${prefix}3`]);

    const calls = deltas.filter((d): d is Extract<ModelDelta, { kind: 'tool-call' }> => d.kind === 'tool-call');
    for (const [index, call] of answer.message.toolCalls.entries()) {
      const mine = calls.filter((d) => d.index === index);
      expect(mine[0]).toMatchObject({ id: call.id, name: 'get_weather' });
      expect(mine.slice(1).every((d) => d.id === undefined && d.name === undefined)).toBe(true);
      expect(JSON.parse(mine.map((d) => d.args).join(''))).toEqual(call.input);
    }
    expect(calls.filter((d) => d.index === 1 && d.args).length).toBeGreaterThan(3);
    // Text deltas come before the calls', as the provider wrote them.
    expect(deltas.findIndex((d) => d.kind === 'tool-call')).toBeGreaterThan(deltas.findIndex((d) => d.kind === 'text'));

    const plain = await s.adapter.call(request(provider), { timeoutMs: 5_000 });
    expect(comparable(answer)).toEqual({
      ...comparable(plain),
      // The fake numbers tool call ids per server, so the plain call got the next three.
      message: { ...plain.message, toolCalls: answer.message.toolCalls },
    });
  });

  it('arguments that are not valid JSON come back as the raw string (parsed once, at the end)', async () => {
    const s = await setup(provider);
    s.server.push({ kind: 'tool_calls', calls: [{ name: 'get_weather', rawArgs: '{"city": "Par' }] });
    const { result } = await streamed(s, provider);
    expect((await result).message.toolCalls[0]?.input).toBe('{"city": "Par');
  });

  it('a throwing onDelta never breaks the call', async () => {
    const s = await setup(provider);
    s.server.push({ kind: 'text', text: 'still answered', stream: { chunkChars: 3 } });
    const answer = await s.adapter.call(request(provider), {
      timeoutMs: 5_000,
      onDelta: () => {
        throw new Error('consumer bug');
      },
    });
    expect(answer.message.text).toBe('still answered');
  });

  it('an HTTP error before the stream is typed as without streaming (429 + retry-after, headers told)', async () => {
    const s = await setup(provider);
    s.server.push({ kind: 'error', status: 429, headers: { 'retry-after': '2' } });
    const told: string[] = [];
    const { result } = await streamed(s, provider, {
      onHeaders: (h) => told.push(String(headerValue(h, 'retry-after'))),
    });
    const f = await failureOf(result);
    expect(f.type).toBe('rate_limited');
    expect(f.nextRetryDelay).toBe(2000);
    expect(f.details?.[0] as ProviderFailureDetails).toMatchObject({ provider, status: 429, requestId: 'req_fake_1' });
    expect(told).toEqual(['2']);
  });

  it('a server that answers a stream request with whole JSON is read as a plain answer (billed usage kept)', async () => {
    const s = await setup(provider);
    s.server.push({ kind: 'raw', status: 200, body: { model: 'x', usage: { prompt_tokens: 5, input_tokens: 5 } } });
    const f = await failureOf((await streamed(s, provider)).result);
    expect(f.type).toBe('invalid_response');
    expect((f.details?.[0] as ProviderFailureDetails).billedUsage?.input).toBe(5);
    s.server.push({ kind: 'malformed' });
    expect((await failureOf((await streamed(s, provider)).result)).type).toBe('invalid_response');
  });

  describe('mid-stream faults: typed, retryable where a retry helps, no answer', () => {
    const cases: { fault: FakeStreamFault; type: string; retryable: boolean; code: string }[] = [
      {
        fault: { kind: 'reset', afterChunks: 2 },
        type: 'provider_unavailable',
        retryable: true,
        code: 'stream_interrupted',
      },
      {
        fault: { kind: 'cut', afterChunks: 2 },
        type: 'provider_unavailable',
        retryable: true,
        code: 'stream_truncated',
      },
      {
        fault: { kind: 'cut', afterChunks: 99 },
        type: 'provider_unavailable',
        retryable: true,
        code: 'stream_truncated',
      },
      ...(provider === 'openai'
        ? [
            {
              fault: { kind: 'error', afterChunks: 2 },
              type: 'provider_unavailable',
              retryable: true,
              code: 'server_error',
            },
            {
              fault: { kind: 'error', afterChunks: 1, errorType: 'tokens', code: 'rate_limit_exceeded' },
              type: 'rate_limited',
              retryable: true,
              code: 'tokens',
            },
          ]
        : [
            {
              fault: { kind: 'error', afterChunks: 2 },
              type: 'provider_unavailable',
              retryable: true,
              code: 'overloaded_error',
            },
            {
              fault: { kind: 'error', afterChunks: 2, errorType: 'api_error' },
              type: 'provider_unavailable',
              retryable: true,
              code: 'api_error',
            },
            {
              fault: { kind: 'error', afterChunks: 0, errorType: 'rate_limit_error' },
              type: 'rate_limited',
              retryable: true,
              code: 'rate_limit_error',
            },
            {
              fault: { kind: 'error', afterChunks: 1, errorType: 'invalid_request_error' },
              type: 'bad_request',
              retryable: false,
              code: 'invalid_request_error',
            },
          ]),
    ] as { fault: FakeStreamFault; type: string; retryable: boolean; code: string }[];

    it.each(cases)('$fault.kind after $fault.afterChunks ($code) → $type', async ({ fault, type, retryable, code }) => {
      const s = await setup(provider);
      s.server.push({ kind: 'text', text: 'a partial answer that never completes', stream: { chunkChars: 4, fault } });
      const { deltas, result } = await streamed(s, provider);
      const f = await failureOf(result);
      expect(f.type).toBe(type);
      expect(f.nonRetryable).toBe(!retryable);
      expect(f.details?.[0] as ProviderFailureDetails).toMatchObject({ provider, code, requestId: 'req_fake_1' });
      expect(f.message).not.toContain('partial');
      // What was streamed before the fault was shown, and is not the answer.
      expect(textOf(deltas).length).toBe(Math.min(fault.afterChunks, 10));
    });
  });

  it('cancellation mid-stream aborts the stream and rethrows the signal reason', async () => {
    const s = await setup(provider);
    s.server.push({ kind: 'text', text: 'x'.repeat(200), stream: { chunkChars: 10, chunkDelayMs: 40 } });
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    const { deltas, result } = await streamed(s, provider, {
      signal: controller.signal,
      onDelta: (d) => {
        deltas.push(d);
        if (deltas.length === 2) controller.abort(reason);
      },
    });
    expect(await rejectionOf(result)).toBe(reason);
    expect(deltas.length).toBeLessThan(5);
  });

  it('timeoutMs covers the whole stream, not only the headers', async () => {
    const s = await setup(provider);
    s.server.push({ kind: 'text', text: 'x'.repeat(100), stream: { chunkChars: 10, chunkDelayMs: 80 } });
    const started = performance.now();
    const { deltas, result } = await streamed(s, provider, { timeoutMs: 250 });
    const f = await failureOf(result);
    expect(f.type).toBe('timeout');
    expect(f.nonRetryable).toBe(false);
    expect(performance.now() - started).toBeLessThan(700);
    expect(deltas.length).toBeGreaterThan(0);
  });
});

describe('OpenAI streaming details', () => {
  it('a refusal streams as text and stops as a refusal, as without streaming', async () => {
    const s = await setup('openai');
    s.server.push({ kind: 'text', text: "I can't help with that.", stop: 'refusal', stream: { chunkChars: 6 } });
    const { deltas, result } = await streamed(s, 'openai');
    const answer = await result;
    expect(answer.stop).toBe('refusal');
    expect(answer.message.text).toBe("I can't help with that.");
    expect(textOf(deltas).join('')).toBe(answer.message.text);
  });

  it('an openai-compatible server is streamed the same way', async () => {
    const s = await setup('openai', 'openai-compatible');
    s.server.push({ kind: 'text', text: 'compatible answer', usage: { input: 10, output: 2 } });
    const { result } = await streamed(s, 'openai');
    expect(await result).toMatchObject({ message: { text: 'compatible answer' }, usage: { input: 10, output: 2 } });
  });
});

/** A server that answers every request with these SSE lines, for streams the fakes do not
 * script (a broken event, a stream without its usage chunk). */
async function sseServer(body: string): Promise<{ baseURL: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': 'req_sse' }).end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  servers.push(server);
  return { baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, server };
}
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((ok) => s.close(ok))));
});

describe('OpenAI streams the fakes do not script', () => {
  const chunk = (delta: object, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const noUsage = chunk({ role: 'assistant', content: 'hi' }) + chunk({}, 'stop') + 'data: [DONE]\n\n';
  const adapterFor = (baseURL: string, provider: string) =>
    createOpenAIAdapter(new OpenAI({ apiKey: 'k', baseURL, maxRetries: 0 }), provider);

  it('from OpenAI itself, a stream without its usage chunk is cut short; another server may omit it', async () => {
    const { baseURL } = await sseServer(noUsage);
    const opts = { timeoutMs: 5_000, onDelta: () => {} };
    const f = await failureOf(adapterFor(baseURL, 'openai').call(request('openai'), opts));
    expect(f).toMatchObject({ type: 'provider_unavailable', message: expect.stringMatching(/before its usage/) });
    expect((f.details?.[0] as ProviderFailureDetails).code).toBe('stream_truncated');
    const answer = await adapterFor(baseURL, 'openai-compatible').call(request('openai'), opts);
    expect(answer).toMatchObject({ message: { text: 'hi' }, usage: { input: 0, output: 0 }, requestId: 'req_sse' });
  });

  it('an event that is not JSON → invalid_response', async () => {
    const { baseURL } = await sseServer(chunk({ content: 'hi' }) + 'data: {"choices": [\n\n');
    const f = await failureOf(
      adapterFor(baseURL, 'openai').call(request('openai'), { timeoutMs: 5_000, onDelta: () => {} }),
    );
    expect(f.type).toBe('invalid_response');
    expect(f.nonRetryable).toBe(false);
  });
});

describe('typeForStreamError', () => {
  it.each([
    ['overloaded_error', undefined, 'provider_unavailable'],
    ['api_error', undefined, 'provider_unavailable'],
    ['server_error', undefined, 'provider_unavailable'],
    ['rate_limit_error', undefined, 'rate_limited'],
    [undefined, 'rate_limit_exceeded', 'rate_limited'],
    ['insufficient_quota', 'insufficient_quota', 'quota_exhausted'],
    ['invalid_request_error', 'context_length_exceeded', 'context_too_long'],
    ['authentication_error', undefined, 'auth'],
    ['something_new', undefined, 'provider_unavailable'],
    [undefined, undefined, 'provider_unavailable'],
  ] as const)('%s / %s → %s', (errorType, code, expected) => {
    expect(typeForStreamError(errorType, code)).toBe(expected);
  });
});
