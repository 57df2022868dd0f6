import { z } from 'zod';
import type { Principal } from '../../../core/principal.ts';
import { defineTool } from '../../../tools/define-tool.ts';

/** `1234` → `"$12.34"`: amounts are integer cents everywhere; dollars only in messages. */
export function formatCents(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  return `${sign}$${(Math.abs(cents) / 100).toFixed(2)}`;
}

const orderId = z
  .string()
  .regex(/^ord_[A-Za-z0-9]{1,40}$/, 'order ids look like "ord_123"')
  .describe('Order id, e.g. "ord_123"');

export const lookupOrder = defineTool({
  name: 'lookup_order',
  description:
    'Look up an order by id: customer, items, total, payment status and how much has already been refunded. ' +
    'Amounts are in cents.',
  input: z.object({ orderId }),
  effect: 'read',
  scopes: ['orders:read'],
  maxResultChars: 4_000,
});

/** The most each role may refund in one call, in cents. A principal with several roles gets
 * the highest limit; one with none of these roles may not refund at all. */
export const refundLimitsByRole: Readonly<Record<string, number>> = Object.freeze({
  support_lead: 100_000,
  support_agent: 10_000,
});

/** Refunds above this (in cents) wait for a human. */
export const refundApprovalThresholdCents = 2_000;

/** The per-role amount limit: a reason to deny, or undefined. */
export function refundLimitViolation(amountCents: number, principal: Principal): string | undefined {
  const limits = principal.roles
    .filter((r) => Object.hasOwn(refundLimitsByRole, r))
    .map((r) => ({ role: r, max: refundLimitsByRole[r]! }));
  if (limits.length === 0) {
    const roles = Object.keys(refundLimitsByRole).join(' or ');
    return `principal ${principal.user} may not refund orders (needs role ${roles})`;
  }
  const best = limits.reduce((a, b) => (b.max > a.max ? b : a));
  if (amountCents > best.max)
    return `role ${best.role} may refund at most ${formatCents(best.max)}; ${formatCents(amountCents)} asked`;
  return undefined;
}

/**
 * Refunds part or all of a paid order. A side effect, so it carries the call's idempotency
 * key to the store: a retried attempt (worker crash, timeout after the effect) returns the
 * first attempt's result instead of refunding twice. That is what makes retries safe here,
 * hence `maxAttempts: 3` although side-effect tools default to one attempt.
 *
 * @example
 * authorizeToolCall(refundOrder, { orderId: 'ord_101', amountCents: 5_000, reason: 'damaged' }, principal)
 * // support_agent → { kind: 'ask', reason: 'refund over $20.00', ... }
 */
export const refundOrder = defineTool({
  name: 'refund_order',
  description:
    'Refund part or all of a paid order to the customer. Irreversible. Amount in cents; at most what is left ' +
    'unrefunded on the order (use lookup_order first). Refunds over $20.00 wait for a human approval.',
  input: z.object({
    orderId,
    amountCents: z
      .number()
      .int()
      .positive()
      .max(100_000_000)
      .describe('Amount to refund in cents, e.g. 1250 for $12.50'),
    reason: z.string().trim().min(1).max(500).describe('Why the customer is refunded, e.g. "item arrived damaged"'),
  }),
  effect: 'side-effect',
  scopes: ['orders:write'],
  maxResultChars: 2_000,
  constraints: (input, principal) => refundLimitViolation(input.amountCents, principal),
  // What each refund adds to the run's totals: policies see the sum of earlier refunds, so
  // three refunds of $19.99 cannot slip under the $20 threshold one by one.
  tally: ({ orderId, amountCents }) => ({ refundedCents: amountCents, [`order:${orderId}`]: amountCents }),
  approval: ({ input, prior }) => {
    const total = (prior.totals.refundedCents ?? 0) + input.amountCents;
    if (input.amountCents > refundApprovalThresholdCents)
      return { ask: `refund over ${formatCents(refundApprovalThresholdCents)}` };
    if (total > refundApprovalThresholdCents)
      return {
        ask: `refunds in this run would total ${formatCents(total)}, over ${formatCents(refundApprovalThresholdCents)}`,
      };
    return 'allow';
  },
  version: '2',
  approvalOptions: {
    timeoutMs: 4 * 60 * 60 * 1000,
    onTimeout: { escalateTo: 'support-leads', timeoutMs: 4 * 60 * 60 * 1000 },
    group: 'support',
  },
  maxAttempts: 3,
});
