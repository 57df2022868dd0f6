import OpenAI from 'openai';
import { z } from 'zod';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger, MetricMeter } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createCallModel } from '../../activities/call-model.ts';
import { createExecuteTool } from '../../activities/execute-tool.ts';
import { recordModelCall, recordModelFailure, recordToolCall, toolOutcomeOf } from '../../activities/metrics.ts';
import { createOpenAIAdapter } from '../../activities/model/index.ts';
import type { CallModelInput, ExecuteToolInput } from '../../core/activity-contracts.ts';
import { defineTool } from '../../tools/define-tool.ts';
import { registerTool, ToolError } from '../../tools/handlers/types.ts';
import {
  countEscalation,
  countFallback,
  countToolDenial,
  countValidation,
  recordModelCost,
} from '../../workflows/metrics.ts';
import { startFakeOpenAI, type FakeProviderServer, type FakeReply } from '../kit/index.ts';
import { recordingMeter } from '../helpers/recording-meter.ts';

const silent: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const mini = { provider: 'openai', name: 'gpt-4.1-mini' } as const;

describe('activity metric helpers', () => {
  it('records latency in ms and tokens by model and kind for a successful call', () => {
    const meter = recordingMeter();
    recordModelCall(
      { model: mini, latencyMs: 812.4, usage: { input: 1200, output: 80, cachedInput: 1000, cacheWrite: 0 } },
      meter,
    );
    expect(meter.points).toEqual([
      {
        name: 'bosun_model_latency',
        kind: 'histogram',
        valueType: 'int',
        unit: 'ms',
        value: 812,
        tags: { model: 'openai/gpt-4.1-mini' },
      },
      {
        name: 'bosun_model_tokens',
        kind: 'counter',
        valueType: 'int',
        unit: 'tokens',
        value: 1200,
        tags: { model: 'openai/gpt-4.1-mini', kind: 'input' },
      },
      {
        name: 'bosun_model_tokens',
        kind: 'counter',
        valueType: 'int',
        unit: 'tokens',
        value: 80,
        tags: { model: 'openai/gpt-4.1-mini', kind: 'output' },
      },
      {
        name: 'bosun_model_tokens',
        kind: 'counter',
        valueType: 'int',
        unit: 'tokens',
        value: 1000,
        tags: { model: 'openai/gpt-4.1-mini', kind: 'cached' },
      },
    ]);
  });

  it('counts a failure by model and type, a timeout also as a timeout, and the tokens a failed attempt billed', () => {
    const meter = recordingMeter();
    recordModelFailure({ model: mini, type: 'rate_limited' }, meter);
    recordModelFailure({ model: mini, type: 'timeout' }, meter);
    recordModelFailure(
      { model: mini, type: 'invalid_output', billed: { input: 50, output: 7, cachedInput: 0, cacheWrite: 0 } },
      meter,
    );
    expect(meter.sum('bosun_model_failures', { model: 'openai/gpt-4.1-mini', type: 'rate_limited' })).toBe(1);
    expect(meter.sum('bosun_model_failures', { type: 'timeout' })).toBe(1);
    expect(meter.sum('bosun_model_timeouts', { model: 'openai/gpt-4.1-mini' })).toBe(1);
    expect(meter.sum('bosun_model_tokens', { kind: 'input' })).toBe(50);
    expect(meter.sum('bosun_model_tokens', { kind: 'output' })).toBe(7);
  });

  it('maps tool failure types to outcomes', () => {
    expect(
      ['permission_denied', 'tool_input_invalid', 'unknown_tool', 'tool_unavailable', 'tool_failed', undefined].map(
        toolOutcomeOf,
      ),
    ).toEqual(['denied', 'invalid_input', 'unknown_tool', 'unavailable', 'failed', 'failed']);
  });

  it('never throws, even when the meter does', () => {
    const broken = {
      ...recordingMeter(),
      createCounter: () => {
        throw new Error('meter down');
      },
      createHistogram: () => {
        throw new Error('meter down');
      },
    } as MetricMeter;
    expect(() =>
      recordModelCall(
        { model: mini, latencyMs: 1, usage: { input: 1, output: 1, cachedInput: 0, cacheWrite: 0 } },
        broken,
      ),
    ).not.toThrow();
    expect(() => recordToolCall({ tool: 't', outcome: 'ok' }, broken)).not.toThrow();
    expect(() =>
      recordModelCall({ model: mini, latencyMs: 1, usage: { input: 1, output: 1, cachedInput: 0, cacheWrite: 0 } }),
    ).not.toThrow(); // outside an activity
  });
});

describe('activities emit through the activity meter', () => {
  const servers: FakeProviderServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  /** callModel on a fake OpenAI that answers with `script`, a request for it, and a recording meter. */
  async function callModelOn(script: FakeReply[]) {
    const server = await startFakeOpenAI({ script });
    servers.push(server);
    const callModel = createCallModel({
      openai: createOpenAIAdapter(new OpenAI({ apiKey: 'k', baseURL: server.baseURL, maxRetries: 0 })),
    });
    const input: CallModelInput = {
      runId: 'run-1',
      step: 1,
      timeoutMs: 5_000,
      request: {
        model: mini,
        system: 's',
        messages: [{ role: 'user', content: 'hi' }],
        tools: [],
        maxOutputTokens: 64,
      },
    };
    return { callModel, input, meter: recordingMeter() };
  }

  it('callModel records the latency and the exact tokens the provider reported, by model', async () => {
    const { callModel, input, meter } = await callModelOn([
      { kind: 'text', text: 'hi', usage: { input: 321, output: 45, cached: 300 } },
    ]);
    await new MockActivityEnvironment({}, { logger: silent, metricMeter: meter }).run(callModel, input);
    expect(meter.sum('bosun_model_tokens', { model: 'openai/gpt-4.1-mini', kind: 'input' })).toBe(321);
    expect(meter.sum('bosun_model_tokens', { model: 'openai/gpt-4.1-mini', kind: 'output' })).toBe(45);
    expect(meter.sum('bosun_model_tokens', { model: 'openai/gpt-4.1-mini', kind: 'cached' })).toBe(300);
    expect(meter.points.filter((p) => p.name === 'bosun_model_latency')).toHaveLength(1);
  });

  it('callModel counts a provider failure by model and type', async () => {
    const { callModel, input, meter } = await callModelOn([{ kind: 'error', status: 429 }]);
    await expect(
      new MockActivityEnvironment({}, { logger: silent, metricMeter: meter }).run(callModel, input),
    ).rejects.toThrow();
    expect(meter.sum('bosun_model_failures', { model: 'openai/gpt-4.1-mini', type: 'rate_limited' })).toBe(1);
    expect(meter.sum('bosun_model_latency')).toBe(0);
  });

  it('executeTool counts each call by tool and outcome, and unknown names under one label', async () => {
    const contract = defineTool({
      name: 'probe',
      description: 'test tool',
      input: z.object({ n: z.number().int() }),
      effect: 'read',
    });
    const executeTool = createExecuteTool([
      registerTool(contract, async ({ n }) => {
        if (n < 0) throw new ToolError('negative', { retryable: false });
        return 'ok';
      }),
    ]);
    const meter = recordingMeter();
    const env = () => new MockActivityEnvironment({}, { logger: silent, metricMeter: meter });
    const call = (name: string, input: unknown): ExecuteToolInput => ({
      runId: 'r',
      step: 1,
      callId: 'c',
      name,
      input,
      principal: { tenant: 't', user: 'u', scopes: [], roles: [], attributes: {} },
    });
    await env().run(executeTool, call('probe', { n: 1 }));
    await env().run(executeTool, call('probe', { n: 2 }));
    await expect(env().run(executeTool, call('probe', { n: 'x' }))).rejects.toThrow();
    await expect(env().run(executeTool, call('probe', { n: -1 }))).rejects.toThrow();
    await expect(env().run(executeTool, call('drop_tables', {}))).rejects.toThrow();
    expect(
      meter.points
        .filter((p) => p.name === 'bosun_tool_calls')
        .map(({ tags: { tool, outcome } }) => ({ tool, outcome })),
    ).toEqual([
      { tool: 'probe', outcome: 'ok' },
      { tool: 'probe', outcome: 'ok' },
      { tool: 'probe', outcome: 'invalid_input' },
      { tool: 'probe', outcome: 'failed' },
      { tool: '(unknown)', outcome: 'unknown_tool' },
    ]);
  });
});

describe('workflow metric helpers', () => {
  it('count escalations, denials, fallbacks and validations with their labels', () => {
    const meter = recordingMeter();
    countEscalation('invalid_output', meter);
    countToolDenial('refund_order', meter);
    countFallback('openai/gpt-4.1', 'anthropic/claude-sonnet-4-5', meter);
    countValidation('refund_decision', 'repaired', meter);
    expect(meter.points.map((p) => [p.name, p.kind, p.value, p.tags])).toEqual([
      ['bosun_escalations', 'counter', 1, { reason: 'invalid_output' }],
      ['bosun_tool_denials', 'counter', 1, { tool: 'refund_order' }],
      ['bosun_fallbacks', 'counter', 1, { from: 'openai/gpt-4.1', to: 'anthropic/claude-sonnet-4-5' }],
      ['bosun_output_validations', 'counter', 1, { schema: 'refund_decision', result: 'repaired' }],
    ]);
  });

  it('records cost in USD as a float histogram, ignoring values the SDK would throw on', () => {
    const meter = recordingMeter();
    recordModelCost('openai/gpt-4.1-mini', 0.000072, meter);
    recordModelCost('openai/gpt-4.1-mini', -1, meter);
    recordModelCost('openai/gpt-4.1-mini', Number.NaN, meter);
    expect(meter.points).toEqual([
      {
        name: 'bosun_model_cost_usd',
        kind: 'histogram',
        valueType: 'float',
        unit: 'USD',
        value: 0.000072,
        tags: { model: 'openai/gpt-4.1-mini' },
      },
    ]);
  });

  it('never throw into workflow code, even outside a workflow or with a broken meter', () => {
    expect(() => countEscalation('refused')).not.toThrow();
    expect(() => recordModelCost('m', 1)).not.toThrow();
    const broken = {
      createCounter: () => {
        throw new Error('x');
      },
      createHistogram: () => {
        throw new Error('x');
      },
    } as unknown as MetricMeter;
    expect(() => countFallback('a', 'b', broken)).not.toThrow();
  });
});
