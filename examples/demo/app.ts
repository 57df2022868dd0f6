import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { WorkerApp } from '../../worker/create-worker.ts';
import catalog from './catalog.ts';
import { openOrderStore, type OrderSystem } from './handlers/order-store.ts';
import { openPostgresOrderStore } from './handlers/pg-order-store.ts';
import { lookupOrderTool, refundOrderTool } from './handlers/orders.ts';

/** The demo's knowledge base (a small shop's support handbook) and prompt templates. */
export const demoKnowledgeDir = fileURLToPath(new URL('./knowledge/', import.meta.url));
export const demoPromptsDir = fileURLToPath(new URL('./prompts/', import.meta.url));
export const demoCatalogModule = new URL('./catalog.ts', import.meta.url);

const stores = new Map<string, Promise<OrderSystem>>();
/** One order store per file (or database) per process: the refunds' idempotency keys live
 * there, so every worker that may retry a refund must share it — on several hosts, through
 * PostgreSQL (BOSUN_DATABASE_URL). */
export function demoOrderStore(where: { path: string } | { url: string }): Promise<OrderSystem> {
  const key = 'url' in where ? `pg:${where.url}` : where.path;
  if (!stores.has(key)) {
    const opening =
      'url' in where
        ? openPostgresOrderStore({ url: where.url })
        : Promise.resolve(openOrderStore({ path: where.path }));
    opening.catch(() => stores.delete(key));
    stores.set(key, opening);
  }
  return stores.get(key)!;
}

/**
 * The demo as a worker serves it: its catalog (bundled into the workflow code), a handler
 * for each of its tools, its prompts and knowledge base. `npm start`, `npm run worker` and
 * the tests hand this to `createBosunWorker` exactly as a user hands theirs.
 */
export default demoApp();

export function demoApp(opts: { orderStore?: OrderSystem } = {}): WorkerApp<typeof catalog> {
  return {
    catalog,
    catalogModule: demoCatalogModule,
    promptsDir: demoPromptsDir,
    knowledgeDir: demoKnowledgeDir,
    handlers: async ({ config }) => {
      const orders =
        opts.orderStore ??
        (await demoOrderStore(
          config.BOSUN_DATABASE_URL
            ? { url: config.BOSUN_DATABASE_URL }
            : { path: join(config.BOSUN_STATE_DIR, 'orders.db') },
        ));
      return { lookup_order: lookupOrderTool(orders).handler, refund_order: refundOrderTool(orders).handler };
    },
  };
}
