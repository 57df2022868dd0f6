/**
 * What the soak reads of a process from /proc (Linux): resident memory and open file
 * descriptors (sockets, files, pipes — a handle leak shows here first).
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcSample {
  /** VmRSS, MiB. */
  rssMiB: number;
  /** RssAnon, MiB: the process's own allocations (JS heaps, malloc), not mapped files. */
  anonMiB: number;
  /** Entries of /proc/<pid>/fd. */
  fds: number;
}

export function sampleProcess(pid: number): ProcSample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mib = (field: string) => {
    const kb = Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1]);
    if (!Number.isFinite(kb)) throw new Error(`no ${field} in /proc/${pid}/status`);
    return Math.round((kb / 1024) * 10) / 10;
  };
  return { rssMiB: mib('VmRSS'), anonMiB: mib('RssAnon'), fds: readdirSync(`/proc/${pid}/fd`).length };
}

/** The heap figures of the worker's last `bosun worker: memory` line (BOSUN_LOG_MEMORY_MS). */
export function lastMemoryLine(
  output: string,
): { heapUsed: number; external: number; workflowHeapUsed: number } | undefined {
  const lines = output.match(/bosun worker: memory .*/g);
  const last = lines?.at(-1);
  if (!last) return undefined;
  const value = (k: string) => Number(new RegExp(`${k}=([\\d.]+)`).exec(last)?.[1]);
  return { heapUsed: value('heapUsed'), external: value('external'), workflowHeapUsed: value('workflowHeapUsed') };
}
