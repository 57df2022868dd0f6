import pg from 'pg';
import type { ContentCipher } from '../content-cipher.ts';
import type { RunStore } from '../run-store.ts';
import { migrate, type Migration, type MigrationReport } from './migrate.ts';
import { createPostgresRunStore } from './pg-run-store.ts';
import { runStoreMigrations } from './run-store-migrations.ts';

export interface PostgresPoolOptions {
  /** Connections this process keeps at most (default 10). */
  max?: number;
  /** Called when an idle connection breaks (the server restarted): the pool replaces it. */
  onIdleError?: (err: Error) => void;
}

/**
 * A connection pool to `url` (`postgres://user:password@host:port/database`) for Bosun's
 * stores. A connection that cannot be made within 5 s fails the operation (typed
 * `store_unavailable` by the stores) instead of holding an activity until its timeout; an
 * idle connection the server drops is replaced, not a crash of the worker.
 */
export function createPostgresPool(url: string, opts: PostgresPoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
  });
  pool.on('error', (err) => opts.onIdleError?.(err));
  return pool;
}

/** Every migration Bosun's own stores need, by component: what `npm run migrate` applies. */
export const bosunMigrations: Readonly<Record<string, readonly Migration[]>> = {
  'run-store': runStoreMigrations,
};

/** Applies Bosun's migrations (`bosunMigrations`) to the database behind `pool`. */
export async function migrateBosun(pool: pg.Pool): Promise<MigrationReport[]> {
  const reports: MigrationReport[] = [];
  for (const [component, migrations] of Object.entries(bosunMigrations)) {
    reports.push(await migrate(pool, component, migrations));
  }
  return reports;
}

/**
 * Opens the run store on PostgreSQL, migrating the schema first (what a worker does at start;
 * several starting at once apply each migration once).
 *
 * @example
 * const store = await openPostgresRunStore(process.env.BOSUN_DATABASE_URL!);
 */
export async function openPostgresRunStore(
  url: string,
  opts: PostgresPoolOptions & { migrate?: boolean; cipher?: ContentCipher } = {},
): Promise<RunStore & { pool: pg.Pool }> {
  const pool = createPostgresPool(url, opts);
  try {
    if (opts.migrate ?? true) await migrateBosun(pool);
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  return Object.assign(createPostgresRunStore(pool, opts.cipher ? { cipher: opts.cipher } : {}), { pool });
}
