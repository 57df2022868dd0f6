/**
 * What every chaos case stands on: a Temporal dev server of the campaign's own, the workflow
 * bundles, the scripted fake model, a client, and worker processes (`worker/worker-main.ts`
 * serving the demo app, as `npm run worker` does) that cases start, SIGKILL, SIGSTOP and
 * SIGCONT. Everything listens on 127.0.0.1.
 */
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBosunClient, type BosunClient } from '../../client/client.ts';
import demoCatalog from '../../examples/demo/catalog.ts';
import { demoCatalogModule } from '../../examples/demo/app.ts';
import { writeWorkflowBundle } from '../../worker/bundle.ts';
import {
  dynamicConfigArgs,
  responsiveDevServerConfig,
  startDevServer,
  type DevServer,
} from '../../worker/dev-server.ts';
import { spawnWatched, type WatchedProcess } from '../helpers/watched-process.ts';
import { ScriptedModel, type FakePair } from './scripted-model.ts';

const workerMain = fileURLToPath(new URL('../../worker/worker-main.ts', import.meta.url));
const demoAppModule = fileURLToPath(new URL('../../examples/demo/app.ts', import.meta.url));

/**
 * The server answers a worker's idle long poll after 5 s instead of 60 s. A SIGSTOPped worker
 * keeps its TCP connections, so its pending polls still take tasks (and burn their attempts)
 * until they expire; with 5 s the campaign's pause cases test what happens after a pause, and
 * the `stock server` pause case measures the 60 s default on its own.
 */
export const shortLongPolls = ['matching.longPollExpirationInterval="5s"'];

export interface ChaosWorker {
  name: string;
  pid: number;
  process: WatchedProcess;
  signal(sig: 'SIGSTOP' | 'SIGCONT'): void;
  /** SIGKILL (default) or SIGTERM, and wait for the exit. */
  kill(sig?: NodeJS.Signals): Promise<void>;
}

export interface WorkerSpec {
  name: string;
  taskQueue: string;
  /** `BOSUN_STATE_DIR`: the run store and the order store (orders.db). Workers that take
   * over each other's runs must share it. */
  stateDir: string;
  /** The fakes this worker calls; the rig's main pair by default. */
  fakes?: FakePair;
  /** A dev server other than the campaign's (the restart case runs its own). */
  address?: string;
  /** The encrypting bundle (workers with BOSUN_CODEC_KEYS). */
  encrypting?: boolean;
  env?: Record<string, string>;
}

/** The pair of workers most cases share; they are never killed. */
export interface SharedWorkers {
  taskQueue: string;
  stateDir: string;
  bosun: BosunClient;
}

export class Rig {
  readonly model = new ScriptedModel();
  private readonly workers = new Set<ChaosWorker>();
  private shared?: Promise<SharedWorkers>;
  private counter = 0;
  /** The fakes of workers that are never killed. */
  main!: FakePair;

  readonly server: DevServer;
  readonly connection: Connection;
  readonly temporal: Client;
  /** Bundles, state folders and order stores of this campaign (a temp folder). */
  readonly workDir: string;
  readonly bundlePath: string;
  /** Built on first use, with the encrypting failure converter (workers with BOSUN_CODEC_KEYS). */
  private encryptingBundlePath?: Promise<string>;
  private readonly log: (line: string) => void;

  private constructor(
    parts: Pick<Rig, 'server' | 'connection' | 'workDir' | 'bundlePath'> & {
      log: (line: string) => void;
    },
  ) {
    this.server = parts.server;
    this.connection = parts.connection;
    this.temporal = new Client({ connection: parts.connection });
    this.workDir = parts.workDir;
    this.bundlePath = parts.bundlePath;
    this.log = parts.log;
  }

  static async start(log: (line: string) => void): Promise<Rig> {
    const workDir = mkdtempSync(join(tmpdir(), 'bosun-chaos-'));
    const stateDir = resolve('.bosun');
    const [server, bundlePath] = await Promise.all([
      startDevServer({ stateDir, extraArgs: dynamicConfigArgs([...responsiveDevServerConfig, ...shortLongPolls]) }),
      writeWorkflowBundle(join(workDir, 'workflow-bundle.js'), { catalogModule: demoCatalogModule }),
    ]);
    const connection = await Connection.connect({ address: server.address });
    const rig = new Rig({ server, connection, workDir, bundlePath, log });
    rig.main = await rig.model.fakes('main');
    log(`dev server ${server.address}; work dir ${workDir}`);
    return rig;
  }

  private encryptingBundle(): Promise<string> {
    this.encryptingBundlePath ??= writeWorkflowBundle(join(this.workDir, 'workflow-bundle-encrypting.js'), {
      catalogModule: demoCatalogModule,
      encryptFailures: true,
    });
    return this.encryptingBundlePath;
  }

  /** A fresh name for task queues, run ids and folders. */
  unique(prefix: string): string {
    return `${prefix}-${Date.now().toString(36)}-${++this.counter}`;
  }

  /** A fresh `BOSUN_STATE_DIR`. */
  stateDir(name: string): string {
    const dir = join(this.workDir, this.unique(name));
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** A client for a task queue, with the demo's catalog (runs are checked before start). */
  client(taskQueue: string, opts: { dataConverter?: DataConverter; connection?: Connection } = {}): BosunClient {
    const client =
      opts.dataConverter || opts.connection
        ? new Client({
            connection: opts.connection ?? this.connection,
            ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}),
          })
        : this.temporal;
    return createBosunClient({ client, taskQueue, catalog: demoCatalog });
  }

  /** Starts `worker/worker-main.ts` with the demo app; resolves once it is ready. */
  async startWorker(spec: WorkerSpec): Promise<ChaosWorker> {
    const env: Record<string, string> = {};
    // Nothing of the caller's provider, telemetry or Bosun settings leaks into a worker.
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && !/^(OPENAI|ANTHROPIC|OTEL_|BOSUN_|TEMPORAL_)/.test(k)) env[k] = v;
    }
    Object.assign(env, {
      TEMPORAL_ADDRESS: spec.address ?? this.server.address,
      BOSUN_TASK_QUEUE: spec.taskQueue,
      BOSUN_STATE_DIR: spec.stateDir,
      BOSUN_APP: demoAppModule,
      BOSUN_WORKFLOW_BUNDLE: spec.encrypting ? await this.encryptingBundle() : this.bundlePath,
      BOSUN_LOG_FORMAT: 'text',
      BOSUN_LOG_LEVEL: 'WARN',
      ...(spec.fakes ?? this.main).env,
      ...spec.env,
    });
    const child = spawnWatched(`worker ${spec.name}`, process.execPath, [workerMain], { env });
    if (process.env.CHAOS_TRACE) {
      const echo = (d: Buffer) => process.stderr.write(`[worker ${spec.name}] ${d.toString()}`);
      child.child.stdout?.on('data', echo);
      child.child.stderr?.on('data', echo);
    }
    const worker: ChaosWorker = {
      name: spec.name,
      pid: child.child.pid ?? -1,
      process: child,
      signal: (sig) => {
        if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill(sig);
      },
      kill: (sig = 'SIGKILL') => child.kill(sig),
    };
    this.workers.add(worker);
    try {
      await child.waitFor('bosun worker: ready', 90_000);
    } catch (err) {
      await worker.kill();
      throw err;
    }
    return worker;
  }

  /** Two workers on one queue and state folder, for the cases that kill nothing. */
  sharedWorkers(): Promise<SharedWorkers> {
    this.shared ??= (async () => {
      const taskQueue = this.unique('chaos-shared');
      const stateDir = this.stateDir('shared');
      await Promise.all(['shared-1', 'shared-2'].map((name) => this.startWorker({ name, taskQueue, stateDir })));
      this.log(`shared workers ready on ${taskQueue}`);
      return { taskQueue, stateDir, bosun: this.client(taskQueue) };
    })();
    return this.shared;
  }

  /** Kills every worker this rig started (SIGKILL also ends a SIGSTOPped one). */
  async killWorkers(except?: Set<ChaosWorker>): Promise<void> {
    await Promise.all(
      [...this.workers]
        .filter((w) => !except?.has(w))
        .map(async (w) => {
          await w.kill();
          this.workers.delete(w);
        }),
    );
  }

  async close(opts: { keepWorkDir?: boolean } = {}): Promise<void> {
    await this.killWorkers();
    await this.model.close();
    await this.connection.close();
    await this.server.stop();
    if (!opts.keepWorkDir) rmSync(this.workDir, { recursive: true, force: true });
  }
}
