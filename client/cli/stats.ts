/** `stats`: the business figures over the runs started in a window, optionally of one agent. */
import type { RunStats } from '../stats.ts';
import type { CommandOf, ParseResult } from './command.ts';
import type { CommandArgs } from './flags.ts';
import { formatUnpriced, pct, plural } from './format.ts';
import type { Job } from './job.ts';

/** `24h`, `7d`, `90m` before `now`, or an ISO date. */
export function parseSince(text: string, now: Date): Date | undefined {
  const m = /^(\d+)\s*([mhd])$/.exec(text.trim());
  if (m)
    return new Date(now.getTime() - Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd']);
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function parseStats({ rest, values, connection, json }: CommandArgs<'stats'>): ParseResult {
  if (rest.length > 0) return { error: `"stats" takes no arguments, got ${rest.join(' ')}` };
  const since = parseSince(values.since ?? '24h', new Date());
  if (!since) return { error: `--since takes a duration like 24h, 7d, 90m or an ISO date (got "${values.since}")` };
  return { kind: 'stats', connection, since, ...(values.agent ? { agent: values.agent } : {}), json };
}

export function statsJob(cmd: CommandOf<'stats'>): Job {
  return {
    async run(client, output) {
      const report = await client.stats({ since: cmd.since, ...(cmd.agent ? { agent: cmd.agent } : {}) });
      output.print(report, formatStats(report));
      return 0;
    },
  };
}

/** The business figures, one per line. */
export function formatStats(r: RunStats): string {
  const unpriced = formatUnpriced(r.unpriced.calls, r.unpriced.models, ` in ${plural(r.unpriced.runs, 'run')}`);
  const outcomes =
    Object.entries(r.outcomes)
      .map(([k, v]) => `${k.replaceAll('_', ' ')} ${v}`)
      .join(', ') || 'none';
  return [
    `runs started ${r.window.since} .. ${r.window.until}${r.window.agent ? ` (agent ${r.window.agent})` : ''}: ${r.runs} (${r.running} still running)`,
    `outcomes: ${outcomes}`,
    `task success rate: ${pct(r.successRate)}`,
    `latency: p50 ${(r.latencyMs.p50 / 1000).toFixed(2)} s, p95 ${(r.latencyMs.p95 / 1000).toFixed(2)} s; timeout rate ${pct(r.timeoutRate)}`,
    `cost: $${r.costUsd.toFixed(6)} in all, ${r.costPerCompletedUsd === null ? 'n/a' : `$${r.costPerCompletedUsd.toFixed(6)}`} per completed task`,
    ...(unpriced ? [unpriced] : []),
    `schema validation: ${r.validation.runs} run(s) with a contract, ${pct(r.validation.successRate)} valid, ${pct(r.validation.firstTryRate)} on the first try`,
    `human escalation rate: ${pct(r.escalationRate)} (${r.humanAnswers} answered by a human)`,
    `retrieval: ${r.retrieval.runs} run(s) with retrieval, weak context ${pct(r.retrieval.weakRate)}, mean best score ${r.retrieval.meanTopScore ?? 'n/a'}`,
  ].join('\n');
}
