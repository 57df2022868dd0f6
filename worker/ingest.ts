/**
 * `npm run ingest -- <folder> [--db path] [--size words] [--overlap words]`: indexes every
 * `.md`/`.txt` file under the folder into the retrieval index (SQLite FTS5, replaced in one
 * transaction, so a running worker keeps answering from the old index until it commits).
 * The default index is `<BOSUN_STATE_DIR>/retrieval.db`.
 *
 * @example npm run ingest -- examples/demo/knowledge --db /tmp/kb.db
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultChunkOptions } from '../activities/retrieval/chunker.ts';
import { defaultRetrievalDbPath, ingest } from '../activities/retrieval/sqlite-retriever.ts';

const usage = 'Usage: npm run ingest -- <folder> [--db path] [--size words] [--overlap words]';

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        db: { type: 'string' },
        size: { type: 'string' },
        overlap: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`);
    return 2;
  }
  const { values, positionals } = args;
  if (values.help) return (console.log(usage), 0);
  if (positionals.length !== 1) return (console.error(usage), 2);
  const dir = resolve(positionals[0]!);
  const dbPath = values.db ?? defaultRetrievalDbPath();
  const started = performance.now();
  try {
    const stats = await ingest({
      dir,
      dbPath,
      chunking: {
        size: Number(values.size ?? defaultChunkOptions.size),
        overlap: Number(values.overlap ?? defaultChunkOptions.overlap),
      },
    });
    const ms = performance.now() - started;
    console.log(
      `ingested ${stats.documents} documents into ${stats.chunks} chunks (size ${stats.chunking.size}, overlap ${stats.chunking.overlap} words)\n` +
        `index ${dbPath}, version ${stats.indexVersion}, in ${ms.toFixed(0)} ms`,
    );
    return 0;
  } catch (err) {
    console.error(`ingest failed: ${(err as Error).message}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
