/** Tool handlers: the I/O side of tools, loaded by the worker only. */
import { fileURLToPath } from 'node:url';
import { buildMemoryRetriever } from '../../activities/retrieval/sqlite-retriever.ts';
import type { Retriever } from '../../activities/retrieval/types.ts';
import { calculatorTool } from './calculator.ts';
import { openOrderStore, type OrderStore } from './order-store.ts';
import { lookupOrderTool, refundOrderTool } from './orders.ts';
import { readDocTool, searchDocsTool } from './search-docs.ts';
import type { RegisteredTool } from './types.ts';

export * from './types.ts';
export { evaluateExpression, formatNumber } from './calculator.ts';
export { readDocTool, searchDocsTool, type SearchDocsHit, type SearchDocsResult } from './search-docs.ts';
export {
  defaultOrderStorePath,
  exampleOrders,
  openOrderStore,
  type Order,
  type OrderItem,
  type OrderStatus,
  type OrderStore,
  type Refund,
  type RefundOutcome,
  type RefundRequest,
} from './order-store.ts';
export { lookupOrderTool, refundOrderTool, type RefundOrderToolOptions } from './orders.ts';

/** The example knowledge base shipped with Bosun. */
export const exampleKnowledgeDir = fileURLToPath(new URL('../knowledge/', import.meta.url));

/**
 * The built-in tools, ready for `createActivities`. `search_docs` and `read_doc` use
 * `retriever`; without one they get an in-memory index of `knowledgeDir` (the example
 * knowledge base by default), built here in milliseconds for a small folder; pass an
 * ingested file index (`openSqliteRetriever`) for a large one. The order tools use
 * `orderStore`; without one they get a private in-memory store (its refunds vanish with the
 * process), so pass a file-backed store wherever retries may land on another process (the
 * worker does).
 */
export async function builtInTools(opts: { knowledgeDir?: string; orderStore?: OrderStore; retriever?: Retriever } = {}): Promise<RegisteredTool[]> {
  const retriever = opts.retriever ?? (await buildMemoryRetriever({ dir: opts.knowledgeDir ?? exampleKnowledgeDir }));
  const orders = opts.orderStore ?? openOrderStore({ path: ':memory:' });
  return [calculatorTool, searchDocsTool(retriever), readDocTool(retriever), lookupOrderTool(orders), refundOrderTool(orders)];
}
