/** The soak's verdict from its samples: RSS growth after warm-up, open handles, runs. */
import type { ProcSample } from './proc-sample.ts';

export interface Sample extends ProcSample {
  /** Seconds since the load started. */
  t: number;
  /** Runs finished so far. */
  runs: number;
  heapUsedMiB?: number;
  /** The workflow thread's V8 heap in use. */
  workflowHeapUsedMiB?: number;
}

export interface SoakVerdict {
  minutes: number;
  runs: number;
  answered: number;
  notAnswered: number;
  runsPerMinute: number;
  warmupSeconds: number;
  /** Highest RSS during the warm-up: the baseline. */
  baselineRssMiB: number;
  /** Highest RSS after the warm-up. */
  peakRssMiB: number;
  finalRssMiB: number;
  /** peak / baseline − 1, in percent. */
  rssGrowthPct: number;
  baselineFds: number;
  peakFds: number;
  finalFds: number;
  heapUsedAtBaselineMiB?: number;
  finalHeapUsedMiB?: number;
  workflowHeapAtBaselineMiB?: number;
  finalWorkflowHeapMiB?: number;
  maxGrowthPct: number;
  ok: boolean;
}

export function judgeSoak(opts: {
  samples: Sample[];
  minutes: number;
  answered: number;
  notAnswered: number;
  warmupFraction: number;
  maxGrowthPct: number;
}): SoakVerdict {
  const { samples } = opts;
  const total = opts.minutes * 60;
  const warmupSeconds = Math.round(total * opts.warmupFraction);
  const warm = samples.filter((s) => s.t <= warmupSeconds);
  const after = samples.filter((s) => s.t > warmupSeconds);
  if (warm.length === 0 || after.length === 0) throw new Error('too few samples: run longer or sample more often');
  const peakOf = (xs: Sample[], k: 'rssMiB' | 'fds') => Math.max(...xs.map((s) => s[k]));
  const baseline = warm.reduce((a, b) => (b.rssMiB > a.rssMiB ? b : a));
  const final = samples.at(-1)!;
  const baselineRssMiB = baseline.rssMiB;
  const peakRssMiB = peakOf(after, 'rssMiB');
  const rssGrowthPct = Math.round((peakRssMiB / baselineRssMiB - 1) * 1000) / 10;
  const runs = opts.answered + opts.notAnswered;
  return {
    minutes: opts.minutes,
    runs,
    answered: opts.answered,
    notAnswered: opts.notAnswered,
    runsPerMinute: Math.round((runs / (final.t / 60)) * 10) / 10,
    warmupSeconds,
    baselineRssMiB,
    peakRssMiB,
    finalRssMiB: final.rssMiB,
    rssGrowthPct,
    baselineFds: peakOf(warm, 'fds'),
    peakFds: peakOf(after, 'fds'),
    finalFds: final.fds,
    ...(baseline.heapUsedMiB !== undefined ? { heapUsedAtBaselineMiB: baseline.heapUsedMiB } : {}),
    ...(final.heapUsedMiB !== undefined ? { finalHeapUsedMiB: final.heapUsedMiB } : {}),
    ...(baseline.workflowHeapUsedMiB !== undefined ? { workflowHeapAtBaselineMiB: baseline.workflowHeapUsedMiB } : {}),
    ...(final.workflowHeapUsedMiB !== undefined ? { finalWorkflowHeapMiB: final.workflowHeapUsedMiB } : {}),
    maxGrowthPct: opts.maxGrowthPct,
    ok: rssGrowthPct <= opts.maxGrowthPct && opts.notAnswered === 0,
  };
}

/** The samples as a table, then the verdict's figures. */
export function formatSoak(samples: Sample[], v: SoakVerdict): string {
  const header = ['t (s)', 'runs', 'rss MiB', 'anon MiB', 'heap MiB', 'wf heap MiB', 'fds'];
  const rows = samples.map((s) => [
    String(s.t),
    String(s.runs),
    s.rssMiB.toFixed(1),
    s.anonMiB.toFixed(1),
    s.heapUsedMiB === undefined ? '-' : s.heapUsedMiB.toFixed(1),
    s.workflowHeapUsedMiB === undefined ? '-' : s.workflowHeapUsedMiB.toFixed(1),
    String(s.fds),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
    '',
    `runs ${v.runs} (${v.answered} answered, ${v.notAnswered} not) in ${v.minutes} min, ${v.runsPerMinute}/min`,
    `RSS: baseline ${v.baselineRssMiB} MiB (max of the first ${v.warmupSeconds} s), peak after ${v.peakRssMiB} MiB, ` +
      `final ${v.finalRssMiB} MiB → growth ${v.rssGrowthPct}% (limit ${v.maxGrowthPct}%)`,
    `open fds: baseline ${v.baselineFds}, peak after ${v.peakFds}, final ${v.finalFds}`,
    ...(v.heapUsedAtBaselineMiB !== undefined
      ? [
          `JS heap used: ${v.heapUsedAtBaselineMiB} MiB at baseline, ${v.finalHeapUsedMiB} MiB at the end; ` +
            `workflow thread ${v.workflowHeapAtBaselineMiB ?? '-'} → ${v.finalWorkflowHeapMiB ?? '-'} MiB`,
        ]
      : []),
    v.ok ? 'soak: ok' : 'soak: FAIL',
  ].join('\n');
}
