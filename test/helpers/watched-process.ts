import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** A child process whose output a test reads as it comes, and stops when done with it. */
export interface WatchedProcess {
  child: ChildProcess;
  /** Everything the process has written to stdout and stderr so far. */
  output(): string;
  /** What it has written to stdout alone so far. */
  stdout(): string;
  /** Resolves with the first match of `pattern` in the output so far or to come; rejects if
   * the process exits first or `timeoutMs` passes. */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (null when a signal ended it) once the process has exited. */
  exited: Promise<number | null>;
  /** Sends `signal` (unless the process has already exited) and resolves when it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Spawns `command` with its stdout and stderr piped and watched; `name` labels its errors. */
export function spawnWatched(
  name: string,
  command: string,
  args: readonly string[],
  opts: Omit<SpawnOptions, 'stdio'> = {},
): WatchedProcess {
  const child = spawn(command, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let stdout = '';
  const listeners = new Set<() => void>();
  const onData = (fromStdout: boolean) => (d: Buffer) => {
    output += d.toString();
    if (fromStdout) stdout += d.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData(true));
  child.stderr!.on('data', onData(false));
  const exited = new Promise<number | null>((r) => {
    child.once('exit', (code) => r(code));
    child.once('error', (err) => {
      output += `\n${name} could not start: ${err.message}`;
      r(null);
    });
  });
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
      const timer = setTimeout(() => fail(`${name} output never matched ${re}`), timeoutMs);
      const onExit = () => fail(`${name} exited (${child.exitCode ?? child.signalCode}) before ${re}`);
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
    if (!hasExited() && child.pid !== undefined) child.kill(signal);
    await exited;
  };

  return { child, output: () => output, stdout: () => stdout, waitFor, exited, kill };
}
