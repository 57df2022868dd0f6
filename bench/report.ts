/**
 * What `npm run bench` prints: a table per section, the ratios issue 13 sets goals for (with
 * the goal and whether it is met), then one JSON line with every figure.
 */
import { historyAtStep } from './history.ts';
import type { LongRun } from './long-run.ts';
import { liveLines, type LiveBench } from './live.ts';
import { storeLines, type StoreBench } from './store.ts';
import type { CaseResult, ColdStart } from './matrix.ts';
import { formatBytes, formatMs, mean, median, percentile, ratio, round } from './stats.ts';
import type { ThroughputResult } from './throughput.ts';
import { caseLabel, type VariantName } from './variants.ts';

export interface Report {
  matrix: CaseResult[];
  /** The fresh workers' first runs, before the matrix (`--worker-warmup`). */
  coldStart?: ColdStart[];
  throughput: ThroughputResult[];
  long: LongRun | undefined;
  longLoad: string[];
  live?: LiveBench;
  store?: StoreBench | undefined;
  options: {
    runs: number;
    warmup: number;
    workerWarmup?: number;
    serverConfig: string;
    longCanEvents: number;
    longProbeStep: number;
  };
  wallMs: number;
}

/** One variant's figures in one case. */
function figures(r: CaseResult) {
  const h = r.history;
  return {
    msPerStepP50: round(median(r.e2eMsPerStep)),
    intervalMsP50: round(median(r.intervals)),
    intervalMsP95: round(percentile(r.intervals, 0.95)),
    // A failed run's history is shown in `failed*`, not per step.
    historyBytesPerStep: h && !r.failed ? Math.round(h.bytes / r.case.steps) : null,
    historyEventsPerStep: h && !r.failed ? round(h.events / r.case.steps) : null,
    completed: r.completed,
    ...(r.failed
      ? { failed: r.failed, failedAfterModelCalls: h?.modelCalls ?? null, failedHistoryBytes: h?.bytes ?? null }
      : {}),
  };
}

/** How many of a fresh worker's last cold-start runs show where it settled. */
const SETTLED_RUNS = 25;

/** A fresh worker's first run, the p50 of its runs 2–5, of runs 6–25 and of its last 25 runs
 * (where it settled: when there are more than 50, else null), so the warming curve shows. */
function coldFigures(cold: ColdStart[]) {
  return cold
    .filter((c) => c.runMs.length > 0)
    .map((c) => ({
      variant: c.variant,
      firstMs: round(c.runMs[0]!),
      runs2to5MsP50: round(median(c.runMs.slice(1, 5))),
      runs6to25MsP50: round(median(c.runMs.slice(5, 25))),
      lastRunsMsP50: c.runMs.length > 2 * SETTLED_RUNS ? round(median(c.runMs.slice(-SETTLED_RUNS))) : null,
      runMs: c.runMs.map((x) => round(x, 1)),
    }));
}

const pad = (s: string | number, w: number) => String(s).padStart(w);
const num = (n: number | null | undefined, digits = 1) =>
  n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits);

export function printReport(rep: Report): void {
  const { matrix, throughput, long, options } = rep;
  const out = (line = '') => console.log(line);
  const find = (label: string, v: VariantName) => matrix.find((r) => caseLabel(r.case) === label && r.variant === v);
  const fig = (label: string, v: VariantName) => {
    const r = find(label, v);
    return r ? figures(r) : undefined;
  };

  const cold = coldFigures(rep.coldStart ?? []);
  if (cold.length) {
    out('');
    out(
      `Cold start: the first ${rep.coldStart![0]!.runMs.length} one-step runs (1x20b) of every variant's fresh worker, before the cases (ms per run)`,
    );
    out(
      `  ${'variant'.padEnd(12)}${pad('run 1', 9)}${pad('2-5 p50', 9)}${pad('6-25 p50', 10)}${pad(`last ${SETTLED_RUNS} p50`, 13)}`,
    );
    for (const c of cold)
      out(
        `  ${c.variant.padEnd(12)}${pad(num(c.firstMs), 9)}${pad(num(c.runs2to5MsP50), 9)}${pad(num(c.runs6to25MsP50), 10)}${pad(num(c.lastRunsMsP50), 13)}`,
      );
  }

  if (matrix.length) {
    out('');
    out(
      `Agent loop: N steps (model call + calculator-like tool call, output 20 B or 5 KB), then a final answer; zero-latency fake model`,
    );
    out(
      `${options.runs} measured runs per case and variant after ${options.warmup} warm-ups, interleaved in a balanced order${options.workerWarmup ? `, on workers past their cold start` : ''}; dev server dynamic config: ${options.serverConfig}`,
    );
    out(`ms/step = end-to-end (client start → result) / N, p50 over runs; interval = model request → next, p50/p95`);
    out('');
    out(
      `  ${'case'.padEnd(9)}${'variant'.padEnd(12)}${pad('ms/step', 9)}${pad('intv p50', 10)}${pad('p95', 8)}${pad('hist/step', 11)}${pad('ev/step', 9)}${pad('runs', 6)}  load`,
    );
    for (const r of matrix) {
      const f = figures(r);
      out(
        `  ${caseLabel(r.case).padEnd(9)}${r.variant.padEnd(12)}${pad(num(f.msPerStepP50), 9)}${pad(num(f.intervalMsP50), 10)}${pad(num(f.intervalMsP95), 8)}${pad(f.historyBytesPerStep === null ? '-' : formatBytes(f.historyBytesPerStep), 11)}${pad(num(f.historyEventsPerStep, 2), 9)}${pad(`${r.completed}/${options.runs}`, 6)}  ${r.load.map((l) => l.toFixed(2)).join('→')}`,
      );
      if (r.failed)
        out(
          `  ${''.padEnd(21)}failed: ${r.failed}${r.history ? ` (after ${r.history.modelCalls} model calls, history ${formatBytes(r.history.bytes)})` : ''}`,
        );
    }
    out('');
  }

  // Throughput: each round's batch, then the medians the ratios use.
  const tpVariants = [...new Set(throughput.map((t) => t.variant))];
  const tpMedian = (v: VariantName) => {
    const rounds = throughput.filter((t) => t.variant === v);
    return {
      runsPerSec: median(rounds.map((t) => t.runsPerSec)),
      rssAfterBytes: median(rounds.map((t) => t.rssAfterBytes)),
      rounds: rounds.length,
    };
  };
  if (throughput.length) {
    out(
      `Throughput: ${throughput[0]!.runs} concurrent ${throughput[0]!.steps}-step runs (20 B outputs) on one worker (a fresh child process per batch)`,
    );
    out(
      `  ${'variant'.padEnd(12)}${pad('runs', 9)}${pad('wall', 9)}${pad('runs/s', 9)}${pad('RSS before', 12)}${pad('RSS after', 11)}${pad('heap after', 12)}  load`,
    );
    for (const t of throughput) {
      out(
        `  ${t.variant.padEnd(12)}${pad(`${t.completed}/${t.runs}`, 9)}${pad(formatMs(t.wallMs), 9)}${pad(num(t.runsPerSec, 2), 9)}${pad(formatBytes(t.rssBeforeBytes), 12)}${pad(formatBytes(t.rssAfterBytes), 11)}${pad(formatBytes(t.heapAfterBytes), 12)}  ${t.load.map((l) => l.toFixed(2)).join('→')}`,
      );
      for (const f of t.failures) out(`  ${''.padEnd(12)}failure: ${f}`);
    }
    for (const v of tpVariants) {
      const m = tpMedian(v);
      out(
        `  ${`${v} (median of ${m.rounds})`.padEnd(30)}${pad(num(m.runsPerSec, 2), 9)} runs/s, RSS after ${formatBytes(m.rssAfterBytes)}`,
      );
    }
    out('');
  }

  let longFirst = NaN;
  let longLast = NaN;
  if (long) {
    const k = options.longProbeStep;
    const s = long.stepBytes;
    const plain = (from: number, to: number) =>
      s.slice(from - 1, to).filter((_, i) => !long.continuedAfterSteps.includes(from + i));
    const lastFrom = Math.max(1, long.steps - 9);
    longFirst = median(long.stepMs.slice(0, 10));
    longLast = median(long.stepMs.slice(-10));
    out(
      `Long run: ${long.steps} steps (${long.size} tool outputs) + a final answer (${long.modelCalls} model calls, ${long.summarizerCalls} summarizer requests) in ${formatMs(long.wallMs)}, ${long.runs} runs in the continue-as-new chain (continueAsNewAfterEvents ${options.longCanEvents}); load ${rep.longLoad.join(' ')}`,
    );
    out(
      `  runs (events/bytes): ${long.perRun.map((r) => `${r.events}/${r.bytes}`).join(', ')}; ${long.totalEvents} events, ${long.totalBytes} bytes in all`,
    );
    out(
      `  history bytes added by step ${k}: ${s[k - 1]}   by step ${long.steps}: ${s[long.steps - 1]}   (setup before step 1: ${long.setupBytes})`,
    );
    out(
      `  mean of steps 1-${k}: ${mean(plain(1, k)).toFixed(0)}   mean of steps ${lastFrom}-${long.steps}: ${mean(plain(lastFrom, long.steps)).toFixed(0)}   (steps ending in a continue-as-new left out)`,
    );
    out(
      `  step time p50, steps 1-10: ${num(longFirst)} ms   last 10: ${num(longLast)} ms   (×${num(longLast / longFirst, 2)}); mean over all: ${num(mean(long.stepMs))} ms`,
    );
    const boundaries = long.continuedAfterSteps.map((k2) => `step ${k2}: ${s[k2 - 1]} bytes`);
    if (boundaries.length)
      out(`  steps ending in a continue-as-new (with the next run's start): ${boundaries.join(', ')}`);
    out('');
  }

  // The goals' ratios. History ratios at the largest N measured with 20 B (and with both sizes).
  const steps = [...new Set(matrix.map((r) => r.case.steps))].sort((a, b) => a - b);
  const has = (n: number, size: string) => matrix.some((r) => r.case.steps === n && r.case.size === size);
  const n20 = steps.filter((n) => has(n, '20b')).at(-1);
  const nBoth = steps.filter((n) => has(n, '20b') && has(n, '5kb')).at(-1);
  const e2e = (label: string, v: VariantName) => fig(label, v)?.msPerStepP50 ?? undefined;
  const hps = (label: string, v: VariantName) => fig(label, v)?.historyBytesPerStep ?? undefined;
  const perCase = new Map(matrix.map((r) => [caseLabel(r.case), r.case.steps]));
  const overFloor = [...perCase]
    .map(([label, steps]) => ({ label, steps, r: ratio(e2e(label, 'bosun'), e2e(label, 'floor')) }))
    .filter((x) => x.r !== null);
  const worstOf = (xs: typeof overFloor) =>
    xs.reduce<(typeof overFloor)[number] | undefined>((a, x) => (a === undefined || x.r! > a.r! ? x : a), undefined);
  // The issue sets step 1 its own bound (≤ 1.3× the floor) and "every N" ≤ 1.2×: one-step
  // runs (either output size) are judged by the first, the longer runs by the second.
  const worstStep1 = worstOf(overFloor.filter((x) => x.steps === 1));
  const worst = worstOf(overFloor.filter((x) => x.steps > 1));
  const tp = (v: VariantName) => (tpVariants.includes(v) ? tpMedian(v) : undefined);
  const goals = [
    {
      key: 'step1BosunOverPeer',
      what: 'step 1 (1x20b) ms/step, bosun / peer',
      v: ratio(e2e('1x20b', 'bosun'), e2e('1x20b', 'peer')),
      goal: '<= 1.0',
      ok: (x: number) => x <= 1,
    },
    {
      key: 'step1BosunOverFloor',
      what: `step 1 ms/step, bosun / floor${worstStep1 ? ` (${worstStep1.label}, the slowest one-step case)` : ''}`,
      v: worstStep1?.r ?? null,
      goal: '<= 1.3',
      ok: (x: number) => x <= 1.3,
    },
    {
      key: 'step50x5kbBosunOverPeer',
      what: '50x5kb ms/step, bosun / peer',
      v: ratio(e2e('50x5kb', 'bosun'), e2e('50x5kb', 'peer')),
      goal: '<= 0.5',
      ok: (x: number) => x <= 0.5,
    },
    {
      key: 'maxBosunOverFloor',
      what: `max over cases of N > 1 of ms/step bosun / floor${worst ? ` (${worst.label})` : ''}`,
      v: worst?.r ?? null,
      goal: '<= 1.2',
      ok: (x: number) => x <= 1.2,
    },
    {
      key: 'historyPerStep20bBosunOverFloor',
      what: `history bytes/step at ${n20 ?? '?'}x20b, bosun / floor`,
      v: n20 ? ratio(hps(`${n20}x20b`, 'bosun'), hps(`${n20}x20b`, 'floor')) : null,
      goal: '<= 2',
      ok: (x: number) => x <= 2,
    },
    {
      key: 'historyPerStep5kbOver20bBosun',
      what: `bosun history bytes/step at ${nBoth ?? '?'} steps, 5 KB / 20 B outputs`,
      v: nBoth ? ratio(hps(`${nBoth}x5kb`, 'bosun'), hps(`${nBoth}x20b`, 'bosun')) : null,
      goal: '~1 (<= 1.2)',
      ok: (x: number) => x <= 1.2,
    },
    {
      key: 'throughputBosunOverPeer',
      what: 'runs/s at 200 concurrent short runs, bosun / peer',
      v: ratio(tp('bosun')?.runsPerSec, tp('peer')?.runsPerSec),
      goal: '>= 1.2',
      ok: (x: number) => x >= 1.2,
    },
    {
      key: 'rssBosunOverPeer',
      what: 'worker RSS after the batch, bosun / peer',
      v: ratio(tp('bosun')?.rssAfterBytes, tp('peer')?.rssAfterBytes),
      goal: '<= 1.0',
      ok: (x: number) => x <= 1,
    },
    {
      key: 'longRunLastOverFirst',
      what: `long run step time p50, last 10 / first 10`,
      v: ratio(longLast, longFirst),
      goal: '<= 1.2',
      ok: (x: number) => x <= 1.2,
    },
  ];
  if (goals.some((g) => g.v !== null)) {
    out('Issue 13 goals (ratios; - = not measured in this run)');
    for (const g of goals)
      out(
        `  ${g.what.padEnd(64)}${pad(g.v === null ? '-' : g.v.toFixed(2), 7)}  goal ${g.goal.padEnd(12)}${g.v === null ? '' : g.ok(g.v) ? 'met' : 'NOT met'}`,
      );
    out('');
  }

  // The figures the bench printed before the matrix, from the largest 20 B case.
  const ref = n20 ? `${n20}x20b` : undefined;
  const rb = ref ? find(ref, 'bosun') : undefined;
  const legacy =
    ref && rb
      ? {
          steps: n20,
          bosunStepMsP50: round(median(rb.intervals)),
          bosunStepMsP95: round(percentile(rb.intervals, 0.95)),
          floorStepMsP50: fig(ref, 'floor')?.intervalMsP50 ?? null,
          inProcessStepMsP50: fig(ref, 'in-process')?.intervalMsP50 ?? null,
          historyBytesPerStep: figures(rb).historyBytesPerStep,
          historyEventsPerStep: figures(rb).historyEventsPerStep,
          ...(rb.history && n20! >= 10 ? { historyBytesOfStep10: historyAtStep(rb.history, 10).stepBytes } : {}),
          ...(rb.history ? { historyBytesOfLastStep: historyAtStep(rb.history, n20!).stepBytes } : {}),
        }
      : {};
  const summary = {
    ratios: Object.fromEntries(goals.map((g) => [g.key, g.v])),
    ...legacy,
    cases: Object.fromEntries(
      [...perCase.keys()].map((label) => [
        label,
        Object.fromEntries(matrix.filter((r) => caseLabel(r.case) === label).map((r) => [r.variant, figures(r)])),
      ]),
    ),
    ...(cold.length ? { coldStart: Object.fromEntries(cold.map(({ variant, ...f }) => [variant, f])) } : {}),
    ...(throughput.length
      ? {
          throughput: Object.fromEntries(
            tpVariants.map((v) => [
              v,
              {
                runsPerSec: round(tpMedian(v).runsPerSec),
                rssAfterMB: round(tpMedian(v).rssAfterBytes / 2 ** 20, 1),
                rounds: throughput
                  .filter((t) => t.variant === v)
                  .map((t) => ({
                    runs: t.runs,
                    steps: t.steps,
                    completed: t.completed,
                    runsPerSec: round(t.runsPerSec),
                    wallMs: t.wallMs,
                    rssBeforeMB: round(t.rssBeforeBytes / 2 ** 20, 1),
                    rssAfterMB: round(t.rssAfterBytes / 2 ** 20, 1),
                    heapAfterMB: round(t.heapAfterBytes / 2 ** 20, 1),
                    load: t.load.map((l) => round(l)),
                  })),
              },
            ]),
          ),
        }
      : {}),
    ...(long
      ? {
          historyBytesPerStepAt10: long.stepBytes[options.longProbeStep - 1],
          historyBytesPerStepAt500: long.stepBytes[long.steps - 1],
          longRunSteps: long.steps,
          longRunRuns: long.runs,
          longRunWallMs: long.wallMs,
          longRunHistoryBytes: long.totalBytes,
          longRunHistoryEvents: long.totalEvents,
          longRunContinueAsNewAfterEvents: options.longCanEvents,
          longRunContinuedAfterSteps: long.continuedAfterSteps,
          longRunFirst10StepMsP50: round(longFirst),
          longRunLast10StepMsP50: round(longLast),
          longRunStepMsMean: round(mean(long.stepMs)),
          longRunToolOutput: long.size,
          longRunModelCalls: long.modelCalls,
          longRunSummarizerCalls: long.summarizerCalls,
        }
      : {}),
    ...(rep.live ? { live: rep.live } : {}),
    ...(rep.store ? { store: rep.store } : {}),
    runs: options.runs,
    warmup: options.warmup,
    workerWarmup: options.workerWarmup ?? 0,
    serverConfig: options.serverConfig,
    wallMs: Math.round(rep.wallMs),
  };
  if (rep.live) {
    out('');
    for (const l of liveLines(rep.live)) out(l);
  }
  if (rep.store) {
    out('');
    for (const l of storeLines(rep.store)) out(l);
  }
  console.log(JSON.stringify(summary));
}
