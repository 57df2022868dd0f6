import { fileURLToPath } from 'node:url';
import type { Harness } from './harness.ts';
import { spawnWatched, type WatchedProcess } from './watched-process.ts';

const workerMain = fileURLToPath(new URL('../../worker/worker-main.ts', import.meta.url));
/** The demo's tools and agent, served the way a user's app is (`BOSUN_APP`). */
const demoAppModule = fileURLToPath(new URL('../../examples/demo/app.ts', import.meta.url));

export type WorkerProcess = Pick<WatchedProcess, 'child' | 'output' | 'waitFor' | 'kill'>;

/**
 * A real worker (`worker/worker-main.ts`) in its own process, connected to the test dev
 * server of `h` and configured by `env` (e.g. `BOSUN_TASK_QUEUE`, provider base URLs): for
 * tests that SIGKILL it like a crashed machine, or need a Runtime of its own. Resolves once
 * it logs `bosun worker: ready`.
 */
export async function startWorkerProcess(
  h: Pick<Harness, 'address' | 'workflowBundlePath'>,
  env: Record<string, string>,
): Promise<WorkerProcess> {
  const worker = spawnWatched('worker', process.execPath, [workerMain], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: h.address,
      BOSUN_WORKFLOW_BUNDLE: h.workflowBundlePath,
      BOSUN_APP: demoAppModule,
      ...env,
    },
  });
  try {
    await worker.waitFor('bosun worker: ready');
  } catch (err) {
    await worker.kill();
    throw err;
  }
  return worker;
}
