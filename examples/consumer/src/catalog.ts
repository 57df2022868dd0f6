import { defineAgent, defineCatalog, defineTool, z } from 'bosun/define';

/**
 * This project's tools and agent. The worker bundles this module into the workflow code
 * (`catalogModule`), so it imports only `bosun/define`, the sandbox-safe entry: contracts,
 * no I/O. The handlers that do the work are in `worker.ts`.
 */
const orderId = z
  .string()
  .regex(/^ord_[A-Za-z0-9]{1,40}$/)
  .describe('Order id, e.g. "ord_1001"');

export const shippingEta = defineTool({
  name: 'shipping_eta',
  description: 'When an order is expected to arrive: carrier and days from today.',
  input: z.object({ orderId }),
  effect: 'read',
  scopes: ['orders:read'],
});

/** Store credit is money out of the door: credits over $10 wait for a human. */
export const issueCredit = defineTool({
  name: 'issue_credit',
  description: 'Give the customer store credit for an order, in cents. Irreversible.',
  input: z.object({
    orderId,
    amountCents: z.number().int().positive().describe('Credit in cents, e.g. 2500 for $25.00'),
    reason: z.string().min(3),
  }),
  effect: 'side-effect',
  scopes: ['credits:write'],
  approval: ({ input }) => (input.amountCents > 1000 ? { ask: 'credit over $10' } : 'allow'),
  approvalOptions: { timeoutMs: 60 * 60 * 1000 },
});

export const credits = defineAgent({
  name: 'credits',
  instructions:
    'You handle late and damaged deliveries. Check the shipping ETA first; offer store credit when the ' +
    'customer was let down, then answer with the decision.',
  model: { provider: 'openai', name: 'gpt-4.1-mini' },
  tools: [shippingEta, issueCredit],
  maxSteps: 6,
});

export default defineCatalog({ tools: [shippingEta, issueCredit], agents: [credits] });
