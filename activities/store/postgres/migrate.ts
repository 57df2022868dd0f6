import type pg from 'pg';

/**
 * One schema change: applied once per database, in order of `version`, never edited after it
 * shipped (a fix is a new migration).
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** What `migrate` did: the versions it applied now (empty when the database was current). */
export interface MigrationReport {
  component: string;
  applied: { version: number; name: string }[];
  current: number;
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/**
 * Brings `component`'s tables up to its last migration. Each component (Bosun's run store,
 * the example's order store) numbers its own migrations in one `schema_migrations` table.
 * Everything runs in one transaction under a transaction-level advisory lock, so workers
 * starting at once apply each migration exactly once (the others wait, then find nothing
 * left to do), and a failed migration leaves the database as it was.
 *
 * A database that has a newer version than this code knows is refused: an older worker must
 * not write to a schema it does not understand.
 *
 * @example
 * await migrate(pool, 'run-store', runStoreMigrations);
 */
export async function migrate(
  pool: pg.Pool,
  component: string,
  migrations: readonly Migration[],
): Promise<MigrationReport> {
  checkOrder(component, migrations);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      component TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (component, version))`);
    const { rows } = await client.query<{ version: number }>(
      'SELECT version FROM schema_migrations WHERE component = $1',
      [component],
    );
    const done = new Set(rows.map((r) => r.version));
    const latest = migrations.at(-1)?.version ?? 0;
    const ahead = [...done].filter((v) => v > latest);
    if (ahead.length) {
      throw new MigrationError(
        `${component}: the database has migration ${Math.max(...ahead)}, newer than this code knows (${latest}); upgrade this worker`,
      );
    }
    const applied: MigrationReport['applied'] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      try {
        await client.query(m.sql);
      } catch (err) {
        throw new MigrationError(`${component} migration ${m.version} (${m.name}) failed: ${(err as Error).message}`);
      }
      await client.query('INSERT INTO schema_migrations (component, version, name) VALUES ($1, $2, $3)', [
        component,
        m.version,
        m.name,
      ]);
      applied.push({ version: m.version, name: m.name });
    }
    await client.query('COMMIT');
    return { component, applied, current: latest };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** The advisory lock key every migration takes ("bosun" in ASCII): one migrator at a time. */
const MIGRATION_LOCK = 0x626f73756e;

function checkOrder(component: string, migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (!Number.isInteger(m.version) || m.version !== i + 1) {
      throw new MigrationError(
        `${component}: migration #${i + 1} (${m.name}) has version ${m.version}; versions run 1, 2, 3, …`,
      );
    }
  });
}
