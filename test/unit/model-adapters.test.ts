import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { Message, ToolSpec } from '../../core/messages.ts';
import type { ModelRequest, ModelResponse, StopReason } from '../../core/model.ts';
import { modelResponseSchema } from '../../core/model.ts';
import {
  createAnthropicAdapter,
  createOpenAIAdapter,
  fromAnthropicResponse,
  fromOpenAIResponse,
  isStrictCompatible,
  toAnthropicRequest,
  toOpenAIRequest,
  type ModelAdapter,
  type ProviderFailureDetails,
} from '../../activities/model/index.ts';
import { startFakeAnthropic, startFakeOpenAI, type FakeProviderServer, type FakeStop } from '../kit/index.ts';
import { rejectionOf } from '../helpers/rejection.ts';
import { chatBody } from '../helpers/chat-body.ts';

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
    return {
      server,
      adapter: createOpenAIAdapter(new OpenAI({ apiKey: KEY, baseURL: server.baseURL, maxRetries: 0 })),
    };
  },
  anthropic: async (): Promise<Setup> => {
    const server = await startFakeAnthropic({ requireApiKey: KEY });
    open.push(server);
    return {
      server,
      adapter: createAnthropicAdapter(new Anthropic({ apiKey: KEY, baseURL: server.baseURL, maxRetries: 0 })),
    };
  },
};

/** Runs one tool turn through an adapter: the model asks for two tools (ids chosen by the
 * fake), we answer both (the second as an error), the model answers in text. */
async function toolLoop({
  server,
  adapter,
}: Setup): Promise<{ first: ModelResponse; second: ModelResponse; history: Message[] }> {
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
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Current weather for a city.',
            parameters: weatherTool.inputSchema,
          },
        },
      ],
    });
    expect(chatBody(firstReq!).stream).toBeUndefined();

    const ids = first.message.toolCalls.map((c) => c.id);
    expect(ids).toEqual(['call_1', 'call_2']);
    expect(chatBody(secondReq!).messages).toEqual([
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
    const adapter = createOpenAIAdapter(
      new OpenAI({ apiKey: 'local', baseURL: server.baseURL, maxRetries: 0 }),
      'openai-compatible',
    );
    expect(adapter.provider).toBe('openai-compatible');
    server.push({ kind: 'text', text: 'ok' });
    await adapter.call(request([question], { temperature: 0.2, tools: [] }), { timeoutMs: 5_000 });
    const body = chatBody(server.requests[0]!);
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
        {
          role: 'tool',
          results: [{ callId: 'c1', name: 'get_weather', content: 'invalid arguments: not JSON', isError: true }],
        },
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
      completion(
        {
          content: null,
          tool_calls: [{ id: 't1', type: 'function', function: { name: 'get_weather', arguments: '{city: Paris' } }],
        },
        'tool_calls',
      ),
      completion({ content: null, refusal: 'I cannot help with that.' }, 'stop'),
    ];
    // The fake's script renders only well-formed replies; a bare server serves these bodies.
    const raw = createServer((_req, res) => {
      res
        .writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_raw' })
        .end(JSON.stringify(bodies.shift()));
    });
    await new Promise<void>((ok) => raw.listen(0, '127.0.0.1', ok));
    try {
      const { port } = raw.address() as AddressInfo;
      const rawAdapter = createOpenAIAdapter(
        new OpenAI({ apiKey: KEY, baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 }),
      );
      const toolRes = await rawAdapter.call(request([question]), { timeoutMs: 5_000 });
      expect(toolRes.message).toEqual({
        role: 'assistant',
        text: '',
        toolCalls: [{ id: 't1', name: 'get_weather', input: '{city: Paris' }],
      });
      expect(toolRes).toMatchObject({
        stop: 'tool_calls',
        modelVersion: 'gpt-test-2025-01-01',
        requestId: 'req_raw',
        usage: { input: 0, output: 0, cachedInput: 0 },
      });
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
      // the stable prefix is marked for prompt caching: the system block and the last tool
      system: [{ type: 'text', text: 'You are a weather bot.', cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'Weather in Paris and Rome?' }],
      tools: [
        {
          name: 'get_weather',
          description: 'Current weather for a city.',
          input_schema: weatherTool.inputSchema,
          cache_control: { type: 'ephemeral' },
        },
      ],
    });

    expect(first.message.toolCalls.map((c) => c.id)).toEqual(['toolu_1', 'toolu_2']);
    expect(chatBody(secondReq!).messages).toEqual([
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
          {
            type: 'tool_result',
            tool_use_id: 'toolu_2',
            content: 'Weather service timed out; try again later.',
            is_error: true,
          },
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
      request(
        [
          question,
          { role: 'assistant', text: '', toolCalls: [{ id: 'toolu_9', name: 'get_weather', input: '{city: Paris' }] },
        ],
        {
          system: '',
          tools: [],
        },
      ),
    );
    expect(body.system).toBeUndefined();
    expect(body.tools).toBeUndefined();
    expect(body.messages[1]).toEqual({
      role: 'assistant',
      content: [{ type: 'tool_use', id: 'toolu_9', name: 'get_weather', input: {} }],
    });
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
    const server =
      provider === 'openai'
        ? await startFakeOpenAI({ requireApiKey: 'sk-right' })
        : await startFakeAnthropic({ requireApiKey: 'sk-right' });
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
    expect(await rejectionOf(adapter.call(request([question]), { timeoutMs: 5_000, signal: controller.signal }))).toBe(
      reason,
    );
  });
});

describe.each(['openai', 'anthropic'] as const)('%s adapter: stop reasons through the wire', (provider) => {
  const expected: Record<'openai' | 'anthropic', Record<FakeStop, StopReason>> = {
    openai: {
      end: 'end',
      length: 'length',
      refusal: 'refusal',
      content_filter: 'content_filter',
      context_window: 'length',
      pause: 'end',
    },
    // Anthropic reports policy blocks as refusals; pause_turn has no canonical meaning.
    anthropic: {
      end: 'end',
      length: 'length',
      refusal: 'refusal',
      content_filter: 'refusal',
      context_window: 'length',
      pause: 'other',
    },
  };
  for (const stop of ['end', 'length', 'refusal', 'content_filter', 'context_window', 'pause'] as const) {
    it(`fake stop ${stop} → ${expected[provider][stop]}`, async () => {
      const { server, adapter } = await providers[provider]();
      server.push({ kind: 'text', text: 'I will not do that.', stop });
      const res = await adapter.call(request([question]), { timeoutMs: 5_000 });
      expect(res.stop).toBe(expected[provider][stop]);
      expect(res.message.text).toBe('I will not do that.');
    });
  }
});

describe('Anthropic stop reasons (mapping)', () => {
  const message = (stop_reason: string) => ({
    id: 'm',
    type: 'message',
    role: 'assistant',
    model: 'claude-x',
    content: [],
    stop_reason,
    usage: { input_tokens: 1, output_tokens: 1 },
  });
  const rows: [string, StopReason][] = [
    ['end_turn', 'end'],
    ['stop_sequence', 'end'],
    ['tool_use', 'tool_calls'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['refusal', 'refusal'],
    ['pause_turn', 'other'],
    ['something_new', 'other'],
  ];
  for (const [reason, stop] of rows) {
    it(`${reason} → ${stop}`, () => {
      expect(fromAnthropicResponse(message(reason) as never, request([question]), 0).stop).toBe(stop);
    });
  }
});

describe('usage: cached and cache-write tokens', () => {
  it('anthropic: input = input_tokens + cache reads + cache writes; cacheWrite reported', async () => {
    const { server, adapter } = await providers.anthropic();
    server.push({ kind: 'text', text: 'ok', usage: { input: 5000, output: 20, cached: 1000, cacheWrite: 3500 } });
    const res = await adapter.call(request([question]), { timeoutMs: 5_000 });
    expect(res.usage).toEqual({ input: 5000, output: 20, cachedInput: 1000, cacheWrite: 3500 });
    expect(modelResponseSchema.parse(res)).toEqual(res);
  });

  it('openai: cached tokens reported, cacheWrite always 0', async () => {
    const { server, adapter } = await providers.openai();
    server.push({ kind: 'text', text: 'ok', usage: { input: 5000, output: 20, cached: 4096, cacheWrite: 100 } });
    const res = await adapter.call(request([question]), { timeoutMs: 5_000 });
    expect(res.usage).toEqual({ input: 5000, output: 20, cachedInput: 4096, cacheWrite: 0 });
  });
});

describe('prompt caching layout', () => {
  const twoTools: ToolSpec[] = [
    weatherTool,
    { ...weatherTool, name: 'get_forecast', description: 'Forecast for a city.' },
  ];

  it('anthropic marks the system block and only the LAST tool', () => {
    const body = toAnthropicRequest(request([question], { tools: twoTools }));
    expect(body.system).toEqual([
      { type: 'text', text: 'You are a weather bot.', cache_control: { type: 'ephemeral' } },
    ]);
    const tools = body.tools as unknown as Record<string, unknown>[];
    expect(tools.map((t) => t['cache_control'])).toEqual([undefined, { type: 'ephemeral' }]);
  });

  it('anthropic: cachePrefix false sends a plain system string and no markers', () => {
    const body = toAnthropicRequest(request([question], { tools: twoTools, cachePrefix: false }));
    expect(body.system).toBe('You are a weather bot.');
    expect(JSON.stringify(body)).not.toContain('cache_control');
  });

  it('anthropic: no tools → only the system is marked; no system → only the last tool', () => {
    expect(toAnthropicRequest(request([question], { tools: [] })).system).toEqual([
      { type: 'text', text: 'You are a weather bot.', cache_control: { type: 'ephemeral' } },
    ]);
    const noSystem = toAnthropicRequest(request([question], { system: '' }));
    expect(noSystem.system).toBeUndefined();
    expect((noSystem.tools as unknown as Record<string, unknown>[])[0]?.['cache_control']).toEqual({
      type: 'ephemeral',
    });
  });

  it('openai keeps the stable prefix first and identical across calls (system, tools), no markers', () => {
    const first = toOpenAIRequest(request([question], { tools: twoTools }), 'openai');
    const later = toOpenAIRequest(
      request(
        [question, { role: 'assistant', text: 'Sunny.', toolCalls: [] }, { role: 'user', content: 'And tomorrow?' }],
        { tools: twoTools },
      ),
      'openai',
    );
    expect(first.messages[0]).toEqual({ role: 'system', content: 'You are a weather bot.' });
    expect(later.messages.slice(0, 2)).toEqual(first.messages);
    expect(later.tools).toEqual(first.tools);
    expect(JSON.stringify(later)).not.toContain('cache_control');
  });
});

describe('structured output', () => {
  const strictSchema = {
    type: 'object',
    properties: { city: { type: 'string' }, tempC: { type: ['number', 'null'] } },
    required: ['city', 'tempC'],
    additionalProperties: false,
  };
  const looseSchema = {
    type: 'object',
    properties: { city: { type: 'string' }, note: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  };

  it('openai: response_format json_schema, strict only when the schema allows; JSON comes back as text', async () => {
    const { server, adapter } = await providers.openai();
    server.push({ kind: 'text', text: '{"city":"Paris","tempC":21}' }, { kind: 'text', text: '{"city":"Rome"}' });
    const res = await adapter.call(request([question], { output: { name: 'weather', schema: strictSchema } }), {
      timeoutMs: 5_000,
    });
    expect(res.message.text).toBe('{"city":"Paris","tempC":21}');
    expect(chatBody(server.requests[0]!).response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'weather', schema: strictSchema, strict: true },
    });

    await adapter.call(request([question], { output: { name: 'weather', schema: looseSchema } }), { timeoutMs: 5_000 });
    expect(chatBody(server.requests[1]!).response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'weather', schema: looseSchema, strict: false },
    });
  });

  it('openai-compatible gets the same response_format; no output → no response_format', () => {
    const body = toOpenAIRequest(
      request([question], { output: { name: 'weather', schema: strictSchema } }),
      'openai-compatible',
    );
    expect(body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'weather', schema: strictSchema, strict: true },
    });
    expect(toOpenAIRequest(request([question]), 'openai').response_format).toBeUndefined();
  });

  it('anthropic: native output_config.format json_schema; JSON comes back as text', async () => {
    const { server, adapter } = await providers.anthropic();
    server.push({ kind: 'text', text: '{"city":"Paris","tempC":21}' });
    const res = await adapter.call(request([question], { output: { name: 'weather', schema: strictSchema } }), {
      timeoutMs: 5_000,
    });
    expect(res.message.text).toBe('{"city":"Paris","tempC":21}');
    expect(chatBody(server.requests[0]!).output_config).toEqual({
      format: { type: 'json_schema', schema: strictSchema },
    });
    expect(toAnthropicRequest(request([question])).output_config).toBeUndefined();
  });

  it('anthropic: a zod schema is brought into the accepted subset (as the SDK helper does)', () => {
    const schema = z.toJSONSchema(
      z.object({
        name: z.string().min(2),
        kind: z.discriminatedUnion('k', [z.object({ k: z.literal('a') }), z.object({ k: z.literal('b') })]),
      }),
    );
    const sent = toAnthropicRequest(request([question], { output: { name: 'thing', schema } })).output_config?.format
      ?.schema;
    expect(sent).toEqual({
      type: 'object',
      properties: {
        name: { type: 'string', description: '{minLength: 2}' },
        kind: {
          anyOf: [
            { type: 'object', properties: { k: { const: 'a' } }, additionalProperties: false, required: ['k'] },
            { type: 'object', properties: { k: { const: 'b' } }, additionalProperties: false, required: ['k'] },
          ],
        },
      },
      additionalProperties: false,
      required: ['name', 'kind'],
    });
    expect(schema).toHaveProperty('$schema'); // the original is not modified
  });

  it('anthropic: a schema the transform rejects is sent as given (the API then says what is wrong)', () => {
    const schema = {
      type: 'object',
      properties: { anything: {} },
      required: ['anything'],
      additionalProperties: false,
    };
    expect(
      toAnthropicRequest(request([question], { output: { name: 'thing', schema } })).output_config?.format?.schema,
    ).toEqual(schema);
  });

  it('a refused structured call is a refusal, with the refusal text', async () => {
    const { server, adapter } = await providers.openai();
    server.push({ kind: 'text', text: 'I cannot help with that.', stop: 'refusal' });
    const res = await adapter.call(request([question], { output: { name: 'weather', schema: strictSchema } }), {
      timeoutMs: 5_000,
    });
    expect(res).toMatchObject({ stop: 'refusal', message: { text: 'I cannot help with that.' } });
  });
});

describe('isStrictCompatible', () => {
  const yes: [string, unknown][] = [
    ['flat object', z.toJSONSchema(z.object({ a: z.string(), b: z.number() }))],
    [
      'nullable, enum, nested arrays of objects',
      z.toJSONSchema(z.object({ a: z.string().nullable(), b: z.array(z.object({ c: z.enum(['x', 'y']) })) })),
    ],
    ['anyOf of strict members', z.toJSONSchema(z.object({ u: z.union([z.string(), z.object({ k: z.boolean() })]) }))],
    ['empty object', { type: 'object', properties: {}, required: [], additionalProperties: false }],
    [
      '$defs and $ref',
      {
        type: 'object',
        properties: { item: { $ref: '#/$defs/Item' } },
        required: ['item'],
        additionalProperties: false,
        $defs: {
          Item: {
            type: 'object',
            properties: { n: { type: 'integer' } },
            required: ['n'],
            additionalProperties: false,
          },
        },
      },
    ],
  ];
  const no: [string, unknown][] = [
    ['an optional field', z.toJSONSchema(z.object({ a: z.string(), b: z.string().optional() }))],
    ['a nested optional field', z.toJSONSchema(z.object({ a: z.array(z.object({ b: z.string().optional() })) }))],
    ['additionalProperties missing', { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }],
    ['a record', z.toJSONSchema(z.object({ a: z.record(z.string(), z.number()) }))],
    ['passthrough', z.toJSONSchema(z.object({ a: z.string() }).passthrough())],
    ['unknown (an empty schema)', z.toJSONSchema(z.object({ a: z.unknown() }))],
    [
      'oneOf (discriminated union)',
      z.toJSONSchema(
        z.object({ d: z.discriminatedUnion('k', [z.object({ k: z.literal('a') }), z.object({ k: z.literal('b') })]) }),
      ),
    ],
    ['a non-object root', { type: 'array', items: { type: 'string' } }],
    ['an anyOf root', { anyOf: [{ type: 'object', properties: {}, required: [], additionalProperties: false }] }],
    ['not a schema', 'object'],
    [
      'a $defs entry that is not strict',
      {
        type: 'object',
        properties: {},
        required: [],
        additionalProperties: false,
        $defs: { X: { type: 'object', properties: { a: { type: 'string' } } } },
      },
    ],
  ];
  for (const [name, schema] of yes) it(`strict: ${name}`, () => expect(isStrictCompatible(schema)).toBe(true));
  for (const [name, schema] of no) it(`not strict: ${name}`, () => expect(isStrictCompatible(schema)).toBe(false));
});

describe.each(['openai', 'anthropic'] as const)('%s: billed but unusable answers', (provider) => {
  it('a 200 with usage but no choices/content → invalid_response carrying billedUsage', async () => {
    const { server, adapter } = await providers[provider]();
    const body =
      provider === 'openai'
        ? {
            id: 'chatcmpl-x',
            object: 'chat.completion',
            model: 'test-model',
            choices: [],
            usage: { prompt_tokens: 900, completion_tokens: 40, prompt_tokens_details: { cached_tokens: 100 } },
          }
        : {
            id: 'msg_x',
            type: 'message',
            model: 'test-model',
            stop_reason: 'end_turn',
            usage: {
              input_tokens: 100,
              output_tokens: 40,
              cache_read_input_tokens: 500,
              cache_creation_input_tokens: 300,
            },
          };
    server.push({ kind: 'raw', status: 200, body });
    const f = await failureOf(adapter.call(request([question]), { timeoutMs: 5_000 }));
    expect(f.type).toBe('invalid_response');
    expect(f.nonRetryable).toBe(false);
    const details = f.details?.[0] as ProviderFailureDetails;
    expect(details.billedUsage).toEqual(
      provider === 'openai'
        ? { input: 900, output: 40, cachedInput: 100, cacheWrite: 0 }
        : { input: 900, output: 40, cachedInput: 500, cacheWrite: 300 },
    );
    expect(details.requestId).toBe('req_fake_1');
    expect(f.message).toContain('request req_fake_1');
  });

  it('a 200 without usage and without choices/content → invalid_response, no billedUsage', async () => {
    const { server, adapter } = await providers[provider]();
    server.push({ kind: 'raw', status: 200, body: { id: 'x' } });
    const f = await failureOf(adapter.call(request([question]), { timeoutMs: 5_000 }));
    expect(f.type).toBe('invalid_response');
    expect((f.details?.[0] as ProviderFailureDetails).billedUsage).toBeUndefined();
  });
});

describe('OpenAI unusable and odd answers', () => {
  it('finish_reason stop with content null and no tool calls → invalid_response with billedUsage', async () => {
    const { server, adapter } = await providers.openai();
    server.push({
      kind: 'raw',
      status: 200,
      body: {
        id: 'c',
        object: 'chat.completion',
        model: 'test-model',
        choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: null }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 50, completion_tokens: 0 },
      },
    });
    const f = await failureOf(adapter.call(request([question]), { timeoutMs: 5_000 }));
    expect(f.type).toBe('invalid_response');
    expect(f.message).toContain('neither content nor tool calls');
    expect((f.details?.[0] as ProviderFailureDetails).billedUsage).toEqual({
      input: 50,
      output: 0,
      cachedInput: 0,
      cacheWrite: 0,
    });
  });

  it('an empty string answer on length or content_filter is a valid (empty) answer', () => {
    const completion = (finish_reason: string) =>
      ({
        id: 'c',
        object: 'chat.completion',
        created: 0,
        model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: null }, finish_reason }],
      }) as never;
    expect(fromOpenAIResponse(completion('length'), request([question]), 0)).toMatchObject({
      stop: 'length',
      message: { text: '' },
    });
    expect(fromOpenAIResponse(completion('content_filter'), request([question]), 0)).toMatchObject({
      stop: 'content_filter',
      message: { text: '' },
    });
  });

  it('rawArgs that are not JSON come back as the raw string input', async () => {
    const { server, adapter } = await providers.openai();
    server.push({ kind: 'tool_calls', calls: [{ id: 'c9', name: 'get_weather', rawArgs: '{city: Paris' }] });
    const res = await adapter.call(request([question]), { timeoutMs: 5_000 });
    expect(res.message.toolCalls).toEqual([{ id: 'c9', name: 'get_weather', input: '{city: Paris' }]);
  });
});
