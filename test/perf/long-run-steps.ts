/**
 * End to end, what the context work means for a long run: one 500-step agent run through
 * the real workflow, worker and client on a dev server, against a zero-latency fake model
 * (gpt-4o, so token counts are exact `o200k_base`) whose every answer is a short paragraph
 * of ordinary text and one `calculator` call. A step's time is the interval between
 * consecutive model requests (model answer → tool → next request), as `npm run bench`
 * measures it, and the CPU this process (worker, client, fake model; not the dev server)
 * spent in that interval — on a shared machine the wall time swings with the load, the CPU
 * time much less. Printed: the median over the 20 steps ending at each marked step.
 *
 *   node test/perf/long-run-steps.ts               # --steps 500 --marks 10,100,300,500
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createBosunClient } from '../../client/client.ts';
import type { AgentDefinitionInput } from '../../core/run.ts';
import { startFakeOpenAI } from '../../testing/index.ts';
import { bundleWorkflows } from '../../worker/bundle.ts';
import { workerConfigSchema } from '../../worker/config.ts';
import { createBosunWorker } from '../../worker/create-worker.ts';
import { dynamicConfigArgs, responsiveDevServerConfig, startDevServer } from '../../worker/dev-server.ts';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '500' },
    marks: { type: 'string', default: '10,100,300,500' },
  },
});
const steps = Number(values.steps);
const marks = values.marks
  .split(',')
  .map(Number)
  .filter((m) => m <= steps);
const WINDOW = 20;

const words =
  'the order was shipped to customer account refund policy invoice item returned warehouse status delayed tracking number carrier delivered payment pending review'.split(
    ' ',
  );
const prose = (n: number, seed: number) =>
  Array.from({ length: n }, (_, i) => words[(i * 7 + seed * 13) % words.length]).join(' ');

const log = (line: string) => console.error(`[long-run-steps] ${line}`);
const [server, bundle] = await Promise.all([
  startDevServer({ stateDir: resolve('.bosun'), extraArgs: dynamicConfigArgs(responsiveDevServerConfig) }),
  bundleWorkflows(),
]);
const cpuAt: number[] = [];
const fake = await startFakeOpenAI({
  handler: (_req, i) => {
    const used = process.cpuUsage();
    cpuAt.push((used.user + used.system) / 1000);
    return i < steps
      ? {
          kind: 'tool_calls',
          text: `Step ${i + 1}: ${prose(30, i)}.`,
          calls: [{ name: 'calculator', args: { expression: `${i}+1` } }],
          usage: { input: 10, output: 1 },
        }
      : { kind: 'text', text: 'done', usage: { input: 10, output: 1 } };
  },
});
try {
  const config = workerConfigSchema.parse({
    TEMPORAL_ADDRESS: server.address,
    BOSUN_TASK_QUEUE: `long-run-steps-${process.pid}`,
    OPENAI_BASE_URL: fake.baseURL,
    OPENAI_API_KEY: 'perf-key',
  });
  const worker = await createBosunWorker({
    connection: server.env.nativeConnection,
    config,
    workflowBundle: { code: bundle.code },
  });
  const bosun = createBosunClient({ client: server.env.client, taskQueue: config.BOSUN_TASK_QUEUE });
  const agent: AgentDefinitionInput = {
    name: 'long-run-steps',
    instructions: `You are a support agent. ${prose(80, 1)}`,
    model: { provider: 'openai', name: 'gpt-4o' },
    tools: ['calculator'],
    maxSteps: steps + 1,
  };
  log(`running ${steps} steps ...`);
  const started = performance.now();
  const result = await worker.runUntil(bosun.run({ agent, task: `Task: ${prose(60, 2)}` }));
  if (result.outcome.kind !== 'answer' || result.toolCalls !== steps) {
    throw new Error(`the run did not do ${steps} steps: ${JSON.stringify({ outcome: result.outcome.kind, steps })}`);
  }
  const diffs = (xs: number[]) => xs.slice(1).map((t, i) => t - xs[i]!);
  const wall = diffs(fake.requests.map((r) => r.at));
  const cpu = diffs(cpuAt);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  // Interval k is the step from model request k to k + 1.
  const at = (xs: number[], mark: number) => median(xs.slice(Math.max(0, mark - WINDOW), mark));
  const table = (xs: number[]) => Object.fromEntries(marks.map((m) => [`step${m}`, Math.round(at(xs, m) * 10) / 10]));
  const ratio = (xs: number[]) => Math.round((at(xs, marks.at(-1)!) / at(xs, marks[0]!)) * 100) / 100;
  console.log(
    JSON.stringify({
      steps,
      wallMsPerStep: table(wall),
      cpuMsPerStep: table(cpu),
      lastOverFirst: { wall: ratio(wall), cpu: ratio(cpu) },
      wallMs: Math.round(performance.now() - started),
    }),
  );
} finally {
  await fake.close();
  await server.stop();
}
