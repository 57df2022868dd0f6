/**
 * `npm run soak -- --minutes N`: continuous load on one worker process, its memory and open
 * handles sampled (docs/testing.md, "Soak").
 *
 * A Temporal dev server of its own, the scripted fake model (OpenAI and Anthropic wire, runs
 * alternate), and one worker (`worker/worker-main.ts` with the demo app) take a steady stream
 * of short runs with tools — look an order up, compute, answer — `--concurrency` at a time
 * (default 4). Every `--sample-seconds` (default 10) the worker's RSS (/proc/<pid>/status)
 * and open fds (/proc/<pid>/fd) are sampled, with its JS heap from its own memory log
 * (BOSUN_LOG_MEMORY_MS). After the warm-up (the first 20% of the time) the highest RSS must
 * stay within `--max-growth` percent (default 20) of the warm-up's highest, and every run
 * must answer; otherwise the exit code is 1. Prints a table and one JSON line. `--env K=V`
 * (repeatable) passes a variable to the worker, to compare settings (MALLOC_ARENA_MAX=2).
 */
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAndAwait } from '../chaos/campaign.ts';
import { Rig } from '../chaos/rig.ts';
import type { Wire } from '../chaos/scripted-model.ts';
import { answer, chaosAgent, modelOn, runInput, toolCall } from '../chaos/scripts.ts';
import { lastMemoryLine, sampleProcess } from './proc-sample.ts';
import { formatSoak, judgeSoak, type Sample } from './soak-report.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '4' },
    'sample-seconds': { type: 'string', default: '10' },
    'max-growth': { type: 'string', default: '20' },
    env: { type: 'string', multiple: true },
  },
});
const number = (name: string, raw: string, min: number) => {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) {
    console.error(`--${name} must be a number >= ${min}, got "${raw}"`);
    process.exit(2);
  }
  return n;
};
const minutes = number('minutes', values.minutes, 0.5);
const concurrency = number('concurrency', values.concurrency, 1);
const sampleSeconds = number('sample-seconds', values['sample-seconds'], 1);
const maxGrowthPct = number('max-growth', values['max-growth'], 0);
/** `--env KEY=VALUE` (repeatable): extra variables for the worker, e.g. MALLOC_ARENA_MAX=2. */
const workerEnv = Object.fromEntries(
  (values.env ?? []).map((kv) => {
    const at = kv.indexOf('=');
    if (at < 1) {
      console.error(`--env must be KEY=VALUE, got "${kv}"`);
      process.exit(2);
    }
    return [kv.slice(0, at), kv.slice(at + 1)];
  }),
);

const log = (line: string) => console.error(`[soak] ${line}`);
const rig = await Rig.start(log);
let exitCode = 1;
try {
  const taskQueue = rig.unique('soak');
  const worker = await rig.startWorker({
    name: 'soak',
    taskQueue,
    stateDir: rig.stateDir('soak'),
    env: { ...workerEnv, BOSUN_LOG_MEMORY_MS: String(sampleSeconds * 1000) },
  });
  const bosun = rig.client(taskQueue);
  const orders = ['ord_100', 'ord_101', 'ord_102', 'ord_103', 'ord_104', 'ord_105'];
  let started = 0;
  let answered = 0;
  let notAnswered = 0;
  const failures = new Map<string, number>();
  const t0 = Date.now();
  const end = t0 + minutes * 60_000;

  /** One slot of the load: a run after another until the time is up. */
  const slot = async () => {
    while (Date.now() < end) {
      const i = started++;
      const wire: Wire = i % 2 === 0 ? 'openai' : 'anthropic';
      const runId = rig.unique('soak-run');
      rig.model.script(runId, (turn) => {
        if (turn.toolResults === 0) return toolCall(rig.model, turn, 'lookup_order', { orderId: orders[i % 6] });
        if (turn.toolResults === 1) return toolCall(rig.model, turn, 'calculator', { expression: `${i} * 3` });
        return answer(`Order ${orders[i % 6]} looked up; ${i} * 3 = ${i * 3}.`);
      });
      const agent = chaosAgent(modelOn(wire, 'soak-model'));
      const r = await startAndAwait(rig, bosun, runInput(runId, agent), {}, Date.now() + 60_000);
      rig.model.forget(runId);
      if (r.verdict === 'answered') answered++;
      else {
        notAnswered++;
        failures.set(r.outcome, (failures.get(r.outcome) ?? 0) + 1);
      }
    }
  };

  const samples: Sample[] = [];
  const sample = () => {
    const s = sampleProcess(worker.pid);
    const heap = lastMemoryLine(worker.process.output());
    const t = Math.round((Date.now() - t0) / 1000);
    samples.push({
      t,
      runs: answered + notAnswered,
      ...s,
      ...(heap ? { heapUsedMiB: heap.heapUsed, workflowHeapUsedMiB: heap.workflowHeapUsed } : {}),
    });
    const heaps = heap ? ` heap=${heap.heapUsed} wfHeap=${heap.workflowHeapUsed} MiB` : '';
    log(`t=${t}s runs=${answered + notAnswered} rss=${s.rssMiB} anon=${s.anonMiB} MiB fds=${s.fds}${heaps}`);
  };
  const sampler = (async () => {
    sample();
    while (Date.now() < end) {
      await sleep(Math.min(sampleSeconds * 1000, Math.max(0, end - Date.now())));
      sample();
    }
  })();
  await Promise.all([...Array.from({ length: concurrency }, slot), sampler]);

  const verdict = judgeSoak({ samples, minutes, answered, notAnswered, warmupFraction: 0.2, maxGrowthPct });
  console.log(formatSoak(samples, verdict));
  if (failures.size > 0) console.log(`not answered: ${JSON.stringify(Object.fromEntries(failures))}`);
  console.log(JSON.stringify({ soak: verdict, samples }));
  exitCode = verdict.ok ? 0 : 1;
} finally {
  await rig.close();
}
process.exit(exitCode);
