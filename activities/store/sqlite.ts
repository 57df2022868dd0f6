/**
 * The two things every embedded SQLite store here does the same way: open a file that
 * several worker processes (and `ingest`) share, and write in one transaction.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/**
 * Opens a SQLite file (creating its folder), or `:memory:`. WAL mode lets readers go on
 * while one process writes; the busy timeout makes a second writer wait for the first
 * rather than fail. `synchronous`: `full` (SQLite's default) fsyncs every commit; `normal`
 * only at WAL checkpoints — safe against a crashed process, not against a power loss of the
 * machine for the last commits, and ~100× cheaper per commit.
 */
export function openSqlite(path: string, opts: { synchronous?: 'full' | 'normal' } = {}): DatabaseSync {
  const inMemory = path === ':memory:';
  if (!inMemory) mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path, { timeout: 10_000 });
  if (!inMemory) useWalMode(db);
  if (opts.synchronous === 'normal') db.exec('PRAGMA synchronous = NORMAL');
  return db;
}

/** Between tries of switching a file to WAL while another process holds it. */
const WAL_RETRY_MS = 50;
const WAL_TRIES = 200;

/**
 * Puts the file in WAL mode (persistent: a file already in it stays). Switching needs the
 * file to itself, and SQLite answers "database is locked" at once — without waiting out the
 * busy timeout — when another process holds it (two workers starting on one fresh file):
 * so it tries again, for up to 10 s.
 */
export function useWalMode(db: DatabaseSync): void {
  for (let tries = 1; ; tries++) {
    try {
      db.exec('PRAGMA journal_mode = WAL');
      return;
    } catch (err) {
      if (tries >= WAL_TRIES || !/locked|busy/i.test((err as Error)?.message ?? '')) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, WAL_RETRY_MS);
    }
  }
}

/**
 * Runs `fn` in one transaction: all of its writes or none (rolled back when it throws).
 * `immediate` (the default, for writes) takes the write lock up front, so concurrent writers
 * queue instead of deadlocking on a read-then-write upgrade; `deferred` suits a read that
 * must see one snapshot.
 *
 * @example
 * inTransaction(db, () => rows.forEach((r) => insert.run(r.id, r.body)));
 */
export function inTransaction<T>(db: DatabaseSync, fn: () => T, mode: 'immediate' | 'deferred' = 'immediate'): T {
  db.exec(mode === 'immediate' ? 'BEGIN IMMEDIATE' : 'BEGIN');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}
