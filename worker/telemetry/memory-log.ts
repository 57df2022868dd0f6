/**
 * A periodic line with the process's memory (`BOSUN_LOG_MEMORY_MS`), so a soak can tell a
 * JavaScript heap that keeps growing (a leak in our code or a library) from resident memory
 * that grows outside it (native buffers, SQLite, the Temporal core), without a debugger or
 * heap snapshots.
 *
 * @example
 * startMemoryLog(10_000, announce);
 * // bosun worker: memory rss=212.4 heapUsed=61.2 heapTotal=80.1 external=9.3 arrayBuffers=2.1
 */
export function startMemoryLog(
  intervalMs: number,
  log: (message: string, meta: Record<string, unknown>) => void,
): () => void {
  const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    log('bosun worker: memory', {
      rss: mib(m.rss),
      heapUsed: mib(m.heapUsed),
      heapTotal: mib(m.heapTotal),
      external: mib(m.external),
      arrayBuffers: mib(m.arrayBuffers),
    });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
