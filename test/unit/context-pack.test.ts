import { describe, expect, it } from 'vitest';
import { tokenizerFor } from '../../activities/context/tokenizer.ts';
import { compactContextRecord, packContext, type ContextInput, type ContextRecord } from '../../core/context.ts';
import {
  createContextBases,
  expandContextRecord,
  packContextRecord,
  packedContextRecordSchema,
} from '../../core/context-pack.ts';
import type { Message, ToolSpec } from '../../core/messages.ts';

const tok = tokenizerFor({ provider: 'openai', name: 'gpt-4.1' });
const tools: ToolSpec[] = [
  {
    name: 'lookup_order',
    description: 'Look up an order by id.',
    inputSchema: { type: 'object', properties: { orderId: { type: 'string' } }, required: ['orderId'] },
  },
];
const words = (n: number, seed = 'w') => Array.from({ length: n }, (_, i) => `${seed}${i}`).join(' ');
const turn = (i: number, result = `order ord_${i} is shipped`): Message[] => [
  {
    role: 'assistant',
    text: `Checking order ${i}.`,
    toolCalls: [{ id: `call_${i}`, name: 'lookup_order', input: { orderId: `ord_${i}` } }],
  },
  { role: 'tool', results: [{ callId: `call_${i}`, name: 'lookup_order', content: result, isError: false }] },
];

function record(over: Partial<ContextInput> = {}): ContextRecord {
  return compactContextRecord(
    packContext({
      tokenizer: tok,
      budget: { contextWindow: 100_000, outputReserve: 4_000 },
      system: 'You are a support agent.',
      tools,
      task: 'Why was order ord_123 refunded twice?',
      history: [...turn(1), ...turn(2)],
      recent: turn(3),
      ...over,
    }).record,
  );
}

/** Records as `callModel` writes them: every section kind, drops, truncation, a summary. */
const records: [string, ContextRecord][] = [
  ['a plain step', record()],
  ['no system, no tools, no task', record({ system: '', tools: [], task: undefined })],
  ['pinned data', record({ pinned: [{ name: 'customer', content: JSON.stringify({ id: 'cus_42' }) }] })],
  [
    'retrieved documents, some dropped',
    record({
      retrieved: [
        { id: 'kb/a#1', score: 0.9, text: words(300, 'a'), source: 'kb/a' },
        { id: 'kb/b#1', score: 0.1, text: words(300, 'b') },
      ],
      budget: { contextWindow: 900, outputReserve: 100 },
    }),
  ],
  [
    'history dropped and summarized, results truncated',
    record({
      history: [...turn(1, words(400)), ...turn(2, words(400)), ...turn(4), ...turn(5)],
      recent: turn(6, words(2_000)),
      summary: 'Orders 1 and 2 were looked up.',
      budget: { contextWindow: 900, outputReserve: 200, maxToolResultTokens: 300 },
    }),
  ],
  ['over budget', record({ system: words(500), budget: { contextWindow: 300, outputReserve: 100 } })],
  ['empty', record({ system: '', tools: [], task: undefined, history: [], recent: [] })],
];

describe('packed context records', () => {
  it.each(records)('%s: expand(pack(x)) gives x back exactly', (_, x) => {
    const packed = packContextRecord(x);
    expect(packed).toBeDefined();
    const parsed = packedContextRecordSchema.parse(JSON.parse(JSON.stringify(packed)));
    const back = expandContextRecord(parsed);
    expect(back).toEqual(x);
    // Same key order too: what reads the record (queries, the run's result) sees the same JSON.
    expect(JSON.stringify(back)).toBe(JSON.stringify(x));
  });

  it('the cases cover truncation, drops, a summary and retrieved ids', () => {
    const all = records.flatMap(([, r]) => r.sections);
    expect(all.some((s) => s.section === 'retrieved' && s.dropped > 0 && s.ids!.dropped.length > 0)).toBe(true);
    expect(all.some((s) => s.section === 'history' && s.dropped > 0 && s.summarized)).toBe(true);
    expect(all.some((s) => s.truncated > 0 && (s.omittedTokens ?? 0) > 0)).toBe(true);
    expect(records.some(([, r]) => r.overBudgetTokens > 0)).toBe(true);
  });

  it('leaves the base out when the caller holds it, and is much smaller then', () => {
    const first = record();
    const second = record({ history: [...turn(1), ...turn(2), ...turn(3)], recent: turn(4) });
    const p1 = packContextRecord(first, '')!;
    const p2 = packContextRecord(second, p1.key)!;
    expect(p1.base).toBeDefined();
    expect(p2.base).toBeUndefined();
    expect(p2.key).toBe(p1.key);
    expect(expandContextRecord(p2, p1.base)).toEqual(second);
    expect(JSON.stringify(p2).length).toBeLessThan(JSON.stringify(second).length / 4);
  });

  it('sends the base again when it changed', () => {
    const p1 = packContextRecord(record())!;
    const p2 = packContextRecord(record({ system: 'You are a billing agent.' }), p1.key)!;
    expect(p2.key).not.toBe(p1.key);
    expect(p2.base).toBeDefined();
  });

  it('a record packContext would not make is not packed (sent whole)', () => {
    const x = record();
    expect(packContextRecord({ ...x, totalTokens: x.totalTokens + 1 })).toBeUndefined();
    expect(packContextRecord({ ...x, sections: [...x.sections, x.sections.at(-1)!] })).toBeUndefined();
    expect(packContextRecord({ ...x, stablePrefixShare: 0.123456 })).toBeUndefined();
  });

  it('a base left out that the caller does not hold is an error', () => {
    const p = packContextRecord(record(), packContextRecord(record())!.key)!;
    expect(() => expandContextRecord(p)).toThrow(/base/);
  });

  it('createContextBases: remembers each slot’s base and expands what later calls leave out', () => {
    const bases = createContextBases();
    const a1 = record();
    const a2 = record({ history: [...turn(1), ...turn(2), ...turn(3)], recent: turn(4) });
    const b1 = record({ system: 'Classify the step.', tools: [] });
    expect(bases.keyFor('m')).toBe('');
    expect(bases.expand('m', packContextRecord(a1, bases.keyFor('m'))!)).toEqual(a1);
    expect(bases.expand('m inline', packContextRecord(b1, bases.keyFor('m inline'))!)).toEqual(b1);
    const p2 = packContextRecord(a2, bases.keyFor('m'))!;
    expect(p2.base).toBeUndefined();
    expect(bases.expand('m', p2)).toEqual(a2);
  });

  it('createContextBases: overlapping calls of one slot each expand against the base they were sent with', () => {
    const bases = createContextBases();
    const a = record();
    const b = record({ system: 'Another system prompt for the same model.' });
    bases.expand('m', packContextRecord(a, bases.keyFor('m'))!);
    // Two calls leave with the same key; the first answer brings a new base for the slot.
    const sentKey = bases.keyFor('m');
    const first = packContextRecord(b, sentKey)!;
    const second = packContextRecord(a, sentKey)!;
    expect(first.base).toBeDefined();
    expect(second.base).toBeUndefined();
    expect(bases.expand('m', first)).toEqual(b);
    expect(bases.expand('m', second)).toEqual(a);
  });

  it('createContextBases: a slot whose base was dropped (many bases since) is sent no key', () => {
    const bases = createContextBases();
    bases.expand('m', packContextRecord(record(), '')!);
    expect(bases.keyFor('m')).not.toBe('');
    for (let i = 0; i < 20; i++) bases.expand(`s${i}`, packContextRecord(record({ system: `system ${i}` }), '')!);
    expect(bases.keyFor('m')).toBe('');
  });
});
