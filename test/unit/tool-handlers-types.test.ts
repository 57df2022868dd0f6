import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCatalog } from '../../tools/catalog.ts';
import { defineTool } from '../../tools/define-tool.ts';
import type { WorkerApp } from '../../worker/create-worker.ts';

/**
 * Compile-time claims about `handlers` (`npm run check` typechecks this file; the
 * `@ts-expect-error` lines fail it when a claim stops holding). `app` takes what
 * `createBosunWorker` takes besides its connection and config.
 */
const shippingEta = defineTool({
  name: 'shipping_eta',
  description: 'ETA of an order.',
  input: z.object({ orderId: z.string() }),
  effect: 'read',
});
const issueCredit = defineTool({
  name: 'issue_credit',
  description: 'Credit an order.',
  input: z.object({ orderId: z.string(), amountCents: z.number().int() }),
  effect: 'side-effect',
});
const catalog = defineCatalog({ tools: [shippingEta, issueCredit] });
const app = <C extends typeof catalog>(a: WorkerApp<C>) => a;

describe('handlers typed by the catalog', () => {
  it('types the parameters of handlers written inline, and refuses a missing or unknown handler', async () => {
    const served = app({
      catalog,
      catalogModule: 'catalog.ts',
      handlers: {
        shipping_eta: async ({ orderId }) => orderId.toUpperCase(),
        issue_credit: async ({ amountCents }, { idempotencyKey }) => `${idempotencyKey}:${amountCents.toFixed(0)}`,
      },
    });
    // @ts-expect-error issue_credit has no handler
    app({ catalog, catalogModule: 'catalog.ts', handlers: { shipping_eta: async () => 'x' } });
    const withUnknown = {
      catalog,
      catalogModule: 'catalog.ts',
      handlers: {
        shipping_eta: async () => 'x',
        issue_credit: async () => 'x',
        // @ts-expect-error refund_order is not in the catalog
        refund_order: async () => 'x',
      },
    } satisfies WorkerApp<typeof catalog>;
    // @ts-expect-error a handler's input is its tool's
    app({ catalog, handlers: { shipping_eta: async ({ amountCents }) => amountCents, issue_credit: async () => 1 } });

    expect(Object.keys(served.handlers ?? {})).toEqual(['shipping_eta', 'issue_credit']);
    expect(Object.keys(withUnknown.handlers)).toHaveLength(3);
  });
});
