/**
 * `npm run chaos`: the fault matrix of issue 11 on a real Temporal dev server, with the
 * project's fake providers and real worker processes (docs/testing.md, "Chaos campaign").
 *
 * Options: --short (the fast cases, few runs each: what CI runs), --runs N (runs per case),
 * --only TEXT (cases whose name contains TEXT; repeatable), --list (print the cases and
 * exit), --keep (keep the work folder: bundles, state dirs, order stores).
 * Prints progress on stderr, then a table and one JSON line on stdout. Exits 1 when any run
 * is lost, any effect is duplicated, or a case not on the known-bug list ends runs in an
 * outcome it does not document.
 */
import { parseArgs } from 'node:util';
import { formatTable, failed, jsonLine } from './report.ts';
import { runCampaign, selectCases } from './runner.ts';

const { values } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    runs: { type: 'string' },
    only: { type: 'string', multiple: true },
    list: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const runs = values.runs === undefined ? undefined : Number(values.runs);
if (runs !== undefined && (!Number.isInteger(runs) || runs < 1)) {
  console.error(`--runs must be a positive integer, got "${values.runs}"`);
  process.exit(2);
}
const selection = { short: values.short, ...(values.only ? { only: values.only } : {}) };

if (values.list) {
  for (const c of selectCases(selection)) {
    console.log(`${c.name}  [${c.group}; ${c.runs.full} runs, short ${c.inShort ? c.runs.short : '-'}]`);
  }
  process.exit(0);
}

const { results, seconds } = await runCampaign({
  ...selection,
  ...(runs !== undefined ? { runs } : {}),
  keepWorkDir: values.keep,
  log: (line) => console.error(`[chaos] ${line}`),
});
console.log(formatTable(results));
console.log(jsonLine(results, { short: values.short, seconds: Math.round(seconds) }));
process.exit(failed(results) ? 1 : 0);
