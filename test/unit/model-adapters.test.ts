import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { ApplicationFailure } from '@temporalio/common';
import type { Message, ToolSpec } from '../../core/messages.ts';
import type { ModelRequest, ModelResponse } from '../../core/model.ts';
import { modelResponseSchema } from '../../core/model.ts';
import {
  createAnthropicAdapter,
  createOpenAIAdapter,
  toAnthropicRequest,
  toOpenAIRequest,
  type ModelAdapter,
  type ProviderFailureDetails,
} from '../../activities/model/index.ts';
import { startFakeAnthropic, startFakeOpenAI, type FakeProviderServer } from '../kit/index.ts';

const KEY = 'sk-secret-adapter-key';

const open: FakeProviderServer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

const weatherTool: ToolSpec = {
  name: 'get_weather',
  description: 'Current weather for a city.',
  inputSchema: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  },
};

function request(messages: Message[], extra: Partial<ModelRequest> = {}): ModelRequest {
  return {
    model: { provider: 'openai', name: 'test-model' },
    system: 'You are a weather bot.',
    messages,
    tools: [weatherTool],
    maxOutputTokens: 256,
    ...extra,
  };
}

const question: Message = { role: 'user', content: 'Weather in Paris and Rome?' };

/** The rejection of `p`, failing the test if it resolves. */
async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await rejectionOf(p);
  expect(err).toBeInstanceOf(ApplicationFailure);
  const f = err as ApplicationFailure;
  for (const text of [f.message, JSON.stringify(f)]) expect(text).not.toContain('sk-secret');
  return f;
}

type Setup = { server: FakeProviderServer; adapter: ModelAdapter };

const providers = {
  openai: async (): Promise<Setup> => {
    const server = await startFakeOpenAI({ requireApiKey: KEY });
    open.push(server);
    return { server, adapter: createOpenAIAdapter(new OpenAI({ apiKey: KEY, baseURL: server.baseURL, maxRetries: 0 })) };
  },
  anthropic: async (): Promise<Setup> => {
    const server = await startFakeAnthropic({ requireApiKey: KEY });
    open.push(server);
    return { server, adapter: createAnthropicAdapter(new Anthropic({ apiKey: KEY, baseURL: server.baseURL, maxRetries: 0 })) };
  },
};

/** Runs one tool turn through an adapter: the model asks for two tools (ids chosen by the
 * fake), we answer both (the second as an error), the model answers in text. */
async function toolLoop({ server, adapter }: Setup): Promise<{ first: ModelResponse; second: ModelResponse; history: Message[] }> {
  server.push(
    {
      kind: 'tool_calls',
      text: 'Let me check both.',
      calls: [
        { name: 'get_weather', args: { city: 'Paris' } },
        { name: 'get_weather', args: { city: 'Rome' } },
      ],
      usage: { input: 120, output: 30, cached: 100 },
    },
    { kind: 'text', text: 'Paris is sunny; Rome could not be checked.', usage: { input: 200, output: 12 } },
  );
  const first = await adapter.call(request([question]), { timeoutMs: 5_000 });
  const [a, b] = first.message.toolCalls;
  const history: Message[] = [
    question,
    first.message,
    {
      role: 'tool',
      results: [
        { callId: a!.id, name: a!.name, content: '{"tempC":21,"sky":"sunny"}', isError: false },
        { callId: b!.id, name: b!.name, content: 'Weather service timed out; try again later.', isError: true },
      ],
    },
  ];
  const second = await adapter.call(request(history), { timeoutMs: 5_000 });
  return { first, second, history };
}

describe('OpenAI adapter through the real SDK', () => {
  it('sends tools, system and the tool turn on the wire; ids round-trip', async () => {
    const setup = await providers.openai();
    const { first, history } = await toolLoop(setup);
    const [firstReq, secondReq] = setup.server.requests;

    expect(firstReq!.path).toBe('/v1/chat/completions');
    expect(firstReq!.body).toEqual({
      model: 'test-model',
      messages: [
        { role: 'system', content: 'You are a weather bot.' },
        { role: 'user', content: 'Weather in Paris and Rome?' },
      ],
      max_completion_tokens: 256,
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Current weather for a city.', parameters: weatherTool.inputSchema } }],
    });
    expect(firstReq!.body.stream).toBeUndefined();

    const ids = first.message.toolCalls.map((c) => c.id);
    expect(ids).toEqual(['call_1', 'call_2']);
    expect(secondReq!.body.messages).toEqual([
      { role: 'system', content: 'You are a weather bot.' },
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Let me check both.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '{"tempC":21,"sky":"sunny"}' },
      { role: 'tool', tool_call_id: 'call_2', content: 'Weather service timed out; try again later.' },
    ]);
    expect(history).toHaveLength(3);
  });

  it('maps responses to the canonical form', async () => {
    const setup = await providers.openai();
    const { first, second } = await toolLoop(setup);

    expect(modelResponseSchema.parse(first)).toEqual(first);
    expect(first).toMatchObject({
      message: {
        role: 'assistant',
        text: 'Let me check both.',
        toolCalls: [
          { id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
          { id: 'call_2', name: 'get_weather', input: { city: 'Rome' } },
        ],
      },
      stop: 'tool_calls',
      usage: { input: 120, output: 30, cachedInput: 100 },
      modelVersion: 'test-model',
      requestId: 'req_fake_1',
    });
    expect(first.latencyMs).toBeGreaterThanOrEqual(0);
    expect(second).toMatchObject({
      message: { role: 'assistant', text: 'Paris is sunny; Rome could not be checked.', toolCalls: [] },
      stop: 'end',
      usage: { input: 200, output: 12, cachedInput: 0 },
      requestId: 'req_fake_2',
    });
  });

  it('maps length stops', async () => {
    const setup = await providers.openai();
    setup.server.push({ kind: 'text', text: 'Par', stop: 'length' });
    const res = await setup.adapter.call(request([question]), { timeoutMs: 5_000 });
    expect(res.stop).toBe('length');
  });

  it('openai-compatible sends max_tokens instead of max_completion_tokens, and temperature when set', async () => {
    const server = await startFakeOpenAI();
    open.push(server);
    const adapter = createOpenAIAdapter(new OpenAI({ apiKey: 'local', baseURL: server.baseURL, maxRetries: 0 }), 'openai-compatible');
    expect(adapter.provider).toBe('openai-compatible');
    server.push({ kind: 'text', text: 'ok' });
    await adapter.call(request([question], { temperature: 0.2, tools: [] }), { timeoutMs: 5_000 });
    const body = server.requests[0]!.body;
    expect(body.max_tokens).toBe(256);
    expect(body.max_completion_tokens).toBeUndefined();
    expect(body.temperature).toBe(0.2);
    expect(body.tools).toBeUndefined();
  });
});

describe('OpenAI request/response mapping details', () => {
  it('a tool call whose input is a raw string goes back verbatim; invalid JSON arguments come back raw', () => {
    const body = toOpenAIRequest(
      request([
        question,
        { role: 'assistant', text: '', toolCalls: [{ id: 'c1', name: 'get_weather', input: '{city: Paris' }] },
        { role: 'tool', results: [{ callId: 'c1', name: 'get_weather', content: 'invalid arguments: not JSON', isError: true }] },
      ]),
      'openai',
    );
    expect(body.messages[2]).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{city: Paris' } }],
    });
  });

  it('parses a response with invalid JSON arguments and a refusal', async () => {
    const completion = (message: object, finish_reason: string) => ({
      id: 'x',
      object: 'chat.completion',
      created: 0,
      model: 'gpt-test-2025-01-01',
      choices: [{ index: 0, message: { role: 'assistant', refusal: null, ...message }, finish_reason, logprobs: null }],
    });
    const bodies = [
      completion({ content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'get_weather', arguments: '{city: Paris' } }] }, 'tool_calls'),
      completion({ content: null, refusal: 'I cannot help with that.' }, 'stop'),
    ];
    // The fake's script renders only well-formed replies; a bare server serves these bodies.
    const raw = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_raw' }).end(JSON.stringify(bodies.shift()));
    });
    await new Promise<void>((ok) => raw.listen(0, '127.0.0.1', ok));
    try {
      const { port } = raw.address() as AddressInfo;
      const rawAdapter = createOpenAIAdapter(new OpenAI({ apiKey: KEY, baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 }));
      const toolRes = await rawAdapter.call(request([question]), { timeoutMs: 5_000 });
      expect(toolRes.message).toEqual({ role: 'assistant', text: '', toolCalls: [{ id: 't1', name: 'get_weather', input: '{city: Paris' }] });
      expect(toolRes).toMatchObject({ stop: 'tool_calls', modelVersion: 'gpt-test-2025-01-01', requestId: 'req_raw', usage: { input: 0, output: 0, cachedInput: 0 } });
      const refusal = await rawAdapter.call(request([question]), { timeoutMs: 5_000 });
      expect(refusal.stop).toBe('refusal');
      expect(refusal.message.text).toBe('I cannot help with that.');
    } finally {
      raw.closeAllConnections();
      await new Promise((ok) => raw.close(ok));
    }
  });
});

describe('Anthropic adapter through the real SDK', () => {
  it('sends system, tools, tool_use blocks and ONE user message of tool_results; ids round-trip', async () => {
    const setup = await providers.anthropic();
    const { first } = await toolLoop(setup);
    const [firstReq, secondReq] = setup.server.requests;

    expect(firstReq!.path).toBe('/v1/messages');
    expect(firstReq!.body).toEqual({
      model: 'test-model',
      max_tokens: 256,
      system: 'You are a weather bot.',
      messages: [{ role: 'user', content: 'Weather in Paris and Rome?' }],
      tools: [{ name: 'get_weather', description: 'Current weather for a city.', input_schema: weatherTool.inputSchema }],
    });

    expect(first.message.toolCalls.map((c) => c.id)).toEqual(['toolu_1', 'toolu_2']);
    expect(secondReq!.body.messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me check both.' },
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: '{"tempC":21,"sky":"sunny"}', is_error: false },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: 'Weather service timed out; try again later.', is_error: true },
        ],
      },
    ]);
  });

  it('maps responses to the canonical form (input includes cache reads)', async () => {
    const setup = await providers.anthropic();
    const { first, second } = await toolLoop(setup);
    expect(modelResponseSchema.parse(first)).toEqual(first);
    expect(first).toMatchObject({
      message: {
        role: 'assistant',
        text: 'Let me check both.',
        toolCalls: [
          { id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          { id: 'toolu_2', name: 'get_weather', input: { city: 'Rome' } },
        ],
      },
      stop: 'tool_calls',
      // the fake reports input_tokens 20 + cache_read_input_tokens 100
      usage: { input: 120, output: 30, cachedInput: 100 },
      modelVersion: 'test-model',
      requestId: 'req_fake_1',
    });
    expect(second).toMatchObject({
      message: { text: 'Paris is sunny; Rome could not be checked.', toolCalls: [] },
      stop: 'end',
      usage: { input: 200, output: 12, cachedInput: 0 },
      requestId: 'req_fake_2',
    });
  });

  it('maps max_tokens to length', async () => {
    const setup = await providers.anthropic();
    setup.server.push({ kind: 'text', text: 'Par', stop: 'length' });
    expect((await setup.adapter.call(request([question]), { timeoutMs: 5_000 })).stop).toBe('length');
  });

  it('a raw-string tool input is sent as {}; an empty assistant text gets no text block', () => {
    const body = toAnthropicRequest(
      request([question, { role: 'assistant', text: '', toolCalls: [{ id: 'toolu_9', name: 'get_weather', input: '{city: Paris' }] }], {
        system: '',
        tools: [],
      }),
    );
    expect(body.system).toBeUndefined();
    expect(body.tools).toBeUndefined();
    expect(body.messages[1]).toEqual({ role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_9', name: 'get_weather', input: {} }] });
  });
});

describe.each(['openai', 'anthropic'] as const)('%s adapter failures', (provider) => {
  it('429 with retry-after: 2 → rate_limited, nextRetryDelay 2000 ms', async () => {
    const { server, adapter } = await providers[provider]();
    server.push({ kind: 'error', status: 429, headers: { 'retry-after': '2' } });
    const f = await failureOf(adapter.call(request([question]), { timeoutMs: 5_000 }));
    expect(f.type).toBe('rate_limited');
    expect(f.nonRetryable).toBe(false);
    expect(f.nextRetryDelay).toBe(2000);
    expect(f.details?.[0] as ProviderFailureDetails).toMatchObject({ provider, status: 429, requestId: 'req_fake_1' });
    expect(server.requests).toHaveLength(1); // maxRetries 0: Temporal is the only retry loop
  });

  it('401 → auth, non-retryable', async () => {
    const server = provider === 'openai' ? await startFakeOpenAI({ requireApiKey: 'sk-right' }) : await startFakeAnthropic({ requireApiKey: 'sk-right' });
    open.push(server);
    const adapter =
      provider === 'openai'
        ? createOpenAIAdapter(new OpenAI({ apiKey: KEY, baseURL: server.baseURL, maxRetries: 0 }))
        : createAnthropicAdapter(new Anthropic({ apiKey: KEY, baseURL: server.baseURL, maxRetries: 0 }));
    const f = await failureOf(adapter.call(request([question]), { timeoutMs: 5_000 }));
    expect(f.type).toBe('auth');
    expect(f.nonRetryable).toBe(true);
  });

  it('dropped connection → provider_unavailable (retryable)', async () => {
    const { server, adapter } = await providers[provider]();
    server.push({ kind: 'drop' });
    const f = await failureOf(adapter.call(request([question]), { timeoutMs: 5_000 }));
    expect(f.type).toBe('provider_unavailable');
    expect(f.nonRetryable).toBe(false);
  });

  it('malformed body → invalid_response', async () => {
    const { server, adapter } = await providers[provider]();
    server.push({ kind: 'malformed' });
    expect((await failureOf(adapter.call(request([question]), { timeoutMs: 5_000 }))).type).toBe('invalid_response');
  });

  it('no answer within timeoutMs → timeout', async () => {
    const { server, adapter } = await providers[provider]();
    server.push({ kind: 'delay', ms: 2_000, then: { kind: 'text', text: 'late' } });
    const f = await failureOf(adapter.call(request([question]), { timeoutMs: 150 }));
    expect(f.type).toBe('timeout');
    expect(f.nonRetryable).toBe(false);
  });

  it('an aborted signal rethrows its reason (Temporal cancellation), not a provider failure', async () => {
    const { server, adapter } = await providers[provider]();
    server.push({ kind: 'delay', ms: 2_000, then: { kind: 'text', text: 'late' } });
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    setTimeout(() => controller.abort(reason), 50);
    expect(await rejectionOf(adapter.call(request([question]), { timeoutMs: 5_000, signal: controller.signal }))).toBe(reason);
  });
});
