import { setTimeout as sleep } from 'node:timers/promises';
import { formatCents, lookupOrder, refundOrder } from '../tools/orders.ts';
import type { OrderSystem } from './order-store.ts';
import type { Principal } from '../../../core/principal.ts';
import { registerTool, ToolError } from '../../../tools/handlers/types.ts';

export function lookupOrderTool(store: OrderSystem) {
  return registerTool(lookupOrder, async ({ orderId }, ctx) => ownOrder(store, orderId, ctx.principal));
}

/**
 * The order, if the principal may act on it. A run acting for a customer (the service sets
 * `principal.attributes.customer`) sees and refunds that customer's orders only — whatever
 * the model was told in a tool result or a document; staff principals (no customer) see all.
 */
async function ownOrder(store: OrderSystem, orderId: string, principal: Principal) {
  const order = await store.lookup(orderId);
  if (!order) throw new ToolError(`No order ${orderId}. Order ids look like "ord_100"; ask the customer to check it.`);
  const customer = principal.attributes.customer;
  if (customer !== undefined && order.customer !== customer)
    throw new ToolError(
      `No order ${orderId} for this customer: the run acts for ${customer} and may not touch other customers' orders.`,
    );
  return order;
}

export interface RefundOrderToolOptions {
  /**
   * TEST ONLY: after a refund is committed, print `refund applied <idempotencyKey>` and wait
   * this long before returning, so a crash test can SIGKILL the worker after the effect and
   * before the activity completes. Defaults to `BOSUN_TEST_PAUSE_AFTER_EFFECT_MS`; never
   * set it in production.
   */
  pauseAfterEffectMs?: number;
}

export function refundOrderTool(store: OrderSystem, opts: RefundOrderToolOptions = {}) {
  return registerTool(refundOrder, async ({ orderId, amountCents, reason }, ctx) => {
    await ownOrder(store, orderId, ctx.principal);
    const refund = await store.refund({ orderId, amountCents, reason, idempotencyKey: ctx.idempotencyKey });
    const pauseMs = opts.pauseAfterEffectMs ?? testPauseFromEnv();
    if (pauseMs && !refund.replayed) {
      console.log(`refund applied ${ctx.idempotencyKey}`);
      await sleep(pauseMs, undefined, { signal: ctx.signal });
    }
    // The same answer whether this attempt applied the refund or a crashed one did.
    return {
      refundId: refund.refundId,
      orderId: refund.orderId,
      refunded: formatCents(refund.amountCents),
      amountCents: refund.amountCents,
      orderRefundedCents: refund.orderRefundedCents,
      orderStatus: refund.orderStatus,
    };
  });
}

function testPauseFromEnv(): number | undefined {
  const ms = Number(process.env.BOSUN_TEST_PAUSE_AFTER_EFFECT_MS);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}
