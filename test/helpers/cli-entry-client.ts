/**
 * Stands in for `client/client.ts` when `test/helpers/cli-entry-hook.ts` runs the real CLI
 * entry (`node client/cli.ts ...`) in a child process: everything is the real module but
 * `connectBosunClient`, which answers `stats` with `cliEntryStats` and nothing else. Running
 * the entry itself, not `main`, is what catches faults only a program start shows (a
 * top-level `await main()` reaching code the module has not evaluated yet).
 */
import type { RunStats } from '../../client/stats.ts';
import type { BosunClient } from '../../client/client.ts';

export * from '../../client/client.ts';

export const cliEntryStats: RunStats = {
  window: { since: '2026-11-27T12:00:00.000Z', until: '2026-11-28T12:00:00.000Z' },
  runs: 4,
  running: 0,
  finished: 4,
  outcomes: { completed: 3, failed: 1 },
  answeredBy: { model: 3, human: 0, policy: 0, other: 0, unknown: 0 },
  successRate: 0.75,
  humanAnswerRate: 0,
  policyAnswerRate: 0,
  latencyMs: { runs: 4, p50: 1_500, p95: 4_200 },
  latencyExclHumanMs: { runs: 4, p50: 1_500, p95: 4_200 },
  timeoutRate: 0,
  humanTimeoutRate: 0,
  callTimeoutRate: 0,
  costUsd: 0.0012,
  costPerCompletedUsd: 0.0004,
  costPerRunUsd: 0.0003,
  validation: { runs: 0, successRate: null, firstTryRate: null },
  escalationRate: 0,
  retrieval: { runs: 0, relevantRate: null },
  notes: [],
  unpriced: { calls: 0, runs: 0, models: [] },
};

export async function connectBosunClient(): Promise<Pick<BosunClient, 'stats'> & { close(): Promise<void> }> {
  return { stats: async () => cliEntryStats, close: async () => undefined };
}
