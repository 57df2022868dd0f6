import { describe, expect, it } from 'vitest';
import { loadWorkerConfig } from '../../worker/config.ts';
import { createModelAdapters } from '../../worker/providers.ts';
import { startFakeAnthropic, startFakeOpenAI } from '../kit/index.ts';
import { chatBody } from '../helpers/chat-body.ts';

const request = (provider: 'openai' | 'anthropic' | 'openai-compatible') => ({
  model: { provider, name: 'm' },
  system: 's',
  messages: [{ role: 'user' as const, content: 'hi' }],
  tools: [],
  maxOutputTokens: 10,
});

describe('createModelAdapters', () => {
  it('offers only the providers the configuration names', () => {
    expect(Object.keys(createModelAdapters(loadWorkerConfig({})))).toEqual([]);
    expect(Object.keys(createModelAdapters(loadWorkerConfig({ OPENAI_API_KEY: 'k', ANTHROPIC_API_KEY: 'k' })))).toEqual(
      ['openai', 'anthropic'],
    );
  });

  it('sends the configured extra headers to an OpenAI-compatible server, and its key as a bearer token', async () => {
    const fake = await startFakeOpenAI({ script: [{ kind: 'text', text: 'ok' }], requireApiKey: 'gw-key' });
    try {
      const adapters = createModelAdapters(
        loadWorkerConfig({
          OPENAI_COMPATIBLE_BASE_URL: fake.baseURL,
          OPENAI_COMPATIBLE_API_KEY: 'gw-key',
          OPENAI_COMPATIBLE_HEADERS: '{"X-Tenant":"acme"}',
        }),
      );
      const res = await adapters['openai-compatible']!.call(request('openai-compatible'), { timeoutMs: 5_000 });
      expect(res.message.text).toBe('ok');
      expect(fake.requests[0]!.headers['x-tenant']).toBe('acme');
      expect(chatBody(fake.requests[0]!).max_tokens).toBe(10);
    } finally {
      await fake.close();
    }
  });

  it('never lets the SDK retry: one failed request is one request', async () => {
    const fake = await startFakeAnthropic({ script: [{ kind: 'error', status: 529 }] });
    try {
      const adapters = createModelAdapters(
        loadWorkerConfig({ ANTHROPIC_BASE_URL: fake.baseURL, ANTHROPIC_API_KEY: 'k' }),
      );
      await expect(adapters.anthropic!.call(request('anthropic'), { timeoutMs: 5_000 })).rejects.toMatchObject({
        type: 'provider_unavailable',
      });
      expect(fake.requests).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });
});
