import { afterEach } from 'vitest';
import { openSqliteRunStore, type RunStore } from '../../activities/store/run-store.ts';

/**
 * In-memory SQLite run stores for a test file's tests, each closed after the test that opened
 * it. Call at the top of the file; the returned function opens one.
 *
 * @example const memoryStore = useMemoryRunStores(); // then memoryStore() inside a test
 */
export function useMemoryRunStores(): () => RunStore {
  const open: RunStore[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });
  return () => {
    const s = openSqliteRunStore(':memory:');
    open.push(s);
    return s;
  };
}
