/**
 * Bursts across runs (issue 11, item 1): the provider answers the first K requests it gets
 * (from any run) with 429 + `retry-after: 2` — or, in the blip case, 503 — then serves
 * normally. K runs start first and meet the burst; the others start as its last fault is
 * sent (the interleaving that failed every run in issue 11's repro, made deterministic). All
 * runs call one model, so on each worker they share its circuit breaker: 10 runs on one
 * worker of the case's own, 200 runs on the two shared workers (as issue 11 measured them).
 * Each trial has a model name of its own, so it starts with closed breakers. Rate limits are
 * expected events, and a short blip is what retries are for: every run must end answered.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FakeReply } from '../../kit/index.ts';
import { startAndAwait, until, type ChaosCase, type RunRecord } from '../campaign.ts';
import type { BosunClient } from '../../../client/client.ts';
import type { ChaosWorker } from '../rig.ts';
import { chaosAgent, lookupThenAnswer, modelOn, runInput } from '../scripts.ts';

const rateLimited: FakeReply = { kind: 'error', status: 429, headers: { 'retry-after': '2' } };
const unavailable: FakeReply = { kind: 'error', status: 503 };

function burst(opts: {
  name: string;
  first: number;
  concurrent: number;
  trials: number;
  inShort: boolean;
  fault?: FakeReply;
  /** One worker of the case's own, or the two shared workers. */
  workers: 'one' | 'shared';
}): ChaosCase {
  const fault = opts.fault ?? rateLimited;
  return {
    name: opts.name,
    group: 'rate limits',
    inShort: opts.inShort,
    runs: { full: opts.concurrent * opts.trials, short: opts.concurrent },
    timeoutMs: 90_000 * opts.trials,
    async run(ctx) {
      const { rig } = ctx;
      let bosun: BosunClient;
      let own: ChaosWorker | undefined;
      if (opts.workers === 'shared') bosun = (await rig.sharedWorkers()).bosun;
      else {
        const taskQueue = rig.unique('chaos-burst');
        own = await rig.startWorker({ name: 'burst', taskQueue, stateDir: rig.stateDir('burst') });
        bosun = rig.client(taskQueue);
      }
      try {
        const records: RunRecord[] = [];
        for (let left = ctx.runs, trial = 1; left > 0; left -= opts.concurrent, trial++) {
          const n = Math.min(left, opts.concurrent);
          let served = 0;
          const then = lookupThenAnswer(rig.model);
          const model = modelOn('openai', rig.unique(`chaos-burst-${opts.concurrent}`));
          const deadline = Math.min(ctx.deadline, Date.now() + 90_000);
          const t0 = Date.now();
          const start = () => {
            const runId = ctx.runId(`burst${opts.concurrent}`);
            rig.model.script(runId, (turn) => (++served <= opts.first ? fault : then(turn)));
            return startAndAwait(rig, bosun, runInput(runId, chaosAgent(model)), {}, deadline);
          };
          // The runs that meet the burst first; the others start as its last fault is sent.
          const first = Array.from({ length: Math.min(n, opts.first) }, start);
          await until('the burst to be sent', () => served >= opts.first, 30_000, 20).catch(() => {});
          await sleep(100);
          const rest = Array.from({ length: n - first.length }, start);
          records.push(...(await Promise.all([...first, ...rest])));
          ctx.log(`trial ${trial}: ${served} requests, ${Math.round((Date.now() - t0) / 100) / 10} s`);
        }
        return records;
      } finally {
        await own?.kill();
      }
    },
  };
}

export const rateLimitCases: ChaosCase[] = [
  burst({
    name: '429 burst: first 5 requests, 10 concurrent runs',
    first: 5,
    concurrent: 10,
    trials: 3,
    inShort: true,
    workers: 'one',
  }),
  burst({
    name: '429 burst: first 10 requests, 200 concurrent runs',
    first: 10,
    concurrent: 200,
    trials: 1,
    inShort: false,
    workers: 'shared',
  }),
  burst({
    name: '503 blip: first 10 requests, 10 concurrent runs',
    first: 10,
    concurrent: 10,
    trials: 3,
    inShort: false,
    fault: unavailable,
    workers: 'one',
  }),
];
