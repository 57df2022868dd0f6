import { createHash } from 'node:crypto';
import { plaintextCipher, type ContentCipher } from './content-cipher.ts';
import { inTransaction, openSqlite } from './sqlite.ts';

/**
 * Binary results (an MCP tool's images, audio, blob resources) kept beside the run store,
 * never in Temporal history: the tool result carries a reference (`blob:<sha256>`) with the
 * type and size, and whoever needs the bytes (a UI, a later tool) reads them here. Content
 * addressed, so a retried call that stores the same bytes again stores nothing new.
 *
 * Bytes are encrypted at rest with the store's `ContentCipher` (the payload codec's keys)
 * when one is given; the hash is of the plaintext, so the reference does not change with
 * the key. Every run that stored a blob is recorded as one of its owners: `forgetRun` drops
 * a run's ownership and deletes the blobs no other run owns.
 */
export interface BlobStore {
  /** Stores the bytes and resolves with their reference (`blobRef`) once they are stored. */
  put(bytes: Uint8Array, mimeType: string, origin: { runId: string; callId: string }): Promise<BlobRef>;
  get(ref: string): Promise<{ bytes: Uint8Array; mimeType: string } | undefined>;
  /** Erases run `runId`'s blobs (those no other run stored too); resolves with how many
   * blobs were deleted. */
  forgetRun(runId: string): Promise<number>;
}

export interface BlobRef {
  ref: string;
  mimeType: string;
  bytes: number;
}

/** The reference of `bytes`: known before they are stored (content addressed). */
export function blobRef(bytes: Uint8Array, mimeType: string): BlobRef {
  return { ref: `blob:${blobHash(bytes)}`, mimeType, bytes: bytes.byteLength };
}

export const blobHash = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Opens (or creates) the blob store: its own SQLite file, e.g. `<state dir>/blobs.db`. */
export function openSqliteBlobStore(path: string, opts: { cipher?: ContentCipher } = {}): BlobStore {
  const cipher = opts.cipher ?? plaintextCipher;
  const db = openSqlite(path);
  db.exec(`
    CREATE TABLE IF NOT EXISTS blobs (
      hash TEXT PRIMARY KEY, mime_type TEXT NOT NULL, body BLOB NOT NULL,
      run_id TEXT NOT NULL, call_id TEXT NOT NULL, created_at TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS blob_owners (
      run_id TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (run_id, hash)) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS blob_owners_by_hash ON blob_owners (hash);
  `);
  const insert = db.prepare(
    'INSERT INTO blobs (hash, mime_type, body, run_id, call_id, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const own = db.prepare('INSERT OR IGNORE INTO blob_owners (run_id, hash) VALUES (?, ?)');
  const select = db.prepare('SELECT mime_type, body FROM blobs WHERE hash = ?');
  const disown = db.prepare('DELETE FROM blob_owners WHERE run_id = ? RETURNING hash');
  // Blobs from before `blob_owners` are owned by the run in their own `run_id` column.
  const deleteOrphans = db.prepare(
    `DELETE FROM blobs WHERE (hash IN (SELECT value FROM json_each(?)) OR run_id = ?)
       AND NOT EXISTS (SELECT 1 FROM blob_owners o WHERE o.hash = blobs.hash)`,
  );
  return {
    async put(bytes, mimeType, origin) {
      const hash = blobHash(bytes);
      inTransaction(db, () => {
        insert.run(hash, mimeType, cipher.sealBytes(bytes), origin.runId, origin.callId, new Date().toISOString());
        own.run(origin.runId, hash);
      });
      return { ref: `blob:${hash}`, mimeType, bytes: bytes.byteLength };
    },
    async get(ref) {
      const hash = ref.replace(/^blob:/, '');
      const row = select.get(hash) as { mime_type: string; body: Uint8Array } | undefined;
      return row ? { bytes: new Uint8Array(cipher.openBytes(row.body)), mimeType: row.mime_type } : undefined;
    },
    async forgetRun(runId) {
      return inTransaction(db, () => {
        const hashes = (disown.all(runId) as { hash: string }[]).map((r) => r.hash);
        return Number(deleteOrphans.run(JSON.stringify(hashes), runId).changes);
      });
    },
  };
}
