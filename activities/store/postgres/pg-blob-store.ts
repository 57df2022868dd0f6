import type pg from 'pg';
import { blobHash, type BlobStore } from '../blob-store.ts';
import { plaintextCipher, type ContentCipher } from '../content-cipher.ts';
import { storeCall } from './errors.ts';

/**
 * The blob store on PostgreSQL (BOSUN_DATABASE_URL), in the run store's database and schema
 * (`blobs`, `blob_owners`: `run-store-migrations.ts`): the same `BlobStore` as the SQLite
 * one — content addressed, bytes sealed with the codec keys, every run that stored a blob
 * one of its owners, `forgetRun` deleting what no other run owns — for workers on several
 * hosts. Each call is one statement.
 */
export function createPostgresBlobStore(pool: pg.Pool, opts: { cipher?: ContentCipher } = {}): BlobStore {
  const cipher = opts.cipher ?? plaintextCipher;
  return {
    async put(bytes, mimeType, origin) {
      const hash = blobHash(bytes);
      await storeCall(`store blob ${hash.slice(0, 12)}`, () =>
        pool.query(
          `WITH body AS (
             INSERT INTO blobs (hash, mime_type, body, run_id, call_id) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (hash) DO NOTHING)
           INSERT INTO blob_owners (run_id, hash) VALUES ($4, $1) ON CONFLICT DO NOTHING`,
          [hash, mimeType, Buffer.from(cipher.sealBytes(bytes)), origin.runId, origin.callId],
        ),
      );
      return { ref: `blob:${hash}`, mimeType, bytes: bytes.byteLength };
    },
    async get(ref) {
      const hash = ref.replace(/^blob:/, '');
      const { rows } = await storeCall(`read blob ${hash.slice(0, 12)}`, () =>
        pool.query<{ mime_type: string; body: Buffer }>('SELECT mime_type, body FROM blobs WHERE hash = $1', [hash]),
      );
      const row = rows[0];
      return row ? { bytes: new Uint8Array(cipher.openBytes(row.body)), mimeType: row.mime_type } : undefined;
    },
    async forgetRun(runId) {
      // One statement: its snapshot still shows the run's own owner rows, hence `<> $1`.
      // Blobs from before owners are owned by the run in their `run_id` column.
      const { rowCount } = await storeCall(`forget blobs of ${runId}`, () =>
        pool.query(
          `WITH gone AS (DELETE FROM blob_owners WHERE run_id = $1 RETURNING hash)
           DELETE FROM blobs b WHERE (b.hash IN (SELECT hash FROM gone) OR b.run_id = $1)
             AND NOT EXISTS (SELECT 1 FROM blob_owners o WHERE o.hash = b.hash AND o.run_id <> $1)`,
          [runId],
        ),
      );
      return rowCount ?? 0;
    },
  };
}
