import type pg from 'pg';
import { createPostgresPool, migrate, type Migration } from '../../../worker/index.ts';
import { ToolError } from '../../../tools/handlers/types.ts';
import { formatCents } from '../tools/orders.ts';
import {
  exampleOrders,
  refundOf,
  toOrder,
  toRefund,
  type Order,
  type OrderRow,
  type OrderSystem,
  type Refund,
  type RefundOutcome,
  type RefundRequest,
  type RefundRow,
} from './order-store.ts';

/** The order store's schema, migrated like Bosun's own (component `demo-orders`). */
export const orderStoreMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'orders and refunds',
    sql: `
      CREATE TABLE orders (
        id TEXT PRIMARY KEY, customer TEXT NOT NULL, items TEXT NOT NULL,
        total_cents INTEGER NOT NULL, status TEXT NOT NULL, refunded_cents INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE refunds (
        seq BIGSERIAL PRIMARY KEY, idempotency_key TEXT NOT NULL UNIQUE,
        order_id TEXT NOT NULL REFERENCES orders(id), amount_cents INTEGER NOT NULL, reason TEXT NOT NULL,
        applied_at TEXT NOT NULL, order_refunded_cents INTEGER NOT NULL, order_status TEXT NOT NULL);
    `,
  },
];

export interface PostgresOrderStore extends OrderSystem {
  lookup(orderId: string): Promise<Order | undefined>;
  refund(request: RefundRequest): Promise<RefundOutcome>;
  effects(): Promise<Refund[]>;
  close(): Promise<void>;
}

/**
 * The example order system on PostgreSQL (`BOSUN_DATABASE_URL`), for workers on several
 * hosts: the same rules as the SQLite store (`OrderStore.refund`: one refund per idempotency
 * key, whatever worker retries the call), with the key's check and the refund in one
 * transaction that holds a lock on the key and on the order.
 *
 * @example
 * const orders = await openPostgresOrderStore({ url: process.env.BOSUN_DATABASE_URL! });
 */
export async function openPostgresOrderStore(opts: {
  url: string;
  seed?: readonly Order[];
  max?: number;
}): Promise<PostgresOrderStore> {
  const pool = createPostgresPool(opts.url, { max: opts.max ?? 5 });
  try {
    await migrate(pool, 'demo-orders', orderStoreMigrations);
    await seed(pool, opts.seed ?? exampleOrders);
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  const transaction = async <T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  };

  return {
    async lookup(orderId) {
      const { rows } = await pool.query<OrderRow>('SELECT * FROM orders WHERE id = $1', [orderId]);
      return rows[0] ? toOrder(rows[0]) : undefined;
    },
    async refund({ orderId, amountCents, reason, idempotencyKey }) {
      if (!idempotencyKey) throw new TypeError('refund needs an idempotency key');
      if (!Number.isSafeInteger(amountCents) || amountCents <= 0)
        throw new ToolError(`refund amount must be a positive whole number of cents, got ${amountCents}`);
      return transaction(async (c): Promise<RefundOutcome> => {
        // Attempts with one key queue here, so the second sees the first's refund.
        await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7))', [idempotencyKey]);
        const previous = (
          await c.query<RefundRow>('SELECT * FROM refunds WHERE idempotency_key = $1', [idempotencyKey])
        ).rows[0];
        if (previous) {
          if (previous.order_id !== orderId || previous.amount_cents !== amountCents) {
            throw new ToolError(
              `this call already refunded ${formatCents(previous.amount_cents)} on ${previous.order_id}; it cannot also refund ` +
                `${formatCents(amountCents)} on ${orderId}`,
            );
          }
          return { ...toRefund(numericSeq(previous)), replayed: true };
        }
        // Refunds of one order (different keys) queue on the order's row.
        const row = (await c.query<OrderRow>('SELECT * FROM orders WHERE id = $1 FOR UPDATE', [orderId])).rows[0];
        if (!row) throw new ToolError(`No order ${orderId}. Check the id (e.g. "ord_100") with lookup_order.`);
        const { refunded, status } = refundOf(toOrder(row), amountCents);
        await c.query('UPDATE orders SET refunded_cents = $1, status = $2 WHERE id = $3', [refunded, status, orderId]);
        const inserted = await c.query<RefundRow>(
          `INSERT INTO refunds (idempotency_key, order_id, amount_cents, reason, applied_at, order_refunded_cents, order_status)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
          [idempotencyKey, orderId, amountCents, reason, new Date().toISOString(), refunded, status],
        );
        return { ...toRefund(numericSeq(inserted.rows[0]!)), replayed: false };
      });
    },
    async effects() {
      const { rows } = await pool.query<RefundRow>('SELECT * FROM refunds ORDER BY seq');
      return rows.map((r) => toRefund(numericSeq(r)));
    },
    async close() {
      await pool.end().catch(() => {});
    },
  };
}

/** BIGSERIAL comes back as a string: the refund id is `rf_<seq>` either way. */
const numericSeq = (r: RefundRow): RefundRow => ({ ...r, seq: Number(r.seq) });

/** Seeds an empty store; two workers seeding at once insert each order once. */
async function seed(pool: pg.Pool, orders: readonly Order[]): Promise<void> {
  const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM orders');
  if (Number(rows[0]!.n) > 0) return;
  for (const o of orders) {
    await pool.query(
      `INSERT INTO orders (id, customer, items, total_cents, status, refunded_cents) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO NOTHING`,
      [o.id, o.customer, JSON.stringify(o.items), o.totalCents, o.status, o.refundedCents],
    );
  }
}
