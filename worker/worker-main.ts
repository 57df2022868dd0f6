/**
 * Worker process entry (`npm run worker`): config from the environment, one worker on the
 * configured task queue, until SIGINT/SIGTERM.
 */
import { connectWorker, createBosunWorker } from './create-worker.ts';
import { describeConfig, loadWorkerConfig } from './config.ts';

const config = loadWorkerConfig();
console.log(`bosun worker: ${describeConfig(config)}`);
const connection = await connectWorker(config);
try {
  const worker = await createBosunWorker({ connection, config });
  console.log('bosun worker: ready');
  await worker.run();
} finally {
  await connection.close();
}
