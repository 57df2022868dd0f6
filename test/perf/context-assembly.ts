/**
 * Micro-benchmark of `callModel`'s context work over a long tool-calling run: what one model
 * call costs the worker besides the provider itself (append to the run store, load the
 * conversation, count tokens, pack the window, summarize, store the answer), measured at
 * step 10, 300 and 500, and how many summarizer calls a 500-step run makes.
 *
 * The model is an in-process adapter that answers at once (a short text and one tool call),
 * so every millisecond measured is Bosun's. The conversation is what an agent run stores:
 * the task, then per step the model's answer and one tool result of ordinary English-like
 * text (20 B or 5 KB). The model is gpt-4o (a 128k window) so the 5 KB run fills it and
 * summarizes; the summarizer is another in-process adapter.
 *
 *   node test/perf/context-assembly.ts                 # both tool-result sizes, 500 steps
 *   node test/perf/context-assembly.ts --steps 300 --sizes 5000
 *
 * Prints one JSON line per tool-result size: per call, the worker's CPU time (user + system,
 * what the machine's load does not change) and wall time, each the median of the 10 calls
 * ending at each marked step, and of those the median over `--repeat` runs (3; a shared
 * machine is noisy at the millisecond); the ratio last/first of both; and the summarizer
 * calls. A 30-step run first warms the JIT up, so step 10 is not measured cold.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Logger } from '@temporalio/common';
import { createCallModel, type ModelAdapters } from '../../activities/call-model.ts';
import type { ModelAdapter } from '../../activities/model/types.ts';
import { openSqliteRunStore } from '../../activities/store/run-store.ts';
import type { CallModelInput } from '../../core/activity-contracts.ts';
import type { Message } from '../../core/messages.ts';
import type { ModelResponse } from '../../core/model.ts';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '500' },
    sizes: { type: 'string', default: '20,5000' },
    marks: { type: 'string', default: '10,300,500' },
    repeat: { type: 'string', default: '3' },
  },
});
const steps = Number(values.steps);
const sizes = values.sizes.split(',').map(Number);
const marks = values.marks
  .split(',')
  .map(Number)
  .filter((m) => m <= steps);
const repeat = Number(values.repeat);
const WINDOW = 10;

const silent: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** Deterministic English-like text of `bytes` characters (a fixed word list, an LCG). */
function prose(bytes: number, seed: number): string {
  const words =
    'the order was shipped to customer account refund policy invoice item returned warehouse status delayed tracking number carrier delivered payment pending review support ticket opened closed escalated priority region europe north america price discount total tax amount currency'.split(
      ' ',
    );
  let x = seed >>> 0 || 1;
  let out = '';
  while (out.length < bytes) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out += words[x % words.length]! + (x % 11 === 0 ? '. ' : x % 17 === 0 ? ', ' : ' ');
  }
  return out.slice(0, bytes);
}

function answer(step: number): ModelResponse {
  return {
    message: {
      role: 'assistant',
      text: `Step ${step}: ${prose(160, step * 7)}`,
      toolCalls: [{ id: `call_${step}`, name: 'lookup', input: { query: prose(40, step * 13), page: step } }],
    },
    stop: 'tool_calls',
    usage: { input: 1000, output: 50, cachedInput: 0, cacheWrite: 0 },
    modelVersion: 'gpt-4o-2024-08-06',
    latencyMs: 0,
  };
}

async function run(resultBytes: number, steps: number) {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-ctx-bench-'));
  const store = openSqliteRunStore(join(dir, 'runs.db'));
  let step = 0;
  let summarizerCalls = 0;
  const model: ModelAdapter = { provider: 'openai', call: async () => answer(step) };
  const summarizer: ModelAdapter = {
    provider: 'anthropic',
    call: async () => {
      summarizerCalls += 1;
      return { ...answer(0), message: { role: 'assistant', text: prose(1200, summarizerCalls), toolCalls: [] } };
    },
  };
  const adapters: ModelAdapters = { openai: model, anthropic: summarizer };
  const callModel = createCallModel(adapters, { store });
  const conversationId = `bench-${resultBytes}`;
  const tools = [
    {
      name: 'lookup',
      description: 'Looks up orders, customers and policies.',
      inputSchema: { type: 'object', properties: { query: { type: 'string' }, page: { type: 'number' } } },
    },
  ];
  let storedLength = 0;
  let pending: Message[] = [{ role: 'user', content: `Task: ${prose(400, 1)}` }];
  const ms: number[] = [];
  const cpu: number[] = [];
  for (step = 1; step <= steps; step++) {
    const input: CallModelInput = {
      runId: conversationId,
      step,
      timeoutMs: 60_000,
      request: {
        model: { provider: 'openai', name: 'gpt-4o' },
        system: `You are a support agent. ${prose(600, 3)}`,
        messages: [],
        tools,
        maxOutputTokens: 4096,
      },
      conversation: { id: conversationId, storedLength, append: pending },
      summarizer: { provider: 'anthropic', name: 'claude-haiku-4-5' },
    };
    const env = new MockActivityEnvironment(
      {
        attempt: 1,
        activityId: String(step),
        scheduledTimestampMs: step,
        workflowExecution: { workflowId: conversationId, runId: 'r1' },
      },
      { logger: silent },
    );
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    const response = (await env.run(callModel, input)) as ModelResponse;
    const used = process.cpuUsage(cpuStarted);
    ms.push(performance.now() - started);
    cpu.push((used.user + used.system) / 1000);
    storedLength = response.conversationLength!;
    const call = response.message.toolCalls[0]!;
    pending = [
      {
        role: 'tool',
        results: [{ callId: call.id, name: call.name, content: prose(resultBytes, step * 31), isError: false }],
      },
    ];
  }
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return { cpu, ms, summarizerCalls };
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};
const round = (x: number) => Math.round(x * 100) / 100;

await run(20, 30);
for (const size of sizes) {
  const runs: Awaited<ReturnType<typeof run>>[] = [];
  for (let i = 0; i < repeat; i++) runs.push(await run(size, steps));
  /** Median over runs of the median of the calls ending at `mark`. */
  const at = (series: 'cpu' | 'ms', mark: number) =>
    round(median(runs.map((r) => median(r[series].slice(Math.max(0, mark - WINDOW), mark)))));
  const table = (series: 'cpu' | 'ms') => Object.fromEntries(marks.map((m) => [`step${m}`, at(series, m)]));
  const ratio = (series: 'cpu' | 'ms') => round(at(series, marks.at(-1)!) / at(series, marks[0]!));
  console.log(
    JSON.stringify({
      toolResultBytes: size,
      steps,
      runs: repeat,
      cpuMsPerCall: table('cpu'),
      wallMsPerCall: table('ms'),
      lastOverFirst: { cpu: ratio('cpu'), wall: ratio('ms') },
      totalCpuMsPerRun: Math.round(median(runs.map((r) => r.cpu.reduce((a, b) => a + b, 0)))),
      summarizerCalls: median(runs.map((r) => r.summarizerCalls)),
    }),
  );
}
