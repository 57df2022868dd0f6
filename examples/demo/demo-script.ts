import type { FakeReply } from '../../testing/index.ts';

/**
 * A recorded conversation for the example task (`client/example-agent.ts`), replayed by the
 * demo's fake provider (`fake-provider.ts`) when no real provider is configured. Small
 * delays make progress visible; the answer streams.
 */
export const refundDemoScript: FakeReply[] = [
  {
    kind: 'delay',
    ms: 400,
    then: {
      kind: 'tool_calls',
      calls: [{ name: 'search_docs', args: { query: 'refund opened items restocking fee', limit: 2 } }],
    },
  },
  {
    kind: 'delay',
    ms: 400,
    then: {
      kind: 'tool_calls',
      text: 'Opened items are refunded minus a 10% restocking fee; let me compute it.',
      calls: [{ name: 'calculator', args: { expression: '2 * 18.40 * (1 - 0.10)' } }],
    },
  },
  {
    kind: 'text',
    text:
      'They get back $33.12: 2 × $18.40 = $36.80 for the two opened mugs, less the 10% restocking fee ' +
      'for opened items ($3.68). Shipping is not refunded. (Source: refunds)',
    // Streamed at a pace a reader can follow, as a real model writes (`npm start` shows it).
    stream: { firstChunkDelayMs: 400, chunkChars: 6, chunkDelayMs: 40 },
  },
];
