import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../core/principal.ts';
import { authorizeToolCall, missingScopes, offeredTools } from '../../tools/authorize.ts';
import { defineCatalog } from '../../tools/catalog.ts';
import { lookupOrder, refundOrder } from '../../examples/demo/tools/orders.ts';
import { defineTool } from '../../tools/define-tool.ts';

const demo = defineCatalog({ tools: [lookupOrder, refundOrder] });
const findTool = demo.tool;
const principal = (p: Partial<Principal> = {}): Principal => ({
  tenant: 't',
  user: 'u',
  scopes: [],
  roles: [],
  attributes: {},
  ...p,
});
const agent = principal({ scopes: ['orders:read', 'orders:write'], roles: ['support_agent'] });
const lead = principal({ user: 'lea', scopes: ['orders:read', 'orders:write'], roles: ['support_lead'] });
const refund = (amountCents: number) => ({ orderId: 'ord_101', amountCents, reason: 'damaged' });

describe('authorizeToolCall with the order tools', () => {
  it('allows lookup_order to a principal with orders:read, without asking', () => {
    expect(authorizeToolCall(lookupOrder, { orderId: 'ord_100' }, principal({ scopes: ['orders:read'] }))).toEqual({
      kind: 'allow',
      reason: 'no approval needed',
    });
  });

  it('denies lookup_order to a principal without orders:read, naming the scope', () => {
    expect(authorizeToolCall(lookupOrder, { orderId: 'ord_100' }, principal({ scopes: ['orders:write'] }))).toEqual({
      kind: 'deny',
      reason: 'principal u lacks scope orders:read',
    });
  });

  it('checks the scope before the constraints: no scope is denied for the scope even when the amount is also too high', () => {
    const noScope = principal({ scopes: ['orders:read'], roles: ['support_agent'] });
    expect(authorizeToolCall(refundOrder, refund(1_000_000), noScope)).toEqual({
      kind: 'deny',
      reason: 'principal u lacks scope orders:write',
    });
  });

  it('checks the constraints before the policy: an amount above the role limit is denied, not sent for approval', () => {
    expect(authorizeToolCall(refundOrder, refund(10_001), agent)).toEqual({
      kind: 'deny',
      reason: 'role support_agent may refund at most $100.00; $100.01 asked',
    });
  });

  it('denies refunds to a principal with the scope but no refunding role', () => {
    const clerk = principal({ user: 'clerk', scopes: ['orders:write'], roles: ['billing'] });
    expect(authorizeToolCall(refundOrder, refund(500), clerk)).toEqual({
      kind: 'deny',
      reason: 'principal clerk may not refund orders (needs role support_lead or support_agent)',
    });
  });

  it('lets a support agent refund up to $20.00 without a human', () => {
    expect(authorizeToolCall(refundOrder, refund(2_000), agent)).toEqual({
      kind: 'allow',
      reason: 'approval policy allowed it',
    });
  });

  it('asks a human for a refund over $20.00 within the role limit, with the support deadlines', () => {
    expect(authorizeToolCall(refundOrder, refund(2_001), agent)).toEqual({
      kind: 'ask',
      reason: 'refund over $20.00',
      options: {
        timeoutMs: 4 * 60 * 60 * 1000,
        onTimeout: { escalateTo: 'support-leads', timeoutMs: 4 * 60 * 60 * 1000 },
        group: 'support',
      },
    });
    expect(authorizeToolCall(refundOrder, refund(10_000), agent).kind).toBe('ask');
  });

  it('gives a support lead the higher limit, and the highest limit of several roles', () => {
    expect(authorizeToolCall(refundOrder, refund(100_000), lead).kind).toBe('ask');
    expect(authorizeToolCall(refundOrder, refund(100_001), lead)).toEqual({
      kind: 'deny',
      reason: 'role support_lead may refund at most $1000.00; $1000.01 asked',
    });
    const both = principal({ scopes: ['orders:write'], roles: ['support_agent', 'support_lead'] });
    expect(authorizeToolCall(refundOrder, refund(50_000), both).kind).toBe('ask');
  });

  it('is deterministic: the same call gets the same decision every time (workflow and activity agree)', () => {
    const decisions = Array.from({ length: 3 }, () => authorizeToolCall(refundOrder, refund(5_000), agent));
    expect(new Set(decisions.map((d) => JSON.stringify(d))).size).toBe(1);
  });
});

describe('approval policies', () => {
  const tool = (approval: 'never' | 'always' | (() => 'allow' | 'ask' | { deny: string })) =>
    defineTool({ name: 'ping', description: 'd', input: z.object({}), effect: 'idempotent', approval });

  it('maps never/always/ask/deny verdicts to decisions', () => {
    expect(authorizeToolCall(tool('never'), {}, principal()).kind).toBe('allow');
    expect(authorizeToolCall(tool('always'), {}, principal())).toMatchObject({
      kind: 'ask',
      reason: 'ping always needs approval',
    });
    expect(
      authorizeToolCall(
        tool(() => 'ask'),
        {},
        principal(),
      ),
    ).toMatchObject({ kind: 'ask', reason: 'approval policy asked for a human' });
    expect(
      authorizeToolCall(
        tool(() => ({ deny: 'closed on Sundays' })),
        {},
        principal(),
      ),
    ).toEqual({ kind: 'deny', reason: 'closed on Sundays' });
  });

  it('asks for side-effect tools by default', () => {
    const t = defineTool({ name: 'send_email', description: 'd', input: z.object({}), effect: 'side-effect' });
    expect(authorizeToolCall(t, {}, principal()).kind).toBe('ask');
  });
});

describe('missingScopes and offeredTools', () => {
  it('lists exactly the scopes a principal lacks', () => {
    expect(missingScopes(refundOrder, principal({ scopes: ['orders:read'] }))).toEqual(['orders:write']);
    expect(missingScopes(refundOrder, agent)).toEqual([]);
    expect(missingScopes(findTool('calculator')!, principal())).toEqual([]);
  });

  it('offers only the agent tools the principal may use, and says why the others are hidden', () => {
    const tools = ['calculator', 'lookup_order', 'refund_order'];
    expect(offeredTools(tools, principal({ scopes: ['orders:read'] }), findTool)).toEqual({
      offered: ['calculator', 'lookup_order'],
      hidden: [{ name: 'refund_order', reason: 'needs scope orders:write' }],
    });
    expect(offeredTools(tools, agent, findTool)).toEqual({ offered: tools, hidden: [] });
  });

  it('offers an anonymous principal only scope-free tools', () => {
    const { offered, hidden } = offeredTools(['search_docs', 'lookup_order', 'refund_order'], principal(), findTool);
    expect(offered).toEqual(['search_docs']);
    expect(hidden.map((h) => h.name)).toEqual(['lookup_order', 'refund_order']);
  });

  it('never offers a tool the agent does not list, whatever the principal may do', () => {
    expect(offeredTools(['lookup_order'], agent, findTool).offered).toEqual(['lookup_order']);
  });

  it('skips names missing from the catalog', () => {
    expect(offeredTools(['no_such_tool', 'calculator'], agent, findTool)).toEqual({
      offered: ['calculator'],
      hidden: [],
    });
  });
});

describe('policies that look past one call', () => {
  const sam = principal({ scopes: ['orders:read', 'orders:write'], roles: ['support_agent'] });
  const call = (amountCents: number) => ({ orderId: 'ord_105', amountCents, reason: 'r' });

  it('the demo refund asks a human once the run total would pass $20, however it is split', () => {
    expect(authorizeToolCall(refundOrder, call(1999), sam).kind).toBe('allow');
    const prior = { calls: 1, totals: refundOrder.tally!(call(1999)) };
    expect(prior.totals).toEqual({ refundedCents: 1999, 'order:ord_105': 1999 });
    expect(authorizeToolCall(refundOrder, call(1999), sam, prior)).toMatchObject({
      kind: 'ask',
      reason: 'refunds in this run would total $39.98, over $20.00',
    });
    expect(authorizeToolCall(refundOrder, call(1), sam, prior).kind).toBe('allow');
  });

  it('constraints see the prior effects too', () => {
    const capped = defineTool({
      name: 'capped',
      description: 'At most 3 calls a run.',
      input: z.object({}),
      effect: 'idempotent',
      constraints: (_input, _principal, prior) => (prior.calls >= 3 ? 'at most 3 calls a run' : undefined),
    });
    expect(authorizeToolCall(capped, {}, sam, { calls: 2, totals: {} }).kind).toBe('allow');
    expect(authorizeToolCall(capped, {}, sam, { calls: 3, totals: {} })).toEqual({
      kind: 'deny',
      reason: 'at most 3 calls a run',
    });
  });
});
