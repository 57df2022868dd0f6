import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findTemporalCli } from '../../worker/temporal-cli.ts';
import { spawnWatched } from '../helpers/watched-process.ts';

const benchMain = fileURLToPath(new URL('../../bench/agent-loop.ts', import.meta.url));

/** `npm run bench` with the given flags as a child process: its exit code, stdout and all output. */
async function bench(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const p = spawnWatched('bench', process.execPath, [benchMain, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH ?? findTemporalCli(resolve('.bosun'))?.path ?? '',
    },
  });
  const code = await p.exited;
  return { code, out: p.stdout(), err: p.output() };
}

// The bench is a campaign of its own (`npm run bench`, minutes); this is its short version:
// the matrix's machinery end to end (dev server, bundles, child workers, the cold start,
// the balanced order, the report and its JSON line) on one small case.
describe('npm run bench (short)', () => {
  it('measures Bosun, the floor and the in-process loop side by side and reports every figure', async () => {
    const { code, out, err } = await bench([
      '--only',
      'matrix',
      '--cases',
      '2x20b',
      '--variants',
      'bosun,floor,in-process',
      '--runs',
      '2',
      '--warmup',
      '0',
      '--worker-warmup',
      '2',
    ]);
    expect(code, err.slice(-2000)).toBe(0);
    expect(out).toMatch(/Cold start: the first 2 one-step runs/);
    expect(out).toMatch(/interleaved in a balanced order, on workers past their cold start/);
    const line = out.split('\n').find((l) => l.startsWith('{"ratios"'));
    expect(line, out.slice(-2000)).toBeDefined();
    const report = JSON.parse(line!) as {
      ratios: Record<string, number | null>;
      cases: Record<
        string,
        Record<string, { completed: number; msPerStepP50: number; historyBytesPerStep: number | null }>
      >;
      coldStart: Record<string, { runMs: number[]; firstMs: number }>;
      workerWarmup: number;
    };
    expect(report.workerWarmup).toBe(2);
    for (const v of ['bosun', 'floor', 'in-process']) {
      expect(report.cases['2x20b']![v]!.completed).toBe(2);
      expect(report.cases['2x20b']![v]!.msPerStepP50).toBeGreaterThan(0);
      expect(report.coldStart[v]!.runMs).toHaveLength(2);
      expect(report.coldStart[v]!.firstMs).toBeGreaterThan(0);
    }
    // History is read off the server for the Temporal variants only.
    expect(report.cases['2x20b']!.bosun!.historyBytesPerStep).toBeGreaterThan(0);
    expect(report.cases['2x20b']!['in-process']!.historyBytesPerStep).toBeNull();
    expect(report.ratios.maxBosunOverFloor).toBeGreaterThan(0);
    expect(report.ratios.historyPerStep20bBosunOverFloor).toBeGreaterThan(0);
  });
});
