/** Tool contracts (sandbox-safe). Handlers, which do I/O, are in `tools/handlers/`. */
export * from './define-tool.ts';
export * from './catalog.ts';
export { calculator } from './contracts/calculator.ts';
export { searchDocs, readDoc } from './contracts/search-docs.ts';
export * from './authorize.ts';
