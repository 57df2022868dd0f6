import type pg from 'pg';
import { messageSchema, type Message } from '../../../core/messages.ts';
import { stopReasonSchema } from '../../../core/model.ts';
import { traceRecordSchema, type StoredTraceRecord } from '../../../core/trace.ts';
import { erasureCountsSchema, erasureReasonSchema, type Erasure, type ErasureCounts } from '../../../core/erasure.ts';
import { plaintextCipher, type ContentCipher } from '../content-cipher.ts';
import {
  parseTokenCounts,
  promptFromRow,
  promptHash,
  StoreDataMissingError,
  type RunStore,
  type TokenCounts,
} from '../run-store.ts';
import { storeCall } from './errors.ts';

/**
 * The run store on PostgreSQL: the same `RunStore` as the embedded SQLite one (same fences,
 * sequence numbers, token counts, content by reference, trace records — proved by the shared
 * contract test, `test/helpers/run-store-contract.ts`), shared by workers on any number of
 * hosts. The schema is the run store's migrations (`run-store-migrations.ts`), applied by
 * `openPostgresRunStore` before this is used. Every call but `forgetRun` is one statement (one
 * round trip); a database that is down fails it with the retryable `store_unavailable`.
 * Content columns are sealed with `cipher` (encryption at rest with the codec keys,
 * `content-cipher.ts`); ids, positions, sequence numbers, fences and token counts are not.
 */
export function createPostgresRunStore(pool: pg.Pool, opts: { cipher?: ContentCipher } = {}): RunStore {
  const cipher = opts.cipher ?? plaintextCipher;
  const q = <R extends pg.QueryResultRow>(what: string, text: string, values: unknown[]) =>
    storeCall(what, () => pool.query<R>({ text, values }));
  const tokensJson = (tokens: readonly (TokenCounts | undefined)[] | undefined, n: number) =>
    Array.from({ length: n }, (_, i) => (tokens?.[i] ? JSON.stringify(tokens[i]) : null));
  const write = (
    conversationId: string,
    from: number,
    messages: Message[],
    fence: { call: string; scheduledAt: number } | undefined,
    stop: string | null,
    tokens: readonly (TokenCounts | undefined)[] | undefined,
  ) =>
    q<{ out_position: number; out_won: boolean; out_body: string | null; out_stop: string | null }>(
      `write conversation ${conversationId}`,
      'SELECT * FROM bosun_write_messages($1, $2, $3, $4, $5, $6, $7)',
      [
        conversationId,
        from,
        messages.map((m) => cipher.sealText(JSON.stringify(m))),
        tokensJson(tokens, messages.length),
        fence?.call ?? null,
        fence?.scheduledAt ?? null,
        stop,
      ],
    );
  /** A row that cannot be decrypted throws (`StoreDecryptionError`): a missing key is a
   * configuration error to report, not a row to skip. */
  const parseTrace = (r: { seq: string; body: string }): StoredTraceRecord[] => {
    const body = cipher.openText(r.body);
    try {
      const parsed = traceRecordSchema.safeParse(JSON.parse(body));
      return parsed.success ? [{ ...parsed.data, seq: Number(r.seq) }] : [];
    } catch {
      return [];
    }
  };

  return {
    async putMessages(conversationId, from, messages, fence, tokens) {
      if (messages.length === 0) return;
      await write(conversationId, from, messages, fence, null, tokens);
    },
    async putAnswer(conversationId, position, answer, fence) {
      const { rows } = await write(
        conversationId,
        position,
        [answer.message],
        fence,
        answer.stop ?? null,
        answer.tokens ? [answer.tokens] : undefined,
      );
      const row = rows[0]!;
      if (row.out_won) return { ...answer, won: true };
      const stop = stopReasonSchema.safeParse(row.out_stop);
      return {
        message: messageSchema.parse(JSON.parse(cipher.openText(row.out_body!))),
        ...(stop.success ? { stop: stop.data } : {}),
        won: false,
      };
    },
    async getMessages(conversationId, length) {
      const { rows } = await q<{ position: number; body: string }>(
        `read conversation ${conversationId}`,
        'SELECT position, body FROM messages WHERE conversation = $1 AND position < $2 ORDER BY position',
        [conversationId, length],
      );
      if (rows.length !== length || rows.some((r, i) => r.position !== i)) {
        throw new StoreDataMissingError(
          `conversation ${conversationId}: expected ${length} stored messages, found ${rows.length}`,
        );
      }
      return rows.map((r) => messageSchema.parse(JSON.parse(cipher.openText(r.body))));
    },
    async readConversation(conversationId, afterSeq) {
      const { rows } = await q<{ position: number; body: string; seq: string; tokens: string | null }>(
        `read conversation ${conversationId}`,
        'SELECT position, body, seq, tokens FROM messages WHERE conversation = $1 AND seq > $2 ORDER BY seq',
        [conversationId, afterSeq],
      );
      const read = rows.map((r) => {
        const body = cipher.openText(r.body);
        return {
          position: r.position,
          message: messageSchema.parse(JSON.parse(body)),
          tokens: parseTokenCounts(r.tokens),
          seq: Number(r.seq),
          chars: body.length,
        };
      });
      return { rows: read, seq: read.reduce((max, r) => Math.max(max, r.seq), afterSeq) };
    },
    async addTokens(conversationId, counts) {
      if (counts.length === 0) return;
      // One object of new counts per counted write, merged into what the row holds.
      const byWrite = new Map<string, { position: number; seq: number; add: TokenCounts }>();
      for (const c of counts) {
        const key = `${c.position}:${c.seq}`;
        const entry = byWrite.get(key) ?? { position: c.position, seq: c.seq, add: {} };
        entry.add[c.tokenizer] = c.tokens;
        byWrite.set(key, entry);
      }
      const writes = [...byWrite.values()];
      await q(
        `count tokens of ${conversationId}`,
        `UPDATE messages AS m SET tokens = (
           CASE WHEN m.tokens IS JSON OBJECT THEN m.tokens::jsonb ELSE '{}'::jsonb END
           || c.add::jsonb)::text
         FROM unnest($2::int[], $3::bigint[], $4::text[]) AS c(position, seq, add)
         WHERE m.conversation = $1 AND m.position = c.position AND m.seq = c.seq`,
        [
          conversationId,
          writes.map((w) => w.position),
          writes.map((w) => w.seq),
          writes.map((w) => JSON.stringify(w.add)),
        ],
      );
    },
    async putPrompt(p) {
      const hash = promptHash(p.content);
      await q(
        `store prompt ${p.name}`,
        'INSERT INTO prompts (hash, name, label, content) VALUES ($1, $2, $3, $4) ON CONFLICT (hash) DO UPDATE SET content = excluded.content',
        [hash, p.name, p.label ?? null, cipher.sealText(p.content)],
      );
      return { ...p, hash };
    },
    async getPrompt(hash) {
      const { rows } = await q<{ hash: string; name: string; label: string | null; content: string }>(
        `read prompt ${hash.slice(0, 12)}`,
        'SELECT hash, name, label, content FROM prompts WHERE hash = $1',
        [hash],
      );
      return promptFromRow(rows[0], cipher);
    },
    async getSummary(conversationId) {
      const { rows } = await q<{ up_to: number; body: string }>(
        `read summary of ${conversationId}`,
        'SELECT up_to, body FROM summaries WHERE conversation = $1',
        [conversationId],
      );
      return rows[0] ? { upTo: rows[0].up_to, text: cipher.openText(rows[0].body) } : undefined;
    },
    async putSummary(conversationId, upTo, text) {
      await q(
        `store summary of ${conversationId}`,
        `WITH run AS (${noteRun('$1')})
         INSERT INTO summaries AS s (conversation, up_to, body) VALUES ($1, $2, $3)
         ON CONFLICT (conversation) DO UPDATE SET up_to = excluded.up_to, body = excluded.body
         WHERE excluded.up_to >= s.up_to`,
        [conversationId, upTo, cipher.sealText(text)],
      );
    },
    async putContent(key, content, owner) {
      const upsert = `INSERT INTO contents (key, body, owner) VALUES ($1, $2, $3)
        ON CONFLICT (key) DO UPDATE SET body = excluded.body, owner = excluded.owner`;
      await q(`store content ${key}`, owner === undefined ? upsert : `WITH run AS (${noteRun('$3')}) ${upsert}`, [
        key,
        cipher.sealText(content),
        owner ?? null,
      ]);
    },
    async getContent(key) {
      const { rows } = await q<{ body: string }>(`read content ${key}`, 'SELECT body FROM contents WHERE key = $1', [
        key,
      ]);
      if (!rows[0]) throw new StoreDataMissingError(`no content stored under ${key}`);
      return cipher.openText(rows[0].body);
    },
    async claimContent(key, content, owner) {
      const read = async () =>
        (await q<{ body: string }>(`read content ${key}`, 'SELECT body FROM contents WHERE key = $1', [key])).rows[0];
      const held = await read();
      if (held) return cipher.openText(held.body);
      const { rowCount } = await q(
        `claim content ${key}`,
        `WITH run AS (${noteRun('$3')})
         INSERT INTO contents (key, body, owner) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`,
        [key, cipher.sealText(content), owner],
      );
      if (rowCount) return content;
      // Another worker claimed it between the two statements: its value stands.
      return cipher.openText((await read())!.body);
    },
    async putTrace(record) {
      await q(
        `store trace of ${record.runId}`,
        `WITH run AS (${noteRun('$1')})
         INSERT INTO trace (run_id, step, kind, call, attempt, body) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (run_id, kind, call, attempt) DO UPDATE SET body = excluded.body, step = excluded.step`,
        [record.runId, record.step, record.kind, record.call, record.attempt, cipher.sealText(JSON.stringify(record))],
      );
    },
    async readTrace(runId, { step, after = 0, limit }) {
      const { rows } = await q<{ seq: string; body: string }>(
        `read trace of ${runId}`,
        step === undefined
          ? 'SELECT seq, body FROM trace WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3'
          : 'SELECT seq, body FROM trace WHERE run_id = $1 AND seq > $2 AND step = $4 ORDER BY seq LIMIT $3',
        step === undefined ? [runId, after, limit] : [runId, after, limit, step],
      );
      return rows.flatMap(parseTrace);
    },
    async forgetRun(runId, who) {
      return storeCall(`forget run ${runId}`, async () => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const count = async (text: string, values: unknown[]) => (await client.query(text, values)).rowCount ?? 0;
          const counts: ErasureCounts = {
            messages: await count('DELETE FROM messages WHERE conversation = $1', [runId]),
            summaries: await count('DELETE FROM summaries WHERE conversation = $1', [runId]),
            // Owned content, and tool results from before owners (`<runId>/tool/…`).
            contents: await count(
              `DELETE FROM contents WHERE owner = $1 OR (owner IS NULL AND key >= $2 AND key < $3)`,
              [runId, `${runId}/tool/`, `${runId}/tool0`],
            ),
            traceRecords: await count('DELETE FROM trace WHERE run_id = $1', [runId]),
            blobs: who.blobs ?? 0,
          };
          await client.query('DELETE FROM stored_runs WHERE run_id = $1', [runId]);
          const at = new Date().toISOString();
          const { rows } = await client.query<{ seq: string }>(
            'INSERT INTO erasures (run_id, at, by_whom, reason, counts) VALUES ($1, $2, $3, $4, $5) RETURNING seq',
            [runId, at, who.by, who.reason, JSON.stringify(counts)],
          );
          await client.query('COMMIT');
          return { seq: Number(rows[0]!.seq), runId, at, by: who.by, reason: who.reason, counts };
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw err;
        } finally {
          client.release();
        }
      });
    },
    async storedRuns({ before, after, limit }) {
      const { rows } = await q<{ run_id: string; first_at: string }>(
        'list stored runs',
        'SELECT run_id, first_at FROM stored_runs WHERE first_at < $1 AND run_id > $2 ORDER BY run_id LIMIT $3',
        [before, after ?? '', limit],
      );
      return rows.map((r) => ({ runId: r.run_id, firstWriteAt: Number(r.first_at) }));
    },
    async readErasures({ runId, limit }) {
      const { rows } = await q<ErasureRow>(
        'read the erasure log',
        runId === undefined
          ? 'SELECT * FROM erasures ORDER BY seq DESC LIMIT $1'
          : 'SELECT * FROM erasures WHERE run_id = $2 ORDER BY seq DESC LIMIT $1',
        runId === undefined ? [limit] : [limit, runId],
      );
      return rows.map(erasureOf);
    },
    close() {
      void pool.end().catch(() => {});
    },
  };
}

/** Notes (once) that a run stores content, from when: a statement for a `WITH` clause. */
const noteRun = (param: string) =>
  `INSERT INTO stored_runs (run_id, first_at) VALUES (${param}, (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT) ON CONFLICT DO NOTHING`;

type ErasureRow = { seq: string; run_id: string; at: string; by_whom: string; reason: string; counts: string };
const erasureOf = (r: ErasureRow): Erasure => ({
  seq: Number(r.seq),
  runId: r.run_id,
  at: r.at,
  by: r.by_whom,
  reason: erasureReasonSchema.parse(r.reason),
  counts: erasureCountsSchema.parse(JSON.parse(r.counts)),
});
