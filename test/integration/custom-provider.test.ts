import { chatBody } from '../helpers/chat-body.ts';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { createBosunClient } from '../../client/client.ts';
import { envString, envUrl } from '../../core/env-values.ts';
import type { ModelRequest, ModelResponse } from '../../core/model.ts';
import { createOpenAIAdapter } from '../../activities/model/openai.ts';
import { defineProvider } from '../../activities/model/provider-descriptor.ts';
import { builtInProviders, readOpenAIError } from '../../activities/model/providers/index.ts';
import { loadWorkerConfig } from '../../worker/config.ts';
import { startFakeOpenAI } from '../kit/index.ts';
import { testAgent, uniqueName, useHarness, withWorker } from '../helpers/harness.ts';

const h = useHarness();

/**
 * A provider of a user's own, written in the user's file and handed to the worker: an
 * in-house gateway speaking the OpenAI protocol, under its own id and its own variables.
 */
const inHouseGateway = defineProvider({
  id: 'in-house',
  description: 'In-house inference gateway (OpenAI protocol)',
  env: {
    IN_HOUSE_GATEWAY_URL: { schema: envUrl, role: 'endpoint', doc: 'Gateway base URL.' },
    IN_HOUSE_GATEWAY_TOKEN: { schema: envString, role: 'credential', doc: 'Gateway token.' },
  },
  configuredBy: ['IN_HOUSE_GATEWAY_URL'],
  models: { default: 'gw-small', strong: 'gw-large', cheap: 'gw-small' },
  tokenizer: 'approximate',
  readError: readOpenAIError,
  createAdapter: (s) =>
    createOpenAIAdapter(
      new OpenAI({
        baseURL: s.IN_HOUSE_GATEWAY_URL ?? null,
        apiKey: s.IN_HOUSE_GATEWAY_TOKEN ?? 'none',
        maxRetries: 0,
      }),
      'in-house',
    ),
});

/** A provider that is no HTTP API at all: it answers every task with a fixed sentence. */
const cannedProvider = defineProvider({
  id: 'canned_answers',
  description: 'Answers from a table, no model',
  env: { CANNED_ANSWER: { schema: envString, role: 'option', doc: 'The answer it gives.' } },
  configuredBy: ['CANNED_ANSWER'],
  models: { default: 'table', strong: 'table', cheap: 'table' },
  tokenizer: 'approximate',
  createAdapter: (s) => ({
    provider: 'canned_answers',
    async call(req: ModelRequest): Promise<ModelResponse> {
      return {
        message: { role: 'assistant', text: `${s.CANNED_ANSWER} (${req.messages.length} message)`, toolCalls: [] },
        stop: 'end',
        usage: { input: 7, output: 5, cachedInput: 0, cacheWrite: 0 },
        modelVersion: req.model.name,
        latencyMs: 1,
      };
    },
  }),
});

const providers = [...builtInProviders, inHouseGateway, cannedProvider];

describe('a provider of your own', () => {
  it('runs a tool-using agent to an answer on a provider defined outside Bosun, configured by its own variables', async () => {
    const gateway = await startFakeOpenAI({ requireApiKey: 'gw-token-1' });
    try {
      const config = loadWorkerConfig(
        {
          BOSUN_TASK_QUEUE: uniqueName('tq'),
          IN_HOUSE_GATEWAY_URL: gateway.baseURL,
          IN_HOUSE_GATEWAY_TOKEN: 'gw-token-1',
          CANNED_ANSWER: 'Forty-two.',
        },
        { providers },
      );
      await withWorker(
        h,
        config,
        async ({ bosun }) => {
          gateway.push(
            {
              kind: 'tool_calls',
              calls: [{ name: 'calculator', args: { expression: '2 * 18.40' } }],
              usage: { input: 120, output: 10 },
            },
            { kind: 'text', text: 'The refund is $36.80.', usage: { input: 200, output: 8 } },
          );
          const onGateway = await bosun.run({
            agent: testAgent({ provider: 'in-house', name: 'gw-large' }),
            task: 'Refund for 2 mugs at $18.40?',
          });
          expect(onGateway.outcome).toEqual({ kind: 'answer', text: 'The refund is $36.80.', truncated: false });
          expect(onGateway).toMatchObject({ modelCalls: 2, toolCalls: 1 });
          expect(onGateway.calls.map((c) => [c.model, c.outcome])).toEqual([
            ['in-house/gw-large', 'ok'],
            ['in-house/gw-large', 'ok'],
          ]);
          expect(gateway.requests).toHaveLength(2);
          expect(gateway.requests.map((r) => chatBody(r).model)).toEqual(['gw-large', 'gw-large']);
          // Not `openai`: the OpenAI adapter speaks the compatible dialect under another id.
          expect(chatBody(gateway.requests[0]!).max_tokens).toBe(256);
          expect(JSON.stringify(gateway.requests[1]!.body)).toContain('2 * 18.40 = 36.8');

          const onTable = await bosun.run({
            agent: testAgent({ provider: 'canned_answers', name: 'table' }, { tools: [] }),
            task: 'Meaning of life?',
          });
          expect(onTable.outcome).toEqual({ kind: 'answer', text: 'Forty-two. (1 message)', truncated: false });
          expect(onTable.usage).toMatchObject({ input: 7, output: 5 });
        },
        { providers },
      );
    } finally {
      await gateway.close();
    }
  });

  it('fails a run on a provider its worker does not know at the call, typed, naming the providers it serves', async () => {
    const config = loadWorkerConfig({ BOSUN_TASK_QUEUE: uniqueName('tq'), CANNED_ANSWER: 'yes' }, { providers });
    await withWorker(
      h,
      config,
      async ({ temporal, taskQueue }) => {
        // A client told of a provider only other workers serve lets the run start.
        const bosun = createBosunClient({ client: temporal, taskQueue, extraProviders: ['elsewhere'] });
        const result = await bosun.run({
          agent: testAgent({ provider: 'elsewhere', name: 'm' }, { tools: [] }),
          task: 'hi',
        });
        expect(result.outcome).toMatchObject({ kind: 'failed', failure: { type: 'auth', retryable: false } });
        const message = result.outcome.kind === 'failed' ? result.outcome.failure.message : '';
        expect(message).toContain('unknown provider "elsewhere"');
        expect(message).toContain('openai, anthropic, openai-compatible, in-house, canned_answers');
        expect(message).toContain('configured providers: canned_answers');
        expect(result.calls.map((c) => c.model)).toEqual(['elsewhere/m']);
      },
      { providers },
    );
  });
});
