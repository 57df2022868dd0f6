/**
 * `npm run eval-retrieval -- [--set file] [--k 5] [--db path] [--json] [--min-recall x] [--min-mrr x]`:
 * runs a labelled query set against the retriever and prints recall@k and MRR, per query and
 * in total. Without `--db` it indexes the set's `corpus` folder in memory; with `--db` it
 * evaluates an ingested index as it is. `--json` prints one JSON line; `--min-recall` and
 * `--min-mrr` make it exit 1 below a floor (for CI).
 *
 * @example npm run eval-retrieval -- --k 3 --json
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { evalSetSchema, evaluateRetrieval, formatEvalReport } from '../activities/retrieval/evaluate.ts';
import { buildMemoryRetriever, openSqliteRetriever } from '../activities/retrieval/sqlite-retriever.ts';

const usage =
  'Usage: npm run eval-retrieval -- [--set file] [--k n] [--db path] [--size words] [--overlap words] [--json] [--min-recall x] [--min-mrr x]';
const defaultSet = 'test/fixtures/retrieval-eval.json';

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        set: { type: 'string', default: defaultSet },
        k: { type: 'string' },
        db: { type: 'string' },
        size: { type: 'string' },
        overlap: { type: 'string' },
        json: { type: 'boolean', default: false },
        'min-recall': { type: 'string' },
        'min-mrr': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`);
    return 2;
  }
  if (values.help) return (console.log(usage), 0);
  const k = values.k === undefined ? undefined : Number(values.k);
  if (k !== undefined && !(Number.isInteger(k) && k > 0 && k <= 50))
    return (console.error(`--k must be an integer from 1 to 50\n${usage}`), 2);

  try {
    const setPath = resolve(values.set);
    const set = evalSetSchema.parse(JSON.parse(await readFile(setPath, 'utf8')));
    let retriever;
    if (values.db) retriever = openSqliteRetriever({ path: values.db });
    else {
      if (!set.corpus) throw new Error(`the set names no corpus folder: pass --db with an ingested index`);
      const chunking = {
        ...(values.size ? { size: Number(values.size) } : {}),
        ...(values.overlap ? { overlap: Number(values.overlap) } : {}),
      };
      retriever = await buildMemoryRetriever({ dir: resolve(dirname(setPath), set.corpus), chunking });
    }
    const report = await evaluateRetrieval(retriever, set, k === undefined ? {} : { k });
    retriever.close();

    if (values.json) {
      const { queries, ...totals } = report;
      console.log(
        JSON.stringify({
          ...totals,
          queries: queries.map(({ id, recall, reciprocalRank, firstHit }) => ({
            id,
            recall,
            reciprocalRank,
            firstHit: firstHit ?? null,
          })),
        }),
      );
    } else console.log(formatEvalReport(report));

    const floors = [
      ['recall', values['min-recall'], report.recallAtK],
      ['MRR', values['min-mrr'], report.mrr],
    ] as const;
    let failed = false;
    for (const [name, floor, value] of floors) {
      if (floor !== undefined && value < Number(floor)) {
        console.error(`${name} ${value.toFixed(3)} is below the floor ${floor}`);
        failed = true;
      }
    }
    return failed ? 1 : 0;
  } catch (err) {
    console.error(`eval-retrieval failed: ${(err as Error).message}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
