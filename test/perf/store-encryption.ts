/**
 * Micro-benchmark of encryption at rest (`activities/store/content-cipher.ts`): what sealing
 * and opening a step's run-store content costs, alone and through the SQLite run store.
 *
 *   npx node test/perf/store-encryption.ts                  # 2000 steps, 2,000-char tool result
 *   npx node test/perf/store-encryption.ts --steps 500 --result-chars 20000
 *
 * A step writes: the tool result message (`putMessages`), the model's answer (`putAnswer`),
 * a model-attempt and a tool-attempt trace record (`putTrace`), and reads back its new rows
 * (`readConversation` after the last seq), as a worker does between calls. Printed, one
 * JSON line each: `cipher` — seal + open of those values only (AES-256-GCM, base64); then
 * `store` — the step through a file store (WAL, synchronous normal), plaintext vs
 * encrypting, median and p95 wall per step in µs, and the added cost.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createContentCipher, plaintextCipher, type ContentCipher } from '../../activities/store/content-cipher.ts';
import { openSqliteRunStore } from '../../activities/store/run-store.ts';
import type { Message } from '../../core/messages.ts';
import type { TraceRecord } from '../../core/trace.ts';

const { values } = parseArgs({
  options: { steps: { type: 'string', default: '2000' }, 'result-chars': { type: 'string', default: '2000' } },
});
const steps = Number(values.steps);
const resultChars = Number(values['result-chars']);

const result = 'Order ord_101: 2 mugs, shipped 2026-11-20, refundable until 2026-12-20. '
  .repeat(resultChars / 72 + 1)
  .slice(0, resultChars);
const toolMessage: Message = {
  role: 'tool',
  results: [{ callId: 'call_1', name: 'lookup_order', content: result, isError: false }],
};
const answer: Message = {
  role: 'assistant',
  text: 'Let me look that order up.',
  toolCalls: [{ id: 'call_1', name: 'lookup_order', input: { orderId: 'ord_101' } }],
};
const base = {
  runId: 'run-bench',
  attempt: 1,
  startedAt: '2026-11-30T10:00:00.000Z',
  endedAt: '2026-11-30T10:00:00.800Z',
  latencyMs: 800,
  outcome: { status: 'ok' as const },
};
const modelRecord = (step: number): TraceRecord => ({
  ...base,
  kind: 'model',
  call: `wf/${step}`,
  step,
  model: { provider: 'openai', name: 'gpt-4.1-mini' },
  messages: { conversationId: 'run-bench', length: 2 * step, appended: 1 },
  tools: { ref: 'tools/0123456789abcdef' },
  parameters: { maxOutputTokens: 1024, timeoutMs: 60_000 },
  answer: {
    text: answer.role === 'assistant' ? answer.text : '',
    toolCalls: [],
    stop: 'tool_calls',
    modelVersion: 'gpt-4.1-mini-2025-04-14',
  },
  usage: { input: 2_400, output: 40, cachedInput: 1_800, cacheWrite: 0 },
});
const toolRecord = (step: number): TraceRecord => ({
  ...base,
  kind: 'tool',
  call: `call_${step}`,
  step,
  tool: { name: 'lookup_order' },
  arguments: { orderId: 'ord_101' },
  authorization: { principal: { tenant: 't', user: 'u', scopes: ['orders:read'], roles: [] } },
  result: {
    content: result.slice(0, 200),
    truncated: true,
    ref: `run-bench/tool/${step}/call_${step}`,
    chars: result.length,
  },
});

const stats = (us: number[]) => {
  const s = [...us].sort((a, b) => a - b);
  return { median: round(s[Math.floor(s.length / 2)]!), p95: round(s[Math.floor(s.length * 0.95)]!) };
};
const round = (n: number) => Math.round(n * 10) / 10;
const now = () => performance.now() * 1000;

const cipher = createContentCipher({ keys: { k1: randomBytes(32) }, activeKeyId: 'k1' });

// The cipher alone: every content value a step writes, sealed then opened.
{
  const values = [
    JSON.stringify(toolMessage),
    JSON.stringify(answer),
    JSON.stringify(modelRecord(1)),
    JSON.stringify(toolRecord(1)),
  ];
  const bytes = values.reduce((n, v) => n + v.length, 0);
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = now();
    for (const v of values) cipher.openText(cipher.sealText(v));
    times.push(now() - t);
  }
  console.log(
    JSON.stringify({
      measure: 'cipher',
      steps,
      plaintextBytesPerStep: bytes,
      usPerStep: stats(times.slice(steps / 10)),
    }),
  );
}

async function storeRun(c: ContentCipher): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-enc-bench-'));
  const store = openSqliteRunStore(join(dir, 'runs.db'), { synchronous: 'normal', cipher: c });
  await store.putMessages('run-bench', 0, [{ role: 'user', content: 'look up ord_101' }]);
  let seq = -1;
  const times: number[] = [];
  for (let step = 1; step <= steps; step++) {
    const fence = { call: `wf/${step}`, scheduledAt: step };
    const t = now();
    await store.putAnswer('run-bench', 2 * step - 1, { message: answer, stop: 'tool_calls' }, fence);
    await store.putTrace(modelRecord(step));
    await store.putMessages('run-bench', 2 * step, [toolMessage], fence);
    await store.putTrace(toolRecord(step));
    seq = (await store.readConversation('run-bench', seq)).seq;
    times.push(now() - t);
  }
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return times.slice(steps / 10);
}

// Interleaved rounds, so machine noise hits both alike.
const plain: number[] = [];
const encrypted: number[] = [];
for (let round = 0; round < 3; round++) {
  plain.push(...(await storeRun(plaintextCipher)));
  encrypted.push(...(await storeRun(cipher)));
}
const p = stats(plain);
const e = stats(encrypted);
console.log(
  JSON.stringify({
    measure: 'store',
    steps,
    resultChars,
    plaintextUsPerStep: p,
    encryptedUsPerStep: e,
    addedUsPerStep: { median: round(e.median - p.median), p95: round(e.p95 - p.p95) },
  }),
);
