import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { join, resolve } from 'node:path';
import { createActivities } from '../activities/index.ts';
import { openSqliteRunStore } from '../activities/store/run-store.ts';
import { buildMemoryRetriever, openSqliteRetriever } from '../activities/retrieval/sqlite-retriever.ts';
import { fileURLToPath } from 'node:url';
import { createCircuitBreaker } from '../activities/model/breaker.ts';
import type { ProviderDescriptor } from '../activities/model/provider-descriptor.ts';
import { builtInProviders } from '../activities/model/providers/index.ts';
import { exampleKnowledgeDir } from '../tools/handlers/index.ts';
import { openOrderStore, type OrderStore } from '../tools/handlers/order-store.ts';
import type { RegisteredTool } from '../tools/handlers/types.ts';
import { builtInTools } from './built-in-tools.ts';
import { workflowsPath } from './bundle.ts';
import { dataConverterFromConfig } from './codec/data-converter.ts';
import { tracingInterceptors, type Tracing } from './telemetry/tracing.ts';
import type { WorkerConfig } from './config.ts';
import { createModelAdapters } from './providers.ts';

export interface BosunWorkerOptions {
  connection: NativeConnection;
  config: WorkerConfig;
  /** A prebuilt bundle; without one the worker bundles `workflows/` itself (seconds). */
  workflowBundle?: { code: string } | { codePath: string };
  /** Tools to serve; the built-in ones by default. */
  tools?: RegisteredTool[];
  /** The order store behind the built-in order tools; by default `<BOSUN_STATE_DIR>/orders.db`. */
  orderStore?: OrderStore;
  /** How payloads are encoded in history; by default the payload encryption the config
   * describes (BOSUN_CODEC_KEYS), or none. Clients of this worker need the same one. */
  dataConverter?: DataConverter;
  /** OpenTelemetry tracing (`tracingInterceptors()`); off by default. */
  tracing?: Tracing;
  /**
   * The model providers this worker knows; `builtInProviders` by default. Add your own
   * without editing Bosun: `providers: [...builtInProviders, myGateway]`, and load `config`
   * with the same list (`loadWorkerConfig(process.env, { providers })`) so their variables
   * are read. Each one the config configures is served; a call to any other fails typed.
   */
  providers?: readonly ProviderDescriptor[];
}

/** Composition root: SDK clients, tool handlers and activities are wired here, once. */
export async function createBosunWorker(opts: BosunWorkerOptions): Promise<Worker> {
  const { config } = opts;
  // One knowledge base for the `retrieve` activity and the search tools: an index ingested
  // with `npm run ingest` (BOSUN_RETRIEVAL_DB), or an in-memory index of the knowledge folder.
  const retriever = config.BOSUN_RETRIEVAL_DB
    ? shared(config.BOSUN_RETRIEVAL_DB, (path) => openSqliteRetriever({ path }))
    : await buildMemoryRetriever({ dir: config.BOSUN_KNOWLEDGE_DIR ?? exampleKnowledgeDir });
  const tools =
    opts.tools ??
    (await builtInTools({
      retriever,
      orderStore:
        opts.orderStore ?? shared(join(config.BOSUN_STATE_DIR, 'orders.db'), (path) => openOrderStore({ path })),
    }));
  const breaker = createCircuitBreaker({
    failureThreshold: config.BOSUN_BREAKER_FAILURES,
    openMs: config.BOSUN_BREAKER_OPEN_MS,
  });
  const store = shared(join(config.BOSUN_STATE_DIR, 'runs.db'), openSqliteRunStore);
  const providers = opts.providers ?? builtInProviders;
  const activities = createActivities({
    models: createModelAdapters(config, providers),
    providers,
    tools,
    breaker,
    store,
    promptsDir: config.BOSUN_PROMPTS_DIR ?? defaultPromptsDir,
    retriever,
  });
  const dataConverter = opts.dataConverter ?? dataConverterFromConfig(config);
  const bundle =
    opts.workflowBundle ?? (config.BOSUN_WORKFLOW_BUNDLE ? { codePath: config.BOSUN_WORKFLOW_BUNDLE } : undefined);
  return Worker.create({
    connection: opts.connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.BOSUN_TASK_QUEUE,
    activities,
    ...(dataConverter ? { dataConverter } : {}),
    ...(bundle ? { workflowBundle: bundle } : { workflowsPath }),
    ...(opts.tracing ?? tracingInterceptors({})).workerOptions({ prebuiltBundle: Boolean(bundle) }),
  });
}

export async function connectWorker(config: WorkerConfig): Promise<NativeConnection> {
  return NativeConnection.connect({
    address: config.TEMPORAL_ADDRESS,
    ...(config.TEMPORAL_TLS || config.TEMPORAL_API_KEY ? { tls: true } : {}),
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}),
  });
}

const openStores = new Map<string, unknown>();
/** One connection per store file per process: workers created in one process (tests, the
 * dev command) share it; other processes share the file, with SQLite's locking. */
function shared<T>(path: string, open: (path: string) => T): T {
  const key = resolve(path);
  if (!openStores.has(key)) openStores.set(key, open(key));
  return openStores.get(key) as T;
}

/** The example prompt templates shipped with Bosun. */
export const defaultPromptsDir = fileURLToPath(new URL('./prompts/', import.meta.url));
