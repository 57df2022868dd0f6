/** Tool handlers: the I/O side of tools, loaded by the worker only. They depend on contracts
 * (`core/`, `tools/contracts/`), never on an implementation: the worker composes them
 * (`builtInTools` in `worker/built-in-tools.ts`). */
import { fileURLToPath } from 'node:url';

export * from './types.ts';
export { calculatorTool, evaluateExpression, formatNumber } from './calculator.ts';
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
