import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnthropicAdapter, createOpenAIAdapter } from '../../activities/model/index.ts';
import type { ModelAdapter } from '../../activities/model/types.ts';
import { failureTypes, type FailureType } from '../../core/failures.ts';
import { startFakeAnthropic, startFakeOpenAI, type FakeProviderServer, type FakeReply } from '../kit/index.ts';

/**
 * docs/failures.md, row by row, through the real SDKs against the fake servers: what the
 * provider answers on the wire → the failure type, its retryability and its retry delay.
 */
const rows: { answer: string; reply: FakeReply; type: FailureType; delayMs?: number }[] = [
  { answer: '408', reply: { kind: 'error', status: 408 }, type: 'provider_unavailable' },
  { answer: '409', reply: { kind: 'error', status: 409 }, type: 'provider_unavailable' },
  {
    answer: '429 + retry-after: 2',
    reply: { kind: 'error', status: 429, headers: { 'retry-after': '2' } },
    type: 'rate_limited',
    delayMs: 2_000,
  },
  {
    answer: '429 + retry-after-ms: 1500',
    reply: { kind: 'error', status: 429, headers: { 'retry-after-ms': '1500' } },
    type: 'rate_limited',
    delayMs: 1_500,
  },
  {
    answer: '429 + retry-after: 3600 (capped)',
    reply: { kind: 'error', status: 429, headers: { 'retry-after': '3600' } },
    type: 'rate_limited',
    delayMs: 300_000,
  },
  { answer: '500', reply: { kind: 'error', status: 500 }, type: 'provider_unavailable' },
  { answer: '502', reply: { kind: 'error', status: 502 }, type: 'provider_unavailable' },
  { answer: '503', reply: { kind: 'error', status: 503 }, type: 'provider_unavailable' },
  { answer: '504', reply: { kind: 'error', status: 504 }, type: 'provider_unavailable' },
  { answer: '529 overloaded', reply: { kind: 'error', status: 529 }, type: 'provider_unavailable' },
  { answer: 'connection reset', reply: { kind: 'drop' }, type: 'provider_unavailable' },
  { answer: 'malformed 200 body', reply: { kind: 'malformed' }, type: 'invalid_response' },
  { answer: '400', reply: { kind: 'error', status: 400 }, type: 'bad_request' },
  { answer: '401', reply: { kind: 'error', status: 401 }, type: 'auth' },
  { answer: '403', reply: { kind: 'error', status: 403 }, type: 'auth' },
  { answer: '404', reply: { kind: 'error', status: 404 }, type: 'model_not_found' },
  { answer: '413', reply: { kind: 'error', status: 413 }, type: 'context_too_long' },
  { answer: '422', reply: { kind: 'error', status: 422 }, type: 'bad_request' },
  {
    answer: '503 + x-should-retry: false',
    reply: { kind: 'error', status: 503, headers: { 'x-should-retry': 'false' } },
    type: 'provider_unavailable',
  },
];

const servers: Record<string, FakeProviderServer> = {};
const adapters: Record<string, ModelAdapter> = {};
beforeAll(async () => {
  servers.openai = await startFakeOpenAI();
  servers.anthropic = await startFakeAnthropic();
  adapters.openai = createOpenAIAdapter(
    new OpenAI({ apiKey: 'sk-wire', baseURL: servers.openai.baseURL, maxRetries: 0 }),
  );
  adapters.anthropic = createAnthropicAdapter(
    new Anthropic({ apiKey: 'sk-wire', baseURL: servers.anthropic.baseURL, maxRetries: 0 }),
  );
});
afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => s.close()));
});

describe.each(['openai', 'anthropic'] as const)('provider error taxonomy on the wire: %s', (provider) => {
  it.each(rows)('$answer → $type', async ({ reply, type, delayMs, answer }) => {
    servers[provider]!.push(reply);
    const err = await adapters[provider]!.call(
      {
        model: { provider, name: 'm' },
        system: 's',
        messages: [{ role: 'user', content: 'hi' }],
        tools: [],
        maxOutputTokens: 16,
      },
      { timeoutMs: 5_000 },
    ).then(
      () => undefined,
      (e: unknown) => e as { type?: string; nonRetryable?: boolean; nextRetryDelay?: unknown; message?: string },
    );
    expect(err?.type).toBe(type);
    const retryable = answer.includes('x-should-retry: false') ? false : failureTypes[type].retryable;
    expect(err?.nonRetryable).toBe(!retryable);
    if (delayMs !== undefined) expect(err?.nextRetryDelay).toBe(delayMs);
    expect(err?.message).not.toContain('sk-wire');
  });
});
