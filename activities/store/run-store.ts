import { createHash } from 'node:crypto';
import { messageSchema, type Message } from '../../core/messages.ts';
import { inTransaction, openSqlite } from './sqlite.ts';

/** A prompt version: content-addressed, immutable. */
export interface PromptVersion {
  name: string;
  hash: string;
  label?: string;
  content: string;
}

/**
 * Where run content lives outside Temporal history: conversations (by run) and prompt
 * versions (by content hash). History then carries references and the few new messages of
 * each step, so it grows linearly with the run, not with the square of the conversation.
 *
 * Every write is idempotent (an activity retried after a crash writes the same rows again).
 * The embedded default is SQLite on local disk: right for one machine. Workers on several
 * machines need a shared implementation of this interface (Postgres, a KV store).
 */
export interface RunStore {
  /** Writes `messages` at positions `from`, `from + 1`, ... (overwriting what was there). */
  putMessages(conversationId: string, from: number, messages: Message[]): Promise<void>;
  /** The first `length` messages; throws if the store has fewer (lost or foreign data). */
  getMessages(conversationId: string, length: number): Promise<Message[]>;
  putPrompt(p: Omit<PromptVersion, 'hash'>): Promise<PromptVersion>;
  /** The latest summary of a conversation's oldest messages: it covers positions
   * `[1, upTo)` of the stored conversation (position 0 is the task). */
  getSummary(conversationId: string): Promise<{ upTo: number; text: string } | undefined>;
  putSummary(conversationId: string, upTo: number, text: string): Promise<void>;
  getPrompt(hash: string): Promise<PromptVersion | undefined>;
  close(): void;
}

export class StoreDataMissingError extends Error {
  override readonly name = 'StoreDataMissingError';
}

export function promptHash(content: string): string {
  return createHash('sha256').update(content, 'utf8').digest('hex');
}

/** The embedded store: one SQLite file (or `:memory:`), WAL mode for concurrent workers on
 * the same machine. */
export function openSqliteRunStore(path: string): RunStore {
  const db = openSqlite(path);
  db.exec(`
    CREATE TABLE IF NOT EXISTS messages (
      conversation TEXT NOT NULL, position INTEGER NOT NULL, body TEXT NOT NULL,
      PRIMARY KEY (conversation, position)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS summaries (
      conversation TEXT PRIMARY KEY, up_to INTEGER NOT NULL, body TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS prompts (
      hash TEXT PRIMARY KEY, name TEXT NOT NULL, label TEXT, content TEXT NOT NULL, created_at TEXT NOT NULL);
  `);
  const upsert = db.prepare(
    'INSERT INTO messages (conversation, position, body) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET body = excluded.body',
  );
  const select = db.prepare(
    'SELECT position, body FROM messages WHERE conversation = ? AND position < ? ORDER BY position',
  );
  const insertPrompt = db.prepare(
    'INSERT OR IGNORE INTO prompts (hash, name, label, content, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const selectPrompt = db.prepare('SELECT hash, name, label, content FROM prompts WHERE hash = ?');
  const upsertSummary = db.prepare(
    'INSERT INTO summaries (conversation, up_to, body) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET up_to = excluded.up_to, body = excluded.body WHERE excluded.up_to >= summaries.up_to',
  );
  const selectSummary = db.prepare('SELECT up_to, body FROM summaries WHERE conversation = ?');

  return {
    async putMessages(conversationId, from, messages) {
      inTransaction(db, () => messages.forEach((m, i) => upsert.run(conversationId, from + i, JSON.stringify(m))));
    },
    async getMessages(conversationId, length) {
      const rows = select.all(conversationId, length) as { position: number; body: string }[];
      if (rows.length !== length || rows.some((r, i) => r.position !== i)) {
        throw new StoreDataMissingError(
          `conversation ${conversationId}: expected ${length} stored messages, found ${rows.length}`,
        );
      }
      return rows.map((r) => messageSchema.parse(JSON.parse(r.body)));
    },
    async putPrompt(p) {
      const hash = promptHash(p.content);
      insertPrompt.run(hash, p.name, p.label ?? null, p.content, new Date().toISOString());
      return { ...p, hash };
    },
    async getPrompt(hash) {
      const row = selectPrompt.get(hash) as
        { hash: string; name: string; label: string | null; content: string } | undefined;
      return row
        ? { hash: row.hash, name: row.name, content: row.content, ...(row.label ? { label: row.label } : {}) }
        : undefined;
    },
    async getSummary(conversationId) {
      const row = selectSummary.get(conversationId) as { up_to: number; body: string } | undefined;
      return row ? { upTo: row.up_to, text: row.body } : undefined;
    },
    async putSummary(conversationId, upTo, text) {
      upsertSummary.run(conversationId, upTo, text);
    },
    close: () => db.close(),
  };
}
