import { describe, expect, it } from 'vitest';
import { tokenizerFor } from '../../activities/context/tokenizer.ts';
import {
  contextRecordSchema,
  countMessageTokens,
  packContext,
  renderSummary,
  type ContextInput,
  type RetrievedDocument,
  type SectionRecord,
} from '../../core/context.ts';
import type { AssistantMessage, Message, ToolMessage, ToolSpec } from '../../core/messages.ts';

const tok = tokenizerFor({ provider: 'openai', name: 'gpt-4.1' });
const count = (t: string) => tok.count(t);

const tools: ToolSpec[] = [
  {
    name: 'lookup_order',
    description: 'Look up an order by id.',
    inputSchema: { type: 'object', properties: { orderId: { type: 'string' } }, required: ['orderId'] },
  },
  {
    name: 'refund_order',
    description: 'Refund a paid order. Irreversible.',
    inputSchema: { type: 'object', properties: { orderId: { type: 'string' }, amountCents: { type: 'integer' } } },
  },
];

const words = (n: number, seed = 'word') => Array.from({ length: n }, (_, i) => `${seed}${i}`).join(' ');

/** An assistant turn that calls one tool, and the tool's answer. */
function turn(i: number, resultText = `order ord_${i} is shipped`): [AssistantMessage, ToolMessage] {
  return [
    {
      role: 'assistant',
      text: `Checking order ${i}.`,
      toolCalls: [{ id: `call_${i}`, name: 'lookup_order', input: { orderId: `ord_${i}` } }],
    },
    { role: 'tool', results: [{ callId: `call_${i}`, name: 'lookup_order', content: resultText, isError: false }] },
  ];
}

const docs: RetrievedDocument[] = [
  {
    id: 'kb/refunds.md#1',
    score: 0.9,
    text: `Refunds are issued within 5 days. ${words(40, 'r')}`,
    source: 'kb/refunds.md',
  },
  { id: 'kb/shipping.md#3', score: 0.2, text: `Shipping takes 2 days. ${words(40, 's')}`, source: 'kb/shipping.md' },
  { id: 'kb/refunds.md#2', score: 0.7, text: `Double refunds are reversed. ${words(40, 'd')}` },
  { id: 'kb/returns.md#1', score: 0.5, text: `Returns need a label. ${words(40, 't')}` },
];

function input(over: Partial<ContextInput> = {}): ContextInput {
  return {
    tokenizer: tok,
    budget: { contextWindow: 100_000, outputReserve: 4_000 },
    system: 'You are a support agent for Acme. Answer from the documents; cite their ids.',
    tools,
    pinned: [{ name: 'customer', content: JSON.stringify({ id: 'cus_42', tier: 'gold', country: 'FR' }) }],
    task: 'Why was order ord_123 refunded twice?',
    retrieved: docs,
    history: [...turn(1), ...turn(2)],
    recent: turn(3),
    ...over,
  };
}

const section = (record: { sections: SectionRecord[] }, name: SectionRecord['section']) =>
  record.sections.find((s) => s.section === name)!;
const sumSections = (record: { sections: SectionRecord[] }) => record.sections.reduce((n, s) => n + s.tokens, 0);

/** Every assistant tool call in `messages` is answered by the tool message right after it. */
function expectPairsIntact(messages: Message[]) {
  messages.forEach((m, i) => {
    if (m.role === 'assistant' && m.toolCalls.length > 0) {
      const next = messages[i + 1];
      expect(next?.role).toBe('tool');
      expect((next as ToolMessage).results.map((r) => r.callId)).toEqual(m.toolCalls.map((c) => c.id));
    }
    if (m.role === 'tool') {
      const prev = messages[i - 1] as AssistantMessage;
      expect(prev.role).toBe('assistant');
    }
  });
}

describe('packContext: under budget', () => {
  it('keeps every section whole, stable prefix first: system + pinned, tools, then task + documents, history, recent', () => {
    const i = input();
    const packed = packContext(i);
    expect(packed.system.startsWith(i.system)).toBe(true);
    expect(packed.system).toContain(
      '<pinned name="customer">\n{"id":"cus_42","tier":"gold","country":"FR"}\n</pinned>',
    );
    expect(packed.tools).toEqual(tools);
    const [first, ...rest] = packed.messages;
    expect(first).toMatchObject({ role: 'user' });
    const firstText = (first as { content: string }).content;
    expect(firstText.startsWith(i.task!)).toBe(true);
    expect(firstText.indexOf('<documents>')).toBeGreaterThan(i.task!.length);
    // Kept documents keep the order they were given in.
    const order = docs.map((d) => firstText.indexOf(`id="${d.id}"`));
    expect(order.every((p, k) => p > 0 && (k === 0 || p > order[k - 1]!))).toBe(true);
    expect(rest).toEqual([...i.history!, ...i.recent!]);

    const r = packed.record;
    for (const s of r.sections)
      expect({ section: s.section, kept: s.kept, dropped: s.dropped, truncated: s.truncated }).toEqual({
        section: s.section,
        kept: s.items,
        dropped: 0,
        truncated: 0,
      });
    expect(r.overBudgetTokens).toBe(0);
    expect(r.budgetTokens).toBe(96_000);
    expect(section(r, 'retrieved').ids).toEqual({ kept: docs.map((d) => d.id), dropped: [] });
    expect(section(r, 'history').summarized).toBe(false);
    expect(r.tokenizer).toEqual({ name: 'o200k_base', exact: true });
  });

  it('records figures that add up: the sections sum to the total, and each matches what was sent', () => {
    const i = input();
    const { record, messages, system } = packContext(i);
    expect(record.sections.map((s) => s.section)).toEqual([
      'system',
      'tools',
      'pinned',
      'task',
      'retrieved',
      'history',
      'recent',
    ]);
    expect(sumSections(record)).toBe(record.totalTokens);
    expect(section(record, 'history').tokens).toBe(i.history!.reduce((n, m) => n + tok.countMessage(m), 0));
    expect(section(record, 'recent').tokens).toBe(i.recent!.reduce((n, m) => n + tok.countMessage(m), 0));
    expect(section(record, 'tools').tokens).toBe(tools.reduce((n, t) => n + tok.countTool(t), 0));
    expect(section(record, 'task').tokens).toBe(tok.countMessage({ role: 'user', content: i.task! }));
    // Sections are counted apart; joined, BPE may merge a token or two at each seam.
    expect(
      Math.abs(
        section(record, 'system').tokens +
          section(record, 'pinned').tokens -
          tok.countMessage({ role: 'user', content: system }),
      ),
    ).toBeLessThanOrEqual(2);
    expect(
      Math.abs(section(record, 'task').tokens + section(record, 'retrieved').tokens - tok.countMessage(messages[0]!)),
    ).toBeLessThanOrEqual(2 + docs.length);
    expect(record.stablePrefixTokens).toBe(
      section(record, 'system').tokens + section(record, 'tools').tokens + section(record, 'pinned').tokens,
    );
    expect(record.stablePrefixShare).toBeCloseTo(record.stablePrefixTokens / record.totalTokens, 10);
    expect(contextRecordSchema.parse(record)).toEqual(record);
  });

  it('flags an approximate tokenizer (Anthropic) in the record', () => {
    const { record } = packContext(
      input({ tokenizer: tokenizerFor({ provider: 'anthropic', name: 'claude-haiku-4-5' }) }),
    );
    expect(record.tokenizer).toEqual({ name: 'anthropic≈cl100k_base×1.2', exact: false });
  });
});

describe('packContext: retrieved documents over budget', () => {
  it('drops the lowest-ranked documents first and records which', () => {
    const full = packContext(input({ history: [] }));
    // Room for all but about one and a half documents.
    const perDoc = section(full.record, 'retrieved').tokens / docs.length;
    const budgetTokens = full.record.totalTokens - Math.round(1.5 * perDoc);
    const packed = packContext(
      input({ history: [], budget: { contextWindow: budgetTokens + 1_000, outputReserve: 1_000 } }),
    );
    const r = section(packed.record, 'retrieved');
    expect(r.ids).toEqual({
      kept: ['kb/refunds.md#1', 'kb/refunds.md#2'],
      dropped: ['kb/shipping.md#3', 'kb/returns.md#1'],
    });
    expect({ items: r.items, kept: r.kept, dropped: r.dropped }).toEqual({ items: 4, kept: 2, dropped: 2 });
    const sent = (packed.messages[0] as { content: string }).content;
    expect(sent).not.toContain('Shipping takes 2 days');
    expect(sent).not.toContain('Returns need a label');
    expect(packed.record.totalTokens).toBeLessThanOrEqual(packed.record.budgetTokens);
    expect(packed.record.overBudgetTokens).toBe(0);
  });

  it('goes after history by default: old turns are dropped before any document', () => {
    const full = packContext(input());
    const packed = packContext(input({ budget: { contextWindow: full.record.totalTokens - 10, outputReserve: 0 } }));
    expect(section(packed.record, 'history').dropped).toBeGreaterThan(0);
    expect(section(packed.record, 'retrieved').dropped).toBe(0);
  });

  it('applies a section cap even when the whole request fits', () => {
    const full = packContext(input());
    const cap = Math.floor(section(full.record, 'retrieved').tokens * 0.6);
    const packed = packContext(
      input({ budget: { contextWindow: 100_000, outputReserve: 4_000, sections: { retrieved: { maxTokens: cap } } } }),
    );
    const r = section(packed.record, 'retrieved');
    expect(r.tokens).toBeLessThanOrEqual(cap);
    expect(r.ids!.dropped).toEqual(['kb/shipping.md#3', 'kb/returns.md#1']);
    expect(section(packed.record, 'history').dropped).toBe(0);
  });

  it('gives way before history when its priority is lower', () => {
    const full = packContext(input());
    const budgetTokens = full.record.totalTokens - 10;
    const packed = packContext(
      input({ budget: { contextWindow: budgetTokens, outputReserve: 0, sections: { retrieved: { priority: 1 } } } }),
    );
    expect(section(packed.record, 'retrieved').ids!.dropped).toEqual(['kb/shipping.md#3']);
    expect(section(packed.record, 'history').dropped).toBe(0);
  });
});

describe('packContext: long tool results', () => {
  const long = `BEGIN ${words(3_000, 'row')} END`;

  it('truncates a long tool result with a marker, within the exact token bound, and keeps the result', () => {
    const [call, result] = turn(9, long);
    const packed = packContext(
      input({
        history: [],
        recent: [call, result],
        budget: { contextWindow: 100_000, outputReserve: 4_000, maxToolResultTokens: 200 },
      }),
    );
    const sent = packed.messages.at(-1) as ToolMessage;
    expect(sent.results).toHaveLength(1);
    expect(sent.results[0]!.callId).toBe('call_9');
    const content = sent.results[0]!.content;
    expect(count(content)).toBeLessThanOrEqual(200);
    expect(count(content)).toBeGreaterThan(190);
    const total = count(long);
    const match = /\n\[truncated: (\d+) of (\d+) tokens omitted\]$/.exec(content);
    expect(match).not.toBeNull();
    const prefix = content.slice(0, match!.index);
    expect(long.startsWith(prefix)).toBe(true);
    expect(Number(match![2])).toBe(total);
    expect(Number(match![1])).toBe(total - count(prefix));
    const recent = section(packed.record, 'recent');
    expect({ kept: recent.kept, truncated: recent.truncated, dropped: recent.dropped }).toEqual({
      kept: 2,
      truncated: 1,
      dropped: 0,
    });
    expect(recent.omittedTokens).toBe(Number(match![1]));
    expect(expectPairsIntact(packed.messages)).toBeUndefined();
  });

  it('squeezes recent tool results (largest first, never below the floor) when the window is too small', () => {
    const [call, result] = turn(9, long);
    const small = {
      ...result,
      results: [...result.results, { callId: 'call_9b', name: 'lookup_order', content: 'ok', isError: false }],
    };
    const callBoth: AssistantMessage = {
      ...call,
      toolCalls: [...call.toolCalls, { id: 'call_9b', name: 'lookup_order', input: { orderId: 'ord_9b' } }],
    };
    const packed = packContext(
      input({
        retrieved: [],
        history: [],
        recent: [callBoth, small],
        budget: { contextWindow: 1_500, outputReserve: 500, minToolResultTokens: 100 },
      }),
    );
    expect(packed.record.overBudgetTokens).toBe(0);
    expect(packed.record.totalTokens).toBeLessThanOrEqual(1_000);
    const sent = packed.messages.at(-1) as ToolMessage;
    expect(sent.results.map((r) => r.callId)).toEqual(['call_9', 'call_9b']);
    expect(sent.results[0]!.content).toMatch(/\[truncated: \d+ of \d+ tokens omitted\]$/);
    expect(count(sent.results[0]!.content)).toBeGreaterThanOrEqual(100);
    expect(sent.results[1]!.content).toBe('ok');
  });

  it('reports what does not fit when even the floor is too much', () => {
    const [call, result] = turn(9, long);
    const packed = packContext(
      input({
        retrieved: [],
        history: [],
        recent: [call, result],
        budget: { contextWindow: 400, outputReserve: 100, minToolResultTokens: 250 },
      }),
    );
    expect(packed.record.overBudgetTokens).toBe(packed.record.totalTokens - 300);
    expect(packed.record.overBudgetTokens).toBeGreaterThan(0);
    expect(count((packed.messages.at(-1) as ToolMessage).results[0]!.content)).toBeLessThanOrEqual(250);
  });
});

describe('packContext: history over budget', () => {
  const history = [1, 2, 3, 4, 5].flatMap((i) => turn(i, `order ord_${i}: ${words(60, `i${i}_`)}`));
  const recent = turn(6);

  function budgetFor(keepTurns: number, summary?: string) {
    const all = packContext(input({ history: [], retrieved: [], recent }));
    const kept = history.slice(-2 * keepTurns).reduce((n, m) => n + countMessageTokens(m, count), 0);
    const s = summary ? tok.countMessage({ role: 'user', content: renderSummary(summary) }) : 0;
    return all.record.totalTokens + kept + s + 3; // a little room, less than another turn
  }

  it('drops the oldest turns first, keeping each tool call with its result', () => {
    const budget = budgetFor(2);
    const packed = packContext(
      input({ history, retrieved: [], recent, budget: { contextWindow: budget, outputReserve: 0 } }),
    );
    const h = section(packed.record, 'history');
    expect({ items: h.items, kept: h.kept, dropped: h.dropped, summarized: h.summarized }).toEqual({
      items: 10,
      kept: 4,
      dropped: 6,
      summarized: false,
    });
    expect(packed.messages.slice(1)).toEqual([...history.slice(-4), ...recent]);
    expect(packed.messages[1]!.role).toBe('assistant');
    expectPairsIntact(packed.messages);
    expect(packed.record.totalTokens).toBeLessThanOrEqual(budget);
  });

  it('never starts the kept history with a tool message', () => {
    // A chat: user turns between assistant tool turns, and an orphan tool message first.
    const chat: Message[] = [
      { role: 'tool', results: [{ callId: 'call_0', name: 'lookup_order', content: 'stale', isError: false }] },
      { role: 'user', content: `First question. ${words(50)}` },
      ...turn(1, words(80, 'a')),
      { role: 'user', content: 'Second question.' },
      ...turn(2),
    ];
    const keepTokens = chat.slice(-3).reduce((n, m) => n + countMessageTokens(m, count), 0);
    const base = packContext(input({ history: [], retrieved: [], recent })).record.totalTokens;
    const packed = packContext(
      input({
        history: chat,
        retrieved: [],
        recent,
        budget: { contextWindow: base + keepTokens + 2, outputReserve: 0 },
      }),
    );
    const kept = packed.messages.slice(1, -recent.length);
    expect(kept).toEqual(chat.slice(-3));
    expect(kept[0]!.role).toBe('user');
    expectPairsIntact(packed.messages);

    // Plenty of room: everything but the orphan is kept.
    const roomy = packContext(input({ history: chat, retrieved: [], recent }));
    expect(roomy.messages.slice(1, -recent.length)).toEqual(chat.slice(1));
    expect(section(roomy.record, 'history')).toMatchObject({ kept: 6, dropped: 1, summarized: false });
  });

  it('inserts the summary in place of the dropped turns, right after the task', () => {
    const summary = 'Orders ord_1 to ord_3 were checked: all shipped.';
    const budget = budgetFor(2, summary);
    const packed = packContext(
      input({ history, retrieved: [], recent, summary, budget: { contextWindow: budget, outputReserve: 0 } }),
    );
    expect(packed.messages[0]).toEqual({ role: 'user', content: input().task });
    expect(packed.messages[1]).toEqual({ role: 'user', content: renderSummary(summary) });
    expect(packed.messages.slice(2)).toEqual([...history.slice(-4), ...recent]);
    const h = section(packed.record, 'history');
    expect({ kept: h.kept, dropped: h.dropped, summarized: h.summarized }).toEqual({
      kept: 4,
      dropped: 6,
      summarized: true,
    });
    expect(h.tokens).toBe(
      history.slice(-4).reduce((n, m) => n + countMessageTokens(m, count), 0) + tok.countMessage(packed.messages[1]!),
    );
    expect(sumSections(packed.record)).toBe(packed.record.totalTokens);
    expect(packed.record.totalTokens).toBeLessThanOrEqual(budget);
  });

  it('sends no summary when nothing was dropped', () => {
    const packed = packContext(input({ history, recent, summary: 'unused' }));
    expect(packed.messages.some((m) => m.role === 'user' && m.content.startsWith('[Summary'))).toBe(false);
    expect(section(packed.record, 'history').summarized).toBe(false);
  });

  it('moves the assistant turn a leading recent tool message answers out of history', () => {
    const [call, result] = turn(7);
    const packed = packContext(input({ history: [...history, call], recent: [result], retrieved: [] }));
    expect(packed.messages.slice(-2)).toEqual([call, result]);
    expect(section(packed.record, 'recent').items).toBe(2);
    expect(section(packed.record, 'history').items).toBe(10);
  });

  it('says how far over budget it is when the fixed sections alone do not fit', () => {
    const packed = packContext(input({ budget: { contextWindow: 120, outputReserve: 20 } }));
    expect(packed.record.overBudgetTokens).toBe(packed.record.totalTokens - 100);
    expect(section(packed.record, 'history').kept).toBe(0);
    expect(section(packed.record, 'retrieved').kept).toBe(0);
    expect(section(packed.record, 'task').kept).toBe(1);
  });
});

describe('packContext: stable prefix across steps', () => {
  it('keeps system, pinned data and tools identical while the conversation grows, and the earlier messages a prefix', () => {
    const step1 = packContext(input({ history: [...turn(1)], recent: turn(2) }));
    const step2 = packContext(input({ history: [...turn(1), ...turn(2)], recent: turn(3) }));
    expect(step2.system).toBe(step1.system);
    expect(step2.tools).toEqual(step1.tools);
    expect(step2.record.stablePrefixHash).toBe(step1.record.stablePrefixHash);
    expect(step2.record.stablePrefixTokens).toBe(step1.record.stablePrefixTokens);
    expect(step2.messages.slice(0, step1.messages.length)).toEqual(step1.messages);
    expect(step2.record.totalTokens).toBeGreaterThan(step1.record.totalTokens);
    expect(step2.record.stablePrefixShare).toBeLessThan(step1.record.stablePrefixShare);
    expect(step1.record.stablePrefixShare).toBeGreaterThan(0);

    const changed = packContext(input({ pinned: [{ name: 'customer', content: '{"id":"cus_43"}' }] }));
    expect(changed.record.stablePrefixHash).not.toBe(step1.record.stablePrefixHash);
  });
});
