import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Harness } from './harness.ts';

const workerMain = fileURLToPath(new URL('../../worker/worker-main.ts', import.meta.url));
/** The demo's tools and agent, served the way a user's app is (`BOSUN_APP`). */
const demoAppModule = fileURLToPath(new URL('../../examples/demo/app.ts', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything the worker has written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the first match of `pattern` in the worker's output so far or to come;
   * rejects if the worker exits first or `timeoutMs` passes. */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends `signal` (unless the worker has already exited) and resolves when it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

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
  const child = spawn(process.execPath, [workerMain], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: h.address,
      BOSUN_WORKFLOW_BUNDLE: h.workflowBundlePath,
      BOSUN_APP: demoAppModule,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    output += d.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;

  const waitFor = (pattern: RegExp | string, timeoutMs = 30_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const re = typeof pattern === 'string' ? new RegExp(escapeRegExp(pattern)) : pattern;
      const check = () => {
        const m = output.match(re);
        if (!m) return;
        done();
        resolve(m);
      };
      const fail = (why: string) => {
        done();
        reject(new Error(`${why}:\n${output}`));
      };
      const timer = setTimeout(() => fail(`worker output never matched ${re}`), timeoutMs);
      const onExit = () => fail(`worker exited (${child.exitCode ?? child.signalCode}) before ${re}`);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
        child.off('exit', onExit);
      };
      listeners.add(check);
      child.once('exit', onExit);
      check();
      if (listeners.has(check) && hasExited()) onExit();
    });

  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (!hasExited()) child.kill(signal);
    await exited;
  };

  try {
    await waitFor('bosun worker: ready');
  } catch (err) {
    await kill();
    throw err;
  }
  return { child, output: () => output, waitFor, kill };
}
