import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { migrate, MigrationError } from '../../activities/store/postgres/migrate.ts';
import { createPostgresPool, migrateBosun, openPostgresRunStore } from '../../activities/store/postgres/open.ts';
import { runStoreMigrations } from '../../activities/store/postgres/run-store-migrations.ts';
import { runStoreContract } from '../helpers/run-store-contract.ts';
import { describeStoreRetentionContract } from '../helpers/store-retention-contract.ts';
import { createPostgresRunStore } from '../../activities/store/postgres/pg-run-store.ts';
import { createPostgresBlobStore } from '../../activities/store/postgres/pg-blob-store.ts';
import { exampleOrders } from '../../examples/demo/handlers/order-store.ts';
import { openPostgresOrderStore, type PostgresOrderStore } from '../../examples/demo/handlers/pg-order-store.ts';
import { ToolError } from '../../tools/handlers/types.ts';
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

describe('the example order store on PostgreSQL', () => {
  const opened: PostgresOrderStore[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((s) => s.close()));
  });
  const twoWorkers = async () => {
    const db = await freshDatabase('bosun_orders');
    // Opened at once, as two workers starting together would: migrated and seeded once.
    const both = await Promise.all([openPostgresOrderStore({ url: db }), openPostgresOrderStore({ url: db })]);
    opened.push(...both);
    return both;
  };
  const request = (idempotencyKey: string, amountCents: number, orderId = 'ord_101') => ({
    orderId,
    amountCents,
    reason: 'item arrived damaged',
    idempotencyKey,
  });

  it('applies a refund once per idempotency key, however many attempts race from two workers', async () => {
    const [a, b] = await twoWorkers();
    expect(await a.lookup('ord_101')).toEqual(exampleOrders.find((o) => o.id === 'ord_101'));
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).refund(request('run-1:call-1', 2_500))),
    );
    expect(outcomes.filter((o) => !o.replayed)).toHaveLength(1);
    expect(new Set(outcomes.map((o) => o.refundId)).size).toBe(1);
    expect(await b.effects()).toHaveLength(1);
    expect(await a.lookup('ord_101')).toMatchObject({ refundedCents: 2_500, status: 'partially_refunded' });
  });

  it('refunds with different keys racing never refund more than the order total', async () => {
    const [a, b] = await twoWorkers();
    const settled = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).refund(request(`k${i}`, 4_000))),
    );
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(2);
    for (const s of settled.filter((s) => s.status === 'rejected')) {
      expect((s as PromiseRejectedResult).reason).toBeInstanceOf(ToolError);
    }
    expect(await a.lookup('ord_101')).toMatchObject({ refundedCents: 8_000 });
    expect(await b.effects()).toHaveLength(2);
  });

  it('refuses a key reused for another refund, an unknown order and an unpaid one, typed for the model', async () => {
    const [a] = await twoWorkers();
    await a.refund(request('k1', 1_000));
    await expect(a.refund(request('k1', 3_000))).rejects.toThrow(/already refunded \$10\.00 on ord_101/);
    await expect(a.refund(request('k2', 100, 'ord_999'))).rejects.toThrow(/No order ord_999/);
    await expect(a.refund(request('k3', 100, 'ord_104'))).rejects.toThrow(/not paid yet/);
    expect(await a.effects()).toHaveLength(1);
  });
});

describe('PostgreSQL: encryption at rest, erasure and retention', () => {
  // A fresh database per test (the suite uses fixed run ids), its schema migrated.
  let pool: pg.Pool;
  beforeEach(async () => {
    pool = createPostgresPool(await freshDatabase('bosun_retain'), { max: 4 });
    await migrateBosun(pool);
  });
  afterEach(async () => {
    await pool.end();
  });

  describeStoreRetentionContract('postgres', {
    // Stores over one pool: closing one must not close the database under the others.
    open: (cipher) => ({ ...createPostgresRunStore(pool, { cipher }), close: () => {} }),
    openBlobs: (cipher) => createPostgresBlobStore(pool, { cipher }),
    raw: async () => {
      const { rows } = await pool.query<{ tablename: string }>(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
      );
      const dumps = await Promise.all(
        rows.map(async ({ tablename }) => {
          const all = await pool.query(`SELECT t::text AS row FROM "${tablename}" t`);
          return all.rows.map((r: { row: string }) => r.row).join('\n');
        }),
      );
      // `::text` shows bytea as hex: the blobs' bytes as they are, too.
      const blobs = await pool.query<{ body: Buffer }>('SELECT body FROM blobs');
      return [...dumps, ...blobs.rows.map((r) => r.body.toString('latin1'))].join('\n');
    },
  });
});
