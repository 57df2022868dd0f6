/**
 * The store section (`npm run bench -- --only store`): Bosun's per-step cost with its shared
 * state on PostgreSQL (BOSUN_DATABASE_URL) against the embedded SQLite default, on the same
 * machine, dev server and fake model. Two Bosun workers in child processes — one with a
 * fresh SQLite state folder, one on a throwaway PostgreSQL (`worker/postgres/embedded.ts`) —
 * run the same N-step agent, interleaved run by run. Per case: ms/step p50 from the
 * end-to-end time, the model-call interval p50 (the steady per-step cost), and PostgreSQL /
 * SQLite (issue 17's goal: ≤ 1.2×).
 *
 * Durability is matched: SQLite runs with BOSUN_STORE_SYNC=normal (a commit reaches the OS,
 * fsync at checkpoints), PostgreSQL with `synchronous_commit=off` (a commit reaches the WAL
 * buffers, flushed within ~0.6 s): both survive a crashed worker, both may lose the last
 * commits to a power loss. `--store-durable` compares fsync-per-commit on both instead
 * (BOSUN_STORE_SYNC=full, PostgreSQL's defaults).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../worker/postgres/embedded.ts';
import type { ChildWorker } from './child-worker.ts';
import { diffs, median, ratio, round } from './stats.ts';
import { caseLabel, type Case, type Variant } from './variants.ts';

export interface StoreCaseResult {
  case: Case;
  sqlite: { msPerStepP50: number | null; intervalMsP50: number | null; completed: number };
  postgres: { msPerStepP50: number | null; intervalMsP50: number | null; completed: number };
  /** PostgreSQL / SQLite, end-to-end ms per step and interval. */
  ratio: number | null;
  intervalRatio: number | null;
}

export interface StoreBench {
  durability: 'matched' | 'durable';
  postgresVersion: string;
  cases: StoreCaseResult[];
  load: [string, string];
}

/** Starts a Bosun worker on a store: `{ stateDir }` (SQLite) or `{ databaseUrl }`. */
export type StartBosunOn = (
  store: { stateDir: string; storeSync: 'normal' | 'full' } | { databaseUrl: string; stateDir: string },
) => Promise<{ worker: ChildWorker; variant: Variant }>;

export async function benchStore(opts: {
  cases: Case[];
  runs: number;
  warmup: number;
  durable: boolean;
  log: (line: string) => void;
  startBosun: StartBosunOn;
}): Promise<StoreBench> {
  const load0 = loadavg()[0]!.toFixed(2);
  const server = await startEmbeddedPostgres({ durability: opts.durable ? 'durable' : 'async-commit' });
  const dirs = await Promise.all([0, 1].map(() => mkdtemp(join(tmpdir(), 'bosun-bench-store-'))));
  const workers: ChildWorker[] = [];
  try {
    const databaseUrl = await server.createDatabase('bosun_bench');
    const sqlite = await opts.startBosun({ stateDir: dirs[0]!, storeSync: opts.durable ? 'full' : 'normal' });
    workers.push(sqlite.worker);
    const postgres = await opts.startBosun({ databaseUrl, stateDir: dirs[1]! });
    workers.push(postgres.worker);
    const version = await server.version();
    opts.log(`store: SQLite and PostgreSQL ${version} workers up (${workers.map((w) => w.pid).join(', ')})`);
    const cases: StoreCaseResult[] = [];
    const tag = `${process.pid}-${Date.now().toString(36)}`;
    for (const c of opts.cases) {
      const e2e = { sqlite: [] as number[], postgres: [] as number[] };
      const intervals = { sqlite: [] as number[], postgres: [] as number[] };
      for (let i = 0; i < opts.warmup + opts.runs; i++) {
        // Alternate which store goes first, so drifting load meets both alike.
        const order = i % 2 === 0 ? (['sqlite', 'postgres'] as const) : (['postgres', 'sqlite'] as const);
        for (const which of order) {
          const variant = which === 'sqlite' ? sqlite.variant : postgres.variant;
          const t0 = performance.now();
          const stamps = await variant.run(c, `bench-store-${which}-${caseLabel(c)}-${tag}-${i}`);
          if (i < opts.warmup) continue;
          e2e[which].push((performance.now() - t0) / c.steps);
          intervals[which].push(...diffs(stamps));
        }
      }
      const fig = (w: 'sqlite' | 'postgres') => ({
        msPerStepP50: round(median(e2e[w])),
        intervalMsP50: round(median(intervals[w])),
        completed: e2e[w].length,
      });
      cases.push({
        case: c,
        sqlite: fig('sqlite'),
        postgres: fig('postgres'),
        ratio: ratio(median(e2e.postgres), median(e2e.sqlite)),
        intervalRatio: ratio(median(intervals.postgres), median(intervals.sqlite)),
      });
      opts.log(`store ${caseLabel(c)} done`);
    }
    return {
      durability: opts.durable ? 'durable' : 'matched',
      postgresVersion: version,
      cases,
      load: [load0, loadavg()[0]!.toFixed(2)],
    };
  } finally {
    for (const w of workers) await w.stop().catch(() => {});
    await server.stop();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}

/** The section's lines for the report. */
export function storeLines(s: StoreBench): string[] {
  const goal = 1.2;
  const mode =
    s.durability === 'matched'
      ? 'SQLite BOSUN_STORE_SYNC=normal vs PostgreSQL synchronous_commit=off'
      : 'fsync per commit on both (SQLite full, PostgreSQL defaults)';
  const w = 12;
  const pad = (x: string | number | null, n = w) => String(x ?? '-').padStart(n);
  return [
    `Shared state: Bosun's run store on PostgreSQL ${s.postgresVersion} vs SQLite, same machine (${mode}); load ${s.load.join(' → ')}`,
    `${'case'.padEnd(10)}${pad('SQLite ms/st')}${pad('PG ms/step')}${pad('PG/SQLite')}${pad('SQLite int')}${pad('PG int')}${pad('int ratio')}   goal ≤ ${goal}×`,
    ...s.cases.map(
      (c) =>
        `${caseLabel(c.case).padEnd(10)}${pad(c.sqlite.msPerStepP50)}${pad(c.postgres.msPerStepP50)}${pad(c.ratio === null ? null : `${c.ratio}×`)}` +
        `${pad(c.sqlite.intervalMsP50)}${pad(c.postgres.intervalMsP50)}${pad(c.intervalRatio === null ? null : `${c.intervalRatio}×`)}` +
        `   ${c.ratio !== null && c.ratio <= goal ? 'met' : 'NOT met'}`,
    ),
  ];
}
