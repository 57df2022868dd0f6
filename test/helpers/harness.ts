import { Connection, Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, inject } from 'vitest';
import { createBosunClient, type BosunClient } from '../../client/client.ts';
import type { ProviderDescriptor } from '../../activities/model/provider-descriptor.ts';
import { builtInProviderIds } from '../../core/providers/index.ts';
import type { AgentDefinitionInput } from '../../core/run.ts';
import type { ModelRef } from '../../core/model.ts';
import { workerConfigSchema, type WorkerConfig } from '../../worker/config.ts';
import { createBosunWorker } from '../../worker/create-worker.ts';
import { demoApp } from '../../examples/demo/app.ts';
import demoCatalog from '../../examples/demo/catalog.ts';
import { dataConverterFromConfig } from '../../worker/codec/data-converter.ts';
import { startFakeAnthropic, startFakeOpenAI, type FakeProviderServer } from '../kit/index.ts';

let counter = 0;
/** A task queue (and id prefix) no other test uses. */
export const uniqueName = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${++counter}`;

export interface Harness {
  address: string;
  workflowBundlePath: string;
  connection: Connection;
  nativeConnection: NativeConnection;
  temporal: Client;
  close(): Promise<void>;
}

/** Connections to the shared dev server; create once per test file. With a
 * `dataConverter` (e.g. `dataConverterFromConfig` of a config with codec keys), `temporal`
 * encodes and decodes payloads with it. */
export async function connectHarness(opts: { dataConverter?: DataConverter } = {}): Promise<Harness> {
  quietRuntime();
  const address = inject('temporalAddress');
  const workflowBundlePath = inject('workflowBundlePath');
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  return {
    address,
    workflowBundlePath,
    connection,
    nativeConnection,
    temporal: new Client({ connection, ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}) }),
    close: async () => {
      await connection.close();
      await nativeConnection.close();
    },
  };
}

export interface FakeProviders {
  openai: FakeProviderServer;
  anthropic: FakeProviderServer;
}

/** Runs `fn` with a fresh fake OpenAI and a fresh fake Anthropic server, and closes both after
 * (a test that needs only one takes that one and ignores the other). */
export async function withFakeProviders<T>(fn: (fakes: FakeProviders) => Promise<T>): Promise<T> {
  const openai = await startFakeOpenAI();
  let anthropic: FakeProviderServer | undefined;
  try {
    anthropic = await startFakeAnthropic();
    return await fn({ openai, anthropic });
  } finally {
    await Promise.all([openai.close(), anthropic?.close()]);
  }
}

/** The shared connections for a test file: connected before its tests, closed after.
 *
 * @example const h = useHarness(); // then h.temporal, h.address, ... inside tests */
export function useHarness(opts?: Parameters<typeof connectHarness>[0]): Harness {
  const harness = {} as Harness;
  beforeAll(async () => {
    Object.assign(harness, await connectHarness(opts));
  });
  afterAll(async () => {
    await harness.close?.();
  });
  return harness;
}

/** Worker config pointing at fake providers, on a fresh task queue; `env` adds variables
 * (e.g. `BOSUN_CODEC_KEYS` and `BOSUN_CODEC_ACTIVE_KEY` for an encrypting worker). */
export function fakeConfig(
  fakes: { openai?: FakeProviderServer; anthropic?: FakeProviderServer },
  taskQueue = uniqueName('tq'),
  env: Record<string, string> = {},
): WorkerConfig {
  return workerConfigSchema.parse({
    ...env,
    BOSUN_TASK_QUEUE: taskQueue,
    ...(fakes.openai ? { OPENAI_BASE_URL: fakes.openai.baseURL, OPENAI_API_KEY: 'sk-test-openai-key' } : {}),
    ...(fakes.anthropic ? { ANTHROPIC_BASE_URL: fakes.anthropic.baseURL, ANTHROPIC_API_KEY: 'sk-ant-test-key' } : {}),
  });
}

/**
 * Runs `fn` while a Bosun worker serves `config`'s task queue. When `config` has codec keys
 * (BOSUN_CODEC_KEYS), the worker encrypts payloads and `bosun` (and `temporal`) use a client
 * with the same codec; otherwise both are `h.temporal`'s. With `opts.providers` the worker
 * serves that list, and `bosun` accepts the ids of the ones that are not built in.
 */
export async function withWorker<T>(
  h: Harness,
  config: WorkerConfig,
  fn: (ctx: { bosun: BosunClient; worker: Worker; taskQueue: string; temporal: Client }) => Promise<T>,
  opts: { providers?: readonly ProviderDescriptor[] } = {},
): Promise<T> {
  const worker = await createBosunWorker({
    connection: h.nativeConnection,
    config,
    workflowBundle: { codePath: h.workflowBundlePath },
    ...demoApp(),
    ...(opts.providers ? { providers: opts.providers } : {}),
  });
  const dataConverter = dataConverterFromConfig(config);
  const temporal = dataConverter ? new Client({ connection: h.connection, dataConverter }) : h.temporal;
  const extraProviders = (opts.providers ?? [])
    .map((p) => p.id)
    .filter((id) => !(builtInProviderIds as readonly string[]).includes(id));
  const bosun = createBosunClient({
    client: temporal,
    taskQueue: config.BOSUN_TASK_QUEUE,
    extraProviders,
    catalog: demoCatalog,
  });
  return worker.runUntil(fn({ bosun, worker, taskQueue: config.BOSUN_TASK_QUEUE, temporal }));
}

/** A test agent with short timeouts so failures show within seconds. */
export function testAgent(model: ModelRef, overrides: Partial<AgentDefinitionInput> = {}): AgentDefinitionInput {
  return {
    name: 'test-agent',
    instructions: 'You are a test agent. Use tools when asked.',
    model,
    tools: ['search_docs', 'read_doc', 'calculator'],
    maxSteps: 6,
    maxOutputTokens: 256,
    timeouts: { modelCallMs: 10_000, heartbeatMs: 2_000, toolCallMs: 5_000 },
    ...overrides,
  };
}

export const openaiModel: ModelRef = { provider: 'openai', name: 'gpt-4.1-mini' };
export const anthropicModel: ModelRef = { provider: 'anthropic', name: 'claude-haiku-4-5' };

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Activity types scheduled in a run's history, in order. */
export async function scheduledActivities(temporalClient: Client, runId: string): Promise<string[]> {
  const history = await temporalClient.workflow.getHandle(runId).fetchHistory();
  return (history.events ?? [])
    .map((e: HistoryEvent) => e.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter((n): n is string => typeof n === 'string');
}

/** What `activitiesRun` lists for a tool call that ran inside the model call before it (an
 * early result, docs/tools-and-approvals.md). */
export const EARLY_TOOL = 'executeTool (early)';

/**
 * Every activity a run executed, in order: the ones scheduled on the task queue, the local
 * ones (tools marked `local`, the prompt pin), which history records as markers, and the
 * tool calls that ran inside a `callModel` (`EARLY_TOOL`, one per early result, after it;
 * read from the call's result, so not for a run whose payloads are encrypted).
 */
export async function activitiesRun(temporalClient: Client, runId: string): Promise<string[]> {
  const history = await temporalClient.workflow.getHandle(runId).fetchHistory();
  const types = new Map<string, string>();
  return (history.events ?? []).flatMap((e: HistoryEvent) => {
    const scheduled = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (scheduled) {
      types.set(String(e.eventId), scheduled);
      return [scheduled];
    }
    const completed = e.activityTaskCompletedEventAttributes;
    if (completed) {
      if (types.get(String(completed.scheduledEventId)) !== 'callModel') return [];
      const payload = completed.result?.payloads?.[0];
      const encoding = payload?.metadata?.encoding && Buffer.from(payload.metadata.encoding).toString();
      if (encoding !== 'json/plain' || !payload?.data) return [];
      const early = (JSON.parse(Buffer.from(payload.data).toString()) as { earlyResults?: unknown[] }).earlyResults;
      return (early ?? []).map(() => EARLY_TOOL);
    }
    const data = e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
    if (e.markerRecordedEventAttributes?.markerName !== 'core_local_activity' || !data) return [];
    return [(JSON.parse(Buffer.from(data).toString()) as { activity_type: string }).activity_type];
  });
}

let runtimeInstalled = false;
/** Every runtime log line of this test process (workflow, activity, worker), for tests that
 * prove secrets never reach a log. */
export const capturedLogs: string[] = [];
const printLevels = new Set(
  process.env.BOSUN_TEST_LOG_LEVEL === 'debug' ? ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] : ['ERROR'],
);

/** Worker lifecycle INFO lines drown test output: capture everything, print warnings and errors. */
export function quietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger('DEBUG', (entry) => {
      // Formatted as production formats it (worker/telemetry/log-format.ts): errors by class
      // and failure type only.
      const line = `${entry.level} ${entry.message} ${JSON.stringify(entry.meta ?? {}, (_k, v) => (v instanceof Error ? { name: v.name, type: (v as { type?: unknown }).type } : v))}`;
      capturedLogs.push(line);
      if (printLevels.has(entry.level)) console.log(line);
    }),
  });
}

/**
 * With `BOSUN_RECORD_HISTORIES=1`, saves a finished run's history under
 * `test/replay/histories/` for the replay tests. Run it when a workflow change is meant to
 * be compatible, and keep the old files: they are the histories production already has.
 */
export async function maybeRecordHistory(
  temporalClient: Client,
  runId: string,
  name: string,
  workflowRunId?: string,
): Promise<void> {
  if (!process.env.BOSUN_RECORD_HISTORIES) return;
  const history = await temporalClient.workflow.getHandle(runId, workflowRunId).fetchHistory();
  const path = fileURLToPath(new URL(`../replay/histories/${name}.json`, import.meta.url));
  await writeFile(path, JSON.stringify(JSON.parse(historyToJSON(history)), null, 1) + '\n');
}
