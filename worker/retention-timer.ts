/**
 * Starts the retention sweep (`retentionSweep` workflow) every `BOSUN_RETENTION_SWEEP_HOURS`
 * from each worker, under one workflow id per task queue: Temporal refuses a second open
 * workflow with the same id, so however many workers (on however many hosts) try, one
 * sweeps at a time — Temporal is the lock, nothing else is needed. A worker that finds the
 * last sweep ended less than an interval ago starts none, so N workers do not sweep N
 * times an interval. The first attempt comes at a random point of the first interval,
 * spreading workers that start together.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { workflowNames } from '../workflows/definitions.ts';

/** The sweep's workflow id on `taskQueue`: the lock. */
export const retentionSweepId = (taskQueue: string) => `bosun-retention-sweep-${taskQueue}`;

/** Starts a sweep unless one is running or one ended within `intervalMs`; says which. */
export async function startRetentionSweep(
  client: Client,
  taskQueue: string,
  intervalMs: number,
): Promise<'started' | 'running' | 'recent'> {
  const workflowId = retentionSweepId(taskQueue);
  try {
    const last = await client.workflow.getHandle(workflowId).describe();
    if (last.status.name === 'RUNNING') return 'running';
    if (last.closeTime && Date.now() - last.closeTime.getTime() < intervalMs) return 'recent';
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  try {
    await client.workflow.start(workflowNames.retentionSweep, { workflowId, taskQueue, args: [{}] });
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'running';
    throw err;
  }
}

/** Runs sweeps every `hours` while `worker` runs (none for 0); the timer never keeps the
 * process alive and stops with the worker. */
export function sweepWhileRunning(worker: Worker, taskQueue: string, hours: number): void {
  if (hours <= 0) return;
  const intervalMs = hours * 3_600_000;
  const run = worker.run.bind(worker);
  worker.run = async () => {
    let timer: NodeJS.Timeout | undefined;
    const tick = (delay: number) => {
      timer = setTimeout(() => {
        const client = worker.client;
        if (client)
          startRetentionSweep(client, taskQueue, intervalMs).catch((err: unknown) =>
            console.warn(`retention sweep not started: ${(err as Error)?.message}`),
          );
        tick(intervalMs);
      }, delay);
      timer.unref();
    };
    tick(Math.random() * intervalMs);
    try {
      return await run();
    } finally {
      clearTimeout(timer);
    }
  };
}
