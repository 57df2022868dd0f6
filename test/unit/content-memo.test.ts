import { describe, expect, it } from 'vitest';
import { createContentMemo } from '../../activities/store/content-memo.ts';

describe('createContentMemo', () => {
  it('returns what was set, and undefined for what was not', () => {
    const memo = createContentMemo();
    memo.set('prompt/a', 'text', 4);
    expect(memo.get('prompt/a')).toBe('text');
    expect(memo.get('prompt/b')).toBeUndefined();
  });

  it('drops the least recently used entry past its entry bound', () => {
    const memo = createContentMemo({ maxEntries: 2 });
    memo.set('a', 1, 1);
    memo.set('b', 2, 1);
    expect(memo.get('a')).toBe(1); // a is now the most recently used
    memo.set('c', 3, 1);
    expect(memo.get('b')).toBeUndefined();
    expect(memo.get('a')).toBe(1);
    expect(memo.get('c')).toBe(3);
  });

  it('drops entries past its character bound, and never keeps one larger than the bound', () => {
    const memo = createContentMemo({ maxChars: 10 });
    memo.set('a', 'x', 6);
    memo.set('b', 'y', 4);
    expect(memo.get('a')).toBe('x');
    memo.set('c', 'z', 3); // 13 chars: the least recently used (b) goes
    expect(memo.get('b')).toBeUndefined();
    expect(memo.get('a')).toBe('x');
    expect(memo.get('c')).toBe('z');
    memo.set('huge', 'w', 11);
    expect(memo.get('huge')).toBeUndefined();
    expect(memo.get('a')).toBe('x');
  });

  it('counts a key set again once, at its new size', () => {
    const memo = createContentMemo({ maxChars: 10 });
    memo.set('a', 'x', 8);
    memo.set('a', 'x', 2);
    memo.set('b', 'y', 8);
    expect(memo.get('a')).toBe('x');
    expect(memo.get('b')).toBe('y');
  });
});
