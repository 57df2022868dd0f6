/**
 * A periodic line with the process's memory (`BOSUN_LOG_MEMORY_MS`), so a soak can tell a
 * JavaScript heap that keeps growing (a leak in our code or a library) from resident memory
 * that grows outside it (native buffers, SQLite, the Temporal core), without a debugger or
 * heap snapshots. Workflows run in a worker thread of their own (the SDK's workflow thread
 * pool), whose V8 heap `process.memoryUsage()` does not include: its heap is read from the
 * diagnostic report (`workflowHeapUsed`, `workflowHeapTotal`, summed over worker threads).
 *
 * @example
 * startMemoryLog(10_000, announce);
 * // bosun worker: memory rss=712.4 heapUsed=61.2 heapTotal=80.1 external=9.3 arrayBuffers=2.1 workflowHeapUsed=…
 */
export function startMemoryLog(
  intervalMs: number,
  log: (message: string, meta: Record<string, unknown>) => void,
): () => void {
  const timer = setInterval(() => log('bosun worker: memory', memorySnapshot()), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

type Report = { workers?: { javascriptHeap?: { totalMemory?: number; usedMemory?: number } }[] };

/** The process's memory in MiB: its own heap and buffers, and its worker threads' heaps. */
export function memorySnapshot(): Record<string, number> {
  const m = process.memoryUsage();
  // The report is only read for its numbers (it also lists environment variables and
  // sockets): nothing of it is logged, and it leaves the environment and network names out.
  const report = process.report as NodeJS.ProcessReport & { excludeNetwork?: boolean };
  report.excludeEnv = true;
  report.excludeNetwork = true;
  const workers = (report.getReport() as Report).workers ?? [];
  const sum = (k: 'usedMemory' | 'totalMemory') => workers.reduce((s, w) => s + (w.javascriptHeap?.[k] ?? 0), 0);
  return {
    rss: mib(m.rss),
    heapUsed: mib(m.heapUsed),
    heapTotal: mib(m.heapTotal),
    external: mib(m.external),
    arrayBuffers: mib(m.arrayBuffers),
    workflowHeapUsed: mib(sum('usedMemory')),
    workflowHeapTotal: mib(sum('totalMemory')),
  };
}
