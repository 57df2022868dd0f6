/**
 * The parent's side of bench/child-protocol.ts: starts a worker program in a child process
 * with this process's Node (`process.execPath`: the project's pinned one) and asks it for its
 * RSS and the floor's step stamps.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { ChildMessage, ParentMessage } from './child-protocol.ts';

export interface ChildWorker {
  readonly pid: number;
  /** The child's resident set size and V8 heap in use, in bytes, now. */
  memory(): Promise<{ rss: number; heapUsed: number }>;
  /** The floor's model-activity start times for one workflow (and forgets them). */
  stamps(workflowId: string): Promise<number[]>;
  stop(): Promise<void>;
}

/** Forks `modulePath` from `cwd` (where its packages resolve) and waits until its worker runs. */
export async function startChildWorker(opts: {
  name: string;
  modulePath: string;
  cwd: string;
  config: object;
  readyTimeoutMs?: number;
}): Promise<ChildWorker> {
  const child: ChildProcess = fork(opts.modulePath, [], {
    cwd: opts.cwd,
    execPath: process.execPath,
    env: { ...process.env, BENCH_CHILD_CONFIG: JSON.stringify(opts.config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const pending = new Map<number, (m: ChildMessage) => void>();
  let nextId = 1;
  child.on('message', (m: ChildMessage) => {
    if ('id' in m) {
      pending.get(m.id)?.(m);
      pending.delete(m.id);
    }
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${opts.name} worker: not ready after ${opts.readyTimeoutMs ?? 180_000} ms`)),
      opts.readyTimeoutMs ?? 180_000,
    );
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'ready') resolve();
      if (m.type === 'failed') reject(new Error(`${opts.name} worker failed to start: ${m.message}`));
    });
    void exited.then((code) => reject(new Error(`${opts.name} worker exited (${code}) before it was ready`)));
    const clear = () => clearTimeout(timer);
    child.once('message', clear);
    void exited.then(clear);
  });
  const ask = (m: Omit<Extract<ParentMessage, { id: number }>, 'id'>): Promise<ChildMessage> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, resolve);
      child.send({ ...m, id } as ParentMessage, (err) => err && reject(err));
    });
  return {
    pid: child.pid!,
    async memory() {
      const m = await ask({ type: 'rss' });
      if (m.type !== 'rss') throw new Error(`${opts.name} worker: unexpected answer ${m.type}`);
      return { rss: m.rss, heapUsed: m.heapUsed };
    },
    async stamps(workflowId) {
      const m = await ask({ type: 'stamps', workflowId } as Omit<Extract<ParentMessage, { type: 'stamps' }>, 'id'>);
      if (m.type !== 'stamps') throw new Error(`${opts.name} worker: unexpected answer ${m.type}`);
      return m.stamps;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ type: 'stop' } satisfies ParentMessage);
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
