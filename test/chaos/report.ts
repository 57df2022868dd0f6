/** The campaign's tally per case, its table and its JSON line. */
import type { RunRecord } from './campaign.ts';

export type CaseStatus = 'ok' | 'FAIL' | 'known bug' | 'fixed?' | 'ERROR';

export interface CaseResult {
  name: string;
  group: string;
  runs: number;
  answered: number;
  typed: number;
  unexpected: number;
  lost: number;
  duplicates: number;
  seconds: number;
  status: CaseStatus;
  /** Runs by how they ended (`answer`, `failed rate_limited`, ...). */
  outcomes: Record<string, number>;
  /** Why a run was not answered or typed (the first few), or why the case itself broke. */
  notes: string[];
  /** The known-bug entry, when the case is listed. */
  knownBug?: string;
}

export function tally(
  c: { name: string; group: string },
  records: RunRecord[],
  seconds: number,
  knownBug: string | undefined,
  error?: unknown,
): CaseResult {
  const count = (v: RunRecord['verdict']) => records.filter((r) => r.verdict === v).length;
  const result: CaseResult = {
    name: c.name,
    group: c.group,
    runs: records.length,
    answered: count('answered'),
    typed: count('typed'),
    unexpected: count('unexpected'),
    lost: count('lost'),
    duplicates: records.reduce((s, r) => s + r.duplicates, 0),
    seconds: Math.round(seconds * 10) / 10,
    status: 'ok',
    outcomes: Object.fromEntries(
      [...new Set(records.map((r) => r.outcome))].map((o) => [o, records.filter((r) => r.outcome === o).length]),
    ),
    notes: summarize(records.filter((r) => r.verdict === 'unexpected' || r.verdict === 'lost' || r.duplicates > 0)),
    ...(knownBug ? { knownBug } : {}),
  };
  if (error !== undefined) {
    result.notes.unshift(`case error: ${error instanceof Error ? error.message : String(error)}`.slice(0, 400));
    result.status = 'ERROR';
  } else if (result.lost > 0 || result.duplicates > 0) result.status = 'FAIL';
  else if (result.unexpected > 0) result.status = knownBug ? 'known bug' : 'FAIL';
  else if (knownBug) result.status = 'fixed?';
  return result;
}

/** Identical details once, with a count: 200 runs failing alike make one line. */
function summarize(records: RunRecord[]): string[] {
  const counts = new Map<string, number>();
  for (const r of records) {
    // Run ids, model names and numbers vary from run to run; the story does not.
    const detail = r.detail.replace(/chaos[-_][\w.-]+/g, '…').replace(/\d+(\.\d+)?/g, '#');
    const key = `${r.verdict}${r.duplicates ? ` +${r.duplicates} dup` : ''}: ${detail}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].slice(0, 4).map(([k, n]) => (n > 1 ? `${n}× ${k}` : k));
}

export function failed(results: CaseResult[]): boolean {
  return results.some((r) => r.status === 'FAIL' || r.status === 'ERROR');
}

export function totals(results: CaseResult[]) {
  const sum = (k: 'runs' | 'answered' | 'typed' | 'unexpected' | 'lost' | 'duplicates') =>
    results.reduce((s, r) => s + r[k], 0);
  return {
    cases: results.length,
    runs: sum('runs'),
    answered: sum('answered'),
    typed: sum('typed'),
    unexpected: sum('unexpected'),
    lost: sum('lost'),
    duplicates: sum('duplicates'),
    failedCases: results.filter((r) => r.status === 'FAIL' || r.status === 'ERROR').map((r) => r.name),
    knownBugCases: results.filter((r) => r.status === 'known bug').map((r) => r.name),
  };
}

const columns = ['case', 'runs', 'answered', 'typed', 'unexpected', 'lost', 'dup', 's', 'status'] as const;

/** A fixed-width table, then each case's notes under it. */
export function formatTable(results: CaseResult[]): string {
  const rows = results.map((r) => [
    r.name,
    String(r.runs),
    String(r.answered),
    String(r.typed),
    String(r.unexpected),
    String(r.lost),
    String(r.duplicates),
    String(r.seconds),
    r.status,
  ]);
  const t = totals(results);
  rows.push([
    `TOTAL (${t.cases} cases)`,
    String(t.runs),
    String(t.answered),
    String(t.typed),
    String(t.unexpected),
    String(t.lost),
    String(t.duplicates),
    String(Math.round(results.reduce((s, r) => s + r.seconds, 0))),
    t.failedCases.length ? 'FAIL' : 'ok',
  ]);
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const out = [line(columns), widths.map((w) => '-'.repeat(w)).join('  ')];
  rows.forEach((r, i) => {
    if (i === rows.length - 1) out.push(widths.map((w) => '-'.repeat(w)).join('  '));
    out.push(line(r));
  });
  const notes = results.filter((r) => r.notes.length > 0 || r.knownBug);
  if (notes.length > 0) out.push('', 'notes:');
  for (const r of notes) {
    out.push(`  ${r.name} [${r.status}]${r.knownBug ? ` — known: ${r.knownBug}` : ''}`);
    for (const n of r.notes) out.push(`    ${n}`);
  }
  return out.join('\n');
}

export function jsonLine(results: CaseResult[], extra: Record<string, unknown>): string {
  return JSON.stringify({ chaos: { ...extra, ...totals(results) }, cases: results });
}
