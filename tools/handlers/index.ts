/** Tool handlers: the I/O side of tools, loaded by the worker only. They depend on contracts
 * (`core/`, `tools/contracts/`), never on an implementation: the worker composes them
 * (`builtInTools` in `worker/built-in-tools.ts`). */
export * from './types.ts';
export { calculatorTool, evaluateExpression, formatNumber } from './calculator.ts';
export { readDocTool, searchDocsTool, type SearchDocsHit, type SearchDocsResult } from './search-docs.ts';
