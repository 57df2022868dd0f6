import type { AgentDefinition } from '../../core/run.ts';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { validateRunInput, validateTaskInput } from '../../client/client.ts';
import type { RunInputError } from '../../client/errors.ts';
import { exampleProvidersFromEnv, exampleRouting } from '../../client/example-agent.ts';
import { envString, envUrl } from '../../core/env-values.ts';
import { modelRefSchema } from '../../core/model.ts';
import {
  byExamplePriority,
  configuredProviders,
  defineProviderProfile,
  isProviderConfigured,
  isSecretEnv,
  providerEnvShape,
} from '../../core/provider-profile.ts';
import { builtInProviderIds, builtInProviderProfiles } from '../../core/providers/index.ts';
import { tokenizerFor } from '../../activities/context/tokenizer.ts';
import { defineProvider, type ProviderDescriptor } from '../../activities/model/provider-descriptor.ts';
import { builtInProviders, readAnthropicError, readOpenAIError } from '../../activities/model/providers/index.ts';
import { readByShape, toProviderFailure } from '../../activities/model/provider-errors.ts';
import { describeConfig, loadWorkerConfig } from '../../worker/config.ts';
import { createModelAdapters } from '../../worker/providers.ts';

/** A provider of a user's own, with no SDK at all. */
const acme = defineProvider({
  id: 'acme',
  description: 'Acme gateway',
  env: {
    ACME_URL: { schema: envUrl, role: 'endpoint', doc: 'Gateway URL.' },
    ACME_TOKEN: { schema: envString, role: 'credential', doc: 'Gateway token.' },
  },
  configuredBy: ['ACME_URL'],
  models: { default: 'acme-s', strong: 'acme-l', cheap: 'acme-s' },
  examplePriority: { cheap: 0 },
  tokenizer: 'approximate',
  createAdapter: (s) => ({
    provider: 'acme',
    call: async (req) => ({
      message: { role: 'assistant', text: `${s.ACME_URL} ${s.ACME_TOKEN}`, toolCalls: [] },
      stop: 'end',
      usage: { input: 1, output: 1, cachedInput: 0, cacheWrite: 0 },
      modelVersion: req.model.name,
      latencyMs: 0,
    }),
  }),
});
const withAcme = [...builtInProviders, acme];

const request = {
  model: { provider: 'acme', name: 'acme-s' },
  system: '',
  messages: [{ role: 'user' as const, content: 'hi' }],
  tools: [],
  maxOutputTokens: 8,
};

describe('the built-in providers', () => {
  it('are one list: the worker descriptors carry the core profiles, in the same order', () => {
    expect(builtInProviders.map((p) => p.id)).toEqual(['openai', 'anthropic', 'openai-compatible']);
    expect(builtInProviderIds).toEqual(builtInProviders.map((p) => p.id));
    builtInProviders.forEach((d, i) => {
      const { createAdapter, readError, ...profile } = d;
      expect(profile).toEqual(builtInProviderProfiles[i]);
      expect(typeof createAdapter).toBe('function');
      expect(readError).toBeTypeOf('function');
    });
  });

  it('are each configured by their own variables, and credentials are secret', () => {
    for (const p of builtInProviderProfiles) {
      for (const name of p.configuredBy) expect(Object.keys(p.env)).toContain(name);
      for (const [name, field] of Object.entries(p.env))
        if (field.role === 'credential') expect(isSecretEnv(p, name)).toBe(true);
    }
    expect(isSecretEnv(builtInProviderProfiles[2], 'OPENAI_COMPATIBLE_HEADERS')).toBe(true);
    expect(isSecretEnv(builtInProviderProfiles[2], 'OPENAI_COMPATIBLE_BASE_URL')).toBe(false);
  });

  it('tell their tokenizer family: exact GPT encodings for OpenAI names, an approximation for Anthropic', () => {
    expect(builtInProviderProfiles.map((p) => p.tokenizer)).toEqual(['gpt', 'anthropic', 'gpt']);
    expect(tokenizerFor({ provider: 'openai', name: 'gpt-4o' }).exact).toBe(true);
    expect(tokenizerFor({ provider: 'acme', name: 'gpt-4o' }).exact).toBe(true); // an unknown provider counts as gpt
    expect(tokenizerFor({ provider: 'acme', name: 'gpt-4o' }, 'approximate')).toMatchObject({
      name: 'unknown≈cl100k_base×1.2',
      exact: false,
    });
    expect(tokenizerFor({ provider: 'acme', name: 'x' }, 'anthropic').name).toBe('anthropic≈cl100k_base×1.2');
  });
});

describe('detecting a configured provider', () => {
  it('reads a raw environment: any of its configuredBy variables set, blank meaning unset', () => {
    const [openai, anthropic, compatible] = builtInProviderProfiles;
    expect(isProviderConfigured(openai, { OPENAI_API_KEY: 'sk' })).toBe(true);
    expect(isProviderConfigured(openai, { OPENAI_BASE_URL: 'http://x' })).toBe(true);
    expect(isProviderConfigured(openai, { OPENAI_API_KEY: '  ' })).toBe(false);
    expect(isProviderConfigured(anthropic, { OPENAI_API_KEY: 'sk' })).toBe(false);
    expect(isProviderConfigured(compatible, { OPENAI_COMPATIBLE_API_KEY: 'k' })).toBe(false); // a key alone names no server
    expect(configuredProviders(withAcme, { ACME_URL: 'http://acme', ANTHROPIC_API_KEY: 'k' }).map((p) => p.id)).toEqual(
      ['anthropic', 'acme'],
    );
  });

  it('reads a parsed configuration the same way as the environment it came from', () => {
    const env = {
      OPENAI_COMPATIBLE_BASE_URL: 'http://localhost:11434/v1',
      ANTHROPIC_API_KEY: '',
      ACME_URL: 'http://acme',
    };
    const config = loadWorkerConfig(env, { providers: withAcme });
    expect(configuredProviders(withAcme, config).map((p) => p.id)).toEqual(
      configuredProviders(withAcme, env).map((p) => p.id),
    );
  });

  it('orders providers by example priority per tier, the rest after in list order', () => {
    expect(byExamplePriority(withAcme, 'strong').map((p) => p.id)).toEqual([
      'anthropic',
      'openai',
      'openai-compatible',
      'acme',
    ]);
    expect(byExamplePriority(withAcme, 'cheap').map((p) => p.id)).toEqual([
      'acme',
      'openai',
      'anthropic',
      'openai-compatible',
    ]);
  });

  it('drives the example routing and the CLI detection from the profiles', () => {
    expect(exampleProvidersFromEnv({ OPENAI_BASE_URL: 'http://x', ANTHROPIC_API_KEY: 'k' })).toEqual([
      'anthropic',
      'openai',
    ]);
    expect(exampleProvidersFromEnv({ ACME_URL: 'http://acme' })).toEqual(['openai']);
    expect(exampleRouting(['openai', 'acme'], withAcme)).toEqual({
      tiers: {
        strong: {
          chain: [
            { provider: 'openai', name: 'gpt-4.1' },
            { provider: 'acme', name: 'acme-l' },
          ],
        },
        cheap: {
          chain: [
            { provider: 'acme', name: 'acme-s' },
            { provider: 'openai', name: 'gpt-4.1-mini' },
          ],
        },
      },
    });
  });
});

describe('a provider of your own in the worker configuration', () => {
  it('reads its variables when the worker is given it, and ignores them otherwise', () => {
    const env = { ACME_URL: ' http://acme.internal/v1 ', ACME_TOKEN: 'tok-9f3e' };
    expect(loadWorkerConfig(env, { providers: withAcme })).toMatchObject({
      ACME_URL: 'http://acme.internal/v1',
      ACME_TOKEN: 'tok-9f3e',
    });
    expect(loadWorkerConfig(env)).not.toHaveProperty('ACME_URL');
  });

  it('refuses a bad value, naming the variable but not quoting a secret', () => {
    expect(() => loadWorkerConfig({ ACME_URL: 'acme:80', ACME_TOKEN: 'tok-9f3e' }, { providers: withAcme })).toThrow(
      'invalid worker configuration: ACME_URL: must be an http(s) URL',
    );
  });

  it('is described with its base URL, never its credential', () => {
    const config = loadWorkerConfig(
      { ACME_URL: 'http://user:pw@acme.internal/v1', ACME_TOKEN: 'tok-9f3e', OPENAI_API_KEY: 'sk-1' },
      { providers: withAcme },
    );
    const text = describeConfig(config, { providers: withAcme });
    expect(text).toContain('providers: openai, acme @ http://***@acme.internal/v1');
    expect(text).not.toContain('tok-9f3e');
    expect(text).not.toContain('pw');
  });

  it('refuses two providers declaring one variable or one id, and a variable of the worker', () => {
    const twin = { ...acme, id: 'acme-2' };
    expect(() => providerEnvShape([acme, twin])).toThrow('providers "acme" and "acme-2" both declare ACME_URL');
    expect(() => providerEnvShape([acme, acme])).toThrow('provider "acme" is listed twice');
    const greedy = defineProviderProfile({
      ...acme,
      id: 'greedy',
      env: { BOSUN_TASK_QUEUE: { schema: envString, role: 'option', doc: '' } },
      configuredBy: [],
    });
    expect(() => loadWorkerConfig({}, { providers: [greedy] })).toThrow(
      "provider variable BOSUN_TASK_QUEUE is one of the worker's own",
    );
  });
});

describe('createModelAdapters with a provider of your own', () => {
  it('builds its adapter from its own parsed settings, only when configured', async () => {
    expect(
      Object.keys(createModelAdapters(loadWorkerConfig({ ACME_TOKEN: 't' }, { providers: withAcme }), withAcme)),
    ).toEqual([]);
    const adapters = createModelAdapters(
      loadWorkerConfig({ ACME_URL: 'http://acme', ACME_TOKEN: 't', OPENAI_API_KEY: 'k' }, { providers: withAcme }),
      withAcme,
    );
    expect(Object.keys(adapters)).toEqual(['openai', 'acme']);
    expect((await adapters.acme!.call(request, { timeoutMs: 1000 })).message.text).toBe('http://acme t');
  });

  it('refuses an invalid id, a configuredBy outside its variables and an adapter for another id', () => {
    const config = loadWorkerConfig({ ACME_URL: 'http://acme' }, { providers: withAcme });
    const bad = (override: Partial<ProviderDescriptor>) => () =>
      createModelAdapters(config, [{ ...acme, ...override } as ProviderDescriptor]);
    expect(bad({ id: 'Acme Gateway' })).toThrow(/provider id "Acme Gateway" must be a provider id/);
    expect(bad({ configuredBy: ['ACME_HOST'] })).toThrow(
      'provider "acme" is configured by ACME_HOST, which is not one of its variables',
    );
    expect(
      bad({ createAdapter: () => ({ provider: 'openai', call: async () => Promise.reject(new Error()) }) }),
    ).toThrow(/built an adapter for "openai"/);
  });
});

describe('provider ids in runs', () => {
  it('accepts any well-formed id in a model ref; the worker decides whether it serves it', () => {
    expect(modelRefSchema.parse({ provider: 'my-gateway_2', name: 'm' }).provider).toBe('my-gateway_2');
    for (const bad of ['', 'My-Gateway', '-gw', 'gw/x', 'a'.repeat(65)])
      expect(modelRefSchema.safeParse({ provider: bad, name: 'm' }).success).toBe(false);
  });

  it('lets a client accept the ids of providers of your own, in models and routing chains', () => {
    const agent = {
      name: 'a',
      instructions: 'i',
      routing: {
        tiers: {
          strong: {
            chain: [
              { provider: 'openai', name: 'm' },
              { provider: 'acme', name: 'm' },
            ],
          },
        },
      },
    };
    let issues: RunInputError['issues'] = [];
    try {
      validateRunInput({ agent, task: 't' });
    } catch (err) {
      issues = (err as RunInputError).issues;
    }
    expect(issues).toEqual([
      {
        path: 'agent.routing.tiers.strong.chain.1.provider',
        message: expect.stringContaining('unknown provider "acme"'),
      },
    ]);
    expect(
      (validateRunInput({ agent, task: 't' }, { extraProviders: ['acme'] }).agent as AgentDefinition).routing?.tiers
        .strong?.chain[1]?.provider,
    ).toBe('acme');
    const task = {
      name: 'triage',
      taskClass: 'classify',
      instructions: 'Classify.',
      input: 'x',
      model: { provider: 'acme', name: 'm' },
    } as const;
    expect(() => validateTaskInput(task)).toThrow(/model\.provider: unknown provider "acme"/);
    expect(validateTaskInput(task, { extraProviders: ['acme'] }).model?.provider).toBe('acme');
  });
});

describe('error readers', () => {
  it('each SDK reader recognises its own classes only', () => {
    expect(readOpenAIError(new OpenAI.APIConnectionTimeoutError())).toEqual({ kind: 'timeout' });
    expect(readOpenAIError(new Anthropic.APIConnectionTimeoutError())).toBeUndefined();
    expect(readAnthropicError(new Anthropic.APIUserAbortError())).toEqual({ kind: 'aborted' });
    expect(readAnthropicError(new OpenAI.APIUserAbortError())).toBeUndefined();
  });

  it('trusts an SDK HTTP error without response headers, which the shape reader does not', () => {
    const err = new OpenAI.RateLimitError(
      429,
      { type: 'requests', code: 'rate_limit_exceeded' },
      undefined,
      undefined as unknown as Headers,
    );
    expect(readByShape(err)).toBeUndefined();
    expect(readOpenAIError(err)).toEqual({ kind: 'status', status: 429 });
    expect(toProviderFailure(err, 'openai', readOpenAIError).type).toBe('rate_limited');
  });

  it("takes the code Anthropic's SDK extracted from the body", () => {
    const err = Anthropic.APIError.generate(
      429,
      {
        type: 'error',
        error: { type: 'rate_limit_error', message: 'm', details: { error_code: 'credit_balance_too_low' } },
      },
      undefined,
      new Headers(),
    );
    expect(readAnthropicError(err)).toMatchObject({ kind: 'status', status: 429, code: 'credit_balance_too_low' });
    expect(toProviderFailure(err, 'anthropic', readAnthropicError).type).toBe('quota_exhausted');
  });

  it('maps the errors of a provider of your own with its reader, or by shape without one', () => {
    class GatewayBusy extends Error {}
    const readGateway = (err: unknown) =>
      err instanceof GatewayBusy ? { kind: 'status' as const, status: 503 } : undefined;
    expect(toProviderFailure(new GatewayBusy('busy'), 'acme', readGateway)).toMatchObject({
      type: 'provider_unavailable',
      message: 'acme: HTTP 503 provider_unavailable',
    });
    const fetchLike = Object.assign(new Error('nope'), {
      status: 401,
      headers: new Headers({ 'x-request-id': 'req_1' }),
    });
    expect(toProviderFailure(fetchLike, 'acme')).toMatchObject({
      type: 'auth',
      message: 'acme: HTTP 401 auth (request req_1)',
    });
  });
});
