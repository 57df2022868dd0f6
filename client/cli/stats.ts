/** `stats`: the business figures over the runs started in a window, optionally of one agent. */
import type { LatencySummary, RunStats } from '../stats.ts';
import type { CommandOf, ParseResult } from './command.ts';
import type { CommandArgs } from './flags.ts';
import { formatUnpriced, pct, plural, words } from './format.ts';
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

/** The six business metrics (`docs/metrics.md`), one line each after the run counts, then
 * what the figures leave out. */
export function formatStats(r: RunStats): string {
  const outcomes =
    Object.entries(r.outcomes)
      .map(([k, v]) => `${words(k)} ${v}`)
      .join(', ') || 'none';
  const usd = (v: number | null) => (v === null ? 'n/a' : `$${v.toFixed(6)}`);
  const latency = (l: LatencySummary | null) =>
    l ? `p50 ${seconds(l.p50)}, p95 ${seconds(l.p95)} (${plural(l.runs, 'run')})` : 'n/a';
  const a = r.answeredBy;
  return [
    `runs started ${r.window.since} .. ${r.window.until}${r.window.agent ? ` (agent ${r.window.agent})` : ''}: ${r.runs} (${r.running} still running, ${r.finished} finished)`,
    `outcomes: ${outcomes}`,
    `task success rate: ${pct(r.successRate)} (${a.model} answered by the model); answered by a human ${pct(r.humanAnswerRate)} (${a.human}), by a policy ${pct(r.policyAnswerRate)} (${a.policy})`,
    `latency: ${latency(r.latencyMs)}; without human wait ${latency(r.latencyExclHumanMs)}; timeout rate ${pct(r.timeoutRate)}, human timeout rate ${pct(r.humanTimeoutRate)}, runs with a model-call timeout ${pct(r.callTimeoutRate)}`,
    `cost: $${r.costUsd.toFixed(6)} in all, ${usd(r.costPerCompletedUsd)} per completed task, ${usd(r.costPerRunUsd)} per run`,
    ...unpricedLine(r),
    `schema validation: ${r.validation.runs} run(s) with a contract, ${pct(r.validation.successRate)} valid, ${pct(r.validation.firstTryRate)} on the first try`,
    `human escalation rate: ${pct(r.escalationRate)}`,
    `retrieval quality: ${r.retrieval.runs} run(s) with retrieval, ${pct(r.retrieval.relevantRate)} passed the relevance threshold (offline recall@k and MRR: npm run eval-retrieval)`,
    ...r.notes.map((n) => `note: ${n}`),
  ].join('\n');
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Calls whose cost is unknown (no price for their model), said instead of shown as $0. */
function unpricedLine(r: RunStats): string[] {
  const line = formatUnpriced(r.unpriced.calls, r.unpriced.models, ` in ${plural(r.unpriced.runs, 'run')}`);
  return line ? [line] : [];
}
