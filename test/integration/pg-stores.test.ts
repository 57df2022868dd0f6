import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { migrate, MigrationError } from '../../activities/store/postgres/migrate.ts';
import { createPostgresPool, migrateBosun, openPostgresRunStore } from '../../activities/store/postgres/open.ts';
import { runStoreMigrations } from '../../activities/store/postgres/run-store-migrations.ts';
import { runStoreContract } from '../helpers/run-store-contract.ts';
import { freshDatabase } from '../helpers/postgres.ts';

let url: string;
beforeAll(async () => {
  url = await freshDatabase('bosun_stores');
});

// The same claims the SQLite store is held to (test/unit/run-store.test.ts).
runStoreContract('PostgreSQL', async () => [
  await openPostgresRunStore(url, { max: 4 }),
  await openPostgresRunStore(url, { max: 4 }),
]);

describe('PostgreSQL migrations', () => {
  const pools: pg.Pool[] = [];
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
  });
  const pool = () => {
    const p = createPostgresPool(url, { max: 2 });
    pools.push(p);
    return p;
  };

  it('workers starting at once apply each migration exactly once', async () => {
    const db = await freshDatabase('bosun_migrate');
    const starters = Array.from({ length: 4 }, () => createPostgresPool(db, { max: 1 }));
    pools.push(...starters);
    const reports = (await Promise.all(starters.map((p) => migrateBosun(p)))).flat();
    const applied = reports.flatMap((r) => r.applied.map((a) => `${r.component}#${a.version}`));
    expect(applied).toEqual(runStoreMigrations.map((m) => `run-store#${m.version}`));
    const { rows } = await starters[0]!.query('SELECT component, version FROM schema_migrations ORDER BY version');
    expect(rows).toEqual(runStoreMigrations.map((m) => ({ component: 'run-store', version: m.version })));
    // Once current, starting again applies nothing.
    expect((await migrateBosun(pool()))[0]!.applied).toEqual([]);
  });

  it('a failing migration leaves nothing behind; a database newer than the code is refused', async () => {
    const db = await freshDatabase('bosun_migrate');
    const p = createPostgresPool(db, { max: 1 });
    pools.push(p);
    const broken = [
      { version: 1, name: 'one', sql: 'CREATE TABLE one (id INT)' },
      { version: 2, name: 'two', sql: 'CREATE TABLE two (id NOPE)' },
    ];
    await expect(migrate(p, 'demo', broken)).rejects.toThrow(/demo migration 2 \(two\) failed/);
    expect((await p.query("SELECT to_regclass('one') AS t")).rows[0].t).toBeNull();
    await migrate(p, 'demo', broken.slice(0, 1));
    await expect(migrate(p, 'demo', [])).rejects.toBeInstanceOf(MigrationError);
    await expect(migrate(p, 'demo', [{ version: 2, name: 'gap', sql: '' }])).rejects.toThrow(/versions run 1, 2, 3/);
  });
});
