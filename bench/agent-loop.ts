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
 * Then one long run (500 steps by default) on the same dev server, with
 * `continueAsNewAfterEvents` lowered so it continues as new several times, reports the
 * history bytes each step adds at step 10 and at step 500 across the whole continue-as-new
 * chain: conversation content lives in the run store by reference, so the two should match.
 *
 * The dev server runs with `history.transferProcessorMaxPollRPS` raised: its stock value (20
 * loads/s per history shard, and the dev server has one shard) makes every workflow task
 * that follows an activity wait ~40 ms on average in the transfer queue — ~80 ms of a step,
 * the same for Bosun and the floor — which would hide everything else. `--stock-server`
 * measures with the stock setting.
 *
 * Options: --steps N (or BENCH_STEPS, default 20), --runs R (BENCH_RUNS, default 20),
 * --warmup W (BENCH_WARMUP, default 3), --stock-server (BENCH_STOCK_SERVER=1),
 * --long-steps N (BENCH_LONG_STEPS, default 500; 0 skips the long run),
 * --long-can-events E (BENCH_LONG_CAN_EVENTS, default 2000: the long run's
 * `continueAsNewAfterEvents`).
 * Prints a table, then one JSON line; `historyBytesPerStepAt10` / `historyBytesPerStepAt500`
 * are the bytes the long run's step 10 and last step (500 by default) added.
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
import { anonymousPrincipal } from '../core/principal.ts';
import { agentDefinitionSchema, type AgentDefinitionInput } from '../core/run.ts';
import { startFakeOpenAI, type FakeHandler, type FakeProviderServer } from '../testing/index.ts';
import { builtInTools } from '../worker/built-in-tools.ts';
import { builtInCatalog, capResult, checkToolInput, toolSpec } from '../tools/index.ts';
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
    'long-steps': { type: 'string' },
    'long-can-events': { type: 'string' },
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
const LONG_STEPS = positiveInt(args['long-steps'] ?? process.env.BENCH_LONG_STEPS, 500, '--long-steps', 0);
const LONG_CAN_EVENTS = positiveInt(
  args['long-can-events'] ?? process.env.BENCH_LONG_CAN_EVENTS,
  2000,
  '--long-can-events',
  100,
);
const LONG_PROBE_STEP = Math.min(10, LONG_STEPS);

const agentInput: AgentDefinitionInput = {
  name: 'bench',
  instructions: 'bench',
  model: { provider: 'openai', name: 'bench-model' },
  tools: ['calculator'],
  maxSteps: STEPS + 1,
};
const TASK = 'bench';
/** The agent with Bosun's defaults filled in, exactly as the workflow sees it. */
const agent = agentDefinitionSchema.parse(agentInput);

const log = (line: string) => console.error(`[bench] ${line}`);

// ---------------------------------------------------------------------------------------
// The fake model: calculator until STEPS tool results are in the conversation, then an answer.
// Each step's expression differs, or the run would (rightly) stop as a loop of identical calls.

const toolTurns = (body: unknown): number => {
  const messages = (body as { messages?: unknown } | null)?.messages;
  return Array.isArray(messages) ? messages.filter((m: { role?: string } | null) => m?.role === 'tool').length : 0;
};

const benchHandler: FakeHandler = (req) =>
  toolTurns(req.body) >= STEPS
    ? { kind: 'text', text: 'done', usage: { input: 10, output: 1 } }
    : {
        kind: 'tool_calls',
        calls: [{ name: 'calculator', args: { expression: `${toolTurns(req.body)}+1` } }],
        usage: { input: 10, output: 1 },
      };

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
const formatMs = (ms: number) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

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
    if (completed && scheduledType.get(idKey(completed.scheduledEventId)) === modelActivity)
      bytesAtModelCompletion.push(cumulative);
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

/** A Bosun worker on its own task queue (`<queue>-<pid>-<time>`) over the fake OpenAI
 * server, and a client for it. */
async function bosunWorker(server: DevServer, fake: FakeProviderServer, queue: string, workflowCode: string) {
  const config = workerConfigSchema.parse({
    TEMPORAL_ADDRESS: server.address,
    BOSUN_TASK_QUEUE: `${queue}-${process.pid}-${Date.now().toString(36)}`,
    OPENAI_BASE_URL: fake.baseURL,
    OPENAI_API_KEY: 'bench-key',
  });
  const worker = await createBosunWorker({
    connection: server.env.nativeConnection,
    config,
    workflowBundle: { code: workflowCode },
  });
  return { worker, bosun: createBosunClient({ client: server.env.client, taskQueue: config.BOSUN_TASK_QUEUE }) };
}

async function benchBosun(server: DevServer, fake: FakeProviderServer, workflowCode: string): Promise<Measured> {
  const { worker, bosun } = await bosunWorker(server, fake, 'bench-bosun', workflowCode);
  const intervals: number[] = [];
  let lastRunId = '';
  await worker.runUntil(async () => {
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const first = fake.requests.length;
      const result = await bosun.run({ agent: agentInput, task: TASK });
      if (result.outcome.kind !== 'answer' || result.toolCalls !== STEPS || result.modelCalls !== STEPS + 1) {
        throw new Error(
          `bosun run ${result.runId} did not do ${STEPS} steps: ${JSON.stringify({ ...result, outcome: result.outcome.kind })}`,
        );
      }
      const stamps = fake.requests.slice(first).map((r) => r.at);
      if (stamps.length !== STEPS + 1)
        throw new Error(`bosun run ${result.runId}: expected ${STEPS + 1} model requests, saw ${stamps.length}`);
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
      await client.workflow.execute<typeof floorAgentLoop>('floorAgentLoop', {
        taskQueue,
        workflowId: lastId,
        args: [input],
      });
      if (stamps.length !== STEPS + 1)
        throw new Error(`floor run ${lastId}: expected ${STEPS + 1} model activities, saw ${stamps.length}`);
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
  const tools = agent.tools.map((name) => toolSpec(builtInCatalog.tool(name)!));
  const intervals: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const first = fake.requests.length;
    const runId = `bench-inproc-${i}`;
    const messages: Message[] = [{ role: 'user', content: TASK }];
    let answered = false;
    // The agentRun loop, minus Temporal: model call, validate and run the tool, feed back.
    for (let step = 1; step <= agent.maxSteps && !answered; step++) {
      const response = await adapter.call(
        {
          model: agent.model!,
          system: String(agent.instructions),
          messages,
          tools,
          maxOutputTokens: agent.maxOutputTokens,
        },
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
          principal: anonymousPrincipal,
        });
        const { content } = capResult(
          typeof value === 'string' ? value : JSON.stringify(value),
          calculator.contract.maxResultChars,
        );
        results.push({ callId: call.id, name: call.name, content, isError: false });
      }
      messages.push({ role: 'tool', results });
    }
    const stamps = fake.requests.slice(first).map((r) => r.at);
    if (!answered || stamps.length !== STEPS + 1)
      throw new Error(`in-process run ${i}: expected ${STEPS + 1} model requests, saw ${stamps.length}`);
    if (i >= WARMUP) intervals.push(...diffs(stamps));
  }
  return { intervals };
}

// ---------------------------------------------------------------------------------------
// The long run: history bytes per step across the continue-as-new chain.

interface LongRun {
  steps: number;
  runs: number;
  wallMs: number;
  /** Bytes of the events each step added (index 0 = step 1), across the chain. A step's
   * events run from its callModel ActivityTaskScheduled up to the next one's; a
   * continue-as-new lands in the step before it. */
  stepBytes: number[];
  /** Events before step 1: start, first workflow task, prompt pinning. */
  setupBytes: number;
  totalBytes: number;
  totalEvents: number;
  /** Per run of the chain, in order. */
  perRun: { events: number; bytes: number }[];
  /** Steps at whose end the run continued as new. */
  continuedAfterSteps: number[];
}

/** Every run of a workflow id, oldest first, checked to form one continue-as-new chain
 * (visibility may lag a moment behind the histories, so it is asked again until it does). */
async function continueAsNewChain(client: Client, workflowId: string): Promise<{ runId: string; history: History }[]> {
  let problem = '';
  for (let attempt = 0; attempt < 20; attempt++) {
    const listed: { runId: string; startTime: number }[] = [];
    for await (const w of client.workflow.list({ query: `WorkflowId = "${workflowId}"` }))
      listed.push({ runId: w.runId, startTime: w.startTime.getTime() });
    listed.sort((a, b) => a.startTime - b.startTime);
    const chain = await Promise.all(
      listed.map(async ({ runId }) => ({
        runId,
        history: await client.workflow.getHandle(workflowId, runId).fetchHistory(),
      })),
    );
    problem = chain.length === 0 ? 'no runs listed' : '';
    chain.forEach(({ runId, history }, i) => {
      const last = history.events?.at(-1);
      const next = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
      if (i < chain.length - 1 && next !== chain[i + 1]!.runId)
        problem ||= `run ${runId} does not continue as ${chain[i + 1]!.runId}`;
      if (i === chain.length - 1 && !last?.workflowExecutionCompletedEventAttributes)
        problem ||= `the last listed run ${runId} did not complete`;
    });
    if (!problem) return chain;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`long run ${workflowId}: the listed runs do not form a continue-as-new chain: ${problem}`);
}

async function benchLongRun(server: DevServer, workflowCode: string): Promise<LongRun> {
  // Its own fake model: the i-th request (0-based) asks for calculator `i+1`, the last answers.
  const longFake = await startFakeOpenAI({
    handler: (_req, i) =>
      i < LONG_STEPS
        ? {
            kind: 'tool_calls',
            calls: [{ name: 'calculator', args: { expression: `${i}+1` } }],
            usage: { input: 10, output: 1 },
          }
        : { kind: 'text', text: 'done', usage: { input: 10, output: 1 } },
  });
  try {
    const { worker, bosun } = await bosunWorker(server, longFake, 'bench-long', workflowCode);
    const runId = `bench-long-${process.pid}-${Date.now().toString(36)}`;
    const longAgent: AgentDefinitionInput = {
      ...agentInput,
      maxSteps: LONG_STEPS + 1,
      continueAsNewAfterEvents: LONG_CAN_EVENTS,
    };
    const started = performance.now();
    const result = await worker.runUntil(bosun.run({ agent: longAgent, task: TASK, runId }));
    const wallMs = Math.round(performance.now() - started);
    if (result.outcome.kind !== 'answer' || result.toolCalls !== LONG_STEPS || result.modelCalls !== LONG_STEPS + 1) {
      throw new Error(
        `long run ${runId} did not do ${LONG_STEPS} steps: ${JSON.stringify({ outcome: result.outcome, steps: result.steps, toolCalls: result.toolCalls })}`,
      );
    }

    const chain = await continueAsNewChain(server.env.client, runId);
    const HistoryMsg = temporal.api.history.v1.History;
    const stepBytes: number[] = [];
    const perRun: LongRun['perRun'] = [];
    const continuedAfterSteps: number[] = [];
    let setupBytes = 0;
    let totalEvents = 0;
    for (const { history } of chain) {
      const events = history.events ?? [];
      totalEvents += events.length;
      perRun.push({ events: events.length, bytes: HistoryMsg.encode(history).finish().length });
      for (const e of events) {
        if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'callModel') stepBytes.push(0);
        const bytes = HistoryMsg.encode({ events: [e] }).finish().length;
        if (stepBytes.length === 0) setupBytes += bytes;
        else stepBytes[stepBytes.length - 1]! += bytes;
        if (e.workflowExecutionContinuedAsNewEventAttributes) continuedAfterSteps.push(stepBytes.length);
      }
    }
    if (stepBytes.length !== LONG_STEPS + 1)
      throw new Error(`long run ${runId}: expected ${LONG_STEPS + 1} callModel activities, found ${stepBytes.length}`);
    const totalBytes = perRun.reduce((a, r) => a + r.bytes, 0);
    return {
      steps: LONG_STEPS,
      runs: chain.length,
      wallMs,
      stepBytes,
      setupBytes,
      totalBytes,
      totalEvents,
      perRun,
      continuedAfterSteps,
    };
  } finally {
    await longFake.close();
  }
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

// ---------------------------------------------------------------------------------------
// Main

Runtime.install({ logger: new DefaultLogger('WARN') });

const quiet = {
  log() {},
  trace() {},
  debug() {},
  info() {},
  warn: (m: string) => log(m),
  error: (m: string) => log(m),
};
const floorWorkflowsPath = fileURLToPath(new URL('./floor-workflow.ts', import.meta.url));

let server: DevServer | undefined;
let fake: FakeProviderServer | undefined;
const wallStart = performance.now();
try {
  log(
    `${STEPS} steps, ${WARMUP} warm-up + ${RUNS} measured runs per variant; starting dev server and bundling workflows ...`,
  );
  const [devServer, bosunBundle, floorBundle] = await Promise.all([
    startDevServer({ stateDir: resolve('.bosun'), extraArgs: dynamicConfigArgs(SERVER_CONFIG) }),
    bundleWorkflows(),
    bundleWorkflowCode({ workflowsPath: floorWorkflowsPath, logger: quiet }),
  ]);
  server = devServer;
  fake = await startFakeOpenAI({ handler: benchHandler });
  log(
    `dev server ${server.address}, fake model ${fake.baseURL} (ready in ${Math.round(performance.now() - wallStart)} ms)`,
  );

  let t = performance.now();
  const bosun = await benchBosun(server, fake, bosunBundle.code);
  log(`bosun done in ${Math.round(performance.now() - t)} ms`);
  t = performance.now();
  const floor = await benchFloor(server, floorBundle.code);
  log(`floor done in ${Math.round(performance.now() - t)} ms`);
  t = performance.now();
  const inProcess = await benchInProcess(fake);
  log(`in-process done in ${Math.round(performance.now() - t)} ms`);
  let long: LongRun | undefined;
  if (LONG_STEPS > 0) {
    log(`long run: ${LONG_STEPS} steps, continueAsNewAfterEvents ${LONG_CAN_EVENTS} ...`);
    long = await benchLongRun(server, bosunBundle.code);
    log(`long run done in ${long.wallMs} ms, ${long.runs} runs`);
  }

  const b = stepStats(bosun.intervals);
  const f = stepStats(floor.intervals);
  const p = stepStats(inProcess.intervals);
  const bh = bosun.history!;
  const fh = floor.history!;
  const probe = historyAtStep(bh, PROBE_STEP);
  const last = historyAtStep(bh, STEPS);

  const fmt = (n: number, w = 8) => (Number.isFinite(n) ? n.toFixed(2) : '-').padStart(w);
  const row = (name: string, s: StepStats) =>
    `  ${name.padEnd(12)}${fmt(s.p50)}${fmt(s.p95)}${fmt(s.mean)}${String(s.samples).padStart(9)}`;
  console.log('');
  console.log(
    `Agent loop: ${STEPS} steps (model call + calculator call each, then a final answer), zero-latency fake model`,
  );
  console.log(
    `${RUNS} measured runs per variant after ${WARMUP} warm-up runs; a step = interval between consecutive model requests`,
  );
  console.log(`dev server (in memory) dynamic config: ${SERVER_CONFIG.join(' ') || 'stock'}`);
  console.log('');
  console.log(
    `  ${'ms/step'.padEnd(12)}${'p50'.padStart(8)}${'p95'.padStart(8)}${'mean'.padStart(8)}${'samples'.padStart(9)}`,
  );
  console.log(row('bosun', b));
  console.log(row('floor', f));
  console.log(row('in-process', p));
  console.log('');
  console.log(
    `  bosun over the Temporal floor: ${fmt(b.p50 - f.p50, 0)} ms/step at p50, ${fmt(b.mean - f.mean, 0)} ms/step mean`,
  );
  console.log('');
  console.log(`  history (one run)     bytes    events   bytes/step  events/step`);
  const hrow = (name: string, h: HistoryStats) =>
    `  ${name.padEnd(16)}${String(h.bytes).padStart(10)}${String(h.events).padStart(10)}${(h.bytes / STEPS).toFixed(0).padStart(13)}${(h.events / STEPS).toFixed(2).padStart(13)}`;
  console.log(hrow('bosun', bh));
  console.log(hrow('floor', fh));
  console.log('');
  console.log(`  bosun history growth (bytes of events up to the k-th callModel completion):`);
  if (PROBE_STEP < STEPS) {
    console.log(
      `    up to step ${String(PROBE_STEP).padEnd(3)}: ${bh.bytesAtModelCompletion[PROBE_STEP - 1]} bytes, ${probe.avgPerStep.toFixed(0)} bytes/step on average, step ${PROBE_STEP} alone ${probe.stepBytes} bytes`,
    );
  }
  console.log(
    `    up to step ${String(STEPS).padEnd(3)}: ${bh.bytesAtModelCompletion[STEPS - 1]} bytes, ${last.avgPerStep.toFixed(0)} bytes/step on average, step ${STEPS} alone ${last.stepBytes} bytes`,
  );
  console.log('');
  // Steps that end in a continue-as-new also carry the new run's start; shown apart.
  const plainSteps = (from: number, to: number) =>
    long ? long.stepBytes.slice(from - 1, to).filter((_, i) => !long!.continuedAfterSteps.includes(from + i)) : [];
  if (long) {
    const s = long.stepBytes;
    const early = plainSteps(1, LONG_PROBE_STEP);
    const late = plainSteps(Math.max(1, LONG_STEPS - 9), LONG_STEPS);
    const boundaries = long.continuedAfterSteps.map((k) => `step ${k}: ${s[k - 1]} bytes`);
    console.log(
      `Long run: ${LONG_STEPS} steps + a final answer in ${formatMs(long.wallMs)}, ${long.runs} runs in the continue-as-new chain (continueAsNewAfterEvents ${LONG_CAN_EVENTS})`,
    );
    console.log(
      `  runs (events/bytes): ${long.perRun.map((r) => `${r.events}/${r.bytes}`).join(', ')}; ${long.totalEvents} events, ${long.totalBytes} bytes in all`,
    );
    console.log(
      `  history bytes added by step ${LONG_PROBE_STEP}: ${s[LONG_PROBE_STEP - 1]}   by step ${LONG_STEPS}: ${s[LONG_STEPS - 1]}   (setup before step 1: ${long.setupBytes})`,
    );
    console.log(
      `  mean of steps 1-${LONG_PROBE_STEP}: ${mean(early).toFixed(0)}   mean of steps ${Math.max(1, LONG_STEPS - 9)}-${LONG_STEPS}: ${mean(late).toFixed(0)}   (steps ending in a continue-as-new left out)`,
    );
    if (boundaries.length)
      console.log(`  steps ending in a continue-as-new (with the next run's start): ${boundaries.join(', ')}`);
    console.log('');
  }

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
    ...(long
      ? {
          historyBytesPerStepAt10: long.stepBytes[LONG_PROBE_STEP - 1],
          historyBytesPerStepAt500: long.stepBytes[LONG_STEPS - 1],
          longRunSteps: long.steps,
          longRunRuns: long.runs,
          longRunWallMs: long.wallMs,
          longRunHistoryBytes: long.totalBytes,
          longRunHistoryEvents: long.totalEvents,
          longRunContinueAsNewAfterEvents: LONG_CAN_EVENTS,
          longRunContinuedAfterSteps: long.continuedAfterSteps,
        }
      : {}),
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
