import { createHash } from 'node:crypto';
import { openSqlite } from './sqlite.ts';

/**
 * Binary results (an MCP tool's images, audio, blob resources) kept beside the run store,
 * never in Temporal history: the tool result carries a reference (`blob:<sha256>`) with the
 * type and size, and whoever needs the bytes (a UI, a later tool) reads them here. Content
 * addressed, so a retried call that stores the same bytes again stores nothing new.
 */
export interface BlobStore {
  /** Stores the bytes and returns their reference. */
  put(bytes: Uint8Array, mimeType: string, origin: { runId: string; callId: string }): BlobRef;
  get(ref: string): { bytes: Uint8Array; mimeType: string } | undefined;
}

export interface BlobRef {
  ref: string;
  mimeType: string;
  bytes: number;
}

/** Opens (or creates) the blob store: its own SQLite file, e.g. `<state dir>/blobs.db`. */
export function openSqliteBlobStore(path: string): BlobStore {
  const db = openSqlite(path);
  db.exec(`
    CREATE TABLE IF NOT EXISTS blobs (
      hash TEXT PRIMARY KEY, mime_type TEXT NOT NULL, body BLOB NOT NULL,
      run_id TEXT NOT NULL, call_id TEXT NOT NULL, created_at TEXT NOT NULL) WITHOUT ROWID;
  `);
  const insert = db.prepare(
    'INSERT INTO blobs (hash, mime_type, body, run_id, call_id, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const select = db.prepare('SELECT mime_type, body FROM blobs WHERE hash = ?');
  return {
    put(bytes, mimeType, origin) {
      const hash = createHash('sha256').update(bytes).digest('hex');
      insert.run(hash, mimeType, bytes, origin.runId, origin.callId, new Date().toISOString());
      return { ref: `blob:${hash}`, mimeType, bytes: bytes.byteLength };
    },
    get(ref) {
      const hash = ref.replace(/^blob:/, '');
      const row = select.get(hash) as { mime_type: string; body: Uint8Array } | undefined;
      return row ? { bytes: new Uint8Array(row.body), mimeType: row.mime_type } : undefined;
    },
  };
}
