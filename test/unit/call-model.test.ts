import { afterEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { ApplicationFailure, CancelledFailure, type Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { CallModelInput } from '../../core/activity-contracts.ts';
import type { ModelResponse, ProviderName } from '../../core/model.ts';
import type { Usage } from '../../core/usage.ts';
import {
  createCallModel,
  type CallModelDeps,
  type CallModelHeartbeat,
  type ModelAdapters,
} from '../../activities/call-model.ts';
import {
  createAnthropicAdapter,
  createOpenAIAdapter,
  type ProviderFailureDetails,
} from '../../activities/model/index.ts';
import { createCircuitBreaker, createModelPacer } from '../../activities/model/index.ts';
import { startFakeAnthropic, startFakeOpenAI, type FakeProviderServer, type FakeReply } from '../kit/index.ts';
import { openSqliteRunStore } from '../../activities/store/run-store.ts';

const open: FakeProviderServer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

const silent: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

type Provider = Exclude<ProviderName, 'openai-compatible'>;

async function setup(provider: Provider, deps?: CallModelDeps) {
  const server = provider === 'openai' ? await startFakeOpenAI() : await startFakeAnthropic();
  open.push(server);
  const adapters: ModelAdapters =
    provider === 'openai'
      ? { openai: createOpenAIAdapter(new OpenAI({ apiKey: 'k', baseURL: server.baseURL, maxRetries: 0 })) }
      : { anthropic: createAnthropicAdapter(new Anthropic({ apiKey: 'k', baseURL: server.baseURL, maxRetries: 0 })) };
  return { server, callModel: createCallModel(adapters, deps) };
}

function input(provider: ProviderName, model = 'm-1'): CallModelInput {
  return {
    runId: 'run-1',
    step: 3,
    timeoutMs: 5_000,
    request: {
      model: { provider, name: model },
      system: 'sys',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [],
      maxOutputTokens: 64,
    },
  };
}

type Attempt = { result?: ModelResponse; failure?: ApplicationFailure; error?: unknown; beats: CallModelHeartbeat[] };

/** Runs one activity attempt as Temporal would: `heartbeatDetails` is what the previous
 * attempt heartbeated last. */
async function attempt(
  callModel: ReturnType<typeof createCallModel>,
  arg: CallModelInput,
  opts: { attempt?: number; heartbeatDetails?: unknown; cancelAfterMs?: number } = {},
): Promise<Attempt> {
  const env = new MockActivityEnvironment(
    { attempt: opts.attempt ?? 1, heartbeatDetails: opts.heartbeatDetails },
    { logger: silent },
  );
  const beats: CallModelHeartbeat[] = [];
  env.on('heartbeat', (d: CallModelHeartbeat) => beats.push(d));
  if (opts.cancelAfterMs !== undefined) setTimeout(() => env.cancel(), opts.cancelAfterMs);
  try {
    return { result: await env.run(callModel, arg), beats };
  } catch (err) {
    return err instanceof ApplicationFailure ? { failure: err, beats, error: err } : { error: err, beats };
  }
}

/** Retries like Temporal: each attempt starts from the previous attempt's last heartbeat. */
async function retried(
  callModel: ReturnType<typeof createCallModel>,
  arg: CallModelInput,
  max: number,
): Promise<Attempt[]> {
  const attempts: Attempt[] = [];
  let details: unknown;
  for (let n = 1; n <= max; n++) {
    const a = await attempt(callModel, arg, { attempt: n, heartbeatDetails: details });
    attempts.push(a);
    if (a.result || a.failure?.nonRetryable) break;
    details = a.beats.at(-1) ?? details;
  }
  return attempts;
}

const detailsOf = (f: ApplicationFailure | undefined) => f?.details?.[0] as ProviderFailureDetails;

/** A 2xx answer the provider bills but that carries nothing usable. */
function billedButEmpty(provider: Provider, u: { input: number; output: number }): FakeReply {
  return provider === 'openai'
    ? {
        kind: 'raw',
        status: 200,
        body: {
          id: 'c',
          object: 'chat.completion',
          model: 'm-1',
          choices: [],
          usage: { prompt_tokens: u.input, completion_tokens: u.output },
        },
      }
    : {
        kind: 'raw',
        status: 200,
        body: { id: 'm', type: 'message', model: 'm-1', usage: { input_tokens: u.input, output_tokens: u.output } },
      };
}

const usage = (input: number, output: number): Usage => ({ input, output, cachedInput: 0, cacheWrite: 0 });

describe.each(['openai', 'anthropic'] as const)('%s: billed failed attempts are carried across retries', (provider) => {
  it('two billed failures then a success: billedRetries is their sum, usage is the success own', async () => {
    const { server, callModel } = await setup(provider);
    server.push(billedButEmpty(provider, usage(100, 7)), billedButEmpty(provider, usage(120, 9)), {
      kind: 'text',
      text: 'done',
      usage: { input: 130, output: 4 },
    });
    const [a1, a2, a3] = await retried(callModel, input(provider), 5);

    expect(a1!.failure).toMatchObject({ type: 'invalid_response', nonRetryable: false });
    expect(detailsOf(a1!.failure).billedUsage).toEqual(usage(100, 7));
    expect(a1!.beats.at(-1)).toEqual({ step: 3, billed: usage(100, 7) });

    expect(detailsOf(a2!.failure).billedUsage).toEqual(usage(220, 16));
    expect(a2!.beats.at(-1)).toEqual({ step: 3, billed: usage(220, 16) });

    expect(a3!.result).toMatchObject({
      message: { text: 'done' },
      usage: usage(130, 4),
      billedRetries: usage(220, 16),
    });
    expect(server.requests).toHaveLength(3);
  });

  it('a later unbilled failure keeps the sum (details and heartbeat), and a final failure carries it', async () => {
    const { server, callModel } = await setup(provider);
    server.push(billedButEmpty(provider, usage(50, 5)), { kind: 'error', status: 503 }, { kind: 'error', status: 401 });
    const [a1, a2, a3] = await retried(callModel, input(provider), 5);
    expect(detailsOf(a1!.failure).billedUsage).toEqual(usage(50, 5));
    expect(a2!.failure).toMatchObject({ type: 'provider_unavailable', nonRetryable: false });
    expect(detailsOf(a2!.failure)).toMatchObject({ status: 503, billedUsage: usage(50, 5) });
    expect(a2!.beats.at(-1)).toEqual({ step: 3, billed: usage(50, 5) });
    expect(a3!.failure).toMatchObject({ type: 'auth', nonRetryable: true });
    expect(detailsOf(a3!.failure)).toMatchObject({ provider, status: 401, billedUsage: usage(50, 5) });
  });

  it('no billed attempts: no billedRetries, no billedUsage, no billed heartbeat', async () => {
    const { server, callModel } = await setup(provider);
    server.push({ kind: 'error', status: 503 }, { kind: 'text', text: 'ok' });
    const [a1, a2] = await retried(callModel, input(provider), 3);
    expect(detailsOf(a1!.failure).billedUsage).toBeUndefined();
    expect(a1!.beats).toEqual([]);
    expect(a2!.result).toBeDefined();
    expect(a2!.result!.billedRetries).toBeUndefined();
  });
});

describe('callModel: heartbeat details and other paths', () => {
  it('ignores heartbeat details that are not a billed usage', async () => {
    const { server, callModel } = await setup('openai');
    server.push({ kind: 'text', text: 'ok' }, { kind: 'text', text: 'ok' });
    const a = await attempt(callModel, input('openai'), { attempt: 2, heartbeatDetails: { step: 3 } });
    expect(a.result!.billedRetries).toBeUndefined();
    const b = await attempt(callModel, input('openai'), { attempt: 2, heartbeatDetails: { billed: { input: -1 } } });
    expect(b.result!.billedRetries).toBeUndefined();
  });

  it('an unconfigured provider fails with auth, carrying billed usage from earlier attempts', async () => {
    const callModel = createCallModel({});
    const a = await attempt(callModel, input('anthropic'), { heartbeatDetails: { step: 3, billed: usage(10, 1) } });
    expect(a.failure).toMatchObject({ type: 'auth', nonRetryable: true });
    expect(detailsOf(a.failure)).toEqual({ provider: 'anthropic', billedUsage: usage(10, 1) });
  });

  it('a provider the worker does not know fails with auth, naming the providers it knows and serves', async () => {
    const echo = { provider: 'echo', call: async () => Promise.reject(new Error('unused')) };
    const callModel = createCallModel({ echo });
    const a = await attempt(callModel, input('nowhere'));
    expect(a.failure).toMatchObject({ type: 'auth', nonRetryable: true });
    expect(detailsOf(a.failure)).toEqual({ provider: 'nowhere', code: 'unknown_provider' });
    expect(a.failure!.message).toBe(
      'unknown provider "nowhere": this worker knows openai, anthropic, openai-compatible, echo (configured providers: echo)',
    );
    const b = await attempt(callModel, input('anthropic'));
    expect(b.failure!.message).toBe(
      'provider anthropic is not configured on this worker (set ANTHROPIC_API_KEY or ANTHROPIC_BASE_URL; configured providers: echo)',
    );
  });

  it('never takes an id like "constructor" for an adapter', async () => {
    const a = await attempt(createCallModel({}), input('constructor'));
    expect(a.failure).toMatchObject({ type: 'auth' });
    expect(detailsOf(a.failure)).toMatchObject({ provider: 'constructor', code: 'unknown_provider' });
  });

  it('a cancelled call completes as cancelled, not as a provider failure', async () => {
    const { server, callModel } = await setup('openai');
    server.push({ kind: 'delay', ms: 5_000, then: { kind: 'text', text: 'late' } });
    const a = await attempt(callModel, input('openai'), { cancelAfterMs: 50 });
    expect(a.failure).toBeUndefined();
    expect(a.error).toBeInstanceOf(CancelledFailure);
  });
});

describe.each(['openai', 'anthropic'] as const)('%s: circuit breaker in callModel', (provider) => {
  it('fails fast without a request while open, probes after openMs, closes on success', async () => {
    let now = 1_000_000;
    const breaker = createCircuitBreaker({ failureThreshold: 2, openMs: 10_000, now: () => now });
    const { server, callModel } = await setup(provider, { breaker });
    server.push({ kind: 'error', status: 503 }, { kind: 'error', status: 529 });

    expect((await attempt(callModel, input(provider))).failure?.type).toBe('provider_unavailable');
    expect((await attempt(callModel, input(provider))).failure?.type).toBe('provider_unavailable');
    expect(server.requests).toHaveLength(2);

    now += 2_500;
    const fast = await attempt(callModel, input(provider), { heartbeatDetails: { step: 3, billed: usage(5, 1) } });
    expect(fast.failure).toMatchObject({ type: 'provider_unavailable', nonRetryable: true });
    // The fast failure names the failure that opened the circuit (its summary and status).
    expect(fast.failure!.message).toMatch(
      new RegExp(
        `^circuit open for ${provider}/m-1 after 2 consecutive failures; last: ${provider}: HTTP 529 provider_unavailable \\(code \\w+, request req_fake_2\\); next probe in 8s$`,
      ),
    );
    expect(detailsOf(fast.failure)).toEqual({
      provider,
      code: 'circuit_open',
      status: 529,
      billedUsage: usage(5, 1),
    });
    expect(server.requests).toHaveLength(2); // nothing reached the server

    // another model of the same provider is unaffected
    server.push({ kind: 'text', text: 'other model' });
    expect((await attempt(callModel, input(provider, 'm-2'))).result?.message.text).toBe('other model');

    now += 7_500;
    server.push({ kind: 'text', text: 'probe ok' });
    expect((await attempt(callModel, input(provider))).result?.message.text).toBe('probe ok');
    expect(breaker.snapshot(`${provider}/m-1`)).toEqual({ state: 'closed', failures: 0 });
  });

  it('a failed probe re-opens the circuit; request errors do not count as failures', async () => {
    let now = 0;
    const breaker = createCircuitBreaker({ failureThreshold: 2, openMs: 1_000, now: () => now });
    const { server, callModel } = await setup(provider, { breaker });
    server.push({ kind: 'error', status: 400 }, { kind: 'error', status: 400 }, { kind: 'error', status: 400 });
    for (let i = 0; i < 3; i++) expect((await attempt(callModel, input(provider))).failure?.type).toBe('bad_request');
    expect(breaker.snapshot(`${provider}/m-1`).state).toBe('closed');

    server.push({ kind: 'drop' }, billedButEmpty(provider, usage(1, 1)));
    await attempt(callModel, input(provider));
    await attempt(callModel, input(provider));
    expect(breaker.snapshot(`${provider}/m-1`)).toMatchObject({
      state: 'open',
      failures: 2,
      last: { type: 'invalid_response' },
    });

    now += 1_000;
    server.push({ kind: 'error', status: 500 });
    expect((await attempt(callModel, input(provider))).failure).toMatchObject({
      type: 'provider_unavailable',
      nonRetryable: false,
    });
    expect(breaker.snapshot(`${provider}/m-1`)).toMatchObject({
      state: 'open',
      failures: 3,
      last: { type: 'provider_unavailable', status: 500 },
    });
    const fast = (await attempt(callModel, input(provider))).failure;
    expect(fast?.message).toMatch(
      /^circuit open for .* after 3 consecutive failures; last: .*: HTTP 500 provider_unavailable .*; next probe in 1s$/,
    );
    expect(detailsOf(fast)).toMatchObject({ code: 'circuit_open', status: 500 });
    expect(server.requests).toHaveLength(6);
  });

  it('a cancelled probe frees the probe slot', async () => {
    let now = 0;
    const breaker = createCircuitBreaker({ failureThreshold: 1, openMs: 1_000, now: () => now });
    const { server, callModel } = await setup(provider, { breaker });
    server.push({ kind: 'error', status: 503 });
    await attempt(callModel, input(provider));
    now += 1_000;
    server.push({ kind: 'delay', ms: 5_000, then: { kind: 'text', text: 'late' } });
    expect((await attempt(callModel, input(provider), { cancelAfterMs: 50 })).error).toBeInstanceOf(CancelledFailure);
    server.push({ kind: 'text', text: 'next probe' });
    expect((await attempt(callModel, input(provider))).result?.message.text).toBe('next probe');
  });
});

describe.each(['openai', 'anthropic'] as const)('%s: rate limits and pacing in callModel', (provider) => {
  /** An attempt of an activity scheduled with a start-to-close timeout, so it has time to wait. */
  async function pacedAttempt(
    callModel: ReturnType<typeof createCallModel>,
    arg: CallModelInput,
  ): Promise<{ result?: ModelResponse; failure?: ApplicationFailure }> {
    const env = new MockActivityEnvironment({ startToCloseTimeoutMs: 15_000 }, { logger: silent });
    try {
      return { result: await env.run(callModel, arg) };
    } catch (err) {
      return { failure: err as ApplicationFailure };
    }
  }

  it('429s never open the breaker, however many in a row', async () => {
    const breaker = createCircuitBreaker({ failureThreshold: 2 });
    const { server, callModel } = await setup(provider, { breaker });
    for (let i = 0; i < 4; i++) server.push({ kind: 'error', status: 429 });
    server.push({ kind: 'text', text: 'answered' });
    for (let i = 0; i < 4; i++) expect((await attempt(callModel, input(provider))).failure?.type).toBe('rate_limited');
    expect(breaker.snapshot(`${provider}/m-1`)).toEqual({ state: 'closed', failures: 0 });
    expect((await attempt(callModel, input(provider))).result?.message.text).toBe('answered');
  });

  it("after a 429 with retry-after, the model's next call waits for the reset instead of being sent", async () => {
    const pacer = createModelPacer({ maxInFlight: 8 });
    const { server, callModel } = await setup(provider, { pacer });
    server.push({ kind: 'error', status: 429, headers: { 'retry-after': '1' } }, { kind: 'text', text: 'after' });
    const limited = await pacedAttempt(callModel, input(provider));
    expect(limited.failure).toMatchObject({ type: 'rate_limited', nextRetryDelay: 1_000 });
    const limitedAt = Date.now();
    expect(pacer.snapshot(`${provider}/m-1`).heldForMs).toBeGreaterThan(900);
    const next = await pacedAttempt(callModel, input(provider));
    expect(next.result?.message.text).toBe('after');
    expect(server.requests[1]!.at - limitedAt).toBeGreaterThanOrEqual(950);
    // other models of the provider are not held
    server.push({ kind: 'text', text: 'other' });
    pacer.hold(`${provider}/m-1`, 10_000);
    expect((await pacedAttempt(callModel, input(provider, 'm-2'))).result?.message.text).toBe('other');
  });

  it('rate-limit headers of a success saying the window is used up hold the next call', async () => {
    const pacer = createModelPacer();
    const { server, callModel } = await setup(provider, { pacer });
    const usedUp: Record<string, string> =
      provider === 'openai'
        ? { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '600ms' }
        : {
            'anthropic-ratelimit-requests-remaining': '0',
            'anthropic-ratelimit-requests-reset': new Date(Date.now() + 1_000).toISOString(),
          };
    server.push({ kind: 'text', text: 'first', headers: usedUp }, { kind: 'text', text: 'second' });
    expect((await pacedAttempt(callModel, input(provider))).result?.message.text).toBe('first');
    expect(pacer.snapshot(`${provider}/m-1`).heldForMs).toBeGreaterThan(300);
    expect((await pacedAttempt(callModel, input(provider))).result?.message.text).toBe('second');
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(300);
  });

  it('a hold longer than the attempt can wait ends it rate_limited (paced) without a request', async () => {
    const pacer = createModelPacer();
    const { server, callModel } = await setup(provider, { pacer });
    pacer.hold(`${provider}/m-1`, 60_000);
    const a = await pacedAttempt(callModel, input(provider));
    expect(a.failure).toMatchObject({ type: 'rate_limited', nonRetryable: false });
    expect(a.failure!.message).toMatch(/not sent, the provider's rate limit asks to wait 60s more/);
    expect(detailsOf(a.failure)).toMatchObject({ provider, code: 'paced' });
    expect(Number(a.failure!.nextRetryDelay)).toBeGreaterThan(59_000);
    expect(server.requests).toHaveLength(0);
  });

  it('a circuit opened by timeouts fails fast typed timeout, naming the last one', async () => {
    const breaker = createCircuitBreaker({ failureThreshold: 2 });
    const { server, callModel } = await setup(provider, { breaker });
    const slow: FakeReply = { kind: 'delay', ms: 2_000, then: { kind: 'text', text: 'late' } };
    server.push(slow, slow);
    const hanging = { ...input(provider), timeoutMs: 100 };
    for (let i = 0; i < 2; i++) expect((await attempt(callModel, hanging)).failure?.type).toBe('timeout');
    const fast = await attempt(callModel, hanging);
    expect(fast.failure).toMatchObject({ type: 'timeout', nonRetryable: true });
    expect(fast.failure!.message).toMatch(/after 2 consecutive failures; last: .*request timed out timeout/);
    expect(detailsOf(fast.failure)).toEqual({ provider, code: 'circuit_open' });
  });
});

describe('callModel: fenced conversation writes', () => {
  it('a second attempt of the same call returns the answer the first stored, not its own', async () => {
    const store = openSqliteRunStore(':memory:');
    try {
      const { server, callModel } = await setup('openai', { store });
      server.push(
        { kind: 'tool_calls', calls: [{ id: 'call_first', name: 'calculator', args: { expression: '1+1' } }] },
        { kind: 'tool_calls', calls: [{ id: 'call_second', name: 'calculator', args: { expression: '2+2' } }] },
      );
      const byRef: CallModelInput = {
        ...input('openai'),
        request: { ...input('openai').request, messages: [], system: 'sys' },
        conversation: { id: 'conv-1', storedLength: 0, append: [{ role: 'user', content: 'hi' }] },
      };
      const first = await attempt(callModel, byRef, { attempt: 1 });
      const second = await attempt(callModel, byRef, { attempt: 2 });
      expect(first.result?.message.toolCalls[0]?.id).toBe('call_first');
      // Both requests were sent (and billed); the second attempt hands back the stored answer.
      expect(server.requests).toHaveLength(2);
      expect(second.result?.message.toolCalls[0]?.id).toBe('call_first');
      expect(second.result).toMatchObject({ stop: 'tool_calls', conversationLength: 2 });
      expect(second.result?.usage.output).toBeGreaterThan(0);
      expect((await store.getMessages('conv-1', 2))[1]).toEqual(first.result?.message);
    } finally {
      store.close();
    }
  });
});

describe('callModel: answers too large for a Temporal payload', () => {
  const mb = (n: number) => Math.round(n * 1_000_000);

  it('a 2.1 MB answer ends payload_too_large at once: non-retryable, billed usage carried, nothing stored', async () => {
    const store = openSqliteRunStore(':memory:');
    try {
      const { server, callModel } = await setup('openai', { store });
      server.push({ kind: 'text', text: 'x'.repeat(mb(2.1)), usage: { input: 40, output: 525_000 } });
      const byRef: CallModelInput = {
        ...input('openai'),
        request: { ...input('openai').request, messages: [], system: 'sys' },
        conversation: { id: 'conv-big', storedLength: 0, append: [{ role: 'user', content: 'write a lot' }] },
      };
      const a = await attempt(callModel, byRef, { heartbeatDetails: { step: 3, billed: usage(7, 1) } });
      expect(a.failure).toMatchObject({ type: 'payload_too_large', nonRetryable: true });
      expect(a.failure!.message).toMatch(
        /answer is too large to hand back: 2,1\d\d,\d{3} bytes .* at most 2,031,616 bytes/,
      );
      expect(detailsOf(a.failure)).toEqual({
        provider: 'openai',
        code: 'answer_too_large',
        billedUsage: usage(47, 525_001),
      });
      expect(a.beats.at(-1)).toEqual({ step: 3, billed: usage(47, 525_001) });
      expect(server.requests).toHaveLength(1);
      await expect(store.getMessages('conv-big', 2)).rejects.toThrow(/expected 2 stored messages, found 1/);
    } finally {
      store.close();
    }
  });

  it('a 1.9 MB answer is handed back inline', async () => {
    const { server, callModel } = await setup('openai');
    server.push({ kind: 'text', text: 'y'.repeat(mb(1.9)) });
    const a = await attempt(callModel, input('openai'));
    expect(a.result?.message.text).toHaveLength(mb(1.9));
  });

  it('asked for answers by reference, a long text stays in the store and the result carries where', async () => {
    const store = openSqliteRunStore(':memory:');
    try {
      const { server, callModel } = await setup('openai', { store });
      // Words, as a model writes (a long run without spaces is slow for any BPE tokenizer).
      const text = 'héllo wörld '.repeat(250_000);
      server.push({ kind: 'text', text });
      const byRef: CallModelInput = {
        ...input('openai'),
        request: { ...input('openai').request, messages: [], system: 'sys' },
        conversation: { id: 'conv-ref', storedLength: 0, append: [{ role: 'user', content: 'write a lot' }] },
        answerInlineMaxBytes: 64 * 1024,
      };
      const a = await attempt(callModel, byRef);
      expect(a.failure?.message).toBeUndefined();
      expect(a.result).toMatchObject({
        message: { role: 'assistant', text: '', toolCalls: [] },
        answerRef: { conversationId: 'conv-ref', position: 1, bytes: Buffer.byteLength(text) },
        conversationLength: 2,
      });
      const stored = (await store.getMessages('conv-ref', 2))[1];
      expect(stored?.role === 'assistant' && stored.text === text).toBe(true);
      // Short answers stay inline.
      server.push({ kind: 'text', text: 'short' });
      const next = await attempt(callModel, {
        ...byRef,
        conversation: { id: 'conv-short', storedLength: 0, append: [{ role: 'user', content: 'and?' }] },
      });
      expect(next.result?.message.text).toBe('short');
      expect(next.result?.answerRef).toBeUndefined();
    } finally {
      store.close();
    }
  });
});
