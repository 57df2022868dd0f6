/**
 * `npm run migrate`: applies Bosun's PostgreSQL migrations (`activities/store/postgres/`) to
 * BOSUN_DATABASE_URL and prints what it applied. Workers do the same at start; run this
 * ahead of a rolling deploy so no worker starts against a schema it must change first.
 * Safe to run from several places at once (one applies, the others find nothing to do).
 */
import { createPostgresPool, migrateBosun } from '../activities/store/postgres/open.ts';
import { loadWorkerConfig, type WorkerConfig } from './config.ts';

let config: WorkerConfig;
try {
  config = loadWorkerConfig();
} catch (err) {
  console.error(`npm run migrate: ${(err as Error).message}`);
  process.exit(2);
}
if (!config.BOSUN_DATABASE_URL) {
  console.error('npm run migrate: set BOSUN_DATABASE_URL (postgres://user:password@host:5432/database)');
  process.exit(2);
}
const pool = createPostgresPool(config.BOSUN_DATABASE_URL, { max: 1 });
try {
  for (const r of await migrateBosun(pool)) {
    const what = r.applied.length
      ? `applied ${r.applied.map((a) => `${a.version} (${a.name})`).join(', ')}`
      : 'current';
    console.log(`${r.component}: ${what}; at version ${r.current}`);
  }
} catch (err) {
  console.error(`npm run migrate: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await pool.end();
}
