import type { Migration } from './migrate.ts';

/**
 * The run store's schema on PostgreSQL, one migration per change (`migrate.ts`). The tables
 * mirror the SQLite store's (`run-store.ts`); the fenced conversation write is one server-side
 * function, so a write is one round trip and its check-then-write is atomic for every worker.
 */
export const runStoreMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'run store: conversations, summaries, prompts, contents, trace, blobs',
    sql: `
      CREATE TABLE messages (
        conversation TEXT NOT NULL, position INTEGER NOT NULL, body TEXT NOT NULL,
        seq BIGINT NOT NULL, tokens TEXT,
        -- the write fence of the call that wrote it (NULL: an unfenced write)
        writer_call TEXT, writer_scheduled_at BIGINT, stop TEXT,
        PRIMARY KEY (conversation, position));
      CREATE INDEX messages_by_seq ON messages (conversation, seq);
      CREATE TABLE summaries (conversation TEXT PRIMARY KEY, up_to INTEGER NOT NULL, body TEXT NOT NULL);
      CREATE TABLE prompts (
        hash TEXT PRIMARY KEY, name TEXT NOT NULL, label TEXT, content TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now());
      CREATE TABLE contents (key TEXT PRIMARY KEY, body TEXT NOT NULL);
      CREATE TABLE trace (
        seq BIGSERIAL PRIMARY KEY, run_id TEXT NOT NULL, step INTEGER NOT NULL, kind TEXT NOT NULL,
        call TEXT NOT NULL, attempt INTEGER NOT NULL, body TEXT NOT NULL,
        UNIQUE (run_id, kind, call, attempt));
      CREATE INDEX trace_by_step ON trace (run_id, step);
      CREATE TABLE blobs (
        hash TEXT PRIMARY KEY, mime_type TEXT NOT NULL, body BYTEA NOT NULL,
        run_id TEXT NOT NULL, call_id TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now());

      -- Writes messages at positions p_from, p_from + 1, …: with a fence (p_call), only the
      -- positions it may take (RunStore's rule: a position held by the same call, or by a call
      -- scheduled at the same time or later, stays); without one, overwriting. Each write
      -- gets the conversation's next sequence number. Writers of one conversation queue on
      -- an advisory lock held to commit, so the numbers follow commit order. Returns one row
      -- per position: whether this write took it, and what it holds when it did not.
      CREATE FUNCTION bosun_write_messages(
        p_conversation TEXT, p_from INTEGER, p_bodies TEXT[], p_tokens TEXT[],
        p_call TEXT, p_scheduled_at BIGINT, p_stop TEXT)
      RETURNS TABLE (out_position INTEGER, out_won BOOLEAN, out_body TEXT, out_stop TEXT)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        v_seq BIGINT;
        v_pos INTEGER;
        held RECORD;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtextextended(p_conversation, 0));
        SELECT coalesce(max(m.seq), 0) INTO v_seq FROM messages m WHERE m.conversation = p_conversation;
        FOR i IN 1 .. coalesce(array_length(p_bodies, 1), 0) LOOP
          v_pos := p_from + i - 1;
          SELECT m.body, m.writer_call, m.writer_scheduled_at, m.stop INTO held
            FROM messages m WHERE m.conversation = p_conversation AND m.position = v_pos;
          IF p_call IS NOT NULL AND FOUND AND held.writer_call IS NOT NULL
             AND (held.writer_call = p_call OR held.writer_scheduled_at >= p_scheduled_at) THEN
            out_position := v_pos; out_won := false; out_body := held.body; out_stop := held.stop;
          ELSE
            v_seq := v_seq + 1;
            INSERT INTO messages AS m (conversation, position, body, seq, tokens, writer_call, writer_scheduled_at, stop)
              VALUES (p_conversation, v_pos, p_bodies[i], v_seq, p_tokens[i], p_call, p_scheduled_at, p_stop)
              ON CONFLICT (conversation, position) DO UPDATE SET
                body = excluded.body, seq = excluded.seq, tokens = excluded.tokens,
                writer_call = excluded.writer_call, writer_scheduled_at = excluded.writer_scheduled_at,
                stop = excluded.stop;
            out_position := v_pos; out_won := true; out_body := NULL; out_stop := NULL;
          END IF;
          RETURN NEXT;
        END LOOP;
      END
      $fn$;
    `,
  },
  {
    version: 2,
    name: 'retention: content owners, stored runs, erasure log',
    sql: `
      ALTER TABLE contents ADD COLUMN owner TEXT;
      CREATE INDEX contents_by_owner ON contents (owner) WHERE owner IS NOT NULL;
      -- When each run first stored something: the retention sweep's candidates. Runs written
      -- before this migration count as first written now (kept one more period, never less).
      CREATE TABLE stored_runs (run_id TEXT PRIMARY KEY, first_at BIGINT NOT NULL);
      CREATE INDEX stored_runs_by_time ON stored_runs (first_at);
      INSERT INTO stored_runs (run_id, first_at)
        SELECT conversation, (extract(epoch FROM now()) * 1000)::BIGINT FROM messages
        UNION SELECT run_id, (extract(epoch FROM now()) * 1000)::BIGINT FROM trace
        ON CONFLICT DO NOTHING;
      CREATE TABLE erasures (
        seq BIGSERIAL PRIMARY KEY, run_id TEXT NOT NULL, at TEXT NOT NULL, by_whom TEXT NOT NULL,
        reason TEXT NOT NULL, counts TEXT NOT NULL);
      CREATE INDEX erasures_by_run ON erasures (run_id, seq);
      CREATE TABLE blob_owners (run_id TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (run_id, hash));
      CREATE INDEX blob_owners_by_hash ON blob_owners (hash);

      -- The conversation write, now also noting that the run stores content.
      CREATE OR REPLACE FUNCTION bosun_write_messages(
        p_conversation TEXT, p_from INTEGER, p_bodies TEXT[], p_tokens TEXT[],
        p_call TEXT, p_scheduled_at BIGINT, p_stop TEXT)
      RETURNS TABLE (out_position INTEGER, out_won BOOLEAN, out_body TEXT, out_stop TEXT)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        v_seq BIGINT;
        v_pos INTEGER;
        held RECORD;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtextextended(p_conversation, 0));
        INSERT INTO stored_runs (run_id, first_at)
          VALUES (p_conversation, (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT)
          ON CONFLICT DO NOTHING;
        SELECT coalesce(max(m.seq), 0) INTO v_seq FROM messages m WHERE m.conversation = p_conversation;
        FOR i IN 1 .. coalesce(array_length(p_bodies, 1), 0) LOOP
          v_pos := p_from + i - 1;
          SELECT m.body, m.writer_call, m.writer_scheduled_at, m.stop INTO held
            FROM messages m WHERE m.conversation = p_conversation AND m.position = v_pos;
          IF p_call IS NOT NULL AND FOUND AND held.writer_call IS NOT NULL
             AND (held.writer_call = p_call OR held.writer_scheduled_at >= p_scheduled_at) THEN
            out_position := v_pos; out_won := false; out_body := held.body; out_stop := held.stop;
          ELSE
            v_seq := v_seq + 1;
            INSERT INTO messages AS m (conversation, position, body, seq, tokens, writer_call, writer_scheduled_at, stop)
              VALUES (p_conversation, v_pos, p_bodies[i], v_seq, p_tokens[i], p_call, p_scheduled_at, p_stop)
              ON CONFLICT (conversation, position) DO UPDATE SET
                body = excluded.body, seq = excluded.seq, tokens = excluded.tokens,
                writer_call = excluded.writer_call, writer_scheduled_at = excluded.writer_scheduled_at,
                stop = excluded.stop;
            out_position := v_pos; out_won := true; out_body := NULL; out_stop := NULL;
          END IF;
          RETURN NEXT;
        END LOOP;
      END
      $fn$;
    `,
  },
];
