import { join, resolve } from 'node:path';
import type pg from 'pg';
import type { BlobStore } from '../activities/store/blob-store.ts';
import type { ContentCipher } from '../activities/store/content-cipher.ts';
import { createPostgresBlobStore } from '../activities/store/postgres/pg-blob-store.ts';
import { openPostgresRunStore } from '../activities/store/postgres/open.ts';
import { openSqliteRunStore, type RunStore } from '../activities/store/run-store.ts';
import type { WorkerConfig } from './config.ts';

const openStores = new Map<string, Promise<unknown>>();

/**
 * One store per file or database (and encryption key set) per process: workers created in one
 * process (tests, the dev command) share it; other processes share the file (SQLite's
 * locking) or the database.
 */
export function sharedStore<T>(key: string, open: () => T | Promise<T>): Promise<T> {
  if (!openStores.has(key)) {
    const opening = Promise.resolve().then(open);
    // A failed open (a database not there yet) is not remembered: the next worker tries again.
    opening.catch(() => openStores.delete(key));
    openStores.set(key, opening);
  }
  return openStores.get(key) as Promise<T>;
}

/**
 * The run store the config selects: PostgreSQL at BOSUN_DATABASE_URL (migrated first), shared
 * by workers on any number of hosts; else the embedded SQLite file `<BOSUN_STATE_DIR>/runs.db`
 * (one host). `cipher` encrypts content at rest (the codec keys); `variant` names its key set,
 * so stores with different keys are not shared.
 */
export function openRunStore(
  config: WorkerConfig,
  opts: { cipher?: ContentCipher; variant?: string } = {},
): Promise<RunStore> {
  const url = config.BOSUN_DATABASE_URL;
  const cipher = opts.cipher ? { cipher: opts.cipher } : {};
  if (url) return sharedStore(`pg:${url}#${opts.variant ?? ''}`, () => openPostgresRunStore(url, cipher));
  const path = resolve(join(config.BOSUN_STATE_DIR, 'runs.db'));
  return sharedStore(`${path}#${opts.variant ?? ''}`, () =>
    openSqliteRunStore(path, { synchronous: config.BOSUN_STORE_SYNC, ...cipher }),
  );
}

const blobStores = new WeakMap<pg.Pool, BlobStore>();
/**
 * The blob store beside a PostgreSQL run store (`openRunStore` with BOSUN_DATABASE_URL): the
 * same database, connections and keys, so MCP binary results are shared by every host too.
 */
export function postgresBlobStore(store: RunStore, cipher: ContentCipher | undefined): BlobStore {
  const pool = (store as RunStore & { pool?: pg.Pool }).pool;
  if (!pool) throw new Error('postgresBlobStore: the run store is not on PostgreSQL');
  if (!blobStores.has(pool)) blobStores.set(pool, createPostgresBlobStore(pool, cipher ? { cipher } : {}));
  return blobStores.get(pool)!;
}
