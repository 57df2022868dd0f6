/** The composition root: config, provider clients, the worker, the embedded dev server. */
export * from './config.ts';
export * from './create-worker.ts';
export * from './bundle.ts';
export { builtInTools } from './built-in-tools.ts';
export * from './dev-server.ts';
export * from './temporal-cli.ts';
export { createModelAdapters, checkProviders } from './providers.ts';
// What a provider of your own is made of, and the built-in ones to list beside it.
export {
  builtInProviders,
  defineProvider,
  createOpenAIAdapter,
  createAnthropicAdapter,
  readOpenAIError,
  readAnthropicError,
  callProvider,
  assistantResponse,
  type ProviderDescriptor,
  type ModelAdapter,
  type CallOptions,
  type ProviderErrorReader,
} from '../activities/model/index.ts';
export {
  envString,
  envUrl,
  defineProviderProfile,
  builtInProviderProfiles,
  type ProviderProfile,
  type TokenizerFamily,
} from '../core/index.ts';
export { ensureSearchAttributes } from './search-attributes.ts';
export {
  requireSearchAttributes,
  missingSearchAttributes,
  createSearchAttributesCommand,
  MissingSearchAttributesError,
  NamespaceNotFoundError,
} from './server-check.ts';
export { installRuntime } from './runtime.ts';
export { tracingInterceptors, tracingOptionsFromEnv } from './telemetry/tracing.ts';
export * from './codec/index.ts';
export { WorkerSetupError } from './catalog-wiring.ts';
// Tools from MCP servers: the configuration `createBosunWorker({ mcpServers })` takes.
export { McpConfigError, parseMcpServers } from './mcp-config.ts';
export type { McpServerInput, McpServerConfig, McpToolSettings } from '../tools/mcp/config.ts';
export { openSqliteBlobStore, type BlobStore, type BlobRef } from '../activities/store/blob-store.ts';
// Shared state on PostgreSQL (BOSUN_DATABASE_URL): Bosun's stores, and the migration runner
// a user's own stores can use too (docs/multi-host.md).
export {
  createPostgresPool,
  migrateBosun,
  openPostgresRunStore,
  type PostgresPoolOptions,
} from '../activities/store/postgres/open.ts';
export { migrate, MigrationError, type Migration, type MigrationReport } from '../activities/store/postgres/migrate.ts';
export { isTransientPostgresError } from '../activities/store/postgres/errors.ts';
export { openRunStore } from './stores.ts';
export { startEmbeddedPostgres, PostgresProvisionError, type EmbeddedPostgres } from './postgres/embedded.ts';
// What a handler is given and may throw.
export {
  ToolError,
  registerTool,
  type ToolContext,
  type ToolHandler,
  type ToolHandlers,
  type RegisteredTool,
} from '../tools/handlers/types.ts';
