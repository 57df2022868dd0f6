/**
 * The latency matrix: every case (steps × tool-output size) run by every variant, one run at
 * a time, interleaved run by run in a balanced order (`balancedOrder`: each variant in each
 * position, and right after each other variant, equally often), so the shared machine's load
 * drifts over all variants alike and no variant always runs right after the same one. Per
 * variant and case: ms per step from the end-to-end time
 * (client start → result, / N: step 1 carries the start of the run, as users feel it), the
 * intervals between model calls (the steady per-step cost), and the history of the last
 * completed run. A variant whose run fails (the peer's history limit) stops in that case;
 * the failed run's history is kept to show how far it got.
 */
import protoPkg from '@temporalio/proto';
import type { temporal } from '@temporalio/proto';
import { loadavg } from 'node:os';
import { historyStats, type History, type HistoryStats } from './history.ts';
import { balancedOrder, diffs, mean } from './stats.ts';
import { caseLabel, type Case, type Variant, type VariantName } from './variants.ts';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface CaseResult {
  variant: VariantName;
  case: Case;
  /** Measured runs that completed (warm-ups not counted). */
  completed: number;
  /** Why the variant stopped in this case, if it did. */
  failed?: string;
  e2eMsPerStep: number[];
  intervals: number[];
  /** The last completed run's history, or the failed run's. */
  history?: HistoryStats;
  /** 1-minute load average when the case began and ended. */
  load: [number, number];
}

const describe = (err: unknown): string => {
  const e = err as { message?: string; cause?: { message?: string } } | undefined;
  const cause = e?.cause?.message;
  return `${e?.message ?? String(err)}${cause && cause !== e?.message ? `: ${cause}` : ''}`;
};

/** `rounds` rounds over the variants, one run each, every round in its balanced order
 * (`balancedOrder`); `run` gets the variant, its index and the round. */
async function inBalancedRounds(
  variants: Variant[],
  rounds: number,
  run: (v: Variant, index: number, round: number) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < rounds; i++) for (const j of balancedOrder(i, variants.length)) await run(variants[j]!, j, i);
}

/** Each variant's fresh worker, run by run: the end-to-end ms of its first runs (1×20 B). */
export interface ColdStart {
  variant: VariantName;
  runMs: number[];
}

/**
 * The first runs of every variant's fresh worker, interleaved in a balanced order, before any
 * case is measured: a worker's first runs pay for loading and compiling its code (V8 compiles
 * lazily and optimizes what runs often), and that cost would otherwise land on whichever
 * case comes first, making its figures depend on the order of the cases. They are kept and
 * reported as the cold start they are.
 */
export async function runColdStart(
  variants: Variant[],
  opts: { runs: number; log: (line: string) => void },
): Promise<ColdStart[]> {
  const out = variants.map((v) => ({ variant: v.name, runMs: [] as number[] }));
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  const c: Case = { steps: 1, size: '20b' };
  await inBalancedRounds(variants, opts.runs, async (v, j, i) => {
    const t0 = performance.now();
    await v.run(c, `bench-${v.name}-cold-${tag}-${i}`);
    out[j]!.runMs.push(performance.now() - t0);
  });
  opts.log(
    `cold start: ${out.map((o) => `${o.variant} ${o.runMs.map((x) => Math.round(x)).join(' ')}`).join('; ')} (ms per run)`,
  );
  return out;
}

export async function runMatrix(
  cases: Case[],
  variants: Variant[],
  opts: { warmup: number; runs: number; log: (line: string) => void },
): Promise<CaseResult[]> {
  const all: CaseResult[] = [];
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  for (const c of cases) {
    const started = performance.now();
    const load0 = loadavg()[0]!;
    const results = new Map<VariantName, CaseResult>(
      variants.map((v) => [
        v.name,
        { variant: v.name, case: c, completed: 0, e2eMsPerStep: [], intervals: [], load: [load0, load0] },
      ]),
    );
    const lastId = new Map<VariantName, string>();
    const timelines = new Map<VariantName, History[]>(variants.map((v) => [v.name, []]));
    await inBalancedRounds(variants, opts.warmup + opts.runs, async (v, _j, i) => {
      const r = results.get(v.name)!;
      if (r.failed) return;
      const id = `bench-${v.name}-${caseLabel(c)}-${tag}-${i}`;
      const t0 = performance.now();
      let stamps: number[];
      try {
        stamps = await v.run(c, id);
      } catch (err) {
        r.failed = `run ${i + 1} (${i < opts.warmup ? 'warm-up' : 'measured'}): ${describe(err)}`;
        opts.log(`${v.name} ${caseLabel(c)}: ${r.failed}`);
        if (v.history && v.modelActivity)
          r.history = await v.history(id).then(
            (h) => historyStats(h, v.modelActivity!),
            () => undefined,
          );
        return;
      }
      const e2e = performance.now() - t0;
      if (i >= opts.warmup) {
        if (process.env.BENCH_TIMELINE && v.history) timelines.get(v.name)!.push(await v.history(id));
        const intervals = diffs(stamps);
        r.e2eMsPerStep.push(e2e / c.steps);
        r.intervals.push(...intervals);
        if (process.env.BENCH_SAMPLES && c.steps > 1)
          opts.log(`${v.name} ${caseLabel(c)} run ${i}: intervals ${intervals.map((x) => Math.round(x)).join(' ')}`);
        r.completed++;
      }
      lastId.set(v.name, id);
    });
    for (const v of variants) {
      const r = results.get(v.name)!;
      r.load[1] = loadavg()[0]!;
      const id = lastId.get(v.name);
      if (!r.failed && id && v.history && v.modelActivity) {
        r.history = historyStats(await v.history(id), v.modelActivity);
        if (process.env.BENCH_TIMELINE)
          opts.log(`${v.name} ${caseLabel(c)} timeline:\n${timeline(timelines.get(v.name)!)}`);
      }
      if (process.env.BENCH_SAMPLES)
        opts.log(`${v.name} ${caseLabel(c)} ms/step by run: ${r.e2eMsPerStep.map((x) => x.toFixed(1)).join(' ')}`);
      all.push(r);
    }
    opts.log(`case ${caseLabel(c)} done in ${Math.round((performance.now() - started) / 1000)} s`);
  }
  return all;
}

/** `BENCH_TIMELINE=1`: where the measured runs' time goes, from their histories (the server's
 * time of each event). Runs of up to `EVENT_LIST_MAX` events: event by event, the time from the
 * event before (p50 over the runs of the same shape). Longer runs: by transition (see
 * `transitions`). */
function timeline(histories: History[]): string {
  const shape = (h: History) => (h.events ?? []).map((e) => e.eventType).join();
  const first = histories[0];
  if (!first) return '  (no runs)';
  if ((first.events?.length ?? 0) > EVENT_LIST_MAX) return transitions(histories);
  const same = histories.filter((h) => shape(h) === shape(first));
  return (first.events ?? [])
    .map((e, k) => {
      const gaps = same.map((h) => (k === 0 ? 0 : msOf(h.events![k]!) - msOf(h.events![k - 1]!))).sort((a, b) => a - b);
      const p50 = gaps[Math.floor(gaps.length / 2)]!;
      return `  +${String(p50).padStart(4)} ms  ${eventName(e)}`;
    })
    .concat(`  (p50 of ${same.length} runs of the same shape)`)
    .join('\n');
}

const EVENT_LIST_MAX = 60;
const msOf = (e: HistoryEvent) =>
  Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
const eventName = (e: HistoryEvent) =>
  (protoPkg.temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? 'UNKNOWN').replace(/^EVENT_TYPE_/, '');

/**
 * A long run's time by transition from one event type to the next, summed over the measured
 * runs, largest first: how often it happened, its mean and total ms, and how many took 10 ms or
 * more. Then the mean of each `…_STARTED → …_COMPLETED` (a workflow task, an activity) by
 * quarter of the run: whether a step's parts get slower as the run grows.
 */
export function transitions(histories: History[]): string {
  const all = new Map<string, { n: number; total: number; slow: number; slowMs: number }>();
  const quarters = new Map<string, number[][]>();
  for (const h of histories) {
    const events = h.events ?? [];
    const spans = new Map<string, number[]>();
    for (let k = 1; k < events.length; k++) {
      const from = eventName(events[k - 1]!);
      const to = eventName(events[k]!);
      const key = `${from} → ${to}`;
      const ms = msOf(events[k]!) - msOf(events[k - 1]!);
      const t = all.get(key) ?? { n: 0, total: 0, slow: 0, slowMs: 0 };
      all.set(key, {
        n: t.n + 1,
        total: t.total + ms,
        slow: t.slow + (ms >= 10 ? 1 : 0),
        slowMs: t.slowMs + (ms >= 10 ? ms : 0),
      });
      if (from.endsWith('_STARTED') && to.endsWith('_COMPLETED'))
        (spans.get(key) ?? spans.set(key, []).get(key)!).push(ms);
    }
    for (const [key, ms] of spans) {
      const q = quarters.get(key) ?? [[], [], [], []];
      ms.forEach((x, i) => q[Math.floor((i * 4) / ms.length)]!.push(x));
      quarters.set(key, q);
    }
  }
  return [...all]
    .sort((a, b) => b[1].total - a[1].total)
    .map(
      ([key, t]) =>
        `  ${key}: ${t.n}×, mean ${(t.total / t.n).toFixed(2)} ms, total ${t.total} ms, ${t.slow} of 10 ms or more (${t.slowMs} ms)`,
    )
    .concat(
      [...quarters].map(
        ([key, q]) =>
          `  ${key}, mean ms by quarter of the run: ${q.map((xs) => (xs.length ? mean(xs).toFixed(2) : '-')).join(', ')}`,
      ),
      `  (${histories.length} runs)`,
    )
    .join('\n');
}
