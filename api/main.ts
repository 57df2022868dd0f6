/**
 * `npm run api`: the HTTP API on its own, until SIGINT/SIGTERM. Connects to Temporal as the
 * CLI does (`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `BOSUN_TASK_QUEUE`); listens on
 * `BOSUN_API_ADDR` (default 127.0.0.1:8787); authenticates with `BOSUN_AUTH_*`, or in
 * development mode (said loudly) with tokens written to `<BOSUN_STATE_DIR>/dev-tokens.json`.
 * `BOSUN_CATALOG` names a module whose default export is the workers' catalog (`npm run api`
 * uses the demo's), so edited tool arguments are checked field by field before a run sees them.
 * With `BOSUN_CODEC_KEYS` (the workers' keys) it reads and writes encrypted payloads.
 *
 * The composition root of the API, so the one file of api/ that may import the worker side
 * (its configuration and payload codec).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { connectBosunClient } from '../client/client.ts';
import { dataConverterFromConfig } from '../worker/codec/data-converter.ts';
import { ConfigError, loadWorkerConfig } from '../worker/config.ts';
import type { Catalog } from '../tools/catalog.ts';
import { authenticatorFromEnv } from './auth/from-env.ts';
import { startApiServer } from './server.ts';

const env = process.env;
const say = (line: string) => console.log(`bosun api: ${line}`);
const addr = /^(.*):(\d{1,5})$/.exec(env.BOSUN_API_ADDR || '127.0.0.1:8787');
if (!addr) {
  console.error('bosun api: BOSUN_API_ADDR must be host:port, e.g. 127.0.0.1:8787');
  process.exit(2);
}
const stateDir = resolve(env.BOSUN_STATE_DIR || '.bosun');
/** A start-up failure is one line saying why (exit 2: configuration, 1: anything else). */
const fail = (code: number, line: string): never => {
  console.error(`bosun api: ${line}`);
  process.exit(code);
};
const auth = await authenticatorFromEnv(env, { stateDir, log: say }).catch((err: unknown) =>
  fail(2, (err as Error)?.message ?? String(err)),
);
const catalog = env.BOSUN_CATALOG
  ? ((await import(pathToFileURL(resolve(env.BOSUN_CATALOG)).href)) as { default: Catalog }).default
  : undefined;
let config;
try {
  config = loadWorkerConfig(env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`bosun api: ${err.message}`);
  process.exit(2);
}
const dataConverter = dataConverterFromConfig(config);
const address = config.TEMPORAL_ADDRESS;
const bosun = await connectBosunClient({
  address,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: config.BOSUN_TASK_QUEUE,
  ...(dataConverter ? { dataConverter } : {}),
  ...(catalog ? { catalog } : {}),
}).catch((err: unknown) =>
  fail(
    1,
    `cannot reach Temporal at ${address} (namespace ${config.TEMPORAL_NAMESPACE}): ${(err as Error)?.message ?? err}`,
  ),
);
const server = await startApiServer({
  bosun,
  auth: auth.authenticator,
  host: addr[1]!.replace(/^\[(.*)\]$/, '$1'),
  port: Number(addr[2]),
  ...(catalog ? { catalog } : {}),
  ...(env.BOSUN_TEMPORAL_UI ? { temporalUiBase: env.BOSUN_TEMPORAL_UI } : {}),
});
say(
  `temporal ${address} namespace ${config.TEMPORAL_NAMESPACE} queue ${config.BOSUN_TASK_QUEUE}${dataConverter ? '; payloads encrypted' : ''}; ${auth.authenticator.description}`,
);
say(`ready at ${server.url}/api/v1 (OpenAPI: ${server.url}/api/v1/openapi.json)`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`${signal}, stopping`);
    void server
      .close()
      .then(() => bosun.close())
      .then(() => process.exit(0));
  });
}
