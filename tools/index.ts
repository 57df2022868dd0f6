/**
 * What a user writes in sandbox-safe code (the module a worker bundles into the workflow
 * code): tool contracts, named agents, the catalog that puts them together, output
 * contracts. Handlers, which do I/O, are in `tools/handlers/` (worker only).
 *
 * @example
 * import { defineCatalog, defineTool, z } from 'bosun/define';
 */
export { z } from 'zod';
export * from './define-tool.ts';
export * from './catalog.ts';
export { calculator } from './contracts/calculator.ts';
export { searchDocs, readDoc } from './contracts/search-docs.ts';
export * from './authorize.ts';
export { toolFingerprint, toolsetFingerprint } from './fingerprint.ts';
export { outputContract } from '../core/output-contract.ts';
export type { AgentDefinition, AgentDefinitionInput } from '../core/run.ts';
export type { Principal } from '../core/principal.ts';
