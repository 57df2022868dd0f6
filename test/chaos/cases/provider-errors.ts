/**
 * docs/failures.md, row by row, end to end: each provider answer is sent on the wire (runs
 * alternate between the OpenAI and the Anthropic fake) to real runs on the shared workers.
 * A transient fault must end in an answer after retries; a permanent one in the row's typed
 * failure (or escalation). Each run calls a model name of its own, so the per-model circuit
 * breakers of the workers never couple runs here: what a fault does to the other runs on the
 * same model is the rate-limit group's subject.
 */
import type { AgentDefinitionInput } from '../../../core/run.ts';
import type { FakeReply } from '../../kit/index.ts';
import { startAndAwait, type Accept, type ChaosCase, type RunRecord } from '../campaign.ts';
import type { Wire } from '../scripted-model.ts';
import { answer, chaosAgent, faultsFirst, lookupThenAnswer, modelOn, runInput } from '../scripts.ts';

interface Row {
  name: string;
  /** What the fake answers, per wire where they differ. */
  fault: FakeReply | ((wire: Wire) => FakeReply);
  /** How many requests get the fault: a transient fault, or every request. */
  times: number | 'always';
  accept: Accept;
  inShort?: boolean;
  agent?: Partial<AgentDefinitionInput>;
  timeoutMs?: number;
}

const err = (
  status: number,
  extra: Omit<Extract<FakeReply, { kind: 'error' }>, 'kind' | 'status'> = {},
): FakeReply => ({
  kind: 'error',
  status,
  ...extra,
});
const answered: Accept = {};
/** A 200 whose body is JSON but not a response of the provider's. */
const notAResponse = (wire: Wire): FakeReply => ({
  kind: 'raw',
  status: 200,
  body:
    wire === 'openai'
      ? { id: 'chatcmpl-chaos', object: 'chat.completion', choices: [] }
      : { id: 'msg_chaos', type: 'message', role: 'assistant' },
});

const rows: Row[] = [
  {
    name: '429 retry-after: 1 (once)',
    fault: err(429, { headers: { 'retry-after': '1' } }),
    times: 1,
    accept: answered,
    inShort: true,
  },
  {
    name: '429 retry-after-ms: 500 (twice)',
    fault: err(429, { headers: { 'retry-after-ms': '500' } }),
    times: 2,
    accept: answered,
  },
  {
    name: '429 insufficient_quota',
    fault: err(429, { code: 'insufficient_quota' }),
    times: 'always',
    accept: { failures: ['quota_exhausted'] },
  },
  { name: '402 billing', fault: err(402), times: 'always', accept: { failures: ['quota_exhausted'] } },
  { name: '408 (once)', fault: err(408), times: 1, accept: answered },
  { name: '409 (once)', fault: err(409), times: 1, accept: answered },
  { name: '425 (once)', fault: err(425), times: 1, accept: answered },
  { name: '499 (once)', fault: err(499), times: 1, accept: answered },
  { name: '500 (once)', fault: err(500), times: 1, accept: answered },
  { name: '502 (once)', fault: err(502), times: 1, accept: answered },
  { name: '503 (once)', fault: err(503), times: 1, accept: answered, inShort: true },
  { name: '504 (once)', fault: err(504), times: 1, accept: answered },
  { name: '529 overloaded (once)', fault: err(529), times: 1, accept: answered, inShort: true },
  { name: '503 (3 times)', fault: err(503), times: 3, accept: answered },
  { name: 'connection reset (once)', fault: { kind: 'drop' }, times: 1, accept: answered, inShort: true },
  {
    name: 'SDK timeout (once)',
    fault: { kind: 'delay', ms: 4_000, then: answer('late') },
    times: 1,
    accept: answered,
    inShort: true,
    agent: { timeouts: { modelCallMs: 2_000, heartbeatMs: 1_000, toolCallMs: 5_000 } },
  },
  { name: 'malformed 200 body (once)', fault: { kind: 'malformed' }, times: 1, accept: answered, inShort: true },
  { name: '200 that is not a response (once)', fault: notAResponse, times: 1, accept: answered },
  { name: '400', fault: err(400), times: 'always', accept: { failures: ['bad_request'] }, inShort: true },
  { name: '422', fault: err(422), times: 'always', accept: { failures: ['bad_request'] } },
  {
    name: '400 context length exceeded',
    fault: (wire) =>
      wire === 'openai'
        ? err(400, {
            code: 'context_length_exceeded',
            message: "This model's maximum context length is 128000 tokens.",
          })
        : err(400, { message: 'prompt is too long: 210000 tokens > 200000 maximum' }),
    times: 'always',
    accept: { failures: ['context_too_long'] },
    inShort: true,
  },
  { name: '413', fault: err(413), times: 'always', accept: { failures: ['context_too_long'] } },
  { name: '401', fault: err(401), times: 'always', accept: { failures: ['auth'] }, inShort: true },
  { name: '403', fault: err(403), times: 'always', accept: { failures: ['auth'] } },
  { name: '404', fault: err(404), times: 'always', accept: { failures: ['model_not_found'] } },
  {
    name: '503 + x-should-retry: false',
    fault: err(503, { headers: { 'x-should-retry': 'false' } }),
    times: 'always',
    accept: { failures: ['provider_unavailable'] },
    inShort: true,
  },
  {
    name: 'refusal',
    fault: { kind: 'text', text: 'I cannot help with that.', stop: 'refusal' },
    times: 'always',
    accept: { escalated: ['refused'] },
    inShort: true,
  },
  {
    name: 'content filter',
    fault: { kind: 'text', text: '', stop: 'content_filter' },
    times: 'always',
    accept: { escalated: ['refused'] },
  },
  // Permanent faults: the run spends its attempts (or the breaker opens) and fails typed.
  {
    name: '503 (always)',
    fault: err(503),
    times: 'always',
    accept: { failures: ['provider_unavailable'] },
    timeoutMs: 120_000,
  },
  {
    name: 'connection reset (always)',
    fault: { kind: 'drop' },
    times: 'always',
    accept: { failures: ['provider_unavailable'] },
    timeoutMs: 120_000,
  },
  {
    name: 'hangs (always)',
    fault: { kind: 'delay', ms: 60_000, then: answer('never') },
    times: 'always',
    accept: { failures: ['timeout'] },
    agent: { timeouts: { modelCallMs: 2_000, heartbeatMs: 1_000, toolCallMs: 5_000 } },
    timeoutMs: 150_000,
  },
];

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

function rowCase(row: Row): ChaosCase {
  return {
    name: `failures: ${row.name}`,
    group: 'provider errors',
    inShort: row.inShort ?? false,
    runs: { full: 10, short: 2 },
    timeoutMs: row.timeoutMs ?? 60_000,
    parallel: true,
    async run(ctx) {
      const { rig } = ctx;
      const shared = await rig.sharedWorkers();
      const then = lookupThenAnswer(rig.model);
      return Promise.all(
        Array.from({ length: ctx.runs }, async (_, i): Promise<RunRecord> => {
          const wire: Wire = i % 2 === 0 ? 'openai' : 'anthropic';
          const runId = ctx.runId(`${slug(row.name)}-${wire}`);
          const fault = (w: Wire) => (typeof row.fault === 'function' ? row.fault(w) : row.fault);
          rig.model.script(
            runId,
            row.times === 'always'
              ? (turn) => fault(turn.wire)
              : faultsFirst(
                  Array.from({ length: row.times }, () => fault(wire)),
                  then,
                ),
          );
          const agent = chaosAgent(modelOn(wire, `${runId}-model`), row.agent);
          const record = await startAndAwait(rig, shared.bosun, runInput(runId, agent), row.accept, ctx.deadline);
          return { ...record, detail: `${wire}: ${record.detail}` };
        }),
      );
    },
  };
}

/** A run naming a provider its worker does not serve fails typed (`auth`), naming what the
 * worker serves: no wire involved. */
const unknownProvider: ChaosCase = {
  name: 'failures: provider not configured on the worker',
  group: 'provider errors',
  inShort: true,
  runs: { full: 10, short: 2 },
  timeoutMs: 60_000,
  parallel: true,
  async run(ctx) {
    const shared = await ctx.rig.sharedWorkers();
    return Promise.all(
      Array.from({ length: ctx.runs }, () => {
        const runId = ctx.runId('unconfigured');
        ctx.rig.model.script(runId, () => answer());
        const agent = chaosAgent({ provider: 'openai-compatible', name: 'chaos-unconfigured' });
        return startAndAwait(ctx.rig, shared.bosun, runInput(runId, agent), { failures: ['auth'] }, ctx.deadline);
      }),
    );
  },
};

export const providerErrorCases: ChaosCase[] = [...rows.map(rowCase), unknownProvider];
