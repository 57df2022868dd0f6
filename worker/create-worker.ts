import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createActivities } from '../activities/index.ts';
import { openSqliteBlobStore } from '../activities/store/blob-store.ts';
import { createMcpPool, type McpPool } from '../activities/mcp/pool.ts';
import { buildMemoryRetriever, openSqliteRetriever } from '../activities/retrieval/sqlite-retriever.ts';
import { createCircuitBreaker } from '../activities/model/breaker.ts';
import { createModelPacer } from '../activities/model/pacer.ts';
import type { ProviderDescriptor } from '../activities/model/provider-descriptor.ts';
import { builtInProviders } from '../activities/model/providers/index.ts';
import type { Retriever } from '../core/retrieval.ts';
import { builtInCatalog, type Catalog } from '../tools/catalog.ts';
import type { RegisteredTool, ToolHandler, ToolHandlers } from '../tools/handlers/types.ts';
import { builtInTools, emptyRetriever } from './built-in-tools.ts';
import { bosunBundlerOptions, workflowsPath, writeBundleEntry } from './bundle.ts';
import { WorkerSetupError, wireTools } from './catalog-wiring.ts';
import { cipherFingerprint, contentCipherFromConfig, dataConverterFromConfig } from './codec/data-converter.ts';
import { tracingInterceptors, type Tracing } from './telemetry/tracing.ts';
import type { WorkerConfig } from './config.ts';
import type { McpServerInput } from '../tools/mcp/config.ts';
import { checkAgentSelections, parseMcpServers } from './mcp-config.ts';
import { createModelAdapters, likelyModels } from './providers.ts';
import { preloadTokenizers } from '../activities/context/tokenizer.ts';
import { requireSearchAttributes } from './server-check.ts';
import { ensureRuntime } from './runtime.ts';
import { openRunStore, postgresBlobStore } from './stores.ts';
import { pinIndexVersion } from '../activities/retrieval/index-pin.ts';
import { sweepWhileRunning } from './retention-timer.ts';

/** What the handlers of a worker's tools may need, built by the worker. */
export interface HandlerDeps {
  config: WorkerConfig;
  /** The knowledge base the `retrieve` activity and the search tools use. */
  retriever: Retriever;
}

/**
 * What a user's worker serves beyond Bosun's built-in tools: a catalog (tool contracts and
 * named agents, `defineCatalog`), the module that exports it — bundled into the workflow
 * code, so runs validate and authorize calls against exactly these contracts — and one
 * handler per tool (a map, or a function of the worker's dependencies that returns one).
 *
 * @example
 * import catalog from './catalog.ts';
 * await createBosunWorker({
 *   connection, config,
 *   catalog, catalogModule: new URL('./catalog.ts', import.meta.url),
 *   handlers: { shipping_eta: async ({ orderId }) => ({ orderId, days: 3 }) },
 * });
 */
export interface WorkerApp<C extends Catalog = Catalog> {
  catalog?: C;
  catalogModule?: string | URL;
  handlers?: ToolHandlers<C> | ((deps: HandlerDeps) => ToolHandlers<C> | Promise<ToolHandlers<C>>);
  /** Named prompt templates (`<name>.md`) for `instructions: { template }`; BOSUN_PROMPTS_DIR
   * overrides it. */
  promptsDir?: string;
  /** The knowledge base folder behind `retrieve` and the search tools (indexed in memory at
   * start); BOSUN_KNOWLEDGE_DIR or BOSUN_RETRIEVAL_DB override it. */
  knowledgeDir?: string;
  /**
   * MCP servers whose tools agents may select (`agent.mcp`): how to reach each (stdio or
   * Streamable HTTP; secrets by environment variable name) and the scopes, effect and
   * approval policy of its tools (`docs/mcp.md`). Checked at start (`McpConfigError`); a
   * server that is down does not stop the worker.
   */
  mcpServers?: readonly McpServerInput[];
}

export interface BosunWorkerOptions<C extends Catalog = Catalog> extends WorkerApp<C> {
  connection: NativeConnection;
  config: WorkerConfig;
  /** A prebuilt bundle (built with the same `catalogModule`: `bundleWorkflows({ catalogModule })`);
   * without one the worker bundles the workflow code itself (seconds). */
  workflowBundle?: { code: string } | { codePath: string };
  /** Every tool's registered handler at once, built-ins included: replaces `handlers` (tests,
   * advanced wiring). Still checked against the catalog. */
  tools?: RegisteredTool[];
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

/**
 * Composition root: SDK clients, tool handlers and activities are wired here, once. What
 * it is given is checked first (`WorkerSetupError` lists every problem), then the server it
 * is to serve: the namespace must exist (`NamespaceNotFoundError`) and have Bosun's search
 * attributes (`MissingSearchAttributesError`, with the command that registers them); nothing
 * starts half-configured.
 */
export async function createBosunWorker<C extends Catalog = Catalog>(opts: BosunWorkerOptions<C>): Promise<Worker> {
  const { config } = opts;
  if ((opts.catalog === undefined) !== (opts.catalogModule === undefined)) {
    throw new WorkerSetupError([
      'give both `catalog` and `catalogModule` (the module that exports it, bundled into the workflow code), or neither',
    ]);
  }
  if (opts.tools && opts.handlers) throw new WorkerSetupError(['give `handlers` or `tools`, not both']);
  const mcpServers = parseMcpServers(opts.mcpServers ?? []);
  // One knowledge base for the `retrieve` activity and the search tools: an index ingested
  // with `npm run ingest` (BOSUN_RETRIEVAL_DB), or an in-memory index of the knowledge folder.
  // Stored run content is encrypted at rest with the payload codec's keys when configured.
  const cipher = contentCipherFromConfig(config);
  const keyed = cipherFingerprint(config);
  // PostgreSQL when BOSUN_DATABASE_URL is set (several hosts), else the embedded SQLite file.
  const store = await openRunStore(config, { cipher, variant: keyed });
  const knowledgeDir = config.BOSUN_KNOWLEDGE_DIR ?? opts.knowledgeDir;
  // Each run pins the index version it first retrieved with, in the shared store; a worker
  // with another version fails the call typed (`index_version_mismatch`, docs/multi-host.md).
  const retriever = pinIndexVersion(
    config.BOSUN_RETRIEVAL_DB
      ? shared(config.BOSUN_RETRIEVAL_DB, (path) => openSqliteRetriever({ path }))
      : knowledgeDir
        ? await buildMemoryRetriever({ dir: knowledgeDir })
        : emptyRetriever,
    store,
  );
  const catalog: Catalog = opts.catalog ?? builtInCatalog;
  checkAgentSelections(catalog.agents, mcpServers);
  const handlers = typeof opts.handlers === 'function' ? await opts.handlers({ config, retriever }) : opts.handlers;
  const tools = await wireTools({
    catalog,
    ...(opts.catalogModule !== undefined ? { catalogModule: opts.catalogModule } : {}),
    ...(handlers ? { handlers: handlers as Record<string, ToolHandler> } : {}),
    ...(opts.tools ? { tools: opts.tools } : {}),
    builtIn: await builtInTools({ retriever }),
  });
  const breaker = createCircuitBreaker({
    failureThreshold: config.BOSUN_BREAKER_FAILURES,
    openMs: config.BOSUN_BREAKER_OPEN_MS,
  });
  const providers = opts.providers ?? builtInProviders;
  const blobsPath = join(config.BOSUN_STATE_DIR, 'blobs.db');
  // Beside the run store: in PostgreSQL with BOSUN_DATABASE_URL, else `<state>/blobs.db`.
  const openBlobs = () =>
    config.BOSUN_DATABASE_URL
      ? postgresBlobStore(store, cipher)
      : shared(blobsPath, (path) => openSqliteBlobStore(path, { cipher }), keyed);
  const mcp = mcpServers.length
    ? {
        pool: createMcpPool(mcpServers, (level, message, meta) => Runtime.instance().logger[level](message, meta)),
        blobs: openBlobs(),
      }
    : undefined;
  const models = createModelAdapters(config, providers);
  // Loaded now rather than in the first run's first model call (up to 130 ms each).
  preloadTokenizers(
    likelyModels(catalog.agents, models, providers),
    (id) => providers.find((p) => p.id === id)?.tokenizer,
  );
  const activities = createActivities({
    models,
    providers,
    tools,
    breaker,
    pacer: createModelPacer({ maxInFlight: config.BOSUN_MAX_INFLIGHT_PER_MODEL }),
    store,
    promptsDir: config.BOSUN_PROMPTS_DIR ?? opts.promptsDir ?? noPromptsDir,
    retriever,
    ...(mcp ? { mcp } : {}),
    // Erasure reaches the blob store even on a worker without MCP servers, if the file exists.
    retention: {
      ...(config.BOSUN_RETENTION_DAYS !== undefined ? { days: config.BOSUN_RETENTION_DAYS } : {}),
      blobs: () => (mcp || config.BOSUN_DATABASE_URL || existsSync(blobsPath) ? openBlobs() : undefined),
    },
  });
  const dataConverter = opts.dataConverter ?? dataConverterFromConfig(config);
  const bundle =
    opts.workflowBundle ?? (config.BOSUN_WORKFLOW_BUNDLE ? { codePath: config.BOSUN_WORKFLOW_BUNDLE } : undefined);
  const code = bundle
    ? { workflowBundle: bundle }
    : opts.catalogModule !== undefined
      ? {
          workflowsPath: await writeBundleEntry(opts.catalogModule),
          bundlerOptions: bosunBundlerOptions,
        }
      : { workflowsPath, bundlerOptions: bosunBundlerOptions };
  // A run on a namespace without Bosun's search attributes hangs on its first upsert: refuse
  // to start instead, naming what is missing and the command that adds it.
  await requireSearchAttributes(opts.connection, {
    namespace: config.TEMPORAL_NAMESPACE,
    address: config.TEMPORAL_ADDRESS,
  });
  const buildId = bundle ? await shortBuildId(bundle) : undefined;
  const worker = await Worker.create({
    connection: opts.connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.BOSUN_TASK_QUEUE,
    activities,
    ...(buildId ? { buildId } : {}),
    ...(dataConverter ? { dataConverter } : {}),
    ...code,
    ...(opts.tracing ?? tracingInterceptors({})).workerOptions({ prebuiltBundle: Boolean(bundle) }),
  });
  if (mcp) closeWithWorker(worker, mcp.pool);
  sweepWhileRunning(worker, config.BOSUN_TASK_QUEUE, config.BOSUN_RETENTION_SWEEP_HOURS);
  return worker;
}

/**
 * The worker's build id for a prebuilt bundle: `bosun-` and 16 hex digits of the bundle's
 * SHA-256. Temporal writes the build id into every workflow task's started and completed
 * events; the SDK's default (its package name and version and a 64-digit checksum) costs
 * about 90 bytes more in each, 180 per workflow task, in every run's history. Still unique
 * to the code, so reset-by-build-id and `binaryChecksum` keep working. (A worker that
 * bundles its own code keeps the SDK's default.)
 */
async function shortBuildId(bundle: { code: string } | { codePath: string }): Promise<string> {
  const code = 'code' in bundle ? bundle.code : await readFile(bundle.codePath, 'utf8');
  return `bosun-${createHash('sha256').update(code).digest('hex').slice(0, 16)}`;
}

/**
 * Connects the MCP servers in the background (each logs whether it is reachable; one that is
 * down does not hold the worker back) and closes them — ending stdio server processes — when
 * the worker stops, however it is run (`run`, `runUntil`, which calls `run`).
 */
function closeWithWorker(worker: Worker, pool: McpPool): void {
  const run = worker.run.bind(worker);
  worker.run = async () => {
    void pool.warm();
    try {
      return await run();
    } finally {
      await pool.close();
    }
  };
}

/**
 * The worker's connection to Temporal, as `config` says (address, TLS, API key). The first
 * native connection creates the process's Temporal Runtime: when the program has not
 * installed one (`installRuntime`), this installs the quiet default first, so an embedded
 * worker prints warnings and errors only, one line each (`BOSUN_LOG_LEVEL` for more).
 */
export async function connectWorker(config: WorkerConfig): Promise<NativeConnection> {
  ensureRuntime();
  return NativeConnection.connect({
    address: config.TEMPORAL_ADDRESS,
    ...(config.TEMPORAL_TLS || config.TEMPORAL_API_KEY ? { tls: true } : {}),
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}),
  });
}

const openStores = new Map<string, unknown>();
/** One connection per store file (and encryption key set: `variant`) per process: workers
 * created in one process (tests, the dev command) share it; other processes share the file,
 * with SQLite's locking. */
function shared<T>(path: string, open: (path: string) => T, variant = ''): T {
  const file = resolve(path);
  const key = `${file}#${variant}`;
  if (!openStores.has(key)) openStores.set(key, open(file));
  return openStores.get(key) as T;
}

/** Where prompt templates are looked for when none are configured: nowhere (a run naming
 * a template fails typed, naming the template). */
const noPromptsDir = resolve('.bosun', 'no-prompts');
