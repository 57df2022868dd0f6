/**
 * A Temporal dev server as a child process of our own, persisted to a file, so a case can
 * SIGKILL it like a crashed machine and start it again on the same port and database
 * (`startDevServer` runs the server inside the SDK, which offers no pid to kill).
 */
import { Connection } from '@temporalio/client';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { dynamicConfigArgs, responsiveDevServerConfig } from '../../worker/dev-server.ts';
import { ensureSearchAttributes } from '../../worker/search-attributes.ts';
import { findTemporalCli } from '../../worker/temporal-cli.ts';
import { spawnWatched, type WatchedProcess } from '../helpers/watched-process.ts';

export interface DevServerProcess {
  address: string;
  process: WatchedProcess;
  /** SIGKILLs the server: no shutdown, no flush beyond what SQLite already has. */
  kill(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (the OS picks it; we let go of it at once). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `temporal server start-dev` on 127.0.0.1:`port` persisted to `dbFilename`, and
 * resolves once its frontend answers (Bosun's search attributes registered).
 */
export async function spawnDevServer(opts: {
  stateDir: string;
  dbFilename: string;
  port: number;
  /** More `--dynamic-config-value` settings, beside the responsive ones. */
  dynamicConfig?: string[];
  timeoutMs?: number;
}): Promise<DevServerProcess> {
  const cli = findTemporalCli(opts.stateDir);
  if (!cli) throw new Error('no Temporal CLI found: set TEMPORAL_CLI_PATH (see docs/testing.md)');
  const address = `127.0.0.1:${opts.port}`;
  const child = spawnWatched('dev server', cli.path, [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--headless',
    '--db-filename',
    opts.dbFilename,
    '--log-level',
    'error',
    ...dynamicConfigArgs([...responsiveDevServerConfig, ...(opts.dynamicConfig ?? [])]),
  ]);
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    if (child.child.exitCode !== null) throw new Error(`dev server exited at start:\n${child.output()}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await ensureSearchAttributes(connection, 'default');
      } finally {
        await connection.close();
      }
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        await child.kill();
        throw new Error(`dev server on ${address} did not answer: ${String(err)}\n${child.output()}`);
      }
      await sleep(250);
    }
  }
  return { address, process: child, kill: () => child.kill('SIGKILL') };
}
