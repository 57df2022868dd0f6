import { describe, expect, it } from 'vitest';
import { issuesByField } from '../../api/console/issues.js';
import { relativeTime } from '../../api/console/relative-time.js';
import { createSseParser, type SseMessage } from '../../api/console/sse-parser.js';

const at = Date.parse('2026-01-01T10:00:00Z');

describe('the console says deadlines as relative time', () => {
  it('in minutes, hours, days, ahead and past', () => {
    expect(relativeTime(at + 4 * 60_000, at)).toBe('in 4 min');
    expect(relativeTime(at + 30_000, at)).toBe('in 30 s');
    expect(relativeTime(at + 4 * 3_600_000, at)).toBe('in 4 h');
    expect(relativeTime(at - 2 * 86_400_000, at)).toBe('2 d ago');
    expect(relativeTime(at - 90 * 60_000, at)).toBe('2 h ago');
    expect(relativeTime(at + 1_000, at)).toBe('now');
  });
});

describe('the console parses server-sent events across chunk boundaries', () => {
  it('id, event and data, multi-line data, comments skipped, CRLF accepted', () => {
    const seen: SseMessage[] = [];
    const push = createSseParser((m) => seen.push(m));
    push(': keep-alive\n\nid: 3\nevent: model_delta\nda');
    push('ta: {"text":"Hel"}\n\n');
    push('id: 4\r\nevent: run_ended\r\ndata: a\r\ndata: b\r\n\r\n');
    push('data: no end yet');
    expect(seen).toEqual([
      { id: '3', event: 'model_delta', data: '{"text":"Hel"}' },
      { id: '4', event: 'run_ended', data: 'a\nb' },
    ]);
  });
});

describe('the edit form puts validation issues next to their field', () => {
  it('by path (array, dotted, under `input`), the rest above the form', () => {
    const sorted = issuesByField(
      [
        { path: 'body.input.amountCents', message: 'Too small: expected number to be >0' },
        { path: 'input.orderId', message: 'order ids look like "ord_123"' },
        { path: ['items', 0, 'sku'], message: 'Required' },
        { path: ['extra'], message: 'Unrecognized key' },
        { message: 'refund limit exceeded' },
      ],
      ['orderId', 'amountCents', 'items'],
    );
    expect(sorted.fields).toEqual({
      amountCents: ['Too small: expected number to be >0'],
      orderId: ['order ids look like "ord_123"'],
      items: ['0.sku: Required'],
    });
    expect(sorted.general).toEqual(['extra: Unrecognized key', 'refund limit exceeded']);
  });
});
