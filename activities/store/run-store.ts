import { createHash } from 'node:crypto';
import { z } from 'zod';
import { messageTokensSchema, type MessageTokens } from '../../core/context.ts';
import { messageSchema, type Message } from '../../core/messages.ts';
import { stopReasonSchema, type StopReason } from '../../core/model.ts';
import { traceRecordSchema, type StoredTraceRecord, type TraceRecord } from '../../core/trace.ts';
import type { DatabaseSync } from 'node:sqlite';
import {
  erasureCountsSchema,
  erasureReasonSchema,
  type Erasure,
  type ErasureCounts,
  type ErasureReason,
} from '../../core/erasure.ts';
import { plaintextCipher, type ContentCipher } from './content-cipher.ts';
import { inTransaction, openSqlite } from './sqlite.ts';

/** A prompt version: content-addressed, immutable. */
export interface PromptVersion {
  name: string;
  hash: string;
  label?: string;
  content: string;
}

/**
 * Who writes a conversation position: one model call of one workflow run — every attempt of
 * the call shares `call` (`<workflow run id>/<activity id>`) and `scheduledAt` (when Temporal
 * first scheduled it, the same for all its attempts, later for every later call of the run
 * and of the runs it continues as).
 */
export interface WriteFence {
  call: string;
  scheduledAt: number;
}

/** A model's answer at a conversation position, with why it stopped. */
export interface StoredAnswer {
  message: Message;
  stop?: StopReason;
  /** Its token counts, stored with it (see `TokenCounts`). */
  tokens?: TokenCounts;
}

/** A message's token counts by tokenizer name (`Tokenizer.name`): counted once, when the
 * message is written, and whenever a call with another tokenizer first meets it. */
export type TokenCounts = Record<string, MessageTokens>;
const tokenCountsSchema = z.record(z.string(), messageTokensSchema);

/** A stored message as `readConversation` returns it. */
export interface StoredMessage {
  position: number;
  message: Message;
  tokens: TokenCounts;
  /** The write that put it there: see `readConversation`. */
  seq: number;
  /** The size of its stored JSON, for cache bounds. */
  chars: number;
}

/**
 * Where run content lives outside Temporal history: conversations (by run) and prompt
 * versions (by content hash). History then carries references and the few new messages of
 * each step, so it grows linearly with the run, not with the square of the conversation.
 *
 * Writes are fenced: a stale attempt of a model call (its worker paused past the heartbeat
 * timeout while the retry completed elsewhere) can still reach the store after the retry
 * did. With a `WriteFence`, the first attempt of a call to write a position wins; a later
 * attempt of the same call, or any attempt of an earlier call, leaves it as it is — so the
 * stored conversation is exactly what the workflow acted on. Only a later call (one the
 * workflow scheduled after discarding an answer, e.g. a fallback after a refusal) replaces
 * what an earlier call left there.
 *
 * The embedded default is SQLite on local disk: right for one machine. Workers on several
 * machines need a shared implementation of this interface (Postgres, a KV store) with the
 * same compare-and-set per position.
 */
export interface RunStore {
  /** Writes `messages` at positions `from`, `from + 1`, ...: overwriting what was there
   * without a `fence`; with one, only positions the fence may take (see above). `tokens[i]`
   * are the token counts of `messages[i]`, stored with it. */
  putMessages(
    conversationId: string,
    from: number,
    messages: Message[],
    fence?: WriteFence,
    tokens?: readonly (TokenCounts | undefined)[],
  ): Promise<void>;
  /**
   * Stores a model's answer at `position` unless another attempt of the same call (or a later
   * call) stored one first, and returns what the position holds afterwards: `won` says
   * whether it is this answer. The losing attempt returns the stored one, so whichever
   * attempt completes the activity, the workflow acts on what the store holds.
   */
  putAnswer(
    conversationId: string,
    position: number,
    answer: StoredAnswer,
    fence: WriteFence,
  ): Promise<StoredAnswer & { won: boolean }>;
  /** The first `length` messages; throws if the store has fewer (lost or foreign data). */
  getMessages(conversationId: string, length: number): Promise<Message[]>;
  /**
   * The messages of a conversation written after write `afterSeq` (all of them for -1), at
   * any position, parsed and validated, with their token counts. Every write of a position
   * gets the conversation's next sequence number, so a reader that has seen up to `seq`
   * (the highest returned, or `afterSeq` when nothing is newer) and applies these rows holds
   * exactly what the store holds — the way a worker keeps a conversation between calls
   * without reading or parsing it whole each time. Positions are rewritten, never deleted,
   * while a run may still call (a store that expires conversations must do so only after
   * their runs ended).
   */
  readConversation(conversationId: string, afterSeq: number): Promise<{ rows: StoredMessage[]; seq: number }>;
  /** Adds token counts to stored messages, each only if the position still holds write
   * `seq` (what was counted); never counts as a write. */
  addTokens(
    conversationId: string,
    counts: readonly { position: number; seq: number; tokenizer: string; tokens: MessageTokens }[],
  ): Promise<void>;
  /** Stores a prompt version under the hash of its text. Prompt rows are shared by every run
   * that pins the hash and outlive any one run, so a put of a stored hash rewrites its text
   * (sealed with the active key; the first name and time stay): a prompt written under a
   * retired key, or before encryption was switched on, is re-encrypted by the next run that
   * sends it, and never pins an old key forever. (Tool sets, `putContent` without owner,
   * are replaced on every put anyway.) */
  putPrompt(p: Omit<PromptVersion, 'hash'>): Promise<PromptVersion>;
  /** The latest summary of a conversation's oldest messages: it covers positions
   * `[1, upTo)` of the stored conversation (position 0 is the task). */
  getSummary(conversationId: string): Promise<{ upTo: number; text: string } | undefined>;
  putSummary(conversationId: string, upTo: number, text: string): Promise<void>;
  getPrompt(hash: string): Promise<PromptVersion | undefined>;
  /** Content kept out of history by reference (e.g. a large tool result), under a key its
   * writer derives from the run (`<runId>/…`). Written once: a retried write of the same
   * key replaces it (the same call's result). `owner`: the run the content belongs to, erased
   * with it (`forgetRun`); without one the content is shared (a tool set, by hash) and stays. */
  putContent(key: string, content: string, owner?: string): Promise<void>;
  /** Throws `StoreDataMissingError` when nothing is stored under `key`. */
  getContent(key: string): Promise<string>;
  /** Stores `content` under `key` unless something is stored there already (first writer
   * wins, across workers), and returns what the key holds afterwards: a run's pin of a value
   * every later call must match (the retrieval index version). `owner` as in `putContent`. */
  claimContent(key: string, content: string, owner: string): Promise<string>;
  /** Stores one trace record: one attempt of a model or tool call (`core/trace.ts`). The
   * same attempt written again (a re-executed local activity) replaces its record in place. */
  putTrace(record: TraceRecord): Promise<void>;
  /** A run's trace records in write order: those after `after` (a record's `seq`), of one
   * `step` when given, at most `limit`. Rows that no longer parse are skipped. */
  readTrace(runId: string, opts: { step?: number; after?: number; limit: number }): Promise<StoredTraceRecord[]>;
  /**
   * Erases everything stored for run `runId` — its conversation (messages, their writers,
   * its summary), the content it stored by reference (`putContent` with `owner`, and legacy
   * rows under `<runId>/tool/`), its trace records, its `storedRuns` entry — and appends one
   * entry to the erasure log, in one transaction. Prompt versions and tool sets stay: they
   * are shared by content hash between runs (see docs/operability.md). The caller checks the
   * run is closed first: a store cannot know. Erasing a run with nothing stored still logs
   * an entry (counts 0). `blobs`: how many blob-store rows the caller erased, for the log.
   */
  forgetRun(runId: string, who: { by: string; reason: ErasureReason; blobs?: number }): Promise<Erasure>;
  /** Runs with content stored whose first write was before `before` (epoch ms), in run id
   * order after `after` (paging), at most `limit`: the retention sweep's candidates. */
  storedRuns(opts: { before: number; after?: string; limit: number }): Promise<StoredRun[]>;
  /** The erasure log, newest first: all runs', or one run's. */
  readErasures(opts: { runId?: string; limit: number }): Promise<Erasure[]>;
  close(): void;
}

/** A run the store holds content for, and when its first content was written (epoch ms). */
export interface StoredRun {
  runId: string;
  firstWriteAt: number;
}

/** Adds a column a file from an older version lacks. Two workers opening the file at once
 * may both try: the one that finds it added already carries on. */
function addColumn(db: DatabaseSync, table: string, column: string, type: string): void {
  const has = () =>
    (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).some((c) => c.name === column);
  if (has()) return;
  try {
    db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
  } catch (err) {
    if (!has()) throw err;
  }
}

/** Stored token counts; a malformed value counts as none (they are only a cache of what the
 * tokenizer says). */
export function parseTokenCounts(json: string | null): TokenCounts {
  if (json === null) return {};
  try {
    const parsed = tokenCountsSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

/** A `prompts` row as both stores keep it, as the version it records (content opened). */
export function promptFromRow(
  row: { hash: string; name: string; label: string | null; content: string } | undefined,
  cipher: ContentCipher,
): PromptVersion | undefined {
  return row
    ? {
        hash: row.hash,
        name: row.name,
        content: cipher.openText(row.content),
        ...(row.label ? { label: row.label } : {}),
      }
    : undefined;
}

export class StoreDataMissingError extends Error {
  override readonly name = 'StoreDataMissingError';
}

export function promptHash(content: string): string {
  return createHash('sha256').update(content, 'utf8').digest('hex');
}

/** The embedded store: one SQLite file (or `:memory:`), WAL mode for concurrent workers on
 * the same machine. */
export function openSqliteRunStore(
  path: string,
  opts: { synchronous?: 'full' | 'normal'; cipher?: ContentCipher } = {},
): RunStore {
  const db = openSqlite(path, opts);
  const cipher = opts.cipher ?? plaintextCipher;
  db.exec(`
    CREATE TABLE IF NOT EXISTS messages (
      conversation TEXT NOT NULL, position INTEGER NOT NULL, body TEXT NOT NULL,
      PRIMARY KEY (conversation, position)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS summaries (
      conversation TEXT PRIMARY KEY, up_to INTEGER NOT NULL, body TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS prompts (
      hash TEXT PRIMARY KEY, name TEXT NOT NULL, label TEXT, content TEXT NOT NULL, created_at TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS contents (key TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS message_writers (
      conversation TEXT NOT NULL, position INTEGER NOT NULL, call TEXT NOT NULL, scheduled_at INTEGER NOT NULL,
      stop TEXT, PRIMARY KEY (conversation, position)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS trace (
      seq INTEGER PRIMARY KEY, run_id TEXT NOT NULL, step INTEGER NOT NULL, kind TEXT NOT NULL,
      call TEXT NOT NULL, attempt INTEGER NOT NULL, body TEXT NOT NULL,
      UNIQUE (run_id, kind, call, attempt));
    CREATE INDEX IF NOT EXISTS trace_by_step ON trace (run_id, step);
    CREATE TABLE IF NOT EXISTS erasures (
      seq INTEGER PRIMARY KEY, run_id TEXT NOT NULL, at TEXT NOT NULL, by_whom TEXT NOT NULL,
      reason TEXT NOT NULL, counts TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS erasures_by_run ON erasures (run_id, seq);
  `);
  // Which run owns which rows: messages, summaries and writers by conversation (= the run
  // id), trace by run_id, content by its owner column; `stored_runs` says when each run
  // first stored something, for the retention sweep. A file from before these gets them,
  // its runs counted as first written now (kept one more retention period, never less).
  addColumn(db, 'contents', 'owner', 'TEXT');
  db.exec('CREATE INDEX IF NOT EXISTS contents_by_owner ON contents (owner) WHERE owner IS NOT NULL');
  if (!tableExists(db, 'stored_runs')) {
    inTransaction(db, () => {
      if (tableExists(db, 'stored_runs')) return;
      db.exec(`CREATE TABLE stored_runs (run_id TEXT PRIMARY KEY, first_at INTEGER NOT NULL) WITHOUT ROWID;
        CREATE INDEX stored_runs_by_time ON stored_runs (first_at);`);
      db.prepare(
        `INSERT OR IGNORE INTO stored_runs (run_id, first_at)
         SELECT conversation, ? FROM messages UNION SELECT run_id, ? FROM trace`,
      ).run(Date.now(), Date.now());
    });
  }
  // Files from before write sequence numbers and stored token counts: their rows count as
  // write 0 (read by any reader starting from scratch) and are counted when first met.
  addColumn(db, 'messages', 'seq', 'INTEGER NOT NULL DEFAULT 0');
  addColumn(db, 'messages', 'tokens', 'TEXT');
  db.exec('CREATE INDEX IF NOT EXISTS messages_by_seq ON messages (conversation, seq)');
  const lastSeq = db.prepare('SELECT MAX(seq) AS seq FROM messages WHERE conversation = ?');
  const upsertRow = db.prepare(
    `INSERT INTO messages (conversation, position, body, seq, tokens) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT DO UPDATE SET body = excluded.body, seq = excluded.seq, tokens = excluded.tokens`,
  );
  /** The next write sequence number of a conversation (inside the write transaction, so
   * numbers follow commit order for every process on the file). */
  const nextSeq = (id: string) => ((lastSeq.get(id) as { seq: number | null }).seq ?? 0) + 1;
  const upsert = {
    run: (id: string, position: number, body: string, tokens?: TokenCounts) =>
      upsertRow.run(id, position, cipher.sealText(body), nextSeq(id), tokens ? JSON.stringify(tokens) : null),
  };
  const noteRun = db.prepare('INSERT OR IGNORE INTO stored_runs (run_id, first_at) VALUES (?, ?)');
  /** Records that run `id` stores content (once; later writes find it and change nothing). */
  const stored = (id: string) => noteRun.run(id, Date.now());
  const selectOne = db.prepare('SELECT body FROM messages WHERE conversation = ? AND position = ?');
  const selectWriter = db.prepare(
    'SELECT call, scheduled_at, stop FROM message_writers WHERE conversation = ? AND position = ?',
  );
  const upsertWriter = db.prepare(
    `INSERT INTO message_writers (conversation, position, call, scheduled_at, stop) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT DO UPDATE SET call = excluded.call, scheduled_at = excluded.scheduled_at, stop = excluded.stop`,
  );
  const deleteWriter = db.prepare('DELETE FROM message_writers WHERE conversation = ? AND position = ?');
  type Writer = { call: string; scheduled_at: number; stop: string | null };
  /** Writes one position if `fence` may take it (see `RunStore`); true when it did. Inside a
   * transaction, so the check and the write are one step for every process on the file. */
  const writeFenced = (
    id: string,
    position: number,
    m: Message,
    fence: WriteFence,
    stop: string | null,
    tokens?: TokenCounts,
  ) => {
    const held = selectOne.get(id, position) as { body: string } | undefined;
    if (held) {
      const writer = selectWriter.get(id, position) as Writer | undefined;
      // A position written before fencing existed (no writer) is taken over as before.
      if (writer && (writer.call === fence.call || writer.scheduled_at >= fence.scheduledAt)) return false;
    }
    upsert.run(id, position, JSON.stringify(m), tokens);
    upsertWriter.run(id, position, fence.call, fence.scheduledAt, stop);
    return true;
  };
  const writeUnfenced = (id: string, position: number, m: Message, tokens?: TokenCounts) => {
    upsert.run(id, position, JSON.stringify(m), tokens);
    deleteWriter.run(id, position);
  };
  const selectSince = db.prepare(
    'SELECT position, body, seq, tokens FROM messages WHERE conversation = ? AND seq > ? ORDER BY seq',
  );
  const selectTokens = db.prepare('SELECT seq, tokens FROM messages WHERE conversation = ? AND position = ?');
  const updateTokens = db.prepare('UPDATE messages SET tokens = ? WHERE conversation = ? AND position = ?');
  const parseTokens = parseTokenCounts;
  const select = db.prepare(
    'SELECT position, body FROM messages WHERE conversation = ? AND position < ? ORDER BY position',
  );
  const insertPrompt = db.prepare(
    `INSERT INTO prompts (hash, name, label, content, created_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (hash) DO UPDATE SET content = excluded.content`,
  );
  const selectPrompt = db.prepare('SELECT hash, name, label, content FROM prompts WHERE hash = ?');
  const upsertSummary = db.prepare(
    'INSERT INTO summaries (conversation, up_to, body) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET up_to = excluded.up_to, body = excluded.body WHERE excluded.up_to >= summaries.up_to',
  );
  const selectSummary = db.prepare('SELECT up_to, body FROM summaries WHERE conversation = ?');
  const upsertContent = db.prepare(
    'INSERT INTO contents (key, body, owner) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET body = excluded.body, owner = excluded.owner',
  );
  const selectContent = db.prepare('SELECT body FROM contents WHERE key = ?');
  const insertTrace = db.prepare(
    `INSERT INTO trace (run_id, step, kind, call, attempt, body) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (run_id, kind, call, attempt) DO UPDATE SET body = excluded.body, step = excluded.step`,
  );
  const selectTrace = db.prepare('SELECT seq, body FROM trace WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?');
  const selectTraceStep = db.prepare(
    'SELECT seq, body FROM trace WHERE run_id = ? AND step = ? AND seq > ? ORDER BY seq LIMIT ?',
  );
  /** A row that cannot be decrypted throws (`StoreDecryptionError`): a missing key is a
   * configuration error to report, not a row to skip. */
  const erase = {
    messages: db.prepare('DELETE FROM messages WHERE conversation = ?'),
    writers: db.prepare('DELETE FROM message_writers WHERE conversation = ?'),
    summaries: db.prepare('DELETE FROM summaries WHERE conversation = ?'),
    ownedContents: db.prepare('DELETE FROM contents WHERE owner = ?'),
    // Rows from before the owner column: tool results are keyed `<runId>/tool/<step>/<call>`.
    legacyContents: db.prepare('DELETE FROM contents WHERE owner IS NULL AND key >= ? AND key < ?'),
    trace: db.prepare('DELETE FROM trace WHERE run_id = ?'),
    storedRun: db.prepare('DELETE FROM stored_runs WHERE run_id = ?'),
  };
  const insertErasure = db.prepare('INSERT INTO erasures (run_id, at, by_whom, reason, counts) VALUES (?, ?, ?, ?, ?)');
  const selectStoredRuns = db.prepare(
    'SELECT run_id, first_at FROM stored_runs WHERE first_at < ? AND run_id > ? ORDER BY run_id LIMIT ?',
  );
  const selectErasures = db.prepare('SELECT * FROM erasures ORDER BY seq DESC LIMIT ?');
  const selectRunErasures = db.prepare('SELECT * FROM erasures WHERE run_id = ? ORDER BY seq DESC LIMIT ?');
  const parseTrace = (r: { seq: number; body: string }): StoredTraceRecord[] => {
    const body = cipher.openText(r.body);
    try {
      const parsed = traceRecordSchema.safeParse(JSON.parse(body));
      return parsed.success ? [{ ...parsed.data, seq: r.seq }] : [];
    } catch {
      return [];
    }
  };

  return {
    async putMessages(conversationId, from, messages, fence, tokens) {
      inTransaction(db, () => {
        stored(conversationId);
        messages.forEach((m, i) =>
          fence
            ? writeFenced(conversationId, from + i, m, fence, null, tokens?.[i])
            : writeUnfenced(conversationId, from + i, m, tokens?.[i]),
        );
      });
    },
    async putAnswer(conversationId, position, answer, fence) {
      return inTransaction(db, () => {
        stored(conversationId);
        if (writeFenced(conversationId, position, answer.message, fence, answer.stop ?? null, answer.tokens)) {
          return { ...answer, won: true };
        }
        const body = cipher.openText((selectOne.get(conversationId, position) as { body: string }).body);
        const writer = selectWriter.get(conversationId, position) as Writer | undefined;
        const stop = stopReasonSchema.safeParse(writer?.stop);
        return {
          message: messageSchema.parse(JSON.parse(body)),
          ...(stop.success ? { stop: stop.data } : {}),
          won: false,
        };
      });
    },
    async getMessages(conversationId, length) {
      const rows = select.all(conversationId, length) as { position: number; body: string }[];
      if (rows.length !== length || rows.some((r, i) => r.position !== i)) {
        throw new StoreDataMissingError(
          `conversation ${conversationId}: expected ${length} stored messages, found ${rows.length}`,
        );
      }
      return rows.map((r) => messageSchema.parse(JSON.parse(cipher.openText(r.body))));
    },
    async readConversation(conversationId, afterSeq) {
      const rows = selectSince.all(conversationId, afterSeq) as {
        position: number;
        body: string;
        seq: number;
        tokens: string | null;
      }[];
      return {
        rows: rows.map((r) => {
          const body = cipher.openText(r.body);
          return {
            position: r.position,
            message: messageSchema.parse(JSON.parse(body)),
            tokens: parseTokens(r.tokens),
            seq: r.seq,
            chars: body.length,
          };
        }),
        seq: rows.reduce((max, r) => Math.max(max, r.seq), afterSeq),
      };
    },
    async addTokens(conversationId, counts) {
      if (counts.length === 0) return;
      inTransaction(db, () => {
        for (const c of counts) {
          const row = selectTokens.get(conversationId, c.position) as
            { seq: number; tokens: string | null } | undefined;
          if (!row || row.seq !== c.seq) continue;
          const merged = { ...parseTokens(row.tokens), [c.tokenizer]: c.tokens };
          updateTokens.run(JSON.stringify(merged), conversationId, c.position);
        }
      });
    },
    async putPrompt(p) {
      const hash = promptHash(p.content);
      // The same hash is the same text: the first writer's name and time stay, the text is
      // sealed again with this writer's active key (see `putPrompt`).
      insertPrompt.run(hash, p.name, p.label ?? null, cipher.sealText(p.content), new Date().toISOString());
      return { ...p, hash };
    },
    async getPrompt(hash) {
      const row = selectPrompt.get(hash) as
        { hash: string; name: string; label: string | null; content: string } | undefined;
      return promptFromRow(row, cipher);
    },
    async getSummary(conversationId) {
      const row = selectSummary.get(conversationId) as { up_to: number; body: string } | undefined;
      return row ? { upTo: row.up_to, text: cipher.openText(row.body) } : undefined;
    },
    async putSummary(conversationId, upTo, text) {
      inTransaction(db, () => {
        stored(conversationId);
        upsertSummary.run(conversationId, upTo, cipher.sealText(text));
      });
    },
    async putContent(key, content, owner) {
      if (owner === undefined) {
        upsertContent.run(key, cipher.sealText(content), null);
        return;
      }
      inTransaction(db, () => {
        stored(owner);
        upsertContent.run(key, cipher.sealText(content), owner);
      });
    },
    async getContent(key) {
      const row = selectContent.get(key) as { body: string } | undefined;
      if (!row) throw new StoreDataMissingError(`no content stored under ${key}`);
      return cipher.openText(row.body);
    },
    async claimContent(key, content, owner) {
      return inTransaction(db, () => {
        const held = selectContent.get(key) as { body: string } | undefined;
        if (held) return cipher.openText(held.body);
        stored(owner);
        upsertContent.run(key, cipher.sealText(content), owner);
        return content;
      });
    },
    async putTrace(record) {
      inTransaction(db, () => {
        stored(record.runId);
        insertTrace.run(
          record.runId,
          record.step,
          record.kind,
          record.call,
          record.attempt,
          cipher.sealText(JSON.stringify(record)),
        );
      });
    },
    async readTrace(runId, { step, after = 0, limit }) {
      const rows = (
        step === undefined ? selectTrace.all(runId, after, limit) : selectTraceStep.all(runId, step, after, limit)
      ) as { seq: number; body: string }[];
      return rows.flatMap(parseTrace);
    },
    async forgetRun(runId, who) {
      return inTransaction(db, () => {
        const counts: ErasureCounts = {
          messages: Number(erase.messages.run(runId).changes),
          summaries: Number(erase.summaries.run(runId).changes),
          contents:
            Number(erase.ownedContents.run(runId).changes) +
            Number(erase.legacyContents.run(`${runId}/tool/`, `${runId}/tool0`).changes),
          traceRecords: Number(erase.trace.run(runId).changes),
          blobs: who.blobs ?? 0,
        };
        erase.writers.run(runId);
        erase.storedRun.run(runId);
        const at = new Date().toISOString();
        const seq = Number(insertErasure.run(runId, at, who.by, who.reason, JSON.stringify(counts)).lastInsertRowid);
        return { seq, runId, at, by: who.by, reason: who.reason, counts };
      });
    },
    async storedRuns({ before, after, limit }) {
      const rows = selectStoredRuns.all(before, after ?? '', limit) as { run_id: string; first_at: number }[];
      return rows.map((r) => ({ runId: r.run_id, firstWriteAt: r.first_at }));
    },
    async readErasures({ runId, limit }) {
      const rows = (
        runId === undefined ? selectErasures.all(limit) : selectRunErasures.all(runId, limit)
      ) as ErasureRow[];
      return rows.map(erasureOf);
    },
    close: () => db.close(),
  };
}

const tableExists = (db: DatabaseSync, name: string): boolean =>
  db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;

type ErasureRow = { seq: number; run_id: string; at: string; by_whom: string; reason: string; counts: string };
const erasureOf = (r: ErasureRow): Erasure => ({
  seq: r.seq,
  runId: r.run_id,
  at: r.at,
  by: r.by_whom,
  reason: erasureReasonSchema.parse(r.reason),
  counts: erasureCountsSchema.parse(JSON.parse(r.counts)),
});
