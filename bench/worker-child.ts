/**
 * Bosun's worker and the floor's for the bench, each in a child process of its own
 * (bench/child-protocol.ts), as the peer's is: all three are measured the same way —
 * latency through the bench's client, RSS of the worker process alone.
 *
 *   bosun  `createBosunWorker` with the bench catalog (bench/bench-catalog.ts) and its
 *          handlers, from a bundle the parent built once;
 *   floor  bench/floor-workflow.ts with no-op activities; its model activity records when
 *          each call began, per workflow id, for the step intervals.
 */
import { Context } from '@temporalio/activity';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { workerConfigSchema } from '../worker/config.ts';
import { createBosunWorker } from '../worker/create-worker.ts';
import benchCatalog from './bench-catalog.ts';
import { benchCatalogModule, benchHandlers } from './bench-handlers.ts';
import { childConfig, failChild, serveParent } from './child-protocol.ts';
import type { FloorActivities } from './floor-workflow.ts';
import { calcOutput } from './tool-output.ts';

export interface WorkerChildConfig {
  kind: 'bosun' | 'floor';
  address: string;
  taskQueue: string;
  /** The workflow bundle the parent wrote (Bosun's with the bench catalog, or the floor's). */
  bundlePath: string;
  /** bosun: the fake model's base URL. */
  baseURL?: string;
  /** bosun: its state folder (the SQLite run store) and sync mode, or its PostgreSQL
   * database (the store section, bench/store.ts); the default `.bosun` otherwise. */
  stateDir?: string;
  storeSync?: 'normal' | 'full';
  databaseUrl?: string;
}

try {
  const config = childConfig<WorkerChildConfig>();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: config.address });
  const stamps = new Map<string, number[]>();
  const worker =
    config.kind === 'bosun'
      ? await createBosunWorker({
          connection,
          config: workerConfigSchema.parse({
            TEMPORAL_ADDRESS: config.address,
            BOSUN_TASK_QUEUE: config.taskQueue,
            OPENAI_BASE_URL: config.baseURL,
            OPENAI_API_KEY: 'bench-key',
            BOSUN_STATE_DIR: config.stateDir,
            BOSUN_STORE_SYNC: config.storeSync,
            BOSUN_DATABASE_URL: config.databaseUrl,
          }),
          catalog: benchCatalog,
          catalogModule: benchCatalogModule,
          handlers: benchHandlers,
          workflowBundle: { codePath: config.bundlePath },
        })
      : await Worker.create({
          connection,
          taskQueue: config.taskQueue,
          workflowBundle: { codePath: config.bundlePath },
          // As short as the Bosun worker's (worker/create-worker.ts): history is compared.
          buildId: 'floor-0123456789abcdef',
          activities: {
            floorModel: async (input) => {
              const id = Context.current().info.workflowExecution?.workflowId ?? '';
              stamps.set(id, [...(stamps.get(id) ?? []), Date.now()]);
              return input;
            },
            floorTool: async ({ step, bytes }) => calcOutput(`${step}+1`, bytes),
          } satisfies FloorActivities,
        });
  await serveParent(worker, (workflowId) => {
    const s = stamps.get(workflowId) ?? [];
    stamps.delete(workflowId);
    return s;
  });
  await connection.close();
} catch (err) {
  failChild(err);
}
