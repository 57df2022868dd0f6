/**
 * `npm run register-search-attributes`: registers Bosun's search attributes (the one list,
 * `searchAttributes` in `workflows/definitions.ts`) in `TEMPORAL_NAMESPACE` on the server at
 * `TEMPORAL_ADDRESS` (`TEMPORAL_API_KEY` / `TEMPORAL_TLS` as for the worker), adding only what
 * is missing. Waits up to two minutes for the server to answer, so a deployment can run it
 * as its setup step (`docker-compose.yml`'s `temporal-setup`). Needs operator rights; exits 1
 * with the reason when it cannot.
 */
import { Connection } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { searchAttributes } from '../workflows/definitions.ts';
import { loadWorkerConfig } from './config.ts';
import { ensureSearchAttributes } from './search-attributes.ts';

const config = loadWorkerConfig();
const where = `${config.TEMPORAL_ADDRESS} namespace ${config.TEMPORAL_NAMESPACE}`;
const giveUpAt = Date.now() + 120_000;
let connection: Connection | undefined;
while (!connection) {
  try {
    connection = await Connection.connect({
      address: config.TEMPORAL_ADDRESS,
      ...(config.TEMPORAL_TLS || config.TEMPORAL_API_KEY ? { tls: true } : {}),
      ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}),
    });
  } catch (err) {
    if (Date.now() > giveUpAt) {
      console.error(`cannot reach Temporal at ${where}: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    }
    await sleep(2_000);
  }
}
try {
  const added = await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
  const all = Object.values(searchAttributes).length;
  console.log(
    added.length
      ? `registered ${added.join(', ')} at ${where} (${all - added.length} of ${all} were there)`
      : `all ${all} Bosun search attributes are registered at ${where}`,
  );
} catch (err) {
  console.error(
    `cannot register Bosun's search attributes at ${where}: ${err instanceof Error ? err.message : String(err)}`,
  );
  process.exitCode = 1;
} finally {
  await connection.close();
}
