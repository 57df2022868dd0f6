import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PublishDeltasInput } from '../../core/run-events.ts';
import { createDeltaPublisher } from '../../activities/live/delta-publisher.ts';

describe('delta publisher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const setup = (send = vi.fn(async (_b: PublishDeltasInput) => {})) => {
    const publisher = createDeltaPublisher({
      call: 3,
      attempt: 1,
      pacing: { intervalMs: 200, firstAfterMs: 100 },
      send,
      now: () => Date.now(),
    });
    return { publisher, send };
  };

  it('publishes nothing for a call that answers before the first batch is due', async () => {
    const { publisher, send } = setup();
    publisher.push({ kind: 'text', text: 'fast ' });
    publisher.push({ kind: 'text', text: 'answer' });
    await vi.advanceTimersByTimeAsync(50);
    await publisher.close();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(send).not.toHaveBeenCalled();
  });

  it('sends the first batch once due, then one per interval, numbered, with tool-call pieces joined by index', async () => {
    const { publisher, send } = setup();
    publisher.push({ kind: 'text', text: 'Hel' });
    await vi.advanceTimersByTimeAsync(100);
    publisher.push({ kind: 'text', text: 'lo' });
    publisher.push({ kind: 'tool-call', index: 0, id: 'c1', name: 'lookup_order', args: '{"orderId":' });
    await vi.advanceTimersByTimeAsync(100);
    publisher.push({ kind: 'tool-call', index: 0, args: '"ord_1"}' });
    await vi.advanceTimersByTimeAsync(200);
    await publisher.close();
    // The second batch is due 200 ms after the first (at 300): both later pieces are in it.
    expect(send.mock.calls.map(([b]) => b)).toEqual([
      { call: 3, attempt: 1, seq: 1, text: 'Hel' },
      {
        call: 3,
        attempt: 1,
        seq: 2,
        text: 'lo',
        toolCalls: [{ index: 0, id: 'c1', name: 'lookup_order', args: '{"orderId":"ord_1"}' }],
      },
    ]);
  });

  it('keeps going when a send fails, and drops what is buffered at close', async () => {
    const errors: unknown[] = [];
    const send = vi.fn(async (b: PublishDeltasInput) => {
      if (b.seq === 1) throw new Error('server busy');
    });
    const publisher = createDeltaPublisher({
      call: 1,
      attempt: 2,
      pacing: { intervalMs: 200, firstAfterMs: 0 },
      send,
      onError: (e) => errors.push(e),
    });
    publisher.push({ kind: 'text', text: 'a' });
    await vi.advanceTimersByTimeAsync(1);
    publisher.push({ kind: 'text', text: 'b' });
    await vi.advanceTimersByTimeAsync(200);
    publisher.push({ kind: 'text', text: 'never sent' });
    await publisher.close();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(send.mock.calls.map(([b]) => [b.seq, b.text])).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    expect(errors).toHaveLength(1);
  });
});
