import { defineCatalog } from '../../tools/index.ts';
import { lookupOrder, refundOrder } from './tools/orders.ts';

/**
 * The demo's catalog, defined the way a user's is: its own tools (orders: look one up,
 * refund it — refunds over $20 ask a human) beside Bosun's built-in ones, and a named agent
 * (legal threats and chargebacks go to a human first).
 * The worker bundles this module into the workflow code (`catalogModule`).
 */
export const supportAgent = {
  name: 'support',
  instructions: { template: 'support' },
  model: { provider: 'openai', name: 'gpt-4.1-mini' },
  tools: ['search_docs', 'read_doc', 'calculator', lookupOrder, refundOrder],
  maxSteps: 8,
  // The handbook sends legal complaints to a team lead (knowledge/support.md): such requests
  // go to a human before any model call.
  policy: {
    sensitive: [
      {
        pattern: '\\b(lawyer|attorney|lawsuit|sue|chargeback)\\b',
        reason: 'a legal complaint or chargeback: a team lead handles it',
      },
    ] as { pattern: string; reason: string }[],
  },
} as const;

export default defineCatalog({ tools: [lookupOrder, refundOrder], agents: [supportAgent] });
