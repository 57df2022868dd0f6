import type { ToolContract } from './define-tool.ts';
import { calculator } from './contracts/calculator.ts';
import { lookupOrder, refundOrder } from './contracts/orders.ts';
import { readDoc, searchDocs } from './contracts/search-docs.ts';

/** Every tool contract Bosun ships, by name. Sandbox-safe: the workflow validates calls
 * against these before it schedules anything. */
export const toolCatalog: ReadonlyMap<string, ToolContract> = new Map(
  [calculator, searchDocs, readDoc, lookupOrder, refundOrder].map((t) => [t.name, t as ToolContract]),
);

export function findTool(name: string): ToolContract | undefined {
  return toolCatalog.get(name);
}
