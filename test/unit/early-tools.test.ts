import OpenAI from 'openai';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { z } from 'zod';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { CallModelInput, EarlyTools } from '../../core/activity-contracts.ts';
import type { ToolCall } from '../../core/messages.ts';
import type { Principal } from '../../core/principal.ts';
import type { ModelResponse } from '../../core/model.ts';
import { createCallModel } from '../../activities/call-model.ts';
import { createEarlyTools, EARLY_MAX_CALLS } from '../../activities/execute-tool.ts';
import { createOpenAIAdapter } from '../../activities/model/index.ts';
import {
  defineTool,
  runsEarly,
  ToolDefinitionError,
  type ToolContract,
  type ToolDefinition,
} from '../../tools/define-tool.ts';
import { toolFingerprint } from '../../tools/fingerprint.ts';
import { registerTool, ToolError, type ToolContext } from '../../tools/handlers/types.ts';
import { startFakeOpenAI, type FakeProviderServer } from '../kit/index.ts';
import { useMemoryRunStores } from '../helpers/memory-store.ts';

/**
 * Early results (docs/tools-and-approvals.md): the calls of a model's answer that may run at
 * once run inside `callModel`, so a read costs no second round trip. What may run early, and
 * what the activity does with each call.
 */
const silent: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

const store = useMemoryRunStores();

const input = z.object({ n: z.number().int().nonnegative() });
const read = (name: string, extra: Partial<Omit<ToolDefinition<typeof input>, 'name' | 'input'>> = {}) =>
  defineTool({ name, description: 'test tool', input, effect: 'read', ...extra });

describe('ToolDefinition.early', () => {
  it('keeps a tool that may run early out of it, and changes its fingerprint only then', () => {
    const kept = read('kept', { early: false });
    expect(runsEarly(kept)).toBe(false);
    expect(kept.local).toBe(true);
    expect(toolFingerprint(read('kept', { early: true }))).toBe(toolFingerprint(read('kept')));
    expect(toolFingerprint(kept)).not.toBe(toolFingerprint(read('kept')));
  });

  it('refuses early: true on a tool that may not run early, naming the tool', () => {
    expect(() => read('asks', { approval: 'always', early: true })).toThrow(ToolDefinitionError);
    expect(() => defineTool({ name: 'write', description: 'd', input, effect: 'side-effect', early: true })).toThrow(
      /tool "write": only a local read without approval, constraints or tally can run early/,
    );
  });
});

describe('runsEarly: which tools may run inside the model call', () => {
  it('allows a local read without approval, constraints or tally', () => {
    expect(runsEarly(read('plain'))).toBe(true);
    expect(runsEarly(read('scoped', { scopes: ['orders:read'] }))).toBe(true);
  });

  it('refuses everything the gate could decide otherwise, or that is not a read', () => {
    const refused: ToolContract[] = [
      read('slow', { local: false }),
      read('asks', { approval: 'always' }),
      read('policy', { approval: () => 'allow' }),
      read('limited', { constraints: () => undefined }),
      read('tallied', { tally: () => ({ n: 1 }) }),
      defineTool({ name: 'idem', description: 'test tool', input, effect: 'idempotent', local: true }),
      defineTool({ name: 'write', description: 'test tool', input, effect: 'side-effect' }),
    ];
    for (const c of refused) expect([c.name, runsEarly(c)]).toEqual([c.name, false]);
    const mcp = { ...read('mcp_read'), mcp: { server: 's', name: 'r', schemaHash: 'h' } } as unknown as ToolContract;
    expect(runsEarly(mcp)).toBe(false);
  });
});

/** A registered tool that records its calls and answers what the test says. */
function tool(
  contract: ToolContract<typeof input>,
  answer: (n: number, ctx: ToolContext) => Promise<unknown> = async (n) => 'x'.repeat(n),
) {
  const calls: { n: number; ctx: ToolContext }[] = [];
  const registered = registerTool(contract, async ({ n }: { n: number }, ctx) => {
    calls.push({ n, ctx });
    return answer(n, ctx);
  });
  return { registered, calls };
}

const callOf = (id: string, name: string, n = 3): ToolCall => ({ id, name, input: { n } });
const early = (tools: string[], extra: Partial<EarlyTools> = {}): Pick<CallModelInput, 'runId' | 'step' | 'early'> => ({
  runId: 'run-e',
  step: 3,
  early: { tools, timeoutMs: 5_000, ...extra },
});

/** `runEarly` inside an activity (its logger), with the given signal and time left. */
function runIn<T>(fn: () => Promise<T>, info: Record<string, unknown> = {}): Promise<T> {
  return new MockActivityEnvironment(info, { logger: silent }).run(fn);
}

describe('createEarlyTools: the calls the activity runs', () => {
  it('runs the named, eligible calls of the answer, in parallel, and leaves the rest to the workflow', async () => {
    const started: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slowA = tool(read('a'), async (n) => {
      started.push('a');
      await gate;
      return `a${n}`;
    });
    const b = tool(read('b'), async (n) => {
      started.push('b');
      release();
      return `b${n}`;
    });
    const asks = tool(read('asks', { approval: 'always' }));
    const unnamed = tool(read('unnamed'));
    const runEarly = createEarlyTools([slowA.registered, b.registered, asks.registered, unnamed.registered]);
    const calls = [callOf('c1', 'a', 1), callOf('c2', 'asks'), callOf('c3', 'b', 2), callOf('c4', 'unnamed')];
    const results = await runIn(() => runEarly(early(['a', 'b', 'asks']), calls, new AbortController().signal, 10_000));
    expect(results).toEqual([
      { callId: 'c1', content: 'a1' },
      { callId: 'c3', content: 'b2' },
    ]);
    // `b` ran while `a` waited for it: the calls ran side by side.
    expect(started).toEqual(['a', 'b']);
    expect(asks.calls).toHaveLength(0);
    expect(unnamed.calls).toHaveLength(0);
    expect(slowA.calls[0]!.ctx).toMatchObject({ runId: 'run-e', callId: 'c1', idempotencyKey: 'run-e:c1' });
  });

  it('gives the handler the principal the workflow sent, and denies a scoped tool to the anonymous one', async () => {
    const scoped = tool(read('orders', { scopes: ['orders:read'] }));
    const runEarly = createEarlyTools([scoped.registered]);
    const agent: Principal = {
      tenant: 'acme',
      user: 'lea',
      scopes: ['orders:read'],
      roles: [],
      attributes: { customer: 'Grace' },
    };
    const signal = new AbortController().signal;
    expect(await runIn(() => runEarly(early(['orders']), [callOf('c1', 'orders')], signal, 10_000))).toEqual([]);
    expect(scoped.calls).toHaveLength(0);
    const ran = await runIn(() =>
      runEarly(early(['orders'], { principal: agent }), [callOf('c2', 'orders')], signal, 10_000),
    );
    expect(ran).toEqual([{ callId: 'c2', content: 'xxx' }]);
    expect(scoped.calls[0]!.ctx.principal).toEqual(agent);
  });

  it('refuses a call whose arguments do not match, without running it', async () => {
    const t = tool(read('a'));
    const runEarly = createEarlyTools([t.registered]);
    const bad: ToolCall = { id: 'c1', name: 'a', input: { n: 'three' } };
    expect(await runIn(() => runEarly(early(['a']), [bad], new AbortController().signal, 10_000))).toEqual([]);
    expect(t.calls).toHaveLength(0);
  });

  it('keeps a long result in the store and returns its start and reference', async () => {
    const s = store();
    const runEarly = createEarlyTools([tool(read('a', { maxResultChars: 10_000 })).registered], s);
    const results = await runIn(() =>
      runEarly(early(['a']), [callOf('c1', 'a', 5_000)], new AbortController().signal, 10_000),
    );
    expect(results).toEqual([{ callId: 'c1', content: 'x'.repeat(256), ref: 'run-e/tool/3/c1', chars: 5_000 }]);
    expect(await s.getContent('run-e/tool/3/c1')).toBe('x'.repeat(5_000));
  });

  it('returns a failure retrying cannot help, and nothing for one it can (the workflow retries it)', async () => {
    const failing = tool(read('failing'), async () => {
      throw new ToolError('no such order');
    });
    const flaky = tool(read('flaky'), async () => {
      throw new ToolError('try later', { retryable: true });
    });
    const crashing = tool(read('crashing'), async () => {
      throw new Error('secret in a message');
    });
    const runEarly = createEarlyTools([failing.registered, flaky.registered, crashing.registered]);
    const results = await runIn(() =>
      runEarly(
        early(['failing', 'flaky', 'crashing']),
        [callOf('c1', 'failing'), callOf('c2', 'flaky'), callOf('c3', 'crashing')],
        new AbortController().signal,
        10_000,
      ),
    );
    expect(results).toEqual([{ callId: 'c1', failed: 'no such order' }]);
    expect([failing.calls.length, flaky.calls.length, crashing.calls.length]).toEqual([1, 1, 1]);
  });

  it('stops a call at its timeout, or at the time the model call has left, even when it ignores the signal', async () => {
    const hangs = tool(read('hangs', { timeoutMs: 50 }), () => new Promise(() => {}));
    const run = tool(read('run'), () => new Promise(() => {}));
    const runEarly = createEarlyTools([hangs.registered, run.registered]);
    const t0 = Date.now();
    const results = await runIn(() =>
      runEarly(
        early(['hangs', 'run']),
        [callOf('c1', 'hangs'), callOf('c2', 'run')],
        new AbortController().signal,
        120,
      ),
    );
    expect(results).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(hangs.calls[0]!.ctx.signal.aborted).toBe(true);
    // No time left: not started at all.
    const none = tool(read('none'));
    const runNone = createEarlyTools([none.registered]);
    expect(
      await runIn(() => runNone(early(['none']), [callOf('c3', 'none')], new AbortController().signal, 0)),
    ).toEqual([]);
    expect(none.calls).toHaveLength(0);
  });

  it('stops its calls when the model call is cancelled, and returns nothing for them', async () => {
    const t = tool(
      read('a'),
      (_n, ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('stopped')))),
    );
    const runEarly = createEarlyTools([t.registered]);
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 30);
    expect(await runIn(() => runEarly(early(['a']), [callOf('c1', 'a')], cancel.signal, 10_000))).toEqual([]);
    expect(t.calls[0]!.ctx.signal.aborted).toBe(true);
  });

  it('keeps nothing of a call once it is done (20,000 calls, heap measured after GC)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // Not `tool()`: it keeps every call it saw.
    const runEarly = createEarlyTools([registerTool(read('a'), async ({ n }) => `r${n}`)]);
    const env = new MockActivityEnvironment({}, { logger: silent });
    const batch = async () => {
      for (let i = 0; i < 10_000; i++)
        await env.run(() => runEarly(early(['a']), [callOf(`c${i}`, 'a', 1)], new AbortController().signal, 60_000));
      gc();
      await new Promise((r) => setTimeout(r, 20));
      gc();
      return process.memoryUsage().heapUsed;
    };
    const before = await batch();
    const after = await batch();
    // A signal made with AbortSignal.any and listened to kept ~3 KB a call: 30 MB here.
    expect((after - before) / 10_000).toBeLessThan(300);
  }, 60_000);

  it(`runs at most ${EARLY_MAX_CALLS} calls of one answer`, async () => {
    const t = tool(read('a'));
    const runEarly = createEarlyTools([t.registered]);
    const calls = Array.from({ length: EARLY_MAX_CALLS + 4 }, (_, i) => callOf(`c${i}`, 'a', 1));
    const results = await runIn(() => runEarly(early(['a']), calls, new AbortController().signal, 10_000));
    expect(results.map((r) => r.callId)).toEqual(calls.slice(0, EARLY_MAX_CALLS).map((c) => c.id));
  });

  it('traces each call as its early attempt 0, whatever attempt the model call is on', async () => {
    const s = store();
    const runEarly = createEarlyTools(
      [
        tool(read('a')).registered,
        tool(read('failing'), async () => {
          throw new ToolError('nope');
        }).registered,
      ],
      s,
    );
    await runIn(
      () =>
        runEarly(
          early(['a', 'failing']),
          [callOf('c1', 'a'), callOf('c2', 'failing')],
          new AbortController().signal,
          10_000,
        ),
      { attempt: 3 },
    );
    const records = await s.readTrace('run-e', { limit: 10 });
    expect(records.map((r) => [r.call, r.kind, r.attempt, 'early' in r && r.early, r.outcome.status])).toEqual(
      expect.arrayContaining([
        ['c1', 'tool', 0, true, 'ok'],
        ['c2', 'tool', 0, true, 'failed'],
      ]),
    );
    expect(records).toHaveLength(2);
  });
});

describe('callModel: early results', () => {
  let server: FakeProviderServer;
  afterEach(async () => server?.close());

  const spec = { name: 'a', description: 'test tool', inputSchema: { type: 'object' } };
  const base = (s: Partial<CallModelInput> = {}): CallModelInput => ({
    runId: 'run-e',
    step: 1,
    timeoutMs: 5_000,
    request: {
      model: { provider: 'openai', name: 'm' },
      system: 'sys',
      messages: [{ role: 'user', content: 'go' }],
      tools: [spec],
      maxOutputTokens: 64,
    },
    ...s,
  });
  async function setup(withEarly = true) {
    server = await startFakeOpenAI();
    const t = tool(read('a'));
    const callModel = createCallModel(
      { openai: createOpenAIAdapter(new OpenAI({ apiKey: 'k', baseURL: server.baseURL, maxRetries: 0 })) },
      withEarly ? { early: createEarlyTools([t.registered]) } : {},
    );
    const call = (i: CallModelInput): Promise<ModelResponse> =>
      new MockActivityEnvironment({ startToCloseTimeoutMs: 60_000 }, { logger: silent }).run(callModel, i);
    return { t, call };
  }

  it("hands back the answer's calls that ran, with the answer unchanged", async () => {
    const { t, call } = await setup();
    server.push({ kind: 'tool_calls', calls: [{ id: 'c1', name: 'a', args: { n: 4 } }] });
    const r = await call(base({ early: { tools: ['a'], timeoutMs: 5_000 } }));
    expect(r.message.toolCalls).toEqual([{ id: 'c1', name: 'a', input: { n: 4 } }]);
    expect(r.earlyResults).toEqual([{ callId: 'c1', content: 'xxxx' }]);
    expect(t.calls).toHaveLength(1);
  });

  it('runs nothing when the call did not ask, or the worker runs no early tools', async () => {
    const { t, call } = await setup();
    server.push({ kind: 'tool_calls', calls: [{ id: 'c1', name: 'a', args: { n: 4 } }] });
    expect((await call(base())).earlyResults).toBeUndefined();
    expect(t.calls).toHaveLength(0);

    const older = await setup(false);
    server.push({ kind: 'tool_calls', calls: [{ id: 'c1', name: 'a', args: { n: 4 } }] });
    expect((await older.call(base({ early: { tools: ['a'], timeoutMs: 5_000 } }))).earlyResults).toBeUndefined();
    expect(older.t.calls).toHaveLength(0);
  });
});
