import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { WorkerApp } from '../../worker/create-worker.ts';
import catalog from './catalog.ts';
import { openOrderStore, type OrderStore } from './handlers/order-store.ts';
import { lookupOrderTool, refundOrderTool } from './handlers/orders.ts';

/** The demo's knowledge base (a small shop's support handbook) and prompt templates. */
export const demoKnowledgeDir = fileURLToPath(new URL('./knowledge/', import.meta.url));
export const demoPromptsDir = fileURLToPath(new URL('./prompts/', import.meta.url));
export const demoCatalogModule = new URL('./catalog.ts', import.meta.url);

const stores = new Map<string, OrderStore>();
/** One order store per file per process: the refunds' idempotency keys live there, so every
 * worker that may retry a refund must share it. */
export function demoOrderStore(path: string): OrderStore {
  if (!stores.has(path)) stores.set(path, openOrderStore({ path }));
  return stores.get(path)!;
}

/**
 * The demo as a worker serves it: its catalog (bundled into the workflow code), a handler
 * for each of its tools, its prompts and knowledge base. `npm start`, `npm run worker` and
 * the tests hand this to `createBosunWorker` exactly as a user hands theirs.
 */
export default demoApp();

export function demoApp(opts: { orderStore?: OrderStore } = {}): WorkerApp<typeof catalog> {
  return {
    catalog,
    catalogModule: demoCatalogModule,
    promptsDir: demoPromptsDir,
    knowledgeDir: demoKnowledgeDir,
    handlers: ({ config }) => {
      const orders = opts.orderStore ?? demoOrderStore(join(config.BOSUN_STATE_DIR, 'orders.db'));
      return { lookup_order: lookupOrderTool(orders).handler, refund_order: refundOrderTool(orders).handler };
    },
  };
}
