import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { buildMemoryRetriever } from '../../activities/retrieval/sqlite-retriever.ts';
import { openSqliteRunStore } from '../../activities/store/run-store.ts';
import { createBosunClient } from '../../client/client.ts';
import { builtInTools } from '../../worker/built-in-tools.ts';
import { workflowsPath } from '../../worker/bundle.ts';
import { demoKnowledgeDir, demoPromptsDir } from '../../examples/demo/app.ts';
import { createModelAdapters } from '../../worker/providers.ts';
import { tracingInterceptors, workflowTracingModules } from '../../worker/telemetry/tracing.ts';
import { startFakeOpenAI, type FakeProviderServer, type FakeReply } from '../kit/index.ts';
import { useHarness, fakeConfig, openaiModel, testAgent, uniqueName } from '../helpers/harness.ts';
import { startWorkerProcess } from '../helpers/worker-process.ts';

const h = useHarness();

/** Two model calls with known usage: a calculator call, then the answer. */
const script = (): FakeReply[] => [
  {
    kind: 'tool_calls',
    calls: [{ name: 'calculator', args: { expression: '2 * 18.40' } }],
    usage: { input: 120, output: 15 },
  },
  { kind: 'text', text: 'It is $36.80.', usage: { input: 333, output: 44, cached: 100 } },
];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition. */
function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

const total = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);

describe('Prometheus metrics', () => {
  it('serves Temporal runtime metrics and Bosun model, token and tool metrics on one endpoint', async () => {
    const fake: FakeProviderServer = await startFakeOpenAI({ script: script() });
    const port = await freePort();
    const taskQueue = uniqueName('metrics');
    // A worker process of its own: the Prometheus exporter is part of the Runtime, which is
    // configured once per process (and this test process already has one).
    const worker = await startWorkerProcess(h, {
      BOSUN_TASK_QUEUE: taskQueue,
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: 'sk-test-metrics',
      BOSUN_METRICS_ADDR: `127.0.0.1:${port}`,
      BOSUN_LOG_FORMAT: 'json',
      BOSUN_LOG_LEVEL: 'INFO',
    });
    try {
      const bosun = createBosunClient({ client: h.temporal, taskQueue });
      const result = await bosun.run({
        agent: testAgent(openaiModel),
        task: 'What is 2 x $18.40?',
        runId: uniqueName('metrics-run'),
      });
      expect(result.outcome).toMatchObject({ kind: 'answer', text: 'It is $36.80.' });

      // Workflow completion is counted after the result is visible to the client.
      let samples: Sample[] = [];
      const deadline = Date.now() + 10_000;
      do {
        samples = parsePrometheus(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
        if (total(samples, 'temporal_workflow_completed', { task_queue: taskQueue }) >= 1) break;
        await new Promise((r) => setTimeout(r, 200));
      } while (Date.now() < deadline);

      // Temporal's own runtime metrics.
      expect(total(samples, 'temporal_workflow_completed', { task_queue: taskQueue })).toBe(1);
      expect(samples.some((s) => s.name.startsWith('temporal_request'))).toBe(true);
      expect(
        total(samples, 'temporal_activity_execution_latency_count', {
          task_queue: taskQueue,
          activity_type: 'callModel',
        }),
      ).toBe(2);

      // Bosun's: latency by model, the exact tokens the fake reported, tool calls by outcome.
      // (The SDK tags custom metrics in camelCase: taskQueue, activityType, workflowType.)
      const model = { model: 'openai/gpt-4.1-mini', taskQueue };
      expect(total(samples, 'bosun_model_latency_count', model)).toBe(2);
      expect(total(samples, 'bosun_model_latency_bucket', { ...model, le: '+Inf' })).toBe(2);
      expect(total(samples, 'bosun_model_latency_sum', model)).toBeGreaterThan(0);
      expect(total(samples, 'bosun_model_tokens', { ...model, kind: 'input' })).toBe(120 + 333);
      expect(total(samples, 'bosun_model_tokens', { ...model, kind: 'output' })).toBe(15 + 44);
      expect(total(samples, 'bosun_model_tokens', { ...model, kind: 'cached' })).toBe(100);
      // The calculator (a read) ran inside the model call that asked for it: an early result.
      expect(
        total(samples, 'bosun_tool_calls', {
          tool: 'calculator',
          outcome: 'ok',
          taskQueue,
          activityType: 'callModel',
        }),
      ).toBe(1);
      expect(total(samples, 'bosun_tool_calls', { tool: 'calculator' })).toBe(1);
      expect(total(samples, 'bosun_model_failures', { taskQueue })).toBe(0);

      // The logs are JSON lines, with the run id and step on the model-call lines. (The
      // Runtime holds log lines ~100 ms to order them with core's.)
      const logDeadline = Date.now() + 5_000;
      while (worker.output().split('"message":"model call"').length < 3 && Date.now() < logDeadline)
        await new Promise((r) => setTimeout(r, 100));
      const lines = worker
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const modelCalls = lines.filter((l) => l.message === 'model call');
      expect(modelCalls.map((l) => l.step)).toEqual([1, 2]);
      expect(modelCalls[0]).toMatchObject({
        level: 'INFO',
        workflowId: result.runId,
        activityType: 'callModel',
        model: 'openai/gpt-4.1-mini',
        ts: expect.any(String),
      });
      expect(worker.output()).not.toContain('2 * 18.40');
      expect(worker.output()).not.toContain('taskToken');
    } finally {
      await worker.kill('SIGTERM');
      await fake.close();
    }
  });
});

describe('per-run Prometheus metrics', () => {
  // Emitted by the workflow when a run ends (`recordRunEnd` in `finish`): operators read the
  // business metrics (docs/metrics.md) from the worker, with no client.
  it('counts each finished run by outcome, reason and who answered, with cost, steps, escalations and latencies', async () => {
    const fake = await startFakeOpenAI();
    const port = await freePort();
    const taskQueue = uniqueName('run-metrics');
    const worker = await startWorkerProcess(h, {
      BOSUN_TASK_QUEUE: taskQueue,
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: 'sk-test-metrics',
      BOSUN_METRICS_ADDR: `127.0.0.1:${port}`,
    });
    const humanWaitMs = 1_500;
    try {
      const bosun = createBosunClient({ client: h.temporal, taskQueue });
      const agent = (extra = {}) => ({ ...testAgent(openaiModel, extra), name: 'metrics-agent' });
      fake.push({ kind: 'text', text: 'answer', usage: { input: 1_000, output: 100 } });
      await bosun.run({ agent: agent(), task: 'a model answer' });
      fake.push({ kind: 'error', status: 401 });
      await bosun.run({ agent: agent(), task: 'a failure' });
      fake.push({ kind: 'text', text: 'no', stop: 'refusal', usage: { input: 100, output: 1 } });
      await bosun.run({ agent: agent({ escalation: { mode: 'return' } }), task: 'an escalation' });
      await bosun.run({
        agent: agent({ retrieval: { k: 3, minScore: 50, onWeak: 'degrade' } }),
        task: 'Explain quantum chromodynamics',
      });
      const parked = await bosun.start({
        agent: agent({ policy: { sensitive: [{ pattern: '\\blawyer\\b', reason: 'legal matter' }] } }),
        task: 'My lawyer says you owe me money.',
        runId: uniqueName('metrics-human'),
      });
      await expect.poll(async () => (await parked.status()).escalation?.id, { timeout: 15_000 }).toBeDefined();
      await new Promise((r) => setTimeout(r, humanWaitMs));
      await parked.answer((await parked.status()).escalation!.id, { id: 'carol' }, 'A person will call you.');
      await parked.result();

      let samples: Sample[] = [];
      const deadline = Date.now() + 10_000;
      do {
        samples = parsePrometheus(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
        if (total(samples, 'bosun_runs', { taskQueue }) >= 5) break;
        await new Promise((r) => setTimeout(r, 200));
      } while (Date.now() < deadline);

      const runs = (labels: Record<string, string>) =>
        total(samples, 'bosun_runs', { taskQueue, agent: 'metrics-agent', ...labels });
      expect(runs({})).toBe(5);
      expect(runs({ outcome: 'completed', answered_by: 'model', reason: 'none' })).toBe(1);
      expect(runs({ outcome: 'completed', answered_by: 'human' })).toBe(1);
      expect(runs({ outcome: 'completed', answered_by: 'policy', retrieval: 'weak' })).toBe(1);
      expect(runs({ outcome: 'failed', reason: 'auth', answered_by: 'none' })).toBe(1);
      expect(runs({ outcome: 'escalated', reason: 'refused' })).toBe(1);
      // Success rate as the dashboard computes it: 1 model answer of 5 finished runs.
      expect(runs({ answered_by: 'model' }) / runs({})).toBe(0.2);

      const tq = { taskQueue, agent: 'metrics-agent' };
      // gpt-4.1-mini ($0.40 in, $1.60 out per million): the answer and the refused call.
      expect(total(samples, 'bosun_run_cost_usd_sum', tq)).toBeCloseTo(
        (1_000 * 0.4 + 100 * 1.6 + 100 * 0.4 + 1.6) / 1e6,
        9,
      );
      expect(total(samples, 'bosun_run_cost_usd_count', tq)).toBe(5);
      // One step each for the answer, the failure and the refusal; the policy and the human
      // answered before any model call.
      expect(total(samples, 'bosun_run_steps_sum', tq)).toBe(3);
      expect(total(samples, 'bosun_run_escalations_count', tq)).toBe(5);
      expect(total(samples, 'bosun_run_escalations_bucket', { ...tq, le: '0' })).toBe(3);
      expect(total(samples, 'bosun_run_human_timeouts_bucket', { ...tq, le: '0' })).toBe(5);
      expect(total(samples, 'bosun_run_latency_count', tq)).toBe(5);
      expect(total(samples, 'bosun_run_latency_excl_human_count', tq)).toBe(5);
      const humanWait =
        total(samples, 'bosun_run_latency_sum', tq) - total(samples, 'bosun_run_latency_excl_human_sum', tq);
      expect(humanWait).toBeGreaterThanOrEqual(humanWaitMs);
      expect(humanWait).toBeLessThan(humanWaitMs + 10_000);
      // The histograms are by outcome too: three of the five runs completed.
      expect(total(samples, 'bosun_run_latency_count', { ...tq, outcome: 'completed' })).toBe(3);
    } finally {
      await worker.kill('SIGTERM');
      await fake.close();
    }
  });
});

describe('OpenTelemetry tracing', () => {
  it('traces client → workflow → activities in one trace, with GenAI attributes on the model calls', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = tracingInterceptors({ exporter, serviceName: 'bosun-it' });
    const fake = await startFakeOpenAI({ script: script() });
    const dir = mkdtempSync(join(tmpdir(), 'bosun-tracing-'));
    try {
      // The workflow half of the tracing lives in the bundle.
      const bundle = await bundleWorkflowCode({
        workflowsPath,
        workflowInterceptorModules: workflowTracingModules,
        logger: quietBundler,
      });
      const config = fakeConfig({ openai: fake }, uniqueName('tracing'));
      const retriever = await buildMemoryRetriever({ dir: demoKnowledgeDir });
      const store = openSqliteRunStore(join(dir, 'runs.db'));
      const activities = createActivities({
        models: createModelAdapters(config),
        tools: await builtInTools({ retriever }),
        store,
        promptsDir: demoPromptsDir,
        retriever,
      });
      const worker = await Worker.create({
        connection: h.nativeConnection,
        taskQueue: config.BOSUN_TASK_QUEUE,
        activities,
        workflowBundle: bundle,
        ...tracing.workerOptions({ prebuiltBundle: true }),
      });
      const client = new Client({ connection: h.connection, interceptors: tracing.client });
      const bosun = createBosunClient({ client, taskQueue: config.BOSUN_TASK_QUEUE });
      const result = await worker.runUntil(
        bosun.run({ agent: testAgent(openaiModel), task: 'What is 2 x $18.40?', runId: uniqueName('traced') }),
      );
      expect(result.outcome).toMatchObject({ kind: 'answer' });
      store.close();

      const spans = exporter.getFinishedSpans();
      const named = (prefix: string) => spans.filter((s) => s.name.startsWith(prefix));
      const [start] = named('StartWorkflow:agentRun');
      const [run] = named('RunWorkflow:agentRun');
      const modelCalls = named('RunActivity:callModel');
      // The calculator (a read) ran inside the model call that asked for it (an early result):
      // a span of its own under that call's.
      const toolCalls = named('EarlyTool:calculator');
      expect(start).toBeDefined();
      expect(run).toBeDefined();
      expect(modelCalls).toHaveLength(2);
      expect(toolCalls).toHaveLength(1);

      // One trace: the client's start span → the workflow → each activity.
      const traceId = start!.spanContext().traceId;
      expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([traceId]));
      expect(run!.parentSpanId).toBe(start!.spanContext().spanId);
      const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
      const ancestors = (s: ReadableSpan): string[] => {
        const parent = s.parentSpanId ? byId.get(s.parentSpanId) : undefined;
        return parent ? [parent.name, ...ancestors(parent)] : [];
      };
      expect(ancestors(modelCalls[0]!)).toContain('RunWorkflow:agentRun');
      expect(ancestors(toolCalls[0]!)[0]).toBe('RunActivity:callModel');
      expect(named('RunActivity:executeTool')).toEqual([]);

      const usage = modelCalls
        .map((s) => [s.attributes['gen_ai.usage.input_tokens'], s.attributes['gen_ai.usage.output_tokens']])
        .sort();
      expect(usage).toEqual([
        [120, 15],
        [333, 44],
      ]);
      for (const s of modelCalls) {
        expect(s.attributes).toMatchObject({
          'gen_ai.system': 'openai',
          'gen_ai.request.model': 'gpt-4.1-mini',
          'bosun.run_id': result.runId,
          'bosun.prompt.version': expect.stringMatching(/^[0-9a-f]{64}$/),
        });
      }
      expect(toolCalls[0]!.attributes).toMatchObject({
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'calculator',
        'bosun.run_id': result.runId,
        'bosun.tool.outcome': 'ok',
      });
      // The model call's span keeps its own attributes, not the tool's.
      for (const s of modelCalls) expect(s.attributes['gen_ai.tool.name']).toBeUndefined();
      expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain('18.40');
    } finally {
      await tracing.shutdown();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const noop = () => {};
const quietBundler = {
  log: noop,
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: (m: string) => console.error(m),
};
