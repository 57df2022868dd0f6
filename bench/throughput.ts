/**
 * Throughput: many short runs at once on one worker. Per variant a fresh worker in a child
 * process (bench/child-worker.ts: the same for Bosun, the peer and the floor), a few
 * sequential warm-up runs, then `runs` runs started together through one client; runs/s is
 * runs / (first start → last result). The worker's RSS is read from inside its process
 * (`process.memoryUsage().rss`) before the batch and right after the last result.
 */
import { loadavg } from 'node:os';
import type { ChildWorker } from './child-worker.ts';
import type { Case, Variant, VariantName } from './variants.ts';

export interface ThroughputResult {
  variant: VariantName;
  runs: number;
  steps: number;
  completed: number;
  failures: string[];
  wallMs: number;
  runsPerSec: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  heapAfterBytes: number;
  load: [number, number];
}

export async function runThroughput(
  start: () => Promise<{ variant: Variant; worker: ChildWorker }>,
  opts: { runs: number; steps: number; warmup: number; log: (line: string) => void },
): Promise<ThroughputResult> {
  const { variant, worker } = await start();
  const c: Case = { steps: opts.steps, size: '20b' };
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  try {
    for (let i = 0; i < opts.warmup; i++) await variant.run(c, `bench-tp-${variant.name}-${tag}-w${i}`);
    const before = await worker.memory();
    const load0 = loadavg()[0]!;
    const t0 = performance.now();
    const settled = await Promise.allSettled(
      Array.from({ length: opts.runs }, (_, i) => variant.run(c, `bench-tp-${variant.name}-${tag}-${i}`)),
    );
    const wallMs = performance.now() - t0;
    const after = await worker.memory();
    const failures = settled.flatMap((s) => (s.status === 'rejected' ? [String(s.reason?.message ?? s.reason)] : []));
    const completed = settled.length - failures.length;
    opts.log(
      `throughput ${variant.name}: ${completed}/${opts.runs} runs in ${Math.round(wallMs)} ms, RSS ${(after.rss / 2 ** 20).toFixed(0)} MB`,
    );
    return {
      variant: variant.name,
      runs: opts.runs,
      steps: opts.steps,
      completed,
      failures: [...new Set(failures)].slice(0, 3),
      wallMs: Math.round(wallMs),
      runsPerSec: completed / (wallMs / 1000),
      rssBeforeBytes: before.rss,
      rssAfterBytes: after.rss,
      heapAfterBytes: after.heapUsed,
      load: [load0, loadavg()[0]!],
    };
  } finally {
    await worker.stop();
  }
}
