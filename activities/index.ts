/** The I/O zone. `createActivities` is the factory the worker registers; workflows import
 * only the `BosunActivities` type. */
import type { RegisteredTool } from '../tools/handlers/types.ts';
import { createCallModel, type ModelAdapters } from './call-model.ts';
import type { CircuitBreaker } from './model/breaker.ts';
import type { ModelPacer } from './model/pacer.ts';
import type { ProviderDescriptor } from './model/provider-descriptor.ts';
import { createEarlyTools, createExecuteTool } from './execute-tool.ts';
import { createMcpActivities } from './mcp/activities.ts';
import { createDescribeMcpServers } from './mcp/describe.ts';
import { createMcpPool, type McpPool } from './mcp/pool.ts';
import type { BlobStore } from './store/blob-store.ts';
import { createResolvePrompt } from './resolve-prompt.ts';
import { createRetrieveActivity } from './retrieval/retrieve-activity.ts';
import type { Retriever } from '../core/retrieval.ts';
import type { RunStore } from './store/run-store.ts';
import { createReadTrace } from './trace/read.ts';
import { createEraseRunContent, createReadErasures } from './retention/forget.ts';
import { createSweepRetention } from './retention/sweep.ts';

export type { ModelAdapters } from './call-model.ts';

export interface ActivityDeps {
  models: ModelAdapters;
  /** The providers the worker knows, configured or not; `builtInProviders` by default. */
  providers?: readonly ProviderDescriptor[];
  tools: RegisteredTool[];
  /** Shared by every run this worker serves: a model that keeps failing is skipped fast. */
  breaker?: CircuitBreaker;
  /** Shared by every run this worker serves: calls per model in flight, rate-limit holds. */
  pacer?: ModelPacer;
  /** Conversations and prompt versions, kept out of Temporal history. */
  store: RunStore;
  /** Where named prompt templates (`<name>.md`) are read from. */
  promptsDir: string;
  /** The knowledge base behind `retrieve` (and the search tools). */
  retriever: Retriever;
  /** MCP servers (one pooled connection each) and where binary results go; none by default
   * (a run that selects a server then ends `invalid_input`, naming what is configured). */
  mcp?: { pool: McpPool; blobs: BlobStore };
  /** Retention and erasure (`bosun forget`, the retention sweep): the configured period
   * (BOSUN_RETENTION_DAYS; the namespace's when absent) and the blob store to erase from,
   * opened on demand (a worker without MCP servers may still hold another's blobs file). */
  retention?: { days?: number; blobs?: () => BlobStore | undefined };
}

export function createActivities(deps: ActivityDeps) {
  return {
    callModel: createCallModel(deps.models, {
      store: deps.store,
      ...(deps.breaker ? { breaker: deps.breaker } : {}),
      ...(deps.pacer ? { pacer: deps.pacer } : {}),
      ...(deps.providers ? { providers: deps.providers } : {}),
      early: createEarlyTools(deps.tools, deps.store),
    }),
    executeTool: createExecuteTool(deps.tools, deps.store),
    resolvePrompt: createResolvePrompt(deps.store, deps.promptsDir),
    retrieve: createRetrieveActivity(deps.retriever),
    readTrace: createReadTrace(deps.store),
    ...retentionActivities(deps),
    ...mcpActivities({ ...(deps.mcp ?? { pool: createMcpPool([]), blobs: noBlobs }), store: deps.store }),
  };
}

export type BosunActivities = ReturnType<typeof createActivities>;

function retentionActivities(deps: ActivityDeps) {
  const blobs = deps.retention?.blobs ?? (deps.mcp ? () => deps.mcp!.blobs : undefined);
  const stores = { store: deps.store, ...(blobs ? { blobs } : {}) };
  const days = deps.retention?.days;
  return {
    eraseRunContent: createEraseRunContent(stores),
    readErasures: createReadErasures(stores),
    sweepRetention: createSweepRetention({ ...stores, ...(days !== undefined ? { retentionDays: days } : {}) }),
  };
}

function mcpActivities(mcp: { pool: McpPool; blobs: BlobStore; store: RunStore }) {
  return { ...createMcpActivities(mcp), describeMcpServers: createDescribeMcpServers(mcp.pool) };
}

/** A worker without MCP servers stores no binary results. */
const noBlobs: BlobStore = {
  put: async () => {
    throw new Error('no blob store: this worker serves no MCP servers');
  },
  get: async () => undefined,
  forgetRun: async () => 0,
};
