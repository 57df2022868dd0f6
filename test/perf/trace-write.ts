/**
 * Micro-benchmark of the trace's cost per step: what recording one model-call attempt and
 * one tool-call attempt costs the worker (building the record, one INSERT in the run store),
 * measured through the recorders themselves (`traceModelCalls`, `traceToolCalls`) around
 * activities that answer at once, minus the same activities unwrapped.
 *
 *   node test/perf/trace-write.ts                      # 2000 steps, both sync modes
 *   node test/perf/trace-write.ts --steps 500
 *
 * The store is a file in a temp folder (WAL), with `synchronous` full (SQLite's default,
 * an fsync per commit) and normal (`BOSUN_STORE_SYNC=normal`). The records are ordinary:
 * a model attempt whose answer asks for one tool (a context record of five sections), a
 * tool attempt with a 200-character result. Prints one JSON line per mode: per step (one
 * model + one tool attempt) the median and p95 wall time and the CPU time added, in µs,
 * and the bytes stored per step.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Logger } from '@temporalio/common';
import { openSqliteRunStore } from '../../activities/store/run-store.ts';
import { nativeToolCall, traceModelCalls, traceToolCalls } from '../../activities/trace/record.ts';
import type { CallModelInput, ExecuteToolInput, ExecuteToolResult } from '../../core/activity-contracts.ts';
import type { ModelResponse } from '../../core/model.ts';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '2000' } } });
const steps = Number(values.steps);

const silent: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const section = (name: string, tokens: number) => ({
  section: name as 'system',
  policy: 'keep' as const,
  tokens,
  items: 1,
  kept: 1,
  truncated: 0,
  dropped: 0,
});
const response: ModelResponse = {
  message: {
    role: 'assistant',
    text: 'Let me look that order up.',
    toolCalls: [{ id: 'call_1', name: 'lookup_order', input: { orderId: 'ord_101' } }],
  },
  stop: 'tool_calls',
  usage: { input: 2_400, output: 40, cachedInput: 1_800, cacheWrite: 0 },
  modelVersion: 'gpt-4.1-mini-2025-04-14',
  requestId: 'req_0123456789abcdef',
  latencyMs: 800,
  context: {
    sections: ['system', 'tools', 'task', 'history', 'recent'].map((s, i) => section(s, 300 + i)),
    totalTokens: 2_400,
    budgetTokens: 120_000,
    contextWindow: 128_000,
    outputReserve: 8_000,
    overBudgetTokens: 0,
    tokenizer: { name: 'o200k_base', exact: true },
    stablePrefixTokens: 1_800,
    stablePrefixShare: 0.75,
    stablePrefixHash: 'a1b2c3d4',
  },
};
const modelInput = (step: number): CallModelInput => ({
  runId: 'run-bench',
  step,
  request: {
    model: { provider: 'openai', name: 'gpt-4.1-mini' },
    system: '',
    messages: [],
    tools: [],
    maxOutputTokens: 1_024,
  },
  timeoutMs: 60_000,
  conversation: { id: 'run-bench', storedLength: step * 2, append: [] },
  prompt: { name: 'support', hash: 'f'.repeat(64) },
  toolsRef: `tools/${'a'.repeat(64)}`,
});
const toolInput = (step: number): ExecuteToolInput => ({
  runId: 'run-bench',
  step,
  callId: `call_${step}`,
  name: 'lookup_order',
  input: { orderId: 'ord_101' },
  principal: { tenant: 'acme', user: 'alice', scopes: ['orders:read'], roles: ['support_agent'], attributes: {} },
  inlineMaxChars: 256,
});
const result: ExecuteToolResult = { content: 'x'.repeat(200), truncated: false };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)]!;
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

async function measure(sync: 'full' | 'normal') {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-trace-bench-'));
  const store = openSqliteRunStore(join(dir, 'runs.db'), { synchronous: sync });
  // One environment per call: each model call is its own activity (its own trace row).
  let calls = 0;
  const envs = (n: number) =>
    Array.from(
      { length: n },
      () => new MockActivityEnvironment({ attempt: 1, activityId: String(++calls) }, { logger: silent }),
    );
  const call = async () => response;
  const tool = async () => result;
  const tracedCall = traceModelCalls(store, call);
  const tracedTool = traceToolCalls(store, nativeToolCall(new Map()), tool);
  const run = async (n: number, traced: boolean) => {
    const wall: number[] = [];
    const each = envs(n);
    const cpu0 = cpuUs();
    for (let step = 1; step <= n; step++) {
      const env = each[step - 1]!;
      const t0 = performance.now();
      await env.run(traced ? tracedCall : call, modelInput(step));
      await env.run(traced ? tracedTool : tool, toolInput(step));
      wall.push((performance.now() - t0) * 1000);
    }
    return { wall, cpu: (cpuUs() - cpu0) / n };
  };
  await run(200, true); // warm-up (JIT, page cache)
  await run(200, false);
  const off = await run(steps, false);
  const on = await run(steps, true);
  const stored = await store.readTrace('run-bench', { limit: 1_000_000 });
  const json = stored.reduce((n, r) => n + JSON.stringify({ ...r, seq: undefined }).length, 0);
  store.close();
  const db =
    statSync(join(dir, 'runs.db')).size + (statSync(join(dir, 'runs.db-wal'), { throwIfNoEntry: false })?.size ?? 0);
  rmSync(dir, { recursive: true, force: true });
  const us = (x: number) => Math.round(x);
  return {
    sync,
    steps,
    perStepWallUs: { median: us(median(on.wall) - median(off.wall)), p95: us(p95(on.wall) - p95(off.wall)) },
    perStepCpuUs: us(on.cpu - off.cpu),
    jsonBytesPerStep: Math.round(json / (steps + 200)),
    fileBytesPerStep: Math.round(db / (steps + 200)),
  };
}

for (const sync of ['full', 'normal'] as const) console.log(JSON.stringify(await measure(sync)));
