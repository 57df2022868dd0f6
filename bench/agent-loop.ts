/**
 * `npm run bench`: what Bosun costs per agent step, against a zero-latency fake model.
 *
 * An N-step run (each step one model call that asks for `calculator`, one tool call; then a
 * final answer) is measured three ways on the same machine and dev server:
 *   bosun       the real `agentRun` workflow, worker and client;
 *   floor       a bare Temporal workflow of the same shape with no-op activities
 *               (bench/floor-workflow.ts): Temporal's own minimum;
 *   in-process  the same loop with no Temporal: the OpenAI adapter and the calculator
 *               handler called directly.
 * A step's time is the interval between consecutive model requests (as the fake server, or
 * the floor's no-op model activity, records them), so it covers model answer → tool call →
 * next model request. Also reports Bosun's history size per step.
 *
 * The dev server runs with `history.transferProcessorMaxPollRPS` raised: its stock value (20
 * loads/s per history shard, and the dev server has one shard) makes every workflow task
 * that follows an activity wait ~40 ms on average in the transfer queue — ~80 ms of a step,
 * the same for Bosun and the floor — which would hide everything else. `--stock-server`
 * measures with the stock setting.
 *
 * Options: --steps N (or BENCH_STEPS, default 20), --runs R (BENCH_RUNS, default 20),
 * --warmup W (BENCH_WARMUP, default 3), --stock-server (BENCH_STOCK_SERVER=1).
 * Prints a table, then one JSON line.
 */
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import protoPkg from '@temporalio/proto';
import type { temporal as TemporalProto } from '@temporalio/proto';
import OpenAI from 'openai';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createOpenAIAdapter } from '../activities/model/index.ts';
import { createBosunClient } from '../client/client.ts';
import { nonRetryableFailureTypes } from '../core/failures.ts';
import type { Message, ToolResult } from '../core/messages.ts';
import { runInputSchema, type AgentDefinitionInput, type RunInput } from '../core/run.ts';
import { startFakeOpenAI, type FakeHandler, type FakeProviderServer } from '../test/kit/index.ts';
import { builtInTools } from '../tools/handlers/index.ts';
import { capResult, checkToolInput, findTool, toolSpec } from '../tools/index.ts';
import { bundleWorkflows } from '../worker/bundle.ts';
import { workerConfigSchema } from '../worker/config.ts';
import { createBosunWorker } from '../worker/create-worker.ts';
import { dynamicConfigArgs, responsiveDevServerConfig, startDevServer, type DevServer } from '../worker/dev-server.ts';
import type { FloorInput, floorAgentLoop } from './floor-workflow.ts';

type History = TemporalProto.api.history.v1.IHistory;
type HistoryEvent = TemporalProto.api.history.v1.IHistoryEvent;
const { temporal } = protoPkg;

// ---------------------------------------------------------------------------------------
// Options

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string' },
    runs: { type: 'string' },
    warmup: { type: 'string' },
    'stock-server': { type: 'boolean' },
  },
});
const positiveInt = (raw: string | undefined, fallback: number, name: string, min = 1): number => {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
};
const STEPS = positiveInt(args.steps ?? process.env.BENCH_STEPS, 20, '--steps');
const RUNS = positiveInt(args.runs ?? process.env.BENCH_RUNS, 20, '--runs');
const WARMUP = positiveInt(args.warmup ?? process.env.BENCH_WARMUP, 3, '--warmup', 0);
const STOCK_SERVER = args['stock-server'] === true || ['1', 'true'].includes(process.env.BENCH_STOCK_SERVER ?? '');
const SERVER_CONFIG = STOCK_SERVER ? [] : responsiveDevServerConfig;
/** Cumulative/marginal history figures are shown at this step and at the last one. */
const PROBE_STEP = Math.min(10, STEPS);

const agentInput: AgentDefinitionInput = {
  name: 'bench',
  instructions: 'bench',
  model: { provider: 'openai', name: 'bench-model' },
  tools: ['calculator'],
  maxSteps: STEPS + 1,
};
const TASK = 'bench';
/** The agent with Bosun's defaults filled in, exactly as the workflow sees it. */
const runInput: RunInput = runInputSchema.parse({ agent: agentInput, task: TASK });
const agent = runInput.agent;

const log = (line: string) => console.error(`[bench] ${line}`);

// ---------------------------------------------------------------------------------------
// The fake model: calculator until STEPS tool results are in the conversation, then an answer.

const toolTurns = (body: any): number =>
  Array.isArray(body?.messages) ? body.messages.filter((m: { role?: string }) => m?.role === 'tool').length : 0;

const benchHandler: FakeHandler = (req) =>
  toolTurns(req.body) >= STEPS
    ? { kind: 'text', text: 'done', usage: { input: 10, output: 1 } }
    : { kind: 'tool_calls', calls: [{ name: 'calculator', args: { expression: '1+1' } }], usage: { input: 10, output: 1 } };

// ---------------------------------------------------------------------------------------
// Statistics

const diffs = (stamps: number[]): number[] => stamps.slice(1).map((t, i) => t - stamps[i]!);

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

interface StepStats {
  p50: number;
  p95: number;
  mean: number;
  samples: number;
}
function stepStats(intervals: number[]): StepStats {
  return {
    p50: percentile(intervals, 0.5),
    p95: percentile(intervals, 0.95),
    mean: intervals.reduce((a, b) => a + b, 0) / intervals.length,
    samples: intervals.length,
  };
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

// ---------------------------------------------------------------------------------------
// History size

interface HistoryStats {
  bytes: number;
  events: number;
  /** Bytes of all events up to and including the k-th callModel completion (k = 1..). */
  bytesAtModelCompletion: number[];
}

const idKey = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

function historyStats(history: History, modelActivity: string): HistoryStats {
  const events: HistoryEvent[] = history.events ?? [];
  const HistoryMsg = temporal.api.history.v1.History;
  const bytes = HistoryMsg.encode(history).finish().length;
  const scheduledType = new Map<string, string>();
  const bytesAtModelCompletion: number[] = [];
  let cumulative = 0;
  for (const e of events) {
    // Each event's share of the encoded History: its bytes plus the field tag and length.
    cumulative += HistoryMsg.encode({ events: [e] }).finish().length;
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) scheduledType.set(idKey(e.eventId), scheduled.activityType?.name ?? '');
    const completed = e.activityTaskCompletedEventAttributes;
    if (completed && scheduledType.get(idKey(completed.scheduledEventId)) === modelActivity) bytesAtModelCompletion.push(cumulative);
  }
  if (cumulative !== bytes) log(`note: per-event sizes sum to ${cumulative} bytes, whole history encodes to ${bytes}`);
  return { bytes, events: events.length, bytesAtModelCompletion };
}

/** Average bytes/step up to step k, and the bytes that step k alone added. */
function historyAtStep(h: HistoryStats, k: number): { avgPerStep: number; stepBytes: number } {
  const at = h.bytesAtModelCompletion[k - 1] ?? NaN;
  const before = k >= 2 ? (h.bytesAtModelCompletion[k - 2] ?? NaN) : 0;
  return { avgPerStep: at / k, stepBytes: at - before };
}

// ---------------------------------------------------------------------------------------
// The three variants. Each returns the per-step intervals of the measured runs.

interface Measured {
  intervals: number[];
  history?: HistoryStats;
}

async function benchBosun(server: DevServer, fake: FakeProviderServer, workflowCode: string): Promise<Measured> {
  const config = workerConfigSchema.parse({
    TEMPORAL_ADDRESS: server.address,
    BOSUN_TASK_QUEUE: `bench-bosun-${process.pid}-${Date.now().toString(36)}`,
    OPENAI_BASE_URL: fake.baseURL,
    OPENAI_API_KEY: 'bench-key',
  });
  const worker = await createBosunWorker({ connection: server.env.nativeConnection, config, workflowBundle: { code: workflowCode } });
  const bosun = createBosunClient({ client: server.env.client, taskQueue: config.BOSUN_TASK_QUEUE });
  const intervals: number[] = [];
  let lastRunId = '';
  await worker.runUntil(async () => {
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const first = fake.requests.length;
      const result = await bosun.run({ agent: agentInput, task: TASK });
      if (result.outcome.kind !== 'answer' || result.toolCalls !== STEPS || result.modelCalls !== STEPS + 1) {
        throw new Error(`bosun run ${result.runId} did not do ${STEPS} steps: ${JSON.stringify({ ...result, outcome: result.outcome.kind })}`);
      }
      const stamps = fake.requests.slice(first).map((r) => r.at);
      if (stamps.length !== STEPS + 1) throw new Error(`bosun run ${result.runId}: expected ${STEPS + 1} model requests, saw ${stamps.length}`);
      if (i >= WARMUP) intervals.push(...diffs(stamps));
      lastRunId = result.runId;
    }
  });
  const history = await server.env.client.workflow.getHandle(lastRunId).fetchHistory();
  return { intervals, history: historyStats(history, 'callModel') };
}

async function benchFloor(server: DevServer, workflowCode: string): Promise<Measured> {
  const client: Client = server.env.client;
  const taskQueue = `bench-floor-${process.pid}-${Date.now().toString(36)}`;
  let stamps: number[] = [];
  const worker = await Worker.create({
    connection: server.env.nativeConnection,
    taskQueue,
    workflowBundle: { code: workflowCode },
    activities: {
      floorModel: async (input: { step: number }) => {
        stamps.push(Date.now());
        return input;
      },
      floorTool: async (input: { step: number }) => input,
    },
  });
  const input: FloorInput = {
    steps: STEPS,
    modelCallMs: agent.timeouts.modelCallMs,
    heartbeatMs: agent.timeouts.heartbeatMs,
    toolCallMs: agent.timeouts.toolCallMs,
    nonRetryableErrorTypes: nonRetryableFailureTypes,
  };
  const intervals: number[] = [];
  let lastId = '';
  await worker.runUntil(async () => {
    for (let i = 0; i < WARMUP + RUNS; i++) {
      stamps = [];
      lastId = `bench-floor-${process.pid}-${Date.now().toString(36)}-${i}`;
      await client.workflow.execute<typeof floorAgentLoop>('floorAgentLoop', { taskQueue, workflowId: lastId, args: [input] });
      if (stamps.length !== STEPS + 1) throw new Error(`floor run ${lastId}: expected ${STEPS + 1} model activities, saw ${stamps.length}`);
      if (i >= WARMUP) intervals.push(...diffs(stamps));
    }
  });
  const history = await client.workflow.getHandle(lastId).fetchHistory();
  return { intervals, history: historyStats(history, 'floorModel') };
}

async function benchInProcess(fake: FakeProviderServer): Promise<Measured> {
  const adapter = createOpenAIAdapter(new OpenAI({ baseURL: fake.baseURL, apiKey: 'x', maxRetries: 0 }), 'openai');
  const calculator = (await builtInTools()).find((t) => t.contract.name === 'calculator');
  if (!calculator) throw new Error('no calculator among the built-in tools');
  const tools = agent.tools.map((name) => toolSpec(findTool(name)!));
  const intervals: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const first = fake.requests.length;
    const runId = `bench-inproc-${i}`;
    const messages: Message[] = [{ role: 'user', content: TASK }];
    let answered = false;
    // The agentRun loop, minus Temporal: model call, validate and run the tool, feed back.
    for (let step = 1; step <= agent.maxSteps && !answered; step++) {
      const response = await adapter.call(
        { model: agent.model!, system: String(agent.instructions), messages, tools, maxOutputTokens: agent.maxOutputTokens },
        { timeoutMs: agent.timeouts.modelCallMs },
      );
      messages.push(response.message);
      if (response.message.toolCalls.length === 0) {
        answered = true;
        break;
      }
      const results: ToolResult[] = [];
      for (const call of response.message.toolCalls) {
        const check = checkToolInput(calculator.contract, call.input);
        if (!check.ok) throw new Error(`in-process: bad calculator input: ${check.message}`);
        const value = await calculator.handler(check.value, {
          runId,
          callId: call.id,
          idempotencyKey: `${runId}:${call.id}`,
          signal: new AbortController().signal,
        });
        const { content } = capResult(typeof value === 'string' ? value : JSON.stringify(value), calculator.contract.maxResultChars);
        results.push({ callId: call.id, name: call.name, content, isError: false });
      }
      messages.push({ role: 'tool', results });
    }
    const stamps = fake.requests.slice(first).map((r) => r.at);
    if (!answered || stamps.length !== STEPS + 1) throw new Error(`in-process run ${i}: expected ${STEPS + 1} model requests, saw ${stamps.length}`);
    if (i >= WARMUP) intervals.push(...diffs(stamps));
  }
  return { intervals };
}

// ---------------------------------------------------------------------------------------
// Main

Runtime.install({ logger: new DefaultLogger('WARN') });

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn: (m: string) => log(m), error: (m: string) => log(m) };
const floorWorkflowsPath = fileURLToPath(new URL('./floor-workflow.ts', import.meta.url));

let server: DevServer | undefined;
let fake: FakeProviderServer | undefined;
const wallStart = performance.now();
try {
  log(`${STEPS} steps, ${WARMUP} warm-up + ${RUNS} measured runs per variant; starting dev server and bundling workflows ...`);
  const [devServer, bosunBundle, floorBundle] = await Promise.all([
    startDevServer({ stateDir: resolve('.bosun'), extraArgs: dynamicConfigArgs(SERVER_CONFIG) }),
    bundleWorkflows(),
    bundleWorkflowCode({ workflowsPath: floorWorkflowsPath, logger: quiet }),
  ]);
  server = devServer;
  fake = await startFakeOpenAI({ handler: benchHandler });
  log(`dev server ${server.address}, fake model ${fake.baseURL} (ready in ${Math.round(performance.now() - wallStart)} ms)`);

  let t = performance.now();
  const bosun = await benchBosun(server, fake, bosunBundle.code);
  log(`bosun done in ${Math.round(performance.now() - t)} ms`);
  t = performance.now();
  const floor = await benchFloor(server, floorBundle.code);
  log(`floor done in ${Math.round(performance.now() - t)} ms`);
  t = performance.now();
  const inProcess = await benchInProcess(fake);
  log(`in-process done in ${Math.round(performance.now() - t)} ms`);

  const b = stepStats(bosun.intervals);
  const f = stepStats(floor.intervals);
  const p = stepStats(inProcess.intervals);
  const bh = bosun.history!;
  const fh = floor.history!;
  const probe = historyAtStep(bh, PROBE_STEP);
  const last = historyAtStep(bh, STEPS);

  const fmt = (n: number, w = 8) => (Number.isFinite(n) ? n.toFixed(2) : '-').padStart(w);
  const row = (name: string, s: StepStats) => `  ${name.padEnd(12)}${fmt(s.p50)}${fmt(s.p95)}${fmt(s.mean)}${String(s.samples).padStart(9)}`;
  console.log('');
  console.log(`Agent loop: ${STEPS} steps (model call + calculator call each, then a final answer), zero-latency fake model`);
  console.log(`${RUNS} measured runs per variant after ${WARMUP} warm-up runs; a step = interval between consecutive model requests`);
  console.log(`dev server (in memory) dynamic config: ${SERVER_CONFIG.join(' ') || 'stock'}`);
  console.log('');
  console.log(`  ${'ms/step'.padEnd(12)}${'p50'.padStart(8)}${'p95'.padStart(8)}${'mean'.padStart(8)}${'samples'.padStart(9)}`);
  console.log(row('bosun', b));
  console.log(row('floor', f));
  console.log(row('in-process', p));
  console.log('');
  console.log(`  bosun over the Temporal floor: ${fmt(b.p50 - f.p50, 0)} ms/step at p50, ${fmt(b.mean - f.mean, 0)} ms/step mean`);
  console.log('');
  console.log(`  history (one run)     bytes    events   bytes/step  events/step`);
  const hrow = (name: string, h: HistoryStats) =>
    `  ${name.padEnd(16)}${String(h.bytes).padStart(10)}${String(h.events).padStart(10)}${(h.bytes / STEPS).toFixed(0).padStart(13)}${(h.events / STEPS).toFixed(2).padStart(13)}`;
  console.log(hrow('bosun', bh));
  console.log(hrow('floor', fh));
  console.log('');
  console.log(`  bosun history growth (bytes of events up to the k-th callModel completion):`);
  if (PROBE_STEP < STEPS) {
    console.log(`    up to step ${String(PROBE_STEP).padEnd(3)}: ${bh.bytesAtModelCompletion[PROBE_STEP - 1]} bytes, ${probe.avgPerStep.toFixed(0)} bytes/step on average, step ${PROBE_STEP} alone ${probe.stepBytes} bytes`);
  }
  console.log(`    up to step ${String(STEPS).padEnd(3)}: ${bh.bytesAtModelCompletion[STEPS - 1]} bytes, ${last.avgPerStep.toFixed(0)} bytes/step on average, step ${STEPS} alone ${last.stepBytes} bytes`);
  console.log('');

  const summary = {
    steps: STEPS,
    bosunStepMsP50: round(b.p50),
    bosunStepMsP95: round(b.p95),
    floorStepMsP50: round(f.p50),
    inProcessStepMsP50: round(p.p50),
    historyBytesPerStep: Math.round(bh.bytes / STEPS),
    historyEventsPerStep: round(bh.events / STEPS),
    // Extra keys.
    runs: RUNS,
    serverConfig: SERVER_CONFIG.join(' ') || 'stock',
    bosunStepMsMean: round(b.mean),
    floorStepMsP95: round(f.p95),
    floorStepMsMean: round(f.mean),
    inProcessStepMsP95: round(p.p95),
    inProcessStepMsMean: round(p.mean),
    historyBytesPerStepAtStep10: Math.round(probe.avgPerStep),
    historyBytesPerStepAtLastStep: Math.round(last.avgPerStep),
    historyBytesOfStep10: probe.stepBytes,
    historyBytesOfLastStep: last.stepBytes,
    floorHistoryBytesPerStep: Math.round(fh.bytes / STEPS),
    floorHistoryEventsPerStep: round(fh.events / STEPS),
    wallMs: Math.round(performance.now() - wallStart),
  };
  console.log(JSON.stringify(summary));
} catch (err) {
  console.error(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
} finally {
  await fake?.close();
  await server?.stop();
}
