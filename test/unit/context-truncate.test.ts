import { describe, expect, it } from 'vitest';
import { tokenizerFor } from '../../activities/context/tokenizer.ts';
import { truncateToTokens, truncationMarker } from '../../core/context.ts';

const o200k = tokenizerFor({ provider: 'openai', name: 'gpt-4o' });
const claude = tokenizerFor({ provider: 'anthropic', name: 'claude-sonnet-4-5' });
const markerAtEnd = /\n\[truncated: (\d+) of (\d+) tokens omitted\]$/;

const log = Array.from(
  { length: 2_000 },
  (_, i) => `2025-01-01T00:00:${String(i % 60).padStart(2, '0')}Z GET /orders/ord_${i} 200 ${i * 7}ms`,
).join('\n');

describe('truncateToTokens', () => {
  const caps = [16, 17, 50, 333, 1_000];
  const cases = [
    ...caps.map((cap) => ({ cap, how: 'binary search over a count function', fast: false })),
    ...caps.map((cap) => ({ cap, how: "the tokenizer's prefix", fast: true })),
  ];
  it.each(cases)(
    'cuts to at most $cap tokens, marker included, keeping about the longest prefix that fits ($how)',
    ({ cap, fast }) => {
      const count = (t: string) => o200k.count(t);
      const cut = truncateToTokens(log, cap, count, fast ? o200k.prefix : undefined);
      expect(cut.truncated).toBe(true);
      expect(cut.tokens).toBe(count(cut.text));
      expect(cut.tokens).toBeLessThanOrEqual(cap);
      const m = markerAtEnd.exec(cut.text)!;
      const prefix = cut.text.slice(0, m.index);
      expect(log.startsWith(prefix)).toBe(true);
      expect(Number(m[2])).toBe(count(log));
      expect(Number(m[1])).toBe(count(log) - count(prefix));
      expect(cut.omittedTokens).toBe(Number(m[1]));
      // One more line's worth would not fit.
      const nextLineEnd = log.indexOf('\n', prefix.length + 1);
      const longer = `${log.slice(0, nextLineEnd)}\n${truncationMarker(count(log) - count(log.slice(0, nextLineEnd)), count(log))}`;
      expect(count(longer)).toBeGreaterThan(cap);
    },
  );

  it('returns a text within the limit unchanged', () => {
    const count = (t: string) => o200k.count(t);
    expect(truncateToTokens('short answer', 10, count)).toEqual({
      text: 'short answer',
      truncated: false,
      originalTokens: 2,
      tokens: 2,
      omittedTokens: 0,
    });
  });

  it.each([false, true])('works with an approximate tokenizer too (prefix: %s)', (fast) => {
    const count = (t: string) => claude.count(t);
    const cut = truncateToTokens(log, 120, count, fast ? claude.prefix : undefined);
    expect(count(cut.text)).toBeLessThanOrEqual(120);
    expect(count(cut.text)).toBeGreaterThan(110);
    expect(cut.text).toMatch(markerAtEnd);
  });

  it.each([false, true])('never splits a character, even one of several tokens (prefix: %s)', (fast) => {
    const emoji = '📦'.repeat(500);
    const cut = truncateToTokens(emoji, 40, (t) => o200k.count(t), fast ? o200k.prefix : undefined);
    expect(o200k.count(cut.text)).toBeLessThanOrEqual(40);
    const prefix = cut.text.slice(0, markerAtEnd.exec(cut.text)!.index);
    expect(prefix.length).toBeGreaterThan(0);
    expect(prefix.length % 2).toBe(0);
    expect([...prefix].every((ch) => ch === '📦')).toBe(true);
  });

  it('needs only a count function (any tokenizer, e.g. one token per word)', () => {
    const byWords = (t: string) => t.split(/\s+/).filter(Boolean).length;
    const text = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');
    const cut = truncateToTokens(text, 20, byWords);
    // 14 words kept + 6 words of marker = 20.
    expect(cut.text).toBe('w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 \n[truncated: 86 of 100 tokens omitted]');
    expect(byWords(cut.text)).toBe(20);
  });

  it('returns the marker alone when the limit cannot even hold it', () => {
    const cut = truncateToTokens(log, 3, (t) => o200k.count(t));
    expect(cut.text).toBe(truncationMarker(o200k.count(log), o200k.count(log)));
  });
});
