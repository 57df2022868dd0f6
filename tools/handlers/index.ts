/** Tool handlers: the I/O side of tools, loaded by the worker only. */
import { fileURLToPath } from 'node:url';
import { calculatorTool } from './calculator.ts';
import { loadKnowledgeBase } from './knowledge-base.ts';
import { readDocTool, searchDocsTool } from './search-docs.ts';
import type { RegisteredTool } from './types.ts';

export * from './types.ts';
export { evaluateExpression, formatNumber } from './calculator.ts';
export { buildKnowledgeBase, loadKnowledgeBase, type KnowledgeBase } from './knowledge-base.ts';

/** The example knowledge base shipped with Bosun. */
export const exampleKnowledgeDir = fileURLToPath(new URL('../knowledge/', import.meta.url));

/** The built-in tools, ready for `createActivities`. */
export async function builtInTools(opts: { knowledgeDir?: string } = {}): Promise<RegisteredTool[]> {
  const kb = await loadKnowledgeBase(opts.knowledgeDir ?? exampleKnowledgeDir);
  return [calculatorTool, searchDocsTool(kb), readDocTool(kb)];
}
