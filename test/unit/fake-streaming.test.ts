import { afterEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startFakeAnthropic, startFakeOpenAI, type FakeProviderServer, type FakeServerOptions } from '../kit/index.ts';
import { rejectionOf } from '../helpers/rejection.ts';

// The fakes' streams are only useful if the official SDKs' stream parsers accept them, so
// every case iterates the SDK's own Stream.

const open: FakeProviderServer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function openaiStream(opts: FakeServerOptions, includeUsage = true) {
  const server = await startFakeOpenAI(opts);
  open.push(server);
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: server.baseURL, maxRetries: 0 });
  const stream = await client.chat.completions.create({
    model: 'gpt-test',
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
    ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
  });
  return { server, stream };
}

async function anthropicStream(opts: FakeServerOptions) {
  const server = await startFakeAnthropic(opts);
  open.push(server);
  const client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: server.baseURL, maxRetries: 0 });
  const stream = await client.messages.create({
    model: 'claude-test',
    max_tokens: 64,
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
  });
  return { server, stream };
}

async function collect<T>(stream: AsyncIterable<T>): Promise<{ items: T[]; at: number[] }> {
  const items: T[] = [];
  const at: number[] = [];
  for await (const item of stream) {
    items.push(item);
    at.push(performance.now());
  }
  return { items, at };
}

describe('fake OpenAI server, streaming', () => {
  it('streams text in deltas of chunkChars, then a finish chunk and the usage chunk', async () => {
    const { stream } = await openaiStream({
      script: [
        {
          kind: 'text',
          text: 'hello streaming world',
          usage: { input: 50, output: 5, cached: 10 },
          stream: { chunkChars: 5 },
        },
      ],
    });
    const { items } = await collect(stream);
    const contents = items.flatMap((c) => (c.choices[0]?.delta.content ? [c.choices[0].delta.content] : []));
    expect(contents).toEqual(['hello', ' stre', 'aming', ' worl', 'd']);
    expect(items[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(items.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(items.at(-1)?.choices).toEqual([]);
    expect(items.at(-1)?.usage).toMatchObject({
      prompt_tokens: 50,
      completion_tokens: 5,
      prompt_tokens_details: { cached_tokens: 10 },
    });
    expect(items.every((c) => c.object === 'chat.completion.chunk' && c.model === 'gpt-test')).toBe(true);
  });

  it('by default cuts a short text in 8-character deltas and a huge one in at most 256', async () => {
    const { stream } = await openaiStream({
      script: [
        { kind: 'text', text: 'x'.repeat(20) },
        { kind: 'text', text: 'y'.repeat(100_000) },
      ],
    });
    const deltas = async (s: AsyncIterable<OpenAI.ChatCompletionChunk>) =>
      (await collect(s)).items.flatMap((c) => (c.choices[0]?.delta.content ? [c.choices[0].delta.content] : []));
    expect((await deltas(stream)).map((d) => d.length)).toEqual([8, 8, 4]);
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: open[0]!.baseURL, maxRetries: 0 });
    const big = await deltas(
      await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    );
    expect(big.length).toBeLessThanOrEqual(256);
    expect(big.join('')).toBe('y'.repeat(100_000));
  });

  it('sends no usage chunk unless the request asks for it (stream_options.include_usage)', async () => {
    const { stream } = await openaiStream({ script: [{ kind: 'text', text: 'hi' }] }, false);
    const { items } = await collect(stream);
    expect(items.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    expect(items.some((c) => c.usage)).toBe(false);
  });

  it('opens each tool call with its id and name, then streams its arguments in pieces', async () => {
    const { stream } = await openaiStream({
      script: [
        {
          kind: 'tool_calls',
          calls: [
            { name: 'get_weather', args: { city: 'Paris' } },
            { id: 'call_own', name: 'get_weather', args: { city: 'Rome' } },
          ],
          stream: { argChunkChars: 4 },
        },
      ],
    });
    const { items } = await collect(stream);
    const parts = items.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(parts[0]).toMatchObject({ index: 0, id: 'call_1', function: { name: 'get_weather', arguments: '' } });
    const args = (i: number) => parts.filter((p) => p.index === i).map((p) => p.function?.arguments ?? '');
    expect(args(0).join('')).toBe('{"city":"Paris"}');
    expect(args(0).filter(Boolean).length).toBe(4);
    expect(parts.find((p) => p.index === 1)?.id).toBe('call_own');
    expect(JSON.parse(args(1).join(''))).toEqual({ city: 'Rome' });
    expect(items.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('paces the stream: the first chunk after firstChunkDelayMs, then one per chunkDelayMs', async () => {
    const started = performance.now();
    const { stream } = await openaiStream({
      stream: { firstChunkDelayMs: 150 },
      script: [{ kind: 'text', text: 'abcdef', stream: { chunkChars: 2, chunkDelayMs: 60 } }],
    });
    const headersAt = performance.now() - started;
    const { items, at } = await collect(stream);
    const deltas = at.filter((_, i) => items[i]?.choices[0]?.delta.content);
    expect(headersAt).toBeLessThan(140); // headers come at once; the wait is for the first token
    expect(at[0]! - started).toBeGreaterThanOrEqual(140);
    expect(deltas).toHaveLength(3);
    expect(deltas[2]! - deltas[0]!).toBeGreaterThanOrEqual(110);
  });

  it('an error fault sends an error chunk after N chunks; the SDK throws it as an APIError', async () => {
    const { stream } = await openaiStream({
      script: [{ kind: 'text', text: 'abcdefgh', stream: { chunkChars: 2, fault: { kind: 'error', afterChunks: 2 } } }],
    });
    const seen: string[] = [];
    const err = await rejectionOf(
      (async () => {
        for await (const c of stream) if (c.choices[0]?.delta.content) seen.push(c.choices[0].delta.content);
      })(),
    );
    expect(seen).toEqual(['ab', 'cd']);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBeUndefined();
    expect((err as InstanceType<typeof OpenAI.APIError>).type).toBe('server_error');
  });

  it('a cut fault ends the stream without finish, usage or [DONE]; a reset fault kills the socket', async () => {
    const cut = await openaiStream({
      script: [{ kind: 'text', text: 'abcdefgh', stream: { chunkChars: 2, fault: { kind: 'cut', afterChunks: 3 } } }],
    });
    const { items } = await collect(cut.stream);
    expect(items.filter((c) => c.choices[0]?.delta.content)).toHaveLength(3);
    expect(items.some((c) => c.choices[0]?.finish_reason || c.usage)).toBe(false);

    const reset = await openaiStream({
      script: [{ kind: 'text', text: 'abcdefgh', stream: { chunkChars: 2, fault: { kind: 'reset', afterChunks: 1 } } }],
    });
    const err = await rejectionOf(collect(reset.stream));
    expect(err).toBeInstanceOf(Error);
  });

  it('non-stream requests and errors are answered as before, whatever the reply streams like', async () => {
    const server = await startFakeOpenAI({
      script: [
        { kind: 'text', text: 'whole', stream: { chunkChars: 1, fault: { kind: 'reset', afterChunks: 0 } } },
        { kind: 'error', status: 429, headers: { 'retry-after': '1' } },
      ],
    });
    open.push(server);
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: server.baseURL, maxRetries: 0 });
    const whole = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    expect(whole.choices[0]?.message.content).toBe('whole');
    const err = await rejectionOf(
      client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    );
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
  });
});

describe('fake Anthropic server, streaming', () => {
  it('streams message_start, text_delta pieces, message_delta with the stop and usage, message_stop', async () => {
    const { stream } = await anthropicStream({
      script: [
        {
          kind: 'text',
          text: 'hello streaming',
          usage: { input: 100, output: 4, cached: 30, cacheWrite: 20 },
          stream: { chunkChars: 6 },
        },
      ],
    });
    const { items } = await collect(stream);
    expect(items.map((e) => e.type)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const start = items[0] as Anthropic.RawMessageStartEvent;
    expect(start.message.usage).toMatchObject({
      input_tokens: 50,
      cache_read_input_tokens: 30,
      cache_creation_input_tokens: 20,
    });
    const texts = items.flatMap((e) =>
      e.type === 'content_block_delta' && e.delta.type === 'text_delta' ? [e.delta.text] : [],
    );
    expect(texts).toEqual(['hello ', 'stream', 'ing']);
    const delta = items[6] as Anthropic.RawMessageDeltaEvent;
    expect(delta.delta.stop_reason).toBe('end_turn');
    expect(delta.usage.output_tokens).toBe(4);
  });

  it('streams each tool_use block with its input in input_json_delta pieces', async () => {
    const { stream } = await anthropicStream({
      script: [
        {
          kind: 'tool_calls',
          text: 'Checking.',
          calls: [
            { name: 'get_weather', args: { city: 'Paris' } },
            { name: 'get_time', args: {} },
          ],
          stream: { argChunkChars: 5 },
        },
      ],
    });
    const { items } = await collect(stream);
    const starts = items.filter((e): e is Anthropic.RawContentBlockStartEvent => e.type === 'content_block_start');
    expect(starts.map((s) => s.content_block.type)).toEqual(['text', 'tool_use', 'tool_use']);
    expect(starts[1]?.content_block).toMatchObject({ id: 'toolu_1', name: 'get_weather' });
    const json = (index: number) =>
      items.flatMap((e) =>
        e.type === 'content_block_delta' && e.index === index && e.delta.type === 'input_json_delta'
          ? [e.delta.partial_json]
          : [],
      );
    expect(json(1).length).toBeGreaterThan(1);
    expect(JSON.parse(json(1).join(''))).toEqual({ city: 'Paris' });
    expect(json(2).join('')).toBe('{}');
    expect((items.at(-2) as Anthropic.RawMessageDeltaEvent).delta.stop_reason).toBe('tool_use');
  });

  it('an error fault is an `event: error` the SDK throws with its type (overloaded by default)', async () => {
    for (const errorType of [undefined, 'api_error', 'rate_limit_error']) {
      const { stream } = await anthropicStream({
        script: [
          {
            kind: 'text',
            text: 'abcdef',
            stream: { chunkChars: 2, fault: { kind: 'error', afterChunks: 1, ...(errorType ? { errorType } : {}) } },
          },
        ],
      });
      const err = await rejectionOf(collect(stream));
      expect(err).toBeInstanceOf(Anthropic.APIError);
      expect((err as InstanceType<typeof Anthropic.APIError>).type).toBe(errorType ?? 'overloaded_error');
    }
  });

  it('a cut fault leaves out message_delta and message_stop', async () => {
    const { stream } = await anthropicStream({
      script: [{ kind: 'text', text: 'abcdef', stream: { chunkChars: 2, fault: { kind: 'cut', afterChunks: 2 } } }],
    });
    const { items } = await collect(stream);
    expect(items.filter((e) => e.type === 'content_block_delta')).toHaveLength(2);
    expect(items.some((e) => e.type === 'message_delta' || e.type === 'message_stop')).toBe(false);
  });
});
