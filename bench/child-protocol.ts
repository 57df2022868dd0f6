/**
 * How the bench talks to a worker it runs in a child process (Bosun's, the floor's and the
 * peer's alike, so their latency, throughput and RSS are measured the same way). Node
 * built-ins only: the peer's worker, a package of its own, imports this file too.
 *
 * The parent forks the worker program with an IPC channel and its settings as JSON in
 * `BENCH_CHILD_CONFIG`; the child starts its worker and says `ready`, then answers:
 *   { type: 'rss', id }              → { type: 'rss', id, rss, heapUsed }  (bytes)
 *   { type: 'stamps', id, workflowId } → { type: 'stamps', id, stamps }  (floor: model-activity times)
 *   { type: 'stop' }                 → shuts the worker down and exits.
 * A child whose parent goes away stops too.
 */

export type ParentMessage =
  { type: 'rss'; id: number } | { type: 'stamps'; id: number; workflowId: string } | { type: 'stop' };

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'rss'; id: number; rss: number; heapUsed: number }
  | { type: 'stamps'; id: number; stamps: number[] };

/** The settings the parent passed. */
export function childConfig<T>(): T {
  const raw = process.env.BENCH_CHILD_CONFIG;
  if (!raw) throw new Error('BENCH_CHILD_CONFIG is not set: this program is started by the bench (npm run bench)');
  return JSON.parse(raw) as T;
}

/** Runs `worker` until the parent says stop (or goes away), answering its questions. */
export async function serveParent(
  worker: { run(): Promise<void>; shutdown(): void },
  stampsOf: (workflowId: string) => number[] = () => [],
): Promise<void> {
  const send = (m: ChildMessage) => process.send?.(m);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    worker.shutdown();
  };
  process.on('message', (m: ParentMessage) => {
    if (m.type === 'rss') {
      const { rss, heapUsed } = process.memoryUsage();
      send({ type: 'rss', id: m.id, rss, heapUsed });
    } else if (m.type === 'stamps') send({ type: 'stamps', id: m.id, stamps: stampsOf(m.workflowId) });
    else if (m.type === 'stop') stop();
  });
  process.on('disconnect', stop);
  const running = worker.run();
  send({ type: 'ready' });
  await running;
  process.disconnect?.();
}

/** Reports a start-up failure to the parent (and stderr), then exits non-zero. */
export function failChild(err: unknown): never {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.send?.({ type: 'failed', message } satisfies ChildMessage);
  console.error(`[bench child ${process.pid}] ${message}`);
  process.exit(1);
}
