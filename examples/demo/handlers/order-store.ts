import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { formatCents } from '../tools/orders.ts';
import { ToolError } from '../../../tools/handlers/types.ts';
import { useWalMode } from '../../../activities/store/sqlite.ts';

export interface OrderItem {
  sku: string;
  name: string;
  quantity: number;
  unitCents: number;
}

export type OrderStatus = 'pending' | 'paid' | 'partially_refunded' | 'refunded';

export interface Order {
  id: string;
  customer: string;
  items: OrderItem[];
  totalCents: number;
  status: OrderStatus;
  refundedCents: number;
}

/** One applied refund, as recorded once under its idempotency key. */
export interface Refund {
  refundId: string;
  idempotencyKey: string;
  orderId: string;
  amountCents: number;
  reason: string;
  appliedAt: string;
  /** The order right after this refund. */
  orderRefundedCents: number;
  orderStatus: OrderStatus;
}

/** `replayed` is true when the key had been used already and nothing changed this time. */
export type RefundOutcome = Refund & { replayed: boolean };

export interface RefundRequest {
  orderId: string;
  amountCents: number;
  reason: string;
  /** Stable across retries of one tool call (`runId:callId`): the refund happens once. */
  idempotencyKey: string;
}

/**
 * The example order system behind `lookup_order` and `refund_order`, as the tools see it:
 * the embedded SQLite store (`openOrderStore`, answers at once) or the PostgreSQL one
 * (`openPostgresOrderStore`, for workers on several hosts). Either way a refund applied by a
 * worker that then crashed is seen by the worker that retries the call.
 */
export interface OrderSystem {
  lookup(orderId: string): Order | undefined | Promise<Order | undefined>;
  /** Applies a refund at most once per idempotency key (see `OrderStore.refund`). */
  refund(request: RefundRequest): RefundOutcome | Promise<RefundOutcome>;
  /** Every refund applied, oldest first (for tests and audits). */
  effects(): Refund[] | Promise<Refund[]>;
  close(): void | Promise<void>;
}

/**
 * The embedded order store: SQLite (built into Node), one file several worker processes on
 * one host can share.
 */
export interface OrderStore extends OrderSystem {
  readonly path: string;
  lookup(orderId: string): Order | undefined;
  /**
   * Applies a refund at most once per idempotency key, in one transaction: a repeat of a key
   * returns the first result and changes nothing. Throws a `ToolError` the model can read
   * for an unknown or unpaid order, more than is left to refund, or a key reused for a
   * different refund.
   */
  refund(request: RefundRequest): RefundOutcome;
  /** Every refund applied, oldest first (for tests and audits). */
  effects(): Refund[];
  close(): void;
}

/** `<BOSUN_STATE_DIR>/orders.db`, `.bosun/orders.db` by default. */
export function defaultOrderStorePath(env: Record<string, string | undefined> = process.env): string {
  return join(env.BOSUN_STATE_DIR?.trim() || '.bosun', 'orders.db');
}

/** The orders a fresh store starts with. */
export const exampleOrders: readonly Order[] = Object.freeze([
  order('ord_100', 'Ada Lovelace', 'paid', [{ sku: 'MUG-01', name: 'Ceramic mug', quantity: 2, unitCents: 1_250 }]),
  order('ord_101', 'Grace Hopper', 'paid', [
    { sku: 'HP-200', name: 'Wireless headphones', quantity: 1, unitCents: 8_999 },
    { sku: 'CBL-03', name: 'USB-C cable', quantity: 1, unitCents: 1_001 },
  ]),
  order('ord_102', 'Alan Turing', 'paid', [{ sku: 'LMP-07', name: 'Desk lamp', quantity: 1, unitCents: 4_500 }]),
  order('ord_103', 'Katherine Johnson', 'paid', [
    { sku: 'DSK-90', name: 'Standing desk', quantity: 1, unitCents: 64_900 },
  ]),
  order('ord_104', 'Edsger Dijkstra', 'pending', [
    { sku: 'KB-12', name: 'Mechanical keyboard', quantity: 1, unitCents: 12_900 },
  ]),
  order('ord_105', 'Barbara Liskov', 'paid', [
    { sku: 'NB-05', name: 'Notebook set', quantity: 3, unitCents: 600 },
    { sku: 'PEN-02', name: 'Fountain pen', quantity: 1, unitCents: 3_400 },
  ]),
]);

function order(id: string, customer: string, status: OrderStatus, items: OrderItem[]): Order {
  return {
    id,
    customer,
    items,
    totalCents: items.reduce((s, i) => s + i.quantity * i.unitCents, 0),
    status,
    refundedCents: 0,
  };
}

const schema = `
  CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY,
    customer TEXT NOT NULL,
    items TEXT NOT NULL,
    total_cents INTEGER NOT NULL,
    status TEXT NOT NULL,
    refunded_cents INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE IF NOT EXISTS refunds (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    order_id TEXT NOT NULL REFERENCES orders(id),
    amount_cents INTEGER NOT NULL,
    reason TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    order_refunded_cents INTEGER NOT NULL,
    order_status TEXT NOT NULL
  );
`;

export type OrderRow = {
  id: string;
  customer: string;
  items: string;
  total_cents: number;
  status: string;
  refunded_cents: number;
};
export type RefundRow = {
  seq: number;
  idempotency_key: string;
  order_id: string;
  amount_cents: number;
  reason: string;
  applied_at: string;
  order_refunded_cents: number;
  order_status: string;
};

export const toOrder = (r: OrderRow): Order => ({
  id: r.id,
  customer: r.customer,
  items: JSON.parse(r.items) as OrderItem[],
  totalCents: r.total_cents,
  status: r.status as OrderStatus,
  refundedCents: r.refunded_cents,
});

export const toRefund = (r: RefundRow): Refund => ({
  refundId: `rf_${r.seq}`,
  idempotencyKey: r.idempotency_key,
  orderId: r.order_id,
  amountCents: r.amount_cents,
  reason: r.reason,
  appliedAt: r.applied_at,
  orderRefundedCents: r.order_refunded_cents,
  orderStatus: r.order_status as OrderStatus,
});

/**
 * What refunding `amountCents` of order `o` leaves: the order's refunded total and status.
 * Refused, with a message the model can act on, for an unpaid order or more than is left.
 * Shared by the SQLite and PostgreSQL order stores.
 */
export function refundOf(o: Order, amountCents: number): { refunded: number; status: OrderStatus } {
  if (o.status === 'pending')
    throw new ToolError(`Order ${o.id} is not paid yet (status pending): there is nothing to refund.`);
  const remaining = o.totalCents - o.refundedCents;
  if (amountCents > remaining) {
    throw new ToolError(
      `Cannot refund ${formatCents(amountCents)} on ${o.id}: only ${formatCents(remaining)} is left to refund ` +
        `(total ${formatCents(o.totalCents)}, already refunded ${formatCents(o.refundedCents)}).`,
    );
  }
  const refunded = o.refundedCents + amountCents;
  return { refunded, status: refunded === o.totalCents ? 'refunded' : 'partially_refunded' };
}

/**
 * Opens (creating and seeding when empty) the order store at `path`; `:memory:` gives a
 * private in-memory store.
 *
 * @example
 * const store = openOrderStore({ path: join(config.BOSUN_STATE_DIR, 'orders.db') });
 * store.refund({ orderId: 'ord_100', amountCents: 500, reason: 'late', idempotencyKey: 'run-1:call-1' });
 */
export function openOrderStore(opts: { path?: string; seed?: readonly Order[] } = {}): OrderStore {
  const path = opts.path ?? defaultOrderStorePath();
  const inMemory = path === ':memory:';
  if (!inMemory) mkdirSync(dirname(path), { recursive: true });
  // Several worker processes may share the file: wait for a writer rather than fail.
  const db = new DatabaseSync(path, { timeout: 10_000, enableForeignKeyConstraints: true });
  if (!inMemory) useWalMode(db);
  db.exec(schema);

  /** Runs `fn` in a write transaction taken up front, so concurrent writers queue instead of
   * deadlocking on a read-then-write upgrade. */
  const transaction = <T>(fn: () => T): T => {
    db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      db.exec('COMMIT');
      return result;
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  };

  const insertOrder = db.prepare(
    'INSERT OR IGNORE INTO orders (id, customer, items, total_cents, status, refunded_cents) VALUES (?, ?, ?, ?, ?, ?)',
  );
  transaction(() => {
    const { n } = db.prepare('SELECT count(*) AS n FROM orders').get() as { n: number };
    if (n > 0) return;
    for (const o of opts.seed ?? exampleOrders) {
      insertOrder.run(o.id, o.customer, JSON.stringify(o.items), o.totalCents, o.status, o.refundedCents);
    }
  });

  const selectOrder = db.prepare('SELECT * FROM orders WHERE id = ?');
  const selectRefund = db.prepare('SELECT * FROM refunds WHERE idempotency_key = ?');
  const insertRefund = db.prepare(
    `INSERT INTO refunds (idempotency_key, order_id, amount_cents, reason, applied_at, order_refunded_cents, order_status)
     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
  );
  const updateOrder = db.prepare('UPDATE orders SET refunded_cents = ?, status = ? WHERE id = ?');
  const selectRefunds = db.prepare('SELECT * FROM refunds ORDER BY seq');

  return {
    path,
    lookup(orderId) {
      const row = selectOrder.get(orderId) as OrderRow | undefined;
      return row ? toOrder(row) : undefined;
    },
    refund({ orderId, amountCents, reason, idempotencyKey }) {
      if (!idempotencyKey) throw new TypeError('refund needs an idempotency key');
      if (!Number.isSafeInteger(amountCents) || amountCents <= 0)
        throw new ToolError(`refund amount must be a positive whole number of cents, got ${amountCents}`);
      return transaction((): RefundOutcome => {
        const previous = selectRefund.get(idempotencyKey) as RefundRow | undefined;
        if (previous) {
          if (previous.order_id !== orderId || previous.amount_cents !== amountCents) {
            throw new ToolError(
              `this call already refunded ${formatCents(previous.amount_cents)} on ${previous.order_id}; it cannot also refund ` +
                `${formatCents(amountCents)} on ${orderId}`,
            );
          }
          return { ...toRefund(previous), replayed: true };
        }
        const row = selectOrder.get(orderId) as OrderRow | undefined;
        if (!row) throw new ToolError(`No order ${orderId}. Check the id (e.g. "ord_100") with lookup_order.`);
        const { refunded, status } = refundOf(toOrder(row), amountCents);
        updateOrder.run(refunded, status, orderId);
        const inserted = insertRefund.get(
          idempotencyKey,
          orderId,
          amountCents,
          reason,
          new Date().toISOString(),
          refunded,
          status,
        ) as RefundRow;
        return { ...toRefund(inserted), replayed: false };
      });
    },
    effects() {
      return (selectRefunds.all() as RefundRow[]).map(toRefund);
    },
    close() {
      if (db.isOpen) db.close();
    },
  };
}
