/**
 * A worker's memory of the run store's content-addressed rows: pinned prompt texts (by their
 * hash) and offered tool definitions (`tools/<sha256>`). Such a row never changes under its
 * key, and nothing deletes it (retention and `forget` delete a run's own rows, never these),
 * so once a worker has written or read one it need not write it again or read it back:
 * - the first model call of a run sends the prompt's text and the tools' definitions, which
 *   every earlier run of the same agent already stored: two writes skipped;
 * - every later call sends their keys only: two reads (and the tools' parse) skipped.
 * Bounded by entries and by characters, least recently used first out. What a write that
 * failed would have stored is never remembered.
 */
export interface ContentMemo {
  get<T>(key: string): T | undefined;
  /** `chars`: the value's size, what the bound counts. */
  set(key: string, value: unknown, chars: number): void;
}

export const DEFAULT_CONTENT_MEMO = { maxEntries: 512, maxChars: 8_000_000 } as const;

export function createContentMemo(limits: { maxEntries?: number; maxChars?: number } = {}): ContentMemo {
  const maxEntries = limits.maxEntries ?? DEFAULT_CONTENT_MEMO.maxEntries;
  const maxChars = limits.maxChars ?? DEFAULT_CONTENT_MEMO.maxChars;
  const entries = new Map<string, { value: unknown; chars: number }>();
  let chars = 0;
  return {
    get<T>(key: string): T | undefined {
      const hit = entries.get(key);
      if (!hit) return undefined;
      // Map order is the eviction order: a hit moves to the back.
      entries.delete(key);
      entries.set(key, hit);
      return hit.value as T;
    },
    set(key, value, size) {
      if (size > maxChars) return;
      const old = entries.get(key);
      if (old) {
        chars -= old.chars;
        entries.delete(key);
      }
      entries.set(key, { value, chars: size });
      chars += size;
      for (const [k, e] of entries) {
        if (entries.size <= maxEntries && chars <= maxChars) break;
        entries.delete(k);
        chars -= e.chars;
      }
    },
  };
}
