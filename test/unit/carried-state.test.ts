import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../core/approvals.ts';
import type { CallRecord } from '../../core/calls.ts';
import {
  carriedAudit,
  carriedStateSchema,
  packTotals,
  type CallTotals,
  type CarriedStateInit,
} from '../../core/carried-state.ts';

const call = (seq: number, extra: Partial<CallRecord> = {}): CallRecord => ({
  seq,
  step: seq,
  purpose: 'step',
  taskClass: 'act',
  tier: 'strong',
  routeReason: `act → strong; step ${seq} after tool results`,
  model: 'openai/gpt-4.1-mini',
  answeredBy: 'gpt-4.1-mini-2025-04-14',
  outcome: 'ok',
  stop: 'tool_calls',
  usage: { input: 100, output: 5, cachedInput: 0, cacheWrite: 0 },
  costUsd: 0.0001,
  latencyMs: 200 + seq,
  prompt: 'support/instructions@1b32c28cb38c',
  tools: '16f4ad00218b88f4',
  requestId: `req_${seq}`,
  ...extra,
});

const totals = (calls: CallRecord[]): CallTotals => ({
  usage: { input: 300, output: 15, cachedInput: 0, cacheWrite: 0 },
  costUsd: 0.0003,
  unpricedCalls: 0,
  calls,
});

/** A carried state with `totals`, through the schema the continuation parses it with. */
const carried = (t: CarriedStateInit['totals'], audit: AuditEntry[] = []) =>
  carriedStateSchema.parse({
    startedAt: 0,
    runs: 1,
    step: 3,
    toolCalls: 3,
    totals: t,
    droppedCalls: 0,
    audit,
    escalations: 0,
    conversation: { id: 'c', storedLength: 0, pending: [], chars: 0, toolCounts: {}, lastText: '' },
    prompt: { name: 'support/instructions', hash: 'a'.repeat(64) },
    identicalCalls: [],
    budgetLowEscalated: false,
  } satisfies CarriedStateInit);

describe('carried call records', () => {
  it('write the fields every record shares once, and parse back to the same records', () => {
    const records = [
      call(1),
      call(2, { fallbackFrom: 'openai/gpt-4.1', fallbackReason: 'rate_limited' }),
      call(3, { costUsd: null, stop: 'end' }),
    ];
    const packed = packTotals(totals(records));
    expect(packed.common).toMatchObject({ purpose: 'step', model: 'openai/gpt-4.1-mini', usage: records[0]!.usage });
    // Fields that differ, or that some record lacks, stay with each record.
    expect(packed.common).not.toHaveProperty('fallbackFrom');
    expect(packed.common).not.toHaveProperty('costUsd');
    expect(packed.common).not.toHaveProperty('seq');
    expect(packed.calls[0]).not.toHaveProperty('model');
    expect(JSON.stringify(packed).length).toBeLessThan(JSON.stringify(totals(records)).length * 0.7);

    expect(carried(packed).totals).toEqual(totals(records));
  });

  it('reads carried states written with whole records (before packing)', () => {
    expect(carried(totals([call(1), call(2)])).totals).toEqual(totals([call(1), call(2)]));
    expect(packTotals(totals([call(1)]))).toEqual(totals([call(1)]));
  });

  it('refuses records that are incomplete once the common fields are back', () => {
    const { model: _m, ...noModel } = call(2);
    expect(() => carried({ ...totals([call(1)]), calls: [noModel] })).toThrow(/calls/);
  });
});

describe('carried audit', () => {
  let seq = 0;
  const entry = (event: AuditEntry['event'], by = 'policy'): AuditEntry => ({
    seq: ++seq,
    at: '2026-11-30T00:00:00.000Z',
    step: seq,
    event,
    tool: 'issue_refund',
    callId: `call_${seq}`,
    by,
  });

  it('keeps decisions over routine entries, the newest routine ones, in order, within the cap', () => {
    seq = 0;
    const trail = [
      entry('approval_requested'),
      entry('approved', 'human:ana'),
      ...Array.from({ length: 30 }, () => entry('tool_allowed')),
      entry('tool_denied'),
      ...Array.from({ length: 5 }, () => entry('tool_allowed')),
    ];
    const kept = carriedAudit(trail, 50, 10);
    expect(kept.map((e) => e.event).filter((e) => e !== 'tool_allowed')).toEqual([
      'approval_requested',
      'approved',
      'tool_denied',
    ]);
    expect(kept.filter((e) => e.event === 'tool_allowed')).toHaveLength(10);
    expect(kept.at(-1)).toEqual(trail.at(-1));
    expect(kept.map((e) => e.seq)).toEqual([...kept.map((e) => e.seq)].sort((a, b) => a - b));

    // The cap holds, newest first.
    const decisions = Array.from({ length: 80 }, () => entry('approved', 'human:ana'));
    const capped = carriedAudit(decisions, 50, 10);
    expect(capped).toEqual(decisions.slice(-50));
  });
});
