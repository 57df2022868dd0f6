/**
 * Runs the campaign: starts the rig, runs the selected cases (the ones that kill nothing side
 * by side, four at a time; the others alone), tallies each, and tears everything down.
 */
import { expectedToFail } from './known-bugs.ts';
import { tally, type CaseResult } from './report.ts';
import { terminate, type ChaosCase } from './campaign.ts';
import { Rig } from './rig.ts';
import { allCases } from './cases/index.ts';

export interface CampaignOptions {
  short: boolean;
  /** Runs per case instead of each case's own count. */
  runs?: number;
  /** Only cases whose name contains one of these (case-insensitive). */
  only?: string[];
  log?: (line: string) => void;
  /** Keep the work folder (bundles, state dirs, order stores) for inspection. */
  keepWorkDir?: boolean;
  /** Called as each case ends. */
  onResult?: (r: CaseResult) => void;
}

export function selectCases(opts: Pick<CampaignOptions, 'short' | 'only'>): ChaosCase[] {
  const only = opts.only?.map((o) => o.toLowerCase());
  return allCases.filter(
    (c) => (!opts.short || c.inShort) && (!only?.length || only.some((o) => c.name.toLowerCase().includes(o))),
  );
}

const parallelism = 4;

export async function runCampaign(opts: CampaignOptions): Promise<{ results: CaseResult[]; seconds: number }> {
  const log = opts.log ?? (() => {});
  const cases = selectCases(opts);
  if (cases.length === 0) throw new Error(`no case matches ${JSON.stringify(opts.only)}`);
  const t0 = Date.now();
  const rig = await Rig.start(log);
  const results: CaseResult[] = [];
  try {
    for (const batch of batches(cases)) {
      const done = await Promise.all(batch.map((c) => runCase(rig, c, opts, log)));
      for (const r of done) {
        results.push(r);
        opts.onResult?.(r);
      }
    }
  } finally {
    await rig.close({ keepWorkDir: opts.keepWorkDir ?? false });
  }
  return { results, seconds: (Date.now() - t0) / 1000 };
}

/** Consecutive parallel cases in groups of `parallelism`; every other case alone. */
function batches(cases: ChaosCase[]): ChaosCase[][] {
  const out: ChaosCase[][] = [];
  for (const c of cases) {
    const last = out.at(-1);
    if (c.parallel && last && last.length < parallelism && last.every((x) => x.parallel)) last.push(c);
    else out.push([c]);
  }
  return out;
}

async function runCase(rig: Rig, c: ChaosCase, opts: CampaignOptions, log: (l: string) => void): Promise<CaseResult> {
  const started = Date.now();
  const runIds: string[] = [];
  const runs = opts.runs ?? (opts.short ? c.runs.short : c.runs.full);
  log(`${c.name}: ${runs} run(s), deadline ${c.timeoutMs / 1000} s`);
  let error: unknown;
  let records: Awaited<ReturnType<ChaosCase['run']>> = [];
  try {
    records = await c.run({
      rig,
      runs,
      short: opts.short,
      deadline: started + c.timeoutMs,
      log: (line) => log(`${c.name}: ${line}`),
      runId: (label) => {
        const id = rig.unique(`chaos-${label}`);
        runIds.push(id);
        return id;
      },
    });
  } catch (err) {
    error = err;
  }
  // Whatever of the case still runs (a case that broke half-way) goes now.
  await Promise.all(runIds.map((id) => terminate(rig, id, 'chaos: case over')));
  const result = tally(c, records, (Date.now() - started) / 1000, expectedToFail[c.name], error);
  log(
    `${c.name}: ${result.status} — ${result.answered} answered, ${result.typed} typed, ${result.unexpected} unexpected, ${result.lost} lost, ${result.duplicates} dup (${result.seconds} s)`,
  );
  return result;
}
