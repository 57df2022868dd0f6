import { z } from 'zod';
import { afterEach, describe, expect, it } from 'vitest';
import { ApplicationFailure, CancelledFailure, type Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ExecuteToolInput } from '../../core/activity-contracts.ts';
import type { Principal } from '../../core/principal.ts';
import { createExecuteTool } from '../../activities/execute-tool.ts';
import { defineTool } from '../../tools/define-tool.ts';
import { openOrderStore, type OrderStore } from '../../examples/demo/handlers/order-store.ts';
import { lookupOrderTool, refundOrderTool } from '../../examples/demo/handlers/orders.ts';
import { registerTool, ToolError, type RegisteredTool, type ToolContext } from '../../tools/handlers/types.ts';

const silent: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

const stores: OrderStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

const principal = (p: Partial<Principal> = {}): Principal => ({
  tenant: 't',
  user: 'u',
  scopes: [],
  roles: [],
  attributes: {},
  ...p,
});
const supportAgent = principal({ scopes: ['orders:read', 'orders:write'], roles: ['support_agent'] });

/** A tool that records what it was called with and answers what the test says. */
function probe(opts: { maxResultChars?: number; run?: (ctx: ToolContext) => Promise<unknown> } = {}) {
  const calls: ToolContext[] = [];
  const contract = defineTool({
    name: 'probe',
    description: 'test tool',
    input: z.object({ n: z.number().int() }),
    effect: 'read',
    ...(opts.maxResultChars ? { maxResultChars: opts.maxResultChars } : {}),
  });
  const tool = registerTool(contract, async (_input, ctx) => {
    calls.push(ctx);
    return opts.run ? opts.run(ctx) : 'ok';
  });
  return { tool, calls };
}

function setup(extra: RegisteredTool[] = []) {
  const store = openOrderStore({ path: ':memory:' });
  stores.push(store);
  const executeTool = createExecuteTool([
    lookupOrderTool(store),
    refundOrderTool(store, { pauseAfterEffectMs: 0 }),
    ...extra,
  ]);
  return { store, executeTool };
}

const call = (
  name: string,
  input: unknown,
  p: Principal = supportAgent,
  extra: Partial<ExecuteToolInput> = {},
): ExecuteToolInput => ({
  runId: 'run-1',
  step: 2,
  callId: 'call-1',
  name,
  input,
  principal: p,
  ...extra,
});

type Outcome = {
  result?: Awaited<ReturnType<ReturnType<typeof createExecuteTool>>>;
  failure?: ApplicationFailure;
  error?: unknown;
  beats: unknown[];
};

async function run(
  executeTool: ReturnType<typeof createExecuteTool>,
  input: ExecuteToolInput,
  opts: { heartbeatTimeoutMs?: number; cancelAfterMs?: number } = {},
): Promise<Outcome> {
  const env = new MockActivityEnvironment({ heartbeatTimeoutMs: opts.heartbeatTimeoutMs }, { logger: silent });
  const beats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => beats.push(d));
  if (opts.cancelAfterMs !== undefined) setTimeout(() => env.cancel(), opts.cancelAfterMs);
  try {
    return { result: await env.run(executeTool, input), beats };
  } catch (err) {
    return err instanceof ApplicationFailure ? { failure: err, error: err, beats } : { error: err, beats };
  }
}

const refund = (amountCents: number) => ({ orderId: 'ord_101', amountCents, reason: 'damaged' });

describe('executeTool: complete mediation', () => {
  it('denies a call whose principal lacks the scope, and never runs the handler', async () => {
    const { store, executeTool } = setup();
    const readOnly = principal({ scopes: ['orders:read'], roles: ['support_agent'] });
    const o = await run(executeTool, call('refund_order', refund(500), readOnly));
    expect(o.failure).toMatchObject({
      type: 'permission_denied',
      nonRetryable: true,
      message: 'tool "refund_order" denied: principal u lacks scope orders:write',
    });
    expect(store.effects()).toEqual([]);

    const nobody = await run(executeTool, call('lookup_order', { orderId: 'ord_100' }, principal()));
    expect(nobody.failure).toMatchObject({
      type: 'permission_denied',
      message: expect.stringContaining('lacks scope orders:read'),
    });
  });

  it('denies a call that violates a constraint (amount above the role limit), even when approved', async () => {
    const { store, executeTool } = setup();
    const o = await run(executeTool, call('refund_order', refund(10_001), supportAgent, { approvedBy: 'lea' }));
    expect(o.failure).toMatchObject({
      type: 'permission_denied',
      nonRetryable: true,
      message: 'tool "refund_order" denied: role support_agent may refund at most $100.00; $100.01 asked',
    });
    expect(store.effects()).toEqual([]);
  });

  it('denies a call the policy sends to a human when no approval is recorded', async () => {
    const { store, executeTool } = setup();
    const o = await run(executeTool, call('refund_order', refund(5_000)));
    expect(o.failure).toMatchObject({
      type: 'permission_denied',
      nonRetryable: true,
      message: 'tool "refund_order" denied: needs approval (refund over $20.00); none recorded',
    });
    expect(store.effects()).toEqual([]);
  });

  it('executes an approved call once, under the runId:callId idempotency key', async () => {
    const { store, executeTool } = setup();
    const o = await run(executeTool, call('refund_order', refund(5_000), supportAgent, { approvedBy: 'lea' }));
    expect(o.failure).toBeUndefined();
    expect(JSON.parse(o.result!.content)).toMatchObject({
      orderId: 'ord_101',
      amountCents: 5_000,
      orderStatus: 'partially_refunded',
    });
    expect(store.effects()).toMatchObject([{ idempotencyKey: 'run-1:call-1', amountCents: 5_000 }]);

    // A retry of the same call (same key) answers the same and refunds nothing more.
    const retry = await run(executeTool, call('refund_order', refund(5_000), supportAgent, { approvedBy: 'lea' }));
    expect(retry.result).toEqual(o.result);
    expect(store.effects()).toHaveLength(1);
  });

  it('executes a call the policy allows without an approval', async () => {
    const { store, executeTool } = setup();
    const o = await run(executeTool, call('refund_order', refund(2_000)));
    expect(o.result?.truncated).toBe(false);
    expect(store.effects()).toHaveLength(1);
  });

  it('treats a call without a principal as anonymous: scope-free tools run, scoped ones are denied', async () => {
    const { tool } = probe();
    const { executeTool } = setup([tool]);
    const legacy = (name: string, input: unknown) =>
      ({ ...call(name, input), principal: undefined }) as unknown as ExecuteToolInput;
    expect((await run(executeTool, legacy('probe', { n: 1 }))).result).toEqual({ content: 'ok', truncated: false });
    expect((await run(executeTool, legacy('lookup_order', { orderId: 'ord_100' }))).failure).toMatchObject({
      type: 'permission_denied',
    });
  });

  it('rejects invalid arguments with a message for the model, before authorizing', async () => {
    const { executeTool } = setup();
    const o = await run(
      executeTool,
      call('refund_order', { orderId: 'ord_101', amountCents: -3, reason: 'x' }, principal()),
    );
    expect(o.failure).toMatchObject({ type: 'tool_input_invalid', nonRetryable: true });
    expect(o.failure!.message).toContain('amountCents');
  });

  it('rejects a tool this worker has no handler for', async () => {
    const { executeTool } = setup();
    expect((await run(executeTool, call('launch_rocket', {}))).failure).toMatchObject({
      type: 'unknown_tool',
      nonRetryable: true,
    });
  });
});

describe('executeTool: results and failures', () => {
  it('caps a long result at the tool limit with a truncation marker', async () => {
    const { tool } = probe({ maxResultChars: 100, run: async () => 'x'.repeat(1_000) });
    const { executeTool } = setup([tool]);
    const { result } = await run(executeTool, call('probe', { n: 1 }));
    expect(result!.truncated).toBe(true);
    expect(result!.content.length).toBeLessThanOrEqual(100);
    expect(result!.content).toMatch(/\[truncated: \d+ of 1000 characters omitted\]$/);
  });

  it('serialises non-string results as JSON', async () => {
    const { executeTool } = setup();
    const { result } = await run(executeTool, call('lookup_order', { orderId: 'ord_100' }));
    expect(JSON.parse(result!.content)).toMatchObject({ id: 'ord_100', customer: 'Ada Lovelace' });
  });

  it('maps a retryable ToolError to tool_unavailable and any other to tool_failed', async () => {
    const flaky = probe({
      run: async () => {
        throw new ToolError('inventory service timed out', { retryable: true });
      },
    });
    const { executeTool } = setup([flaky.tool]);
    expect((await run(executeTool, call('probe', { n: 1 }))).failure).toMatchObject({
      type: 'tool_unavailable',
      nonRetryable: false,
      message: 'inventory service timed out',
    });
    const { executeTool: withStore } = setup();
    expect((await run(withStore, call('lookup_order', { orderId: 'ord_999' }))).failure).toMatchObject({
      type: 'tool_failed',
      nonRetryable: true,
    });
  });

  it('keeps an unexpected error message out of the failure', async () => {
    const crash = probe({
      run: async () => {
        throw new Error('password=hunter2');
      },
    });
    const { executeTool } = setup([crash.tool]);
    const o = await run(executeTool, call('probe', { n: 1 }));
    expect(o.failure).toMatchObject({
      type: 'tool_unavailable',
      nonRetryable: false,
      message: 'tool "probe" failed unexpectedly',
    });
  });
});

describe('executeTool: heartbeats and cancellation', () => {
  it('heartbeats every third of the heartbeat timeout while the handler runs', async () => {
    const slow = probe({ run: () => new Promise((r) => setTimeout(() => r('done'), 500)) });
    const { executeTool } = setup([slow.tool]);
    const o = await run(executeTool, call('probe', { n: 1 }), { heartbeatTimeoutMs: 300 });
    expect(o.result).toEqual({ content: 'done', truncated: false });
    expect(o.beats.length).toBeGreaterThanOrEqual(3);
    expect(o.beats[0]).toEqual({ step: 2, callId: 'call-1' });
  });

  it('passes the cancellation signal to the handler and lets CancelledFailure propagate', async () => {
    let aborted = false;
    const waiting = probe({
      run: (ctx) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            reject(new ToolError('stopped by abort'));
          });
        }),
    });
    const { executeTool } = setup([waiting.tool]);
    const o = await run(executeTool, call('probe', { n: 1 }), { heartbeatTimeoutMs: 300, cancelAfterMs: 150 });
    expect(aborted).toBe(true);
    expect(o.failure).toBeUndefined();
    expect(o.error).toBeInstanceOf(CancelledFailure);
  });

  it('reports the cancellation promptly even when the handler ignores the signal', async () => {
    const deaf = probe({ run: () => new Promise((r) => setTimeout(() => r('too late'), 2_000)) });
    const { executeTool } = setup([deaf.tool]);
    const started = Date.now();
    const o = await run(executeTool, call('probe', { n: 1 }), { heartbeatTimeoutMs: 300, cancelAfterMs: 100 });
    expect(o.error).toBeInstanceOf(CancelledFailure);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
