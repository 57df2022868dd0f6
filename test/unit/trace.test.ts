import { describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { RunStore } from '../../activities/store/run-store.ts';
import { createReadTrace, TRACE_PAGE_MAX_BYTES } from '../../activities/trace/read.ts';
import { mcpToolCall, nativeToolCall, traceModelCalls, traceToolCalls } from '../../activities/trace/record.ts';
import type { CallMcpToolInput } from '../../core/mcp.ts';
import type { CallModelInput, ExecuteToolInput } from '../../core/activity-contracts.ts';
import type { AuditEntry } from '../../core/approvals.ts';
import type { CallRecord } from '../../core/calls.ts';
import type { ModelResponse } from '../../core/model.ts';
import { runTraceSchema, type ModelAttempt, type ToolAttempt } from '../../core/trace.ts';
import { assembleTrace } from '../../client/trace.ts';
import { formatTrace } from '../../client/cli/trace.ts';
import { parseCommand } from '../../client/cli/parse.ts';
import { useMemoryRunStores } from '../helpers/memory-store.ts';

const open = useMemoryRunStores();

const model = { provider: 'openai', name: 'gpt-4.1-mini' } as const;
const modelAttempt = (over: Partial<ModelAttempt> = {}): ModelAttempt => ({
  kind: 'model',
  call: 'wf-1/1',
  runId: 'run-1',
  step: 1,
  attempt: 1,
  startedAt: '2026-11-30T10:00:00.000Z',
  endedAt: '2026-11-30T10:00:00.100Z',
  latencyMs: 100,
  outcome: { status: 'ok' },
  model,
  messages: { conversationId: 'run-1', length: 1, appended: 1 },
  tools: {},
  parameters: { maxOutputTokens: 256, timeoutMs: 10_000 },
  ...over,
});
const toolAttempt = (over: Partial<ToolAttempt> = {}): ToolAttempt => ({
  kind: 'tool',
  call: 'call_1',
  runId: 'run-1',
  step: 1,
  attempt: 1,
  startedAt: '2026-11-30T10:00:01.000Z',
  endedAt: '2026-11-30T10:00:01.010Z',
  latencyMs: 10,
  outcome: { status: 'ok' },
  tool: { name: 'refund_order', version: 'abcd' },
  arguments: { orderId: 'ord_1', amountCents: 500 },
  authorization: { principal: { tenant: 'acme', user: 'alice', scopes: ['orders:write'], roles: [] } },
  result: { content: 'refunded', truncated: false },
  ...over,
});

describe('trace records in the run store', () => {
  it('writes one record per attempt and reads them back in order, by step, paged', async () => {
    const store = open();
    await store.putTrace(
      modelAttempt({
        attempt: 1,
        outcome: { status: 'failed', type: 'provider_unavailable', message: '500', retryable: true },
      }),
    );
    await store.putTrace(modelAttempt({ attempt: 2 }));
    await store.putTrace(toolAttempt());
    await store.putTrace(modelAttempt({ step: 2, call: 'wf-1/3' }));
    await store.putTrace(modelAttempt({ runId: 'run-2' }));

    const all = await store.readTrace('run-1', { limit: 10 });
    expect(all.map((r) => [r.kind, r.step, r.attempt])).toEqual([
      ['model', 1, 1],
      ['model', 1, 2],
      ['tool', 1, 1],
      ['model', 2, 1],
    ]);
    expect(all[0]).toMatchObject({ outcome: { status: 'failed', type: 'provider_unavailable' } });
    expect((await store.readTrace('run-1', { step: 2, limit: 10 })).map((r) => r.call)).toEqual(['wf-1/3']);
    const first = await store.readTrace('run-1', { limit: 2 });
    const rest = await store.readTrace('run-1', { limit: 10, after: first.at(-1)!.seq });
    expect([...first, ...rest]).toEqual(all);
  });

  it('an attempt written again replaces its record in place', async () => {
    const store = open();
    await store.putTrace(modelAttempt({ latencyMs: 1 }));
    await store.putTrace(toolAttempt());
    await store.putTrace(modelAttempt({ latencyMs: 2 }));
    const rows = await store.readTrace('run-1', { limit: 10 });
    expect(rows.map((r) => [r.kind, r.latencyMs])).toEqual([
      ['model', 2],
      ['tool', 10],
    ]);
  });
});

describe('readTrace (the activity)', () => {
  it('resolves stored tool sets, long tool results and, with detail, the messages sent', async () => {
    const store = open();
    const tools = [{ name: 'calculator', description: 'adds', inputSchema: { type: 'object' } }];
    await store.putContent(`tools/${'a'.repeat(64)}`, JSON.stringify(tools));
    await store.putContent('run-1/tool/1/call_1', 'x'.repeat(3_000));
    await store.putMessages('run-1', 0, [{ role: 'user', content: 'hello' }]);
    await store.putTrace(modelAttempt({ tools: { ref: `tools/${'a'.repeat(64)}` } }));
    await store.putTrace(
      toolAttempt({ result: { content: 'x'.repeat(256), truncated: false, ref: 'run-1/tool/1/call_1', chars: 3_000 } }),
    );
    const read = createReadTrace(store);
    const page = await read({ runId: 'run-1', detail: true });
    expect(page.next).toBeUndefined();
    const [m, t] = page.records;
    expect(m).toMatchObject({
      tools: { offered: [{ name: 'calculator', schemaHash: expect.stringMatching(/^[0-9a-f]{16}$/) }] },
    });
    expect(m).toMatchObject({ sent: [{ role: 'user', content: 'hello' }] });
    expect(t).toMatchObject({ result: { content: 'x'.repeat(3_000), chars: 3_000 } });
  });

  it('pages by count and by bytes, always making progress', async () => {
    const store = open();
    for (let i = 1; i <= 5; i++) await store.putTrace(modelAttempt({ call: `wf/${i}` }));
    const read = createReadTrace(store);
    const one = await read({ runId: 'run-1', limit: 2 });
    expect(one.records).toHaveLength(2);
    const two = await read({ runId: 'run-1', limit: 2, after: one.next! });
    const three = await read({ runId: 'run-1', limit: 2, after: two.next! });
    expect([...one.records, ...two.records, ...three.records].map((r) => r.call)).toEqual(
      [1, 2, 3, 4, 5].map((i) => `wf/${i}`),
    );
    expect(three.next).toBeUndefined();

    const big = open();
    const answer = { text: 'y'.repeat(200_000), toolCalls: [], stop: 'end' as const, modelVersion: 'm' };
    for (let i = 1; i <= 4; i++) await big.putTrace(modelAttempt({ call: `wf/${i}`, answer }));
    const page = await createReadTrace(big)({ runId: 'run-1' });
    expect(JSON.stringify(page).length).toBeLessThan(TRACE_PAGE_MAX_BYTES + 1_000);
    expect(page.records.length).toBeLessThan(4);
    expect(page.next).toBe(page.records.at(-1)!.seq);
  });

  it('refuses a malformed request, typed', async () => {
    await expect(createReadTrace(open())({ runId: '' })).rejects.toMatchObject({ type: 'invalid_input' });
  });
});

describe('recording attempts', () => {
  const input: CallModelInput = {
    runId: 'run-1',
    step: 3,
    request: {
      model,
      system: '',
      messages: [],
      tools: [{ name: 'calculator', description: 'adds', inputSchema: { type: 'object' } }],
      maxOutputTokens: 100,
      temperature: 0.2,
    },
    timeoutMs: 5_000,
    conversation: { id: 'run-1', storedLength: 4, append: [{ role: 'user', content: 'more' }] },
    prompt: { name: 'support', hash: 'f'.repeat(64) },
  };
  const response: ModelResponse = {
    message: { role: 'assistant', text: 'done', toolCalls: [] },
    stop: 'end',
    usage: { input: 1_000, output: 100, cachedInput: 0, cacheWrite: 0 },
    modelVersion: 'gpt-4.1-mini-2025',
    latencyMs: 42,
  };

  it('records a failed attempt with its type and billed usage, then the attempt that succeeded', async () => {
    const store = open();
    const billed = { input: 10, output: 1, cachedInput: 0, cacheWrite: 0 };
    const failing = traceModelCalls(store, async () => {
      throw ApplicationFailure.create({
        type: 'provider_unavailable',
        message: 'HTTP 500',
        details: [{ provider: 'openai', billedUsage: billed }],
      });
    });
    const env = (attempt: number) => new MockActivityEnvironment({ attempt, activityId: '7' });
    await expect(env(1).run(failing, input)).rejects.toThrow('HTTP 500');
    await env(2).run(
      traceModelCalls(store, async () => response),
      input,
    );
    const [a1, a2] = (await store.readTrace('run-1', { limit: 10 })) as ModelAttempt[];
    expect(a1).toMatchObject({
      attempt: 1,
      step: 3,
      outcome: { status: 'failed', type: 'provider_unavailable', message: 'HTTP 500', retryable: true },
      usage: billed,
    });
    expect(a2).toMatchObject({
      attempt: 2,
      call: a1!.call,
      outcome: { status: 'ok' },
      prompt: { name: 'support' },
      messages: { conversationId: 'run-1', length: 5, appended: 1 },
      tools: { offered: [{ name: 'calculator' }] },
      parameters: { maxOutputTokens: 100, temperature: 0.2, timeoutMs: 5_000 },
      answer: { text: 'done', stop: 'end', modelVersion: 'gpt-4.1-mini-2025' },
      usage: response.usage,
      costUsd: expect.any(Number),
    });
  });

  it('a trace write that fails never fails the call', async () => {
    const broken = { ...open(), putTrace: () => Promise.reject(new Error('disk full')) } as RunStore;
    const traced = traceModelCalls(broken, async () => response);
    await expect(new MockActivityEnvironment().run(traced, input)).resolves.toEqual(response);
  });

  it('records a tool call: arguments, authorization, result', async () => {
    const store = open();
    const call: ExecuteToolInput = {
      runId: 'run-1',
      step: 2,
      callId: 'call_9',
      name: 'refund_order',
      input: { orderId: 'o1' },
      principal: { tenant: 'acme', user: 'alice', scopes: ['orders:write'], roles: ['agent'], attributes: {} },
      approvedBy: 'human:bob',
    };
    const traced = traceToolCalls(store, nativeToolCall(new Map()), async () => ({ content: 'ok', truncated: false }));
    await new MockActivityEnvironment().run(traced, call);
    expect(await store.readTrace('run-1', { limit: 10 })).toMatchObject([
      {
        kind: 'tool',
        call: 'call_9',
        tool: { name: 'refund_order' },
        arguments: { orderId: 'o1' },
        authorization: { principal: { user: 'alice', scopes: ['orders:write'] }, approvedBy: 'human:bob' },
        result: { content: 'ok' },
      },
    ]);
  });
});

describe('recording MCP tool calls', () => {
  it('records the server and pinned schema hash, and a failed attempt with its type', async () => {
    const store = open();
    const tool = { server: 'fs', tool: 'write', name: 'fs__write', schemaHash: '0123456789abcdef' };
    const input = {
      runId: 'run-1',
      step: 1,
      callId: 'call_m',
      tool,
      input: { path: '/a' },
      principal: { tenant: 'acme', user: 'alice', scopes: [], roles: [], attributes: {} },
    } as unknown as CallMcpToolInput;
    const failing = traceToolCalls(store, mcpToolCall, async () => {
      throw ApplicationFailure.create({ type: 'tool_unavailable', message: 'server down' });
    });
    await expect(new MockActivityEnvironment({ attempt: 1 }).run(failing, input)).rejects.toThrow('server down');
    expect(await store.readTrace('run-1', { limit: 10 })).toMatchObject([
      {
        kind: 'tool',
        attempt: 1,
        tool: { name: 'fs__write', server: 'fs', schemaHash: '0123456789abcdef' },
        outcome: { status: 'failed', type: 'tool_unavailable', message: 'server down', retryable: true },
      },
    ]);
    // A malformed input is refused before anything runs: nothing to trace.
    expect(mcpToolCall({} as CallMcpToolInput)).toBeUndefined();
  });
});

describe('assembling and printing a trace', () => {
  const failed = { status: 'failed', type: 'rate_limited', message: '429 slow down', retryable: true } as const;
  const records = [
    { ...modelAttempt({ attempt: 1, outcome: failed }), seq: 1 },
    {
      ...modelAttempt({ attempt: 2, usage: { input: 10, output: 2, cachedInput: 0, cacheWrite: 0 }, costUsd: 0.0001 }),
      seq: 2,
    },
    {
      ...toolAttempt({
        attempt: 2,
        authorization: { principal: { tenant: 'acme', user: 'alice', scopes: [], roles: [] }, approvedBy: 'human:bob' },
      }),
      seq: 3,
    },
    { ...modelAttempt({ step: 2, call: 'wf-1/5' }), seq: 4 },
  ];
  const calls = [
    {
      seq: 1,
      step: 1,
      purpose: 'step',
      taskClass: 'plan',
      tier: 'strong',
      routeReason: 'first step',
      model: 'openai/gpt-4.1-mini',
      outcome: 'ok',
      usage: { input: 0, output: 0, cachedInput: 0, cacheWrite: 0 },
      costUsd: 0,
    },
  ] as CallRecord[];
  const audit: AuditEntry[] = [
    {
      seq: 1,
      at: 'x',
      step: 1,
      event: 'approval_requested',
      tool: 'refund_order',
      callId: 'call_1',
      by: 'policy',
      reason: 'over $20',
    },
    { seq: 2, at: 'x', step: 1, event: 'approved', tool: 'refund_order', callId: 'call_1', by: 'human:bob' },
    { seq: 3, at: 'x', step: 1, event: 'budget_refused', by: 'system', reason: 'cost' },
  ];

  it('groups attempts by call, marks superseded and lost attempts, merges routes and decisions', () => {
    const trace = assembleTrace('run-1', records, calls, audit);
    expect(runTraceSchema.parse(trace)).toEqual(trace);
    const [s1, s2] = trace.steps;
    expect(s1!.modelCalls).toHaveLength(1);
    expect(s1!.modelCalls[0]!.route).toMatchObject({ reason: 'first step', tier: 'strong' });
    expect(s1!.modelCalls[0]!.attempts.map((a) => [a.attempt, a.superseded])).toEqual([
      [1, true],
      [2, false],
    ]);
    const tool = s1!.toolCalls[0]!;
    expect(tool.decisions.map((d) => d.event)).toEqual(['approval_requested', 'approved']);
    expect(tool.attempts.map((a) => [a.attempt, 'kind' in a && a.kind, a.superseded])).toEqual([
      [1, 'lost', true],
      [2, 'tool', false],
    ]);
    expect(s1!.decisions.map((d) => d.event)).toEqual(['budget_refused']);
    expect(s2!.modelCalls[0]!.route).toBeUndefined();
    expect(assembleTrace('run-1', records, calls, audit, 2).steps.map((s) => s.step)).toEqual([2]);
  });

  it('prints each attempt, the failed one superseded, the approval and the result', () => {
    const text = formatTrace(assembleTrace('run-1', records, calls, audit));
    expect(text).toContain('step 1');
    expect(text).toMatch(/attempt 1 {2}FAILED rate_limited \(retryable\).* — superseded by attempt 2/);
    expect(text).toContain('429 slow down');
    expect(text).toMatch(/attempt 2 {2}ok · 10 in \/ 2 out tokens · \$0\.000100/);
    expect(text).toContain('approved by human:bob');
    expect(text).toContain('arguments: {"orderId":"ord_1","amountCents":500}');
    expect(text).toContain('result: refunded');
    expect(text).toContain('LOST');
  });

  it('shows an early attempt (inside the model call) first, superseded when the call ran again as an activity', () => {
    const early = (over: Partial<ToolAttempt>) =>
      toolAttempt({ attempt: 0, early: true, tool: { name: 'lookup' }, ...over });
    const timeout = { status: 'failed', type: 'timeout', message: 'timed out', retryable: true } as const;
    const trace = assembleTrace(
      'run-1',
      [
        { ...early({ call: 'c_used' }), seq: 1 },
        { ...early({ call: 'c_again', outcome: timeout }), seq: 2 },
        { ...toolAttempt({ call: 'c_again', tool: { name: 'lookup' } }), seq: 3 },
      ],
      [],
      [],
    );
    expect(runTraceSchema.parse(trace)).toEqual(trace);
    const [used, again] = trace.steps[0]!.toolCalls;
    expect(used!.attempts.map((a) => [a.attempt, 'early' in a && a.early, a.superseded])).toEqual([[0, true, false]]);
    expect(again!.attempts.map((a) => [a.attempt, 'early' in a && a.early, a.superseded])).toEqual([
      [0, true, true],
      [1, false, false],
    ]);
    const text = formatTrace(trace);
    expect(text).toMatch(/tool lookup \(c_used\)\n {4}early, inside the model call {2}ok/);
    expect(text).toMatch(/early, inside the model call {2}FAILED timeout \(retryable\).* — run again as an activity/);
    expect(text).toMatch(/ — run again as an activity\n.*\n.*\n.*\n {4}attempt 1 {2}ok/);
  });

  it('marks an early attempt the gate did not use (a loop, an exhausted budget) as not used', () => {
    const early = toolAttempt({ call: 'c_loop', attempt: 0, early: true, tool: { name: 'lookup' } });
    const stopped: AuditEntry = {
      seq: 1,
      at: 'x',
      step: 1,
      event: 'loop_detected',
      tool: 'lookup',
      callId: 'c_loop',
      by: 'system',
      reason: 'lookup called 2 times with the same arguments',
    };
    const used = assembleTrace('run-1', [{ ...early, seq: 1 }], [], []);
    expect(used.steps[0]!.toolCalls[0]!.attempts.map((a) => a.superseded)).toEqual([false]);
    const trace = assembleTrace('run-1', [{ ...early, seq: 1 }], [], [stopped]);
    expect(trace.steps[0]!.toolCalls[0]!.attempts.map((a) => a.superseded)).toEqual([true]);
    expect(formatTrace(trace)).toMatch(/early, inside the model call {2}ok.* — not used: the gate stopped the call/);
  });

  it('says a forgotten run’s tool calls were erased, not that they never ran', () => {
    const decided = assembleTrace('run-1', [], calls, audit);
    expect(formatTrace(decided)).toContain('not run');
    const erased = { ...decided, erased: { reason: 'forget' as const, by: 'dpo', at: '2026-11-30T00:00:00Z' } };
    expect(formatTrace(erased)).toContain('attempts erased with the run’s content');
    expect(formatTrace(erased)).not.toContain('not run');
  });

  it('parses trace <runId> [--step N] [--detail] [--json]', () => {
    expect(parseCommand(['trace', 'run-1', '--step', '3', '--json'], {})).toMatchObject({
      kind: 'trace',
      runId: 'run-1',
      step: 3,
      json: true,
      detail: false,
    });
    expect(parseCommand(['trace', 'run-1', '--step', 'x'], {})).toEqual({
      error: '--step takes a step number (0 or more; got "x")',
    });
    expect(parseCommand(['trace'], {})).toEqual({ error: '"trace" needs a run id' });
  });
});
