import OpenAI from 'openai';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { SpanStatusCode } from '@opentelemetry/api';
import type { Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCallModel } from '../../activities/call-model.ts';
import { createOpenAIAdapter } from '../../activities/model/index.ts';
import type { RunStore } from '../../activities/store/run-store.ts';
import type { CallModelInput } from '../../core/activity-contracts.ts';
import { tracingInterceptors, workflowTracingModules, type Tracing } from '../../worker/telemetry/tracing.ts';
import { startFakeOpenAI, type FakeProviderServer } from '../kit/index.ts';

const silent: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let server: FakeProviderServer;

beforeAll(async () => {
  tracing = tracingInterceptors({ exporter, serviceName: 'bosun-test' });
  server = await startFakeOpenAI({
    script: [
      { kind: 'text', text: 'hello', usage: { input: 210, output: 12, cached: 200 } },
      { kind: 'error', status: 429 },
    ],
  });
});
afterAll(async () => {
  await server?.close();
  await tracing?.shutdown();
});

const hash = 'a'.repeat(64);
const input: CallModelInput = {
  runId: 'run-7',
  step: 2,
  timeoutMs: 5_000,
  request: {
    model: { provider: 'openai', name: 'gpt-4.1-mini' },
    system: 's',
    messages: [{ role: 'user', content: 'secret question' }],
    tools: [],
    maxOutputTokens: 64,
  },
};

function runTraced(arg: CallModelInput) {
  // The pinned prompt's text comes from the run store.
  const store = {
    getPrompt: async () => ({ hash, name: 'support', label: 'prod', content: 'You help.' }),
  } as unknown as RunStore;
  const callModel = createCallModel(
    { openai: createOpenAIAdapter(new OpenAI({ apiKey: 'k', baseURL: server.baseURL, maxRetries: 0 })) },
    { store },
  );
  const env = new MockActivityEnvironment(
    { activityType: 'callModel' },
    { logger: silent, interceptors: tracing.workerOptions().interceptors.activity! },
  );
  return env.run(callModel, arg);
}

describe('tracing', () => {
  it('is off without an OTLP URL or exporter: no interceptors, a sink that drops workflow spans', () => {
    const off = tracingInterceptors({});
    expect(off.enabled).toBe(false);
    expect(off.workerOptions().interceptors).toEqual({});
    expect(Object.keys(off.workerOptions().sinks)).toEqual(['exporter']);
    expect(off.client).toEqual({});
  });

  it('gives Worker.create the workflow module (unless the bundle has it), activity interceptors and the exporter sink', () => {
    expect(tracing.enabled).toBe(true);
    expect(tracing.workerOptions().interceptors.workflowModules).toEqual(workflowTracingModules);
    expect(workflowTracingModules[0]).toMatch(/interceptors-opentelemetry\/lib\/workflow-interceptors\.js$/);
    expect(tracing.workerOptions({ prebuiltBundle: true }).interceptors.workflowModules).toBeUndefined();
    expect(tracing.workerOptions().sinks.exporter.export.fn).toBeTypeOf('function');
    expect(tracing.client.workflow).toHaveLength(1);
    expect(tracingInterceptors({ exporter, serviceName: 'bosun-test' })).toBe(tracing);
  });

  it('puts the GenAI attributes on the callModel span: system, model, tokens, prompt version — never content', async () => {
    exporter.reset();
    await runTraced({ ...input, request: { ...input.request }, prompt: { name: 'support', hash, label: 'prod' } });
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('RunActivity:callModel');
    expect(span?.status.code).toBe(SpanStatusCode.OK);
    expect(span?.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4.1-mini',
      'gen_ai.response.model': 'gpt-4.1-mini',
      'gen_ai.usage.input_tokens': 210,
      'gen_ai.usage.output_tokens': 12,
      'bosun.usage.cached_input_tokens': 200,
      'bosun.prompt.name': 'support',
      'bosun.prompt.version': hash,
      'bosun.prompt.label': 'prod',
      'bosun.run_id': 'run-7',
      'bosun.step': 2,
    });
    expect(span?.resource.attributes['service.name']).toBe('bosun-test');
    expect(JSON.stringify(span?.attributes)).not.toContain('secret question');
  });

  it('marks a failed call with the failure type', async () => {
    exporter.reset();
    await expect(runTraced(input)).rejects.toThrow();
    const [span] = exporter.getFinishedSpans();
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes).toMatchObject({ 'gen_ai.request.model': 'gpt-4.1-mini', 'error.type': 'rate_limited' });
  });
});
