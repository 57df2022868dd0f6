import { connectWorker, createBosunWorker, installRuntime, loadWorkerConfig, ToolError } from 'bosun/worker';
import catalog from './catalog.ts';

/**
 * This project's worker: Bosun's worker serving our catalog, with one handler per tool.
 * `handlers` is typed by the catalog: leaving a tool out (or naming one that is not in it)
 * does not compile. Configured by the environment (TEMPORAL_ADDRESS, BOSUN_TASK_QUEUE,
 * OPENAI_API_KEY / OPENAI_BASE_URL, BOSUN_STATE_DIR, ...).
 */
installRuntime({ logLevel: 'WARN' }); // before anything else touches Temporal: warnings and errors only
const config = loadWorkerConfig();
const connection = await connectWorker(config);
const credited = new Map<string, { creditId: string; orderId: string; amountCents: number }>();

const worker = await createBosunWorker({
  connection,
  config,
  catalog,
  catalogModule: new URL('./catalog.ts', import.meta.url),
  handlers: {
    shipping_eta: async ({ orderId }) => ({ orderId, carrier: 'Parcelnet', days: 3 }),
    issue_credit: async ({ orderId, amountCents }, { idempotencyKey }) => {
      if (orderId === 'ord_closed') throw new ToolError(`order ${orderId} is closed; credit cannot be issued`);
      // A retried call carries the same key: give back the first credit, never a second one.
      let credit = credited.get(idempotencyKey);
      if (!credit) {
        credit = { creditId: `cr_${credited.size + 1}`, orderId, amountCents };
        credited.set(idempotencyKey, credit);
      }
      return credit;
    },
  },
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => worker.shutdown());
console.log('consumer worker: ready');
try {
  await worker.run();
} finally {
  await connection.close();
}
