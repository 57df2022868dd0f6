import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import {
  byModel,
  requestedModel,
  startFakeAnthropic,
  startFakeOpenAI,
  type FakeProviderServer,
  type FakeServerOptions,
  type FakeStop,
} from '../kit/index.ts';
import { rejectionOf } from '../helpers/rejection.ts';
import { chatBody } from '../helpers/chat-body.ts';

// The fakes are only useful if the real SDKs accept them, so every case goes through the SDK.

const open: FakeProviderServer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function openaiFake(opts?: FakeServerOptions, timeout?: number) {
  const server = await startFakeOpenAI(opts);
  open.push(server);
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: server.baseURL, maxRetries: 0, ...(timeout && { timeout }) });
  const ask = (extra: Record<string, unknown> = {}) =>
    client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], ...extra });
  return { server, client, ask };
}

async function anthropicFake(opts?: FakeServerOptions) {
  const server = await startFakeAnthropic(opts);
  open.push(server);
  const client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: server.baseURL, maxRetries: 0 });
  const ask = (extra: Record<string, unknown> = {}) =>
    client.messages.create({
      model: 'claude-test',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
      ...extra,
    });
  return { server, client, ask };
}

describe('fake OpenAI server', () => {
  it('serves a text reply the SDK parses, with usage and request id', async () => {
    const { server, client } = await openaiFake({
      script: [{ kind: 'text', text: 'hello there', usage: { input: 100, output: 3, cached: 40 } }],
    });
    const { data, request_id } = await client.chat.completions
      .create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.id).toBe('chatcmpl-fake1');
    expect(data.model).toBe('gpt-test');
    expect(data.choices[0]?.message).toMatchObject({ role: 'assistant', content: 'hello there' });
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.usage).toMatchObject({
      prompt_tokens: 100,
      completion_tokens: 3,
      total_tokens: 103,
      prompt_tokens_details: { cached_tokens: 40 },
    });
    expect(request_id).toBe('req_fake_1');
    expect(server.baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  });

  it('estimates usage when the script gives none, and maps stop length', async () => {
    const { ask } = await openaiFake({ script: [{ kind: 'text', text: '12345678', stop: 'length' }] });
    const res = await ask();
    expect(res.choices[0]?.finish_reason).toBe('length');
    expect(res.usage?.completion_tokens).toBe(2);
    expect(res.usage?.prompt_tokens).toBeGreaterThan(0);
  });

  it('serves tool calls with JSON-string arguments and deterministic ids', async () => {
    const args = { path: 'a.txt', lines: [1, 2] };
    const { ask } = await openaiFake({
      script: [
        {
          kind: 'tool_calls',
          calls: [
            { name: 'read_file', args },
            { id: 'mine', name: 'noop', args: {} },
          ],
        },
      ],
    });
    const res = await ask();
    const calls = res.choices[0]?.message.tool_calls ?? [];
    expect(res.choices[0]?.finish_reason).toBe('tool_calls');
    expect(res.choices[0]?.message.content).toBeNull();
    expect(calls.map((c) => c.id)).toEqual(['call_1', 'mine']);
    const first = calls[0];
    if (first?.type !== 'function') throw new Error('expected a function tool call');
    expect(first.function.name).toBe('read_file');
    expect(JSON.parse(first.function.arguments)).toEqual(args);
    expect(res.usage?.completion_tokens).toBe(10);
  });

  it('surfaces 429 as RateLimitError with retry-after readable', async () => {
    const { ask } = await openaiFake({ script: [{ kind: 'error', status: 429, headers: { 'Retry-After': '2' } }] });
    const err = await rejectionOf(ask());
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const e = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(e.status).toBe(429);
    expect(e.headers.get('retry-after')).toBe('2');
    expect(e.code).toBe('rate_limit_exceeded');
    expect(e.type).toBe('requests');
    expect(e.requestID).toBe('req_fake_1');
  });

  it('surfaces 401 as AuthenticationError, scripted or from requireApiKey', async () => {
    const { ask } = await openaiFake({ script: [{ kind: 'error', status: 401 }] });
    expect(await rejectionOf(ask())).toBeInstanceOf(OpenAI.AuthenticationError);

    const guarded = await openaiFake({ requireApiKey: 'sk-other', script: [{ kind: 'text', text: 'unused' }] });
    const err = await rejectionOf(guarded.ask());
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((err as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');
  });

  it('throws on a malformed body and an APIConnectionError on a dropped connection', async () => {
    const { ask, server } = await openaiFake({ script: [{ kind: 'malformed' }, { kind: 'drop' }] });
    const malformed = await rejectionOf(ask());
    expect(malformed).toBeInstanceOf(Error);
    expect(malformed).not.toBeInstanceOf(OpenAI.APIError);
    expect(await rejectionOf(ask())).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(server.requests).toHaveLength(2);
  });

  // (It used to refuse `stream: true` with a 400; it streams now: fake-streaming.test.ts.)
  it('explains an exhausted script with a 500', async () => {
    const { ask } = await openaiFake();
    const exhausted = await rejectionOf(ask());
    expect(exhausted).toBeInstanceOf(OpenAI.InternalServerError);
    expect(String(exhausted)).toMatch(/script exhausted/);
  });

  it('records requests with the auth header redacted', async () => {
    const { ask, server } = await openaiFake({ script: [{ kind: 'text', text: 'ok' }] });
    const before = Date.now();
    await ask();
    const [rec] = server.requests;
    expect(rec).toMatchObject({ method: 'POST', path: '/v1/chat/completions', body: { model: 'gpt-test' } });
    expect(rec?.headers.authorization).toBe('[redacted]');
    expect(JSON.stringify(rec)).not.toContain('sk-test');
    expect(rec?.at).toBeGreaterThanOrEqual(before);
  });

  it('reads a body whose characters are split between writes, and counts usage on it as sent', async () => {
    const server = await startFakeOpenAI({ script: [{ kind: 'text', text: 'ok' }] });
    open.push(server);
    const body = JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'naïve 日本 🚀' }] });
    const bytes = Buffer.from(body, 'utf8');
    const cut = bytes.indexOf(Buffer.from('本', 'utf8')) + 1; // inside a 3-byte character
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${server.baseURL}/chat/completions`, { method: 'POST' }, (res) => {
        let out = '';
        res.setEncoding('utf8').on('data', (c: string) => (out += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: out }));
      });
      req.on('error', reject);
      req.setHeader('content-type', 'application/json');
      req.flushHeaders();
      req.write(bytes.subarray(0, cut), () => setTimeout(() => req.end(bytes.subarray(cut)), 20));
    });
    expect(status).toBe(200);
    expect(server.requests[0]?.body).toEqual(JSON.parse(body));
    expect((JSON.parse(text) as OpenAI.ChatCompletion).usage?.prompt_tokens).toBe(Math.ceil(body.length / 4));
  });

  it('falls back from the queue to the handler, and push() appends', async () => {
    const { ask, server } = await openaiFake({
      script: [{ kind: 'text', text: 'scripted' }],
      handler: (req, index) => ({ kind: 'text', text: `handled #${index} ${requestedModel(req.body)}` }),
    });
    expect((await ask()).choices[0]?.message.content).toBe('scripted');
    expect((await ask()).choices[0]?.message.content).toBe('handled #1 gpt-test');
    server.push({ kind: 'text', text: 'pushed' });
    expect((await ask()).choices[0]?.message.content).toBe('pushed');
    server.setHandler(undefined);
    expect(await rejectionOf(ask())).toBeInstanceOf(OpenAI.InternalServerError);
  });

  it('delays replies, and close() does not wait for a pending delay', async () => {
    const { ask } = await openaiFake({ script: [{ kind: 'delay', ms: 30, then: { kind: 'text', text: 'late' } }] });
    expect((await ask()).choices[0]?.message.content).toBe('late');

    const slow = await openaiFake(
      { script: [{ kind: 'delay', ms: 60_000, then: { kind: 'text', text: 'never' } }] },
      100,
    );
    expect(await rejectionOf(slow.ask())).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    const started = Date.now();
    await slow.server.close();
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('fake Anthropic server', () => {
  it('serves a text reply the SDK parses, with usage and request id', async () => {
    const { server, ask } = await anthropicFake({
      script: [{ kind: 'text', text: 'hello there', usage: { input: 100, output: 3, cached: 40 } }],
    });
    const msg = await ask();
    expect(msg).toMatchObject({
      type: 'message',
      role: 'assistant',
      id: 'msg_fake1',
      model: 'claude-test',
      stop_reason: 'end_turn',
    });
    expect(msg.content).toEqual([{ type: 'text', text: 'hello there', citations: null }]);
    expect(msg.usage).toMatchObject({
      input_tokens: 60,
      output_tokens: 3,
      cache_read_input_tokens: 40,
      cache_creation_input_tokens: 0,
    });
    expect(msg._request_id).toBe('req_fake_1');
    expect(server.baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('serves tool_use blocks whose input equals the args', async () => {
    const args = { query: 'x', limit: 3 };
    const { ask } = await anthropicFake({
      script: [{ kind: 'tool_calls', text: 'Let me look.', calls: [{ name: 'search', args }] }],
    });
    const msg = await ask();
    expect(msg.stop_reason).toBe('tool_use');
    expect(msg.content[0]).toMatchObject({ type: 'text', text: 'Let me look.' });
    const block = msg.content[1];
    if (block?.type !== 'tool_use') throw new Error('expected a tool_use block');
    expect(block).toMatchObject({ id: 'toolu_1', name: 'search' });
    expect(block.input).toEqual(args);
  });

  it('maps stop length to max_tokens', async () => {
    const { ask } = await anthropicFake({ script: [{ kind: 'text', text: 'cut', stop: 'length' }] });
    expect((await ask()).stop_reason).toBe('max_tokens');
  });

  it('surfaces 429 as RateLimitError with retry-after readable', async () => {
    const { ask } = await anthropicFake({ script: [{ kind: 'error', status: 429, headers: { 'retry-after': '2' } }] });
    const err = await rejectionOf(ask());
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    const e = err as InstanceType<typeof Anthropic.RateLimitError>;
    expect(e.status).toBe(429);
    expect(e.headers.get('retry-after')).toBe('2');
    expect(e.type).toBe('rate_limit_error');
    expect(e.requestID).toBe('req_fake_1');
  });

  it('surfaces 401 as AuthenticationError and 529 as an APIError with status 529', async () => {
    const { ask } = await anthropicFake({ requireApiKey: 'sk-ant-other', script: [{ kind: 'text', text: 'unused' }] });
    const auth = await rejectionOf(ask());
    expect(auth).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((auth as InstanceType<typeof Anthropic.AuthenticationError>).type).toBe('authentication_error');

    const scripted = await anthropicFake({ script: [{ kind: 'error', status: 529 }] });
    const overloaded = await rejectionOf(scripted.ask());
    expect(overloaded).toBeInstanceOf(Anthropic.APIError);
    const e = overloaded as InstanceType<typeof Anthropic.APIError>;
    expect(e.status).toBe(529);
    expect(e.type).toBe('overloaded_error');
  });

  it('throws on a malformed body and an APIConnectionError on a dropped connection', async () => {
    const { ask } = await anthropicFake({ script: [{ kind: 'malformed' }, { kind: 'drop' }] });
    const malformed = await rejectionOf(ask());
    expect(malformed).toBeInstanceOf(Error);
    expect(malformed).not.toBeInstanceOf(Anthropic.APIError);
    expect(await rejectionOf(ask())).toBeInstanceOf(Anthropic.APIConnectionError);
  });

  it('records requests with the api key redacted', async () => {
    const { ask, server } = await anthropicFake({ script: [{ kind: 'text', text: 'ok' }] });
    await ask();
    const [rec] = server.requests;
    expect(rec).toMatchObject({ method: 'POST', path: '/v1/messages', body: { model: 'claude-test', max_tokens: 64 } });
    // @anthropic-ai/sdk v1 sends apiKey as `Authorization: Bearer`, older versions as `x-api-key`.
    expect(rec?.headers['x-api-key'] ?? rec?.headers.authorization).toBe('[redacted]');
    expect(rec?.headers['anthropic-version']).toBeTruthy();
    expect(JSON.stringify(rec)).not.toContain('sk-ant-test');
  });
});

describe('fake servers: stop reasons per provider', () => {
  const cases: { stop: FakeStop; openai: string; anthropic: string }[] = [
    { stop: 'end', openai: 'stop', anthropic: 'end_turn' },
    { stop: 'length', openai: 'length', anthropic: 'max_tokens' },
    { stop: 'refusal', openai: 'stop', anthropic: 'refusal' },
    { stop: 'content_filter', openai: 'content_filter', anthropic: 'refusal' },
    { stop: 'context_window', openai: 'length', anthropic: 'model_context_window_exceeded' },
    { stop: 'pause', openai: 'stop', anthropic: 'pause_turn' },
  ];
  for (const c of cases) {
    it(`stop ${c.stop} → openai ${c.openai}, anthropic ${c.anthropic}`, async () => {
      const o = await openaiFake({ script: [{ kind: 'text', text: 'words', stop: c.stop }] });
      const choice = (await o.ask()).choices[0];
      expect(choice?.finish_reason).toBe(c.openai);
      if (c.stop === 'refusal') expect(choice?.message).toMatchObject({ content: null, refusal: 'words' });
      else expect(choice?.message).toMatchObject({ content: 'words', refusal: null });

      const a = await anthropicFake({ script: [{ kind: 'text', text: 'words', stop: c.stop }] });
      const msg = await a.ask();
      expect(msg.stop_reason).toBe(c.anthropic);
      expect(msg.content).toEqual([{ type: 'text', text: 'words', citations: null }]);
    });
  }
});

describe('fake servers: cache writes, raw bodies, raw tool arguments, byModel', () => {
  it('cacheWrite: Anthropic cache_creation_input_tokens, input_tokens excludes reads and writes; OpenAI ignores it', async () => {
    const usage = { input: 1000, output: 5, cached: 300, cacheWrite: 600 };
    const a = await anthropicFake({ script: [{ kind: 'text', text: 'x', usage }] });
    expect((await a.ask()).usage).toMatchObject({
      input_tokens: 100,
      cache_read_input_tokens: 300,
      cache_creation_input_tokens: 600,
      cache_creation: { ephemeral_5m_input_tokens: 600, ephemeral_1h_input_tokens: 0 },
      output_tokens: 5,
    });
    const o = await openaiFake({ script: [{ kind: 'text', text: 'x', usage }] });
    expect((await o.ask()).usage).toMatchObject({
      prompt_tokens: 1000,
      completion_tokens: 5,
      prompt_tokens_details: { cached_tokens: 300 },
    });
  });

  it('raw sends exactly the given body, status and headers (request id added)', async () => {
    const body = {
      id: 'chatcmpl-x',
      object: 'chat.completion',
      choices: [],
      usage: { prompt_tokens: 7, completion_tokens: 0, total_tokens: 7 },
    };
    const { client, server } = await openaiFake({
      script: [{ kind: 'raw', status: 200, body, headers: { 'x-extra': 'yes' } }],
    });
    const { data, response, request_id } = await client.chat.completions
      .create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(data).toEqual(body);
    expect(response.headers.get('x-extra')).toBe('yes');
    expect(request_id).toBe('req_fake_1');
    expect(server.requests).toHaveLength(1);

    const failing = await anthropicFake({
      script: [{ kind: 'raw', status: 503, body: { type: 'error', error: { type: 'api_error', message: 'custom' } } }],
    });
    const err = await rejectionOf(failing.ask());
    expect(err).toBeInstanceOf(Anthropic.InternalServerError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toEqual({
      type: 'error',
      error: { type: 'api_error', message: 'custom' },
    });
  });

  it('rawArgs is sent verbatim as OpenAI function.arguments; Anthropic sends args', async () => {
    const o = await openaiFake({
      script: [{ kind: 'tool_calls', calls: [{ name: 'calc', rawArgs: '{expression: 1+' }] }],
    });
    const call = (await o.ask()).choices[0]?.message.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('expected a function tool call');
    expect(call.function.arguments).toBe('{expression: 1+');

    const a = await anthropicFake({
      script: [
        { kind: 'tool_calls', calls: [{ name: 'calc', rawArgs: '{expression: 1+', args: { expression: '1+1' } }] },
      ],
    });
    expect((await a.ask()).content[0]).toMatchObject({ type: 'tool_use', name: 'calc', input: { expression: '1+1' } });
  });

  it('byModel dispatches on the requested model: queues, handlers, 404 for an unknown model', async () => {
    const handler = byModel({
      'gpt-big': [{ kind: 'error', status: 503 }],
      'gpt-small': [
        { kind: 'text', text: 'small 1' },
        { kind: 'text', text: 'small 2' },
      ],
      'gpt-echo': (req, index) => ({ kind: 'text', text: `echo #${index} ${chatBody(req).messages.length}` }),
    });
    const { ask } = await openaiFake({ handler });
    const as = (model: string) => ask({ model });
    expect(await rejectionOf(as('gpt-big'))).toBeInstanceOf(OpenAI.InternalServerError);
    expect((await as('gpt-small')).choices[0]?.message.content).toBe('small 1');
    expect((await as('gpt-echo')).choices[0]?.message.content).toBe('echo #2 1');
    expect((await as('gpt-small')).choices[0]?.message.content).toBe('small 2');
    const exhausted = await rejectionOf(as('gpt-small'));
    expect(exhausted).toBeInstanceOf(OpenAI.InternalServerError);
    expect(String(exhausted)).toMatch(/script for model gpt-small exhausted/);
    const unknown = await rejectionOf(as('gpt-nope'));
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect((unknown as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
  });

  it('byModel answers an unknown Anthropic model with not_found_error', async () => {
    const { ask } = await anthropicFake({ handler: byModel({ 'claude-known': [{ kind: 'text', text: 'hi' }] }) });
    expect((await ask({ model: 'claude-known' })).content[0]).toMatchObject({ text: 'hi' });
    const err = await rejectionOf(ask({ model: 'claude-unknown' }));
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    expect((err as InstanceType<typeof Anthropic.NotFoundError>).type).toBe('not_found_error');
  });
});
