/**
 * Bursts across runs (issue 11, item 1): the provider answers the first K requests it gets
 * (from any run) with 429 + `retry-after: 2` — or, in the storm case, 503 — then serves
 * normally. The runs start at once on the shared workers and call one model, so they share
 * its circuit breaker; each trial has a model name of its own, so it starts closed. Rate
 * limits are expected events, and a short blip is what retries are for: every run must end
 * answered.
 */
import type { FakeReply } from '../../kit/index.ts';
import { startAndAwait, type ChaosCase, type RunRecord } from '../campaign.ts';
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
      const shared = await rig.sharedWorkers();
      const records: RunRecord[] = [];
      for (let left = ctx.runs, trial = 1; left > 0; left -= opts.concurrent, trial++) {
        const n = Math.min(left, opts.concurrent);
        let served = 0;
        const then = lookupThenAnswer(rig.model);
        const model = modelOn('openai', rig.unique(`chaos-burst-${opts.concurrent}`));
        const deadline = Math.min(ctx.deadline, Date.now() + 90_000);
        const t0 = Date.now();
        records.push(
          ...(await Promise.all(
            Array.from({ length: n }, () => {
              const runId = ctx.runId(`burst${opts.concurrent}`);
              rig.model.script(runId, (turn) => (++served <= opts.first ? fault : then(turn)));
              return startAndAwait(rig, shared.bosun, runInput(runId, chaosAgent(model)), {}, deadline);
            }),
          )),
        );
        ctx.log(`trial ${trial}: ${served} requests, ${Math.round((Date.now() - t0) / 100) / 10} s`);
      }
      return records;
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
  }),
  burst({
    name: '429 burst: first 10 requests, 200 concurrent runs',
    first: 10,
    concurrent: 200,
    trials: 1,
    inShort: false,
  }),
  burst({
    name: '503 blip: first 10 requests, 10 concurrent runs',
    first: 10,
    concurrent: 10,
    trials: 3,
    inShort: false,
    fault: unavailable,
  }),
];
