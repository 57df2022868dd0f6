import { afterEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { ApplicationFailure } from '@temporalio/common';
import { failureTypes, type FailureType } from '../../core/failures.ts';
import type { ProviderName } from '../../core/model.ts';
import {
  InvalidProviderResponseError,
  MAX_RETRY_AFTER_MS,
  retryAfterFromHeaders,
  retryDelayFromHeaders,
  toProviderFailure,
  type ProviderFailureDetails,
} from '../../activities/model/index.ts';
import { startFakeAnthropic, startFakeOpenAI, type FakeProviderServer, type FakeReply } from '../kit/index.ts';

const KEY = 'sk-secret-4f8a1c9e2b7d';
/** Provider error text we must never copy into a failure (it can echo prompts or keys). */
const RAW = `RAW-BODY-TEXT prompt says: my password is hunter2, key ${KEY}`;

/** An OpenAI SDK error exactly as the client builds it from a response (body is `{ error }`). */
function openaiError(
  status: number,
  error: { type?: string; code?: string | null; message?: string } = {},
  headers: Record<string, string> = {},
): unknown {
  return OpenAI.APIError.generate(
    status,
    { error: { message: RAW, type: 'invalid_request_error', param: null, code: null, ...error } },
    undefined,
    new Headers({ 'x-request-id': 'req_abc', ...headers }),
  );
}

/** An Anthropic SDK error as the client builds it (the whole body is kept). */
function anthropicError(
  status: number,
  error: { type?: string; message?: string; error_code?: string } = {},
  headers: Record<string, string> = {},
): unknown {
  const { error_code, ...rest } = error;
  return Anthropic.APIError.generate(
    status,
    {
      type: 'error',
      error: { type: 'api_error', message: RAW, ...rest, ...(error_code && { details: { error_code } }) },
      request_id: 'req_ant',
    },
    undefined,
    new Headers({ 'request-id': 'req_ant', ...headers }),
  );
}

function detailsOf(f: ApplicationFailure): ProviderFailureDetails {
  return f.details?.[0] as ProviderFailureDetails;
}

/** Asserts the type, the retryability the vocabulary prescribes, and that nothing secret leaked. */
function expectFailure(f: ApplicationFailure, type: FailureType, retryable = failureTypes[type].retryable): void {
  expect(f).toBeInstanceOf(ApplicationFailure);
  expect(f.type).toBe(type);
  expect(f.nonRetryable).toBe(!retryable);
  expectNoLeak(f);
}

function expectNoLeak(f: ApplicationFailure): void {
  for (const text of [f.message, JSON.stringify(f), JSON.stringify(f.details)]) {
    expect(text).not.toContain('sk-secret');
    expect(text).not.toContain('RAW-BODY-TEXT');
    expect(text).not.toContain('hunter2');
  }
  expect(f.cause).toBeUndefined();
}

describe('toProviderFailure: HTTP status mapping', () => {
  const rows: { status: number; type: FailureType; openai?: object; anthropic?: object }[] = [
    {
      status: 429,
      type: 'rate_limited',
      openai: { type: 'requests', code: 'rate_limit_exceeded' },
      anthropic: { type: 'rate_limit_error' },
    },
    { status: 408, type: 'provider_unavailable' },
    { status: 409, type: 'provider_unavailable' },
    { status: 500, type: 'provider_unavailable' },
    { status: 502, type: 'provider_unavailable' },
    { status: 503, type: 'provider_unavailable' },
    { status: 504, type: 'provider_unavailable' },
    { status: 529, type: 'provider_unavailable', anthropic: { type: 'overloaded_error' } },
    { status: 520, type: 'provider_unavailable' },
    { status: 400, type: 'bad_request' },
    { status: 422, type: 'bad_request' },
    { status: 413, type: 'context_too_long', anthropic: { type: 'request_too_large' } },
    { status: 401, type: 'auth', openai: { code: 'invalid_api_key' }, anthropic: { type: 'authentication_error' } },
    { status: 403, type: 'auth', anthropic: { type: 'permission_error' } },
    {
      status: 404,
      type: 'model_not_found',
      openai: { code: 'model_not_found' },
      anthropic: { type: 'not_found_error' },
    },
  ];

  for (const row of rows) {
    const retry = failureTypes[row.type].retryable ? 'retryable' : 'non-retryable';
    it(`openai ${row.status} → ${row.type} (${retry})`, () => {
      const f = toProviderFailure(openaiError(row.status, row.openai), 'openai');
      expectFailure(f, row.type);
      expect(detailsOf(f)).toMatchObject({ provider: 'openai', status: row.status, requestId: 'req_abc' });
    });
    it(`anthropic ${row.status} → ${row.type} (${retry})`, () => {
      const f = toProviderFailure(anthropicError(row.status, row.anthropic), 'anthropic');
      expectFailure(f, row.type);
      expect(detailsOf(f)).toMatchObject({ provider: 'anthropic', status: row.status, requestId: 'req_ant' });
    });
  }

  it('openai-compatible is labelled with its own provider name', () => {
    const f = toProviderFailure(openaiError(503), 'openai-compatible');
    expect(f.message.startsWith('openai-compatible: HTTP 503 provider_unavailable')).toBe(true);
    expect(detailsOf(f).provider).toBe('openai-compatible');
  });
});

describe('toProviderFailure: quota is not a rate limit', () => {
  it('openai 429 insufficient_quota → quota_exhausted (non-retryable)', () => {
    const f = toProviderFailure(
      openaiError(429, { type: 'insufficient_quota', code: 'insufficient_quota' }, { 'retry-after': '20' }),
      'openai',
    );
    expectFailure(f, 'quota_exhausted');
    expect(f.nonRetryable).toBe(true);
    expect(f.nextRetryDelay).toBeUndefined();
    expect(detailsOf(f).code).toBe('insufficient_quota');
  });

  for (const error_code of ['enforced_spend_limit_reached', 'contract_spend_limit_reached']) {
    it(`anthropic 429 ${error_code} → quota_exhausted`, () => {
      const f = toProviderFailure(anthropicError(429, { type: 'rate_limit_error', error_code }), 'anthropic');
      expectFailure(f, 'quota_exhausted');
      expect(detailsOf(f).code).toBe(error_code);
    });
  }

  it('anthropic 429 ramp_limit_exceeded stays rate_limited (it clears with time)', () => {
    const f = toProviderFailure(
      anthropicError(429, { type: 'rate_limit_error', error_code: 'ramp_limit_exceeded' }),
      'anthropic',
    );
    expectFailure(f, 'rate_limited');
  });

  it('anthropic billing_error (429 or 402) → quota_exhausted', () => {
    expectFailure(toProviderFailure(anthropicError(429, { type: 'billing_error' }), 'anthropic'), 'quota_exhausted');
    expectFailure(toProviderFailure(anthropicError(402, { type: 'billing_error' }), 'anthropic'), 'quota_exhausted');
  });
});

describe('toProviderFailure: context too long', () => {
  it('openai 400 code context_length_exceeded → context_too_long', () => {
    const f = toProviderFailure(openaiError(400, { code: 'context_length_exceeded' }), 'openai');
    expectFailure(f, 'context_too_long');
    expect(detailsOf(f).code).toBe('context_length_exceeded');
  });

  it('openai-compatible 400 whose message names the context length → context_too_long', () => {
    const err = OpenAI.APIError.generate(
      400,
      {
        error: {
          message: "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.",
          type: 'BadRequestError',
          code: 400,
        },
      },
      undefined,
      new Headers(),
    );
    expectFailure(toProviderFailure(err, 'openai-compatible'), 'context_too_long');
  });

  for (const message of [
    'prompt is too long: 212345 tokens > 200000 maximum',
    'input length and `max_tokens` exceed context limit: 197000 + 8192 > 200000, decrease input length or `max_tokens` and try again',
  ]) {
    it(`anthropic 400 "${message.slice(0, 30)}…" → context_too_long`, () => {
      expectFailure(
        toProviderFailure(anthropicError(400, { type: 'invalid_request_error', message }), 'anthropic'),
        'context_too_long',
      );
    });
  }

  it('anthropic 400 about something else stays bad_request', () => {
    const err = anthropicError(400, {
      type: 'invalid_request_error',
      message: 'max_tokens: 999999 > 64000, which is the maximum allowed',
    });
    expectFailure(toProviderFailure(err, 'anthropic'), 'bad_request');
  });
});

describe('toProviderFailure: errors without a status', () => {
  const sdks = [
    { provider: 'openai' as const, sdk: OpenAI },
    { provider: 'anthropic' as const, sdk: Anthropic },
  ];
  for (const { provider, sdk } of sdks) {
    it(`${provider} APIConnectionError → provider_unavailable`, () => {
      const err = new sdk.APIConnectionError({
        message: RAW,
        cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      });
      const f = toProviderFailure(err, provider);
      expectFailure(f, 'provider_unavailable');
      expect(f.message).toBe(`${provider}: connection failed provider_unavailable`);
      expect(detailsOf(f)).toEqual({ provider });
    });
    it(`${provider} APIConnectionTimeoutError → timeout (retryable)`, () => {
      const f = toProviderFailure(new sdk.APIConnectionTimeoutError(), provider);
      expectFailure(f, 'timeout');
      expect(f.nonRetryable).toBe(false);
    });
    it(`${provider} APIUserAbortError → timeout`, () => {
      expectFailure(toProviderFailure(new sdk.APIUserAbortError(), provider), 'timeout');
    });
  }

  it('a SyntaxError from parsing a malformed body → invalid_response (retryable)', () => {
    let parseError: unknown;
    try {
      JSON.parse(`{"choices":[{ ${RAW}`);
    } catch (err) {
      parseError = err;
    }
    const f = toProviderFailure(parseError, 'openai');
    expectFailure(f, 'invalid_response');
    expect(f.nonRetryable).toBe(false);
  });

  it('an error whose message says JSON → invalid_response', () => {
    expectFailure(toProviderFailure(new Error('Unexpected end of JSON input'), 'anthropic'), 'invalid_response');
  });

  it('InvalidProviderResponseError (thrown by adapters) → invalid_response with our own wording', () => {
    const f = toProviderFailure(new InvalidProviderResponseError('chat completion without a choices array'), 'openai');
    expectFailure(f, 'invalid_response');
    expect(f.message).toBe('openai: invalid response: chat completion without a choices array invalid_response');
    expect(detailsOf(f)).toEqual({ provider: 'openai' });
  });

  it('InvalidProviderResponseError with billed usage and a request id → details.billedUsage, requestId', () => {
    const billed = { input: 100, output: 7, cachedInput: 20, cacheWrite: 0 };
    const f = toProviderFailure(
      new InvalidProviderResponseError('chat completion without choices', billed, 'req_x1'),
      'openai',
    );
    expectFailure(f, 'invalid_response');
    expect(detailsOf(f)).toEqual({ provider: 'openai', requestId: 'req_x1', billedUsage: billed });
    expect(f.message).toBe(
      'openai: invalid response: chat completion without choices invalid_response (request req_x1)',
    );
  });

  it('fetch failed (connection reset) → provider_unavailable', () => {
    const err = new TypeError('fetch failed', { cause: Object.assign(new Error(RAW), { code: 'ECONNRESET' }) });
    expectFailure(toProviderFailure(err, 'openai'), 'provider_unavailable');
  });

  it('a plain Error → provider_unavailable, without its text', () => {
    const f = toProviderFailure(new Error(RAW), 'openai');
    expectFailure(f, 'provider_unavailable');
    expect(f.message).toBe('openai: unexpected Error provider_unavailable');
  });

  it('non-Error throwables do not crash the mapping', () => {
    expectFailure(toProviderFailure(RAW, 'openai'), 'provider_unavailable');
    expectFailure(toProviderFailure(undefined, 'openai'), 'provider_unavailable');
    expectFailure(toProviderFailure({ status: 'nope', error: RAW }, 'openai'), 'provider_unavailable');
  });

  it('an ApplicationFailure passes through unchanged', () => {
    const original = ApplicationFailure.create({ type: 'refused', message: 'x', nonRetryable: true });
    expect(toProviderFailure(original, 'openai')).toBe(original);
  });
});

describe('toProviderFailure: retry hints', () => {
  it('x-should-retry: true makes a non-retryable type retryable', () => {
    const f = toProviderFailure(openaiError(400, {}, { 'x-should-retry': 'true' }), 'openai');
    expectFailure(f, 'bad_request', true);
  });

  it('x-should-retry: false makes a retryable type non-retryable (and drops the delay)', () => {
    const f = toProviderFailure(
      anthropicError(529, { type: 'overloaded_error' }, { 'x-should-retry': 'false', 'retry-after': '5' }),
      'anthropic',
    );
    expectFailure(f, 'provider_unavailable', false);
    expect(f.nextRetryDelay).toBeUndefined();
  });

  it('nextRetryDelay from retry-after (seconds)', () => {
    const f = toProviderFailure(openaiError(429, { code: 'rate_limit_exceeded' }, { 'retry-after': '2' }), 'openai');
    expect(f.nextRetryDelay).toBe(2000);
  });

  it('nextRetryDelay prefers retry-after-ms', () => {
    const f = toProviderFailure(openaiError(503, {}, { 'retry-after-ms': '1250', 'retry-after': '9' }), 'openai');
    expect(f.nextRetryDelay).toBe(1250);
  });

  it('nextRetryDelay is capped', () => {
    const f = toProviderFailure(
      anthropicError(429, { type: 'rate_limit_error' }, { 'retry-after': '86400' }),
      'anthropic',
    );
    expect(f.nextRetryDelay).toBe(MAX_RETRY_AFTER_MS);
  });

  it('a capped wait says so in the message and the details', () => {
    const f = toProviderFailure(openaiError(429, { code: 'rate_limit_exceeded' }, { 'retry-after': '3600' }), 'openai');
    expect(f.nextRetryDelay).toBe(300_000);
    expect(f.message).toBe(
      'openai: HTTP 429 rate_limited (code rate_limit_exceeded, request req_abc, retry-after 3600 s capped to 300 s)',
    );
    expect(detailsOf(f)).toMatchObject({ retryAfterMs: 300_000, retryAfterRequestedMs: 3_600_000 });
  });

  it('a capped retry-after-ms is reported in seconds too', () => {
    const f = toProviderFailure(
      anthropicError(529, { type: 'overloaded_error' }, { 'retry-after-ms': '450000' }),
      'anthropic',
    );
    expect(f.message).toContain('retry-after 450 s capped to 300 s');
    expect(detailsOf(f)).toMatchObject({ retryAfterMs: 300_000, retryAfterRequestedMs: 450_000 });
  });

  it('a wait within the cap is applied silently: retryAfterMs only', () => {
    const f = toProviderFailure(openaiError(503, { type: 'server_error' }, { 'retry-after': '7' }), 'openai');
    expect(f.message).toBe('openai: HTTP 503 provider_unavailable (code server_error, request req_abc)');
    expect(detailsOf(f)).toEqual({
      provider: 'openai',
      status: 503,
      code: 'server_error',
      requestId: 'req_abc',
      retryAfterMs: 7000,
    });
  });

  it('a capped wait on a non-retryable failure is not mentioned (no retry happens)', () => {
    const f = toProviderFailure(openaiError(401, {}, { 'retry-after': '3600' }), 'openai');
    expect(f.message).not.toContain('capped');
    expect(detailsOf(f).retryAfterRequestedMs).toBeUndefined();
  });

  it('no retry header → no nextRetryDelay (the retry policy decides)', () => {
    expect(toProviderFailure(openaiError(500), 'openai').nextRetryDelay).toBeUndefined();
  });

  it('non-retryable failures carry no delay even when the server sent one', () => {
    expect(toProviderFailure(openaiError(401, {}, { 'retry-after': '3' }), 'openai').nextRetryDelay).toBeUndefined();
  });
});

describe('toProviderFailure: the message is a safe summary', () => {
  it('has the documented shape', () => {
    const f = toProviderFailure(openaiError(429, { type: 'requests', code: 'rate_limit_exceeded' }), 'openai');
    expect(f.message).toBe('openai: HTTP 429 rate_limited (code rate_limit_exceeded, request req_abc)');
    expect(detailsOf(f)).toEqual({
      provider: 'openai',
      status: 429,
      code: 'rate_limit_exceeded',
      requestId: 'req_abc',
    });
  });

  it('anthropic uses details.error_code, else the error type, as the code', () => {
    expect(toProviderFailure(anthropicError(529, { type: 'overloaded_error' }), 'anthropic').message).toBe(
      'anthropic: HTTP 529 provider_unavailable (code overloaded_error, request req_ant)',
    );
    expect(
      detailsOf(
        toProviderFailure(
          anthropicError(429, { type: 'rate_limit_error', error_code: 'ramp_limit_exceeded' }),
          'anthropic',
        ),
      ).code,
    ).toBe('ramp_limit_exceeded');
  });

  it('contains no header value other than the request id', () => {
    const f = toProviderFailure(
      openaiError(
        429,
        { code: 'rate_limit_exceeded' },
        { 'openai-organization': 'org-SECRETORG', 'x-ratelimit-remaining-tokens': '987654', 'retry-after': '1' },
      ),
      'openai',
    );
    for (const text of [f.message, JSON.stringify(f)]) {
      expect(text).not.toContain('org-SECRETORG');
      expect(text).not.toContain('987654');
    }
  });

  it('drops a code or request id that is free text rather than an identifier', () => {
    const f = toProviderFailure(
      openaiError(400, { code: `${RAW} with spaces` }, { 'x-request-id': 'req id with spaces' }),
      'openai',
    );
    expectNoLeak(f);
    expect(f.message).toBe('openai: HTTP 400 bad_request (code invalid_request_error)');
  });
});

describe('toProviderFailure: errors produced by the real SDKs against the fake servers', () => {
  const open: FakeProviderServer[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  async function viaSdk(provider: Exclude<ProviderName, 'openai-compatible'>, reply: FakeReply): Promise<unknown> {
    const server = provider === 'openai' ? await startFakeOpenAI() : await startFakeAnthropic();
    open.push(server);
    server.push(reply);
    try {
      if (provider === 'openai') {
        const client = new OpenAI({ apiKey: KEY, baseURL: server.baseURL, maxRetries: 0 });
        await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
      } else {
        const client = new Anthropic({ apiKey: KEY, baseURL: server.baseURL, maxRetries: 0 });
        await client.messages.create({
          model: 'claude-test',
          max_tokens: 16,
          messages: [{ role: 'user', content: 'hi' }],
        });
      }
    } catch (err) {
      return err;
    }
    throw new Error('expected the call to fail');
  }

  for (const provider of ['openai', 'anthropic'] as const) {
    it(`${provider}: 401 whose body echoes the key → auth, key not repeated`, async () => {
      const err = await viaSdk(provider, {
        kind: 'error',
        status: 401,
        message: `Incorrect API key provided: ${KEY}. ${RAW}`,
      });
      const f = toProviderFailure(err, provider);
      expectFailure(f, 'auth');
      expect(detailsOf(f).requestId).toBe('req_fake_1');
    });

    it(`${provider}: 429 insufficient quota via the wire → quota_exhausted`, async () => {
      const reply: FakeReply =
        provider === 'openai'
          ? { kind: 'error', status: 429, errorType: 'insufficient_quota', code: 'insufficient_quota', message: RAW }
          : {
              kind: 'error',
              status: 429,
              errorType: 'rate_limit_error',
              code: 'enforced_spend_limit_reached',
              message: RAW,
            };
      expectFailure(toProviderFailure(await viaSdk(provider, reply), provider), 'quota_exhausted');
    });

    it(`${provider}: malformed JSON body → invalid_response`, async () => {
      expectFailure(toProviderFailure(await viaSdk(provider, { kind: 'malformed' }), provider), 'invalid_response');
    });

    it(`${provider}: dropped connection → provider_unavailable`, async () => {
      expectFailure(toProviderFailure(await viaSdk(provider, { kind: 'drop' }), provider), 'provider_unavailable');
    });

    it(`${provider}: 503 with x-should-retry: false and retry-after-ms`, async () => {
      const err = await viaSdk(provider, {
        kind: 'error',
        status: 503,
        headers: { 'x-should-retry': 'false', 'retry-after-ms': '700' },
      });
      const f = toProviderFailure(err, provider);
      expectFailure(f, 'provider_unavailable', false);
      expect(f.nextRetryDelay).toBeUndefined();
    });
  }
});

describe('retryDelayFromHeaders', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');

  it('reads retry-after-ms as milliseconds', () => {
    expect(retryDelayFromHeaders(new Headers({ 'retry-after-ms': '1500' }), now)).toBe(1500);
    expect(retryDelayFromHeaders(new Headers({ 'retry-after-ms': '12.3' }), now)).toBe(13);
  });

  it('reads retry-after as seconds', () => {
    expect(retryDelayFromHeaders(new Headers({ 'retry-after': '2' }), now)).toBe(2000);
    expect(retryDelayFromHeaders(new Headers({ 'retry-after': '0.5' }), now)).toBe(500);
    expect(retryDelayFromHeaders(new Headers({ 'retry-after': '0' }), now)).toBe(0);
  });

  it('prefers retry-after-ms, and falls back to retry-after when it is garbage', () => {
    expect(retryDelayFromHeaders(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }), now)).toBe(250);
    expect(retryDelayFromHeaders(new Headers({ 'retry-after-ms': 'soon', 'retry-after': '3' }), now)).toBe(3000);
  });

  it('reads retry-after as an HTTP date relative to now', () => {
    expect(retryDelayFromHeaders(new Headers({ 'retry-after': 'Sun, 01 Jun 2025 12:00:30 GMT' }), now)).toBe(30_000);
    // obsolete RFC 850 and asctime forms are valid HTTP dates too
    expect(retryDelayFromHeaders(new Headers({ 'retry-after': 'Sunday, 01-Jun-25 12:01:00 GMT' }), now)).toBe(60_000);
    // asctime has no zone; HTTP dates are GMT whatever the local time zone
    expect(retryDelayFromHeaders(new Headers({ 'retry-after': 'Sun Jun  1 12:00:10 2025' }), now)).toBe(10_000);
  });

  it('a date in the past means no wait', () => {
    expect(retryDelayFromHeaders(new Headers({ 'retry-after': 'Sun, 01 Jun 2025 11:00:00 GMT' }), now)).toBe(0);
  });

  it('retryAfterFromHeaders keeps what was asked beside what is honoured', () => {
    expect(retryAfterFromHeaders(new Headers({ 'retry-after': '3600' }), now)).toEqual({
      delayMs: MAX_RETRY_AFTER_MS,
      requestedMs: 3_600_000,
    });
    expect(retryAfterFromHeaders(new Headers({ 'retry-after-ms': '1500' }), now)).toEqual({
      delayMs: 1500,
      requestedMs: 1500,
    });
    expect(retryAfterFromHeaders(new Headers({ 'retry-after': 'Sun, 01 Jun 2025 11:00:00 GMT' }), now)).toEqual({
      delayMs: 0,
      requestedMs: 0,
    });
    expect(retryAfterFromHeaders(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
  });

  it('caps long waits at MAX_RETRY_AFTER_MS', () => {
    expect(MAX_RETRY_AFTER_MS).toBe(300_000);
    expect(retryDelayFromHeaders(new Headers({ 'retry-after': '86400' }), now)).toBe(MAX_RETRY_AFTER_MS);
    expect(retryDelayFromHeaders(new Headers({ 'retry-after-ms': '999999999' }), now)).toBe(MAX_RETRY_AFTER_MS);
    expect(retryDelayFromHeaders(new Headers({ 'retry-after': 'Mon, 02 Jun 2025 12:00:00 GMT' }), now)).toBe(
      MAX_RETRY_AFTER_MS,
    );
  });

  it('ignores garbage', () => {
    for (const value of [
      '',
      ' ',
      'soon',
      'garbage 1',
      'abc 2024',
      '-5',
      '2s',
      '1e3',
      'NaN',
      'Infinity',
      'Sun, 99 Foo 2025 xx:yy:zz GMT',
    ]) {
      expect(retryDelayFromHeaders(new Headers({ 'retry-after': value }), now), JSON.stringify(value)).toBeUndefined();
    }
    expect(retryDelayFromHeaders(new Headers({ 'retry-after-ms': '-100' }), now)).toBeUndefined();
  });

  it('no headers → undefined', () => {
    expect(retryDelayFromHeaders(new Headers(), now)).toBeUndefined();
    expect(retryDelayFromHeaders(undefined, now)).toBeUndefined();
    expect(retryDelayFromHeaders(null, now)).toBeUndefined();
  });

  it('accepts a plain header record in any case', () => {
    expect(retryDelayFromHeaders({ 'Retry-After': '4' }, now)).toBe(4000);
    expect(retryDelayFromHeaders({ 'RETRY-AFTER-MS': ['20', '30'] }, now)).toBe(20);
  });
});
