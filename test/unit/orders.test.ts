import { anonymousPrincipal } from '../../core/principal.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { checkToolInput } from '../../tools/define-tool.ts';
import { formatCents, lookupOrder, refundOrder } from '../../examples/demo/tools/orders.ts';
import {
  defaultOrderStorePath,
  exampleOrders,
  openOrderStore,
  type OrderStore,
  type RefundOutcome,
} from '../../examples/demo/handlers/order-store.ts';
import { lookupOrderTool, refundOrderTool } from '../../examples/demo/handlers/orders.ts';
import { ToolError, type ToolContext } from '../../tools/handlers/types.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function memoryStore(): OrderStore {
  const store = openOrderStore({ path: ':memory:' });
  cleanups.push(() => store.close());
  return store;
}

function tempDbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-orders-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'nested', 'orders.db');
}

const refund = (store: OrderStore, idempotencyKey: string, amountCents: number, orderId = 'ord_101') =>
  store.refund({ orderId, amountCents, reason: 'item arrived damaged', idempotencyKey });

const ctx = (callId: string, signal = new AbortController().signal): ToolContext => ({
  runId: 'run-1',
  callId,
  idempotencyKey: `run-1:${callId}`,
  signal,
  principal: anonymousPrincipal,
});

describe('order store', () => {
  it('seeds the example orders ord_100…ord_105 into an empty store', () => {
    const store = memoryStore();
    expect(exampleOrders.map((o) => o.id)).toEqual(['ord_100', 'ord_101', 'ord_102', 'ord_103', 'ord_104', 'ord_105']);
    for (const o of exampleOrders) expect(store.lookup(o.id)).toEqual(o);
    expect(store.lookup('ord_101')).toMatchObject({
      customer: 'Grace Hopper',
      totalCents: 10_000,
      status: 'paid',
      refundedCents: 0,
    });
    expect(store.effects()).toEqual([]);
  });

  it('returns undefined for an unknown order', () => {
    expect(memoryStore().lookup('ord_999')).toBeUndefined();
  });

  it('defaults to <BOSUN_STATE_DIR>/orders.db', () => {
    expect(defaultOrderStorePath({ BOSUN_STATE_DIR: '/var/bosun' })).toBe('/var/bosun/orders.db');
    expect(defaultOrderStorePath({})).toBe(join('.bosun', 'orders.db'));
  });

  it('applies a refund: one effect row, the order refunded and partially refunded', () => {
    const store = memoryStore();
    const r = refund(store, 'run-1:call-1', 2_500);
    expect(r).toMatchObject({
      refundId: 'rf_1',
      idempotencyKey: 'run-1:call-1',
      orderId: 'ord_101',
      amountCents: 2_500,
      reason: 'item arrived damaged',
      orderRefundedCents: 2_500,
      orderStatus: 'partially_refunded',
      replayed: false,
    });
    expect(store.lookup('ord_101')).toMatchObject({ refundedCents: 2_500, status: 'partially_refunded' });
    expect(store.effects()).toEqual([withoutReplayed(r)]);
  });

  it('applies a refund once per idempotency key: a repeat returns the first result and changes nothing', () => {
    const store = memoryStore();
    const first = refund(store, 'run-1:call-1', 2_500);
    const again = refund(store, 'run-1:call-1', 2_500);
    const third = refund(store, 'run-1:call-1', 2_500);
    expect(again).toEqual({ ...first, replayed: true });
    expect(third).toEqual({ ...first, replayed: true });
    expect(store.effects()).toHaveLength(1);
    expect(store.lookup('ord_101')).toMatchObject({ refundedCents: 2_500 });
  });

  it('treats different keys as different refunds', () => {
    const store = memoryStore();
    refund(store, 'run-1:call-1', 2_500);
    const second = refund(store, 'run-1:call-2', 7_500);
    expect(second).toMatchObject({ refundId: 'rf_2', orderRefundedCents: 10_000, orderStatus: 'refunded' });
    expect(store.lookup('ord_101')).toMatchObject({ refundedCents: 10_000, status: 'refunded' });
    expect(store.effects().map((e) => e.idempotencyKey)).toEqual(['run-1:call-1', 'run-1:call-2']);
  });

  it('refuses a key reused for a different refund, and changes nothing', () => {
    const store = memoryStore();
    refund(store, 'run-1:call-1', 2_500);
    expect(() => refund(store, 'run-1:call-1', 3_000)).toThrow(
      new ToolError('this call already refunded $25.00 on ord_101; it cannot also refund $30.00 on ord_101'),
    );
    expect(() => refund(store, 'run-1:call-1', 2_500, 'ord_100')).toThrow(ToolError);
    expect(store.effects()).toHaveLength(1);
    expect(store.lookup('ord_100')).toMatchObject({ refundedCents: 0 });
  });

  it('refuses more than is left to refund, telling the model how much is left', () => {
    const store = memoryStore();
    refund(store, 'k1', 6_000);
    expect(() => refund(store, 'k2', 4_001)).toThrow(
      new ToolError(
        'Cannot refund $40.01 on ord_101: only $40.00 is left to refund (total $100.00, already refunded $60.00).',
      ),
    );
    expect(store.effects()).toHaveLength(1);
    expect(store.lookup('ord_101')).toMatchObject({ refundedCents: 6_000 });
    expect(refund(store, 'k3', 4_000)).toMatchObject({ orderRefundedCents: 10_000, orderStatus: 'refunded' });
  });

  it('a refused refund does not use up its key: the same key may succeed later', () => {
    const store = memoryStore();
    expect(() => refund(store, 'k1', 20_000)).toThrow(ToolError);
    expect(refund(store, 'k1', 2_000)).toMatchObject({ replayed: false, amountCents: 2_000 });
  });

  it('refuses unknown and unpaid orders', () => {
    const store = memoryStore();
    expect(() => refund(store, 'k1', 100, 'ord_999')).toThrow(
      new ToolError('No order ord_999. Check the id (e.g. "ord_100") with lookup_order.'),
    );
    expect(() => refund(store, 'k2', 100, 'ord_104')).toThrow(
      new ToolError('Order ord_104 is not paid yet (status pending): there is nothing to refund.'),
    );
    expect(store.effects()).toEqual([]);
  });

  it('persists in a file (creating its folder): a second connection sees the refund and replays the key', () => {
    const path = tempDbPath();
    const a = openOrderStore({ path });
    cleanups.push(() => a.close());
    const first = refund(a, 'run-1:call-1', 1_000);
    a.close();

    const b = openOrderStore({ path });
    cleanups.push(() => b.close());
    expect(b.lookup('ord_101')).toMatchObject({ refundedCents: 1_000 });
    expect(refund(b, 'run-1:call-1', 1_000)).toEqual({ ...first, replayed: true });
    expect(b.effects()).toHaveLength(1);
  });

  it('does not re-seed a store that has orders', () => {
    const path = tempDbPath();
    const a = openOrderStore({ path });
    refund(a, 'k1', 10_000);
    a.close();
    const b = openOrderStore({ path });
    cleanups.push(() => b.close());
    expect(b.lookup('ord_101')).toMatchObject({ refundedCents: 10_000, status: 'refunded' });
  });

  it('concurrent repeats of one key over several connections to the file (threads) apply it once', async () => {
    const path = tempDbPath();
    openOrderStore({ path }).close();
    const request = { orderId: 'ord_103', amountCents: 600, reason: 'late delivery', idempotencyKey: 'run-9:call-1' };
    const results = (
      await raceThreads(
        path,
        Array.from({ length: 4 }, () => [request]),
      )
    ).flat();

    expect(results.map((r) => r.error)).toEqual([undefined, undefined, undefined, undefined]);
    expect(results.filter((r) => r.ok?.replayed === false)).toHaveLength(1);
    expect(new Set(results.map((r) => r.ok?.refundId))).toEqual(new Set(['rf_1']));
    const store = openOrderStore({ path });
    cleanups.push(() => store.close());
    expect(store.effects()).toHaveLength(1);
    expect(store.lookup('ord_103')).toMatchObject({ refundedCents: 600 });
  });

  it('concurrent refunds with different keys never refund more than the order total', async () => {
    const path = tempDbPath();
    openOrderStore({ path }).close();
    // ord_103 is $649.00: three $200.00 refunds fit, a fourth does not.
    const requests = Array.from({ length: 4 }, (_, i) => [
      { orderId: 'ord_103', amountCents: 20_000, reason: 'goodwill', idempotencyKey: `run-9:call-${i}` },
    ]);
    const results = (await raceThreads(path, requests)).flat();

    expect(results.filter((r) => r.ok)).toHaveLength(3);
    expect(results.filter((r) => r.error)).toEqual([
      { error: expect.stringMatching(/only \$49\.00 is left to refund/) },
    ]);
    const store = openOrderStore({ path });
    cleanups.push(() => store.close());
    expect(store.effects()).toHaveLength(3);
    expect(store.lookup('ord_103')).toMatchObject({ refundedCents: 60_000, status: 'partially_refunded' });
  });
});

describe('order tools', () => {
  it('lookup_order returns the order, and a readable error for an unknown id', async () => {
    const tool = lookupOrderTool(memoryStore());
    await expect(tool.handler({ orderId: 'ord_100' }, ctx('c1'))).resolves.toEqual(exampleOrders[0]);
    await expect(tool.handler({ orderId: 'ord_999' }, ctx('c2'))).rejects.toThrow(
      new ToolError('No order ord_999. Order ids look like "ord_100"; ask the customer to check it.'),
    );
  });

  it('refund_order refunds under the call idempotency key and answers the same when retried', async () => {
    const store = memoryStore();
    const tool = refundOrderTool(store, { pauseAfterEffectMs: 0 });
    const input = { orderId: 'ord_101', amountCents: 1_500, reason: 'damaged' };
    const first = await tool.handler(input, ctx('call-7'));
    const retried = await tool.handler(input, ctx('call-7'));
    expect(first).toEqual({
      refundId: 'rf_1',
      orderId: 'ord_101',
      refunded: '$15.00',
      amountCents: 1_500,
      orderRefundedCents: 1_500,
      orderStatus: 'partially_refunded',
    });
    expect(retried).toEqual(first);
    expect(store.effects()).toMatchObject([{ idempotencyKey: 'run-1:call-7', amountCents: 1_500 }]);
  });

  it('test-only pause: after the effect it announces the key and waits, and a cancellation ends the wait', async () => {
    const store = memoryStore();
    const tool = refundOrderTool(store, { pauseAfterEffectMs: 60_000 });
    const abort = new AbortController();
    const lines: string[] = [];
    const original = console.log;
    console.log = (line: string) => void lines.push(line);
    try {
      const running = tool.handler(
        { orderId: 'ord_100', amountCents: 500, reason: 'late' },
        ctx('call-1', abort.signal),
      );
      await new Promise((r) => setTimeout(r, 50));
      expect(lines).toEqual(['refund applied run-1:call-1']);
      expect(store.effects()).toHaveLength(1);
      abort.abort();
      await expect(running).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      console.log = original;
    }
  });
});

describe('order contracts', () => {
  it('validate ids, positive whole cents and a reason', () => {
    expect(checkToolInput(lookupOrder, { orderId: 'ord_123' }).ok).toBe(true);
    expect(checkToolInput(lookupOrder, { orderId: '123' })).toMatchObject({
      ok: false,
      message: expect.stringContaining('orderId: order ids look like "ord_123"'),
    });
    expect(checkToolInput(refundOrder, { orderId: 'ord_1', amountCents: 100, reason: 'x' }).ok).toBe(true);
    for (const amountCents of [0, -5, 10.5, '100']) {
      expect(checkToolInput(refundOrder, { orderId: 'ord_1', amountCents, reason: 'x' }).ok).toBe(false);
    }
    expect(checkToolInput(refundOrder, { orderId: 'ord_1', amountCents: 100, reason: '  ' }).ok).toBe(false);
  });

  it('mark refund_order as a scoped side effect that may retry (the store is idempotent per key)', () => {
    expect(refundOrder).toMatchObject({ effect: 'side-effect', scopes: ['orders:write'], maxAttempts: 3 });
    expect(lookupOrder).toMatchObject({ effect: 'read', scopes: ['orders:read'] });
  });

  it('format cents as dollars', () => {
    expect([0, 5, 2_000, 100_001, -250].map(formatCents)).toEqual(['$0.00', '$0.05', '$20.00', '$1000.01', '-$2.50']);
  });
});

function withoutReplayed({ replayed: _replayed, ...refund }: RefundOutcome) {
  return refund;
}

type ThreadResult = { ok?: RefundOutcome; error?: string };

/** Runs each batch of refunds in its own thread with its own connection to `path`; all
 * threads open the store first and start together. */
async function raceThreads(path: string, batches: object[][]): Promise<ThreadResult[][]> {
  const storeUrl = new URL('../../examples/demo/handlers/order-store.ts', import.meta.url).href;
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    import(workerData.storeUrl).then(({ openOrderStore }) => {
      const store = openOrderStore({ path: workerData.path });
      parentPort.once('message', () => {
        const results = workerData.requests.map((req) => {
          try { return { ok: store.refund(req) }; } catch (e) { return { error: e.message }; }
        });
        store.close();
        parentPort.postMessage(results);
      });
      parentPort.postMessage('ready');
    });`;
  const threads = batches.map((requests) => new Worker(code, { eval: true, workerData: { storeUrl, path, requests } }));
  const message = (w: Worker) =>
    new Promise<unknown>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
  await Promise.all(threads.map(message));
  const results = threads.map(message);
  for (const t of threads) t.postMessage('go');
  try {
    return (await Promise.all(results)) as ThreadResult[][];
  } finally {
    await Promise.all(threads.map((t) => t.terminate()));
  }
}
