import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { inTransaction, openSqlite } from '../store/sqlite.ts';
import type {
  KnowledgeDocument,
  RetrievalResult,
  RetrievedChunk,
  RetrieveInput,
  Retriever,
} from '../../core/retrieval.ts';
import { chunkDocument, defaultChunkOptions, type ChunkOptions } from './chunker.ts';
import { corpusVersion, readCorpus } from './corpus.ts';
import { toFtsQuery } from './fts-query.ts';

/** What an index holds, as `ingest` reports it and `stats()` reads it back. */
export interface IndexStats {
  documents: number;
  chunks: number;
  indexVersion: string;
  chunking: ChunkOptions;
}

/** The embedded retriever: one SQLite database (a file, or `:memory:`) with an FTS5 index. */
export interface SqliteRetriever extends Retriever {
  readonly path: string;
  stats(): IndexStats;
  close(): void;
}

/**
 * BM25 weight per indexed column (`title`, `heading`, `text`): a term in the document title
 * or the section heading says more about a chunk than the same term in its body.
 */
export const columnWeights = { title: 2, heading: 2, text: 1 } as const;

const schemaVersion = '1';

const schema = `
  DROP TABLE IF EXISTS chunks_fts;
  DROP TABLE IF EXISTS chunks;
  DROP TABLE IF EXISTS documents;
  DROP TABLE IF EXISTS meta;
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE documents (doc_id TEXT PRIMARY KEY, source TEXT NOT NULL, title TEXT NOT NULL, text TEXT NOT NULL);
  CREATE TABLE chunks (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    ord INTEGER NOT NULL,
    title TEXT NOT NULL,
    heading TEXT NOT NULL,
    text TEXT NOT NULL
  );
  CREATE VIRTUAL TABLE chunks_fts USING fts5(
    title, heading, text,
    content = 'chunks', content_rowid = 'rowid',
    tokenize = 'porter unicode61 remove_diacritics 2'
  );
`;

/** `<BOSUN_STATE_DIR>/retrieval.db`, `.bosun/retrieval.db` by default. */
export function defaultRetrievalDbPath(env: Record<string, string | undefined> = process.env): string {
  return join(env.BOSUN_STATE_DIR?.trim() || '.bosun', 'retrieval.db');
}

/**
 * Replaces the whole index in `db` with `docs`, in one transaction: a reader sees the old
 * index or the new one, never a mix, and a failed ingest leaves the old one in place.
 */
export function writeIndex(
  db: DatabaseSync,
  docs: readonly KnowledgeDocument[],
  chunking: ChunkOptions = defaultChunkOptions,
): IndexStats {
  const indexVersion = corpusVersion(docs, chunking);
  return inTransaction(db, () => {
    db.exec(schema);
    const insertDoc = db.prepare('INSERT INTO documents (doc_id, source, title, text) VALUES (?, ?, ?, ?)');
    const insertChunk = db.prepare(
      'INSERT INTO chunks (id, doc_id, ord, title, heading, text) VALUES (?, ?, ?, ?, ?, ?)',
    );
    let chunks = 0;
    for (const doc of docs) {
      insertDoc.run(doc.docId, doc.source, doc.title, doc.text);
      for (const c of chunkDocument(doc, chunking)) {
        insertChunk.run(c.id, c.docId, c.ord, doc.title, c.heading, c.text);
        chunks++;
      }
    }
    db.exec(`INSERT INTO chunks_fts (chunks_fts) VALUES ('rebuild')`);
    const stats: IndexStats = {
      documents: docs.length,
      chunks,
      indexVersion,
      chunking: { size: chunking.size, overlap: chunking.overlap },
    };
    const setMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    setMeta.run('schema', schemaVersion);
    setMeta.run('stats', JSON.stringify(stats));
    return stats;
  });
}

/**
 * Ingests a folder into the index at `dbPath` (replacing what was there) and reports counts.
 *
 * @example await ingest({ dir: 'examples/demo/knowledge', dbPath: '.bosun/retrieval.db' })
 * // → { documents: 10, chunks: 32, indexVersion: '4b6d63d506ee3e6b', chunking: { size: 200, overlap: 40 }, dbPath: '.bosun/retrieval.db' }
 */
export async function ingest(opts: {
  dir: string;
  dbPath: string;
  chunking?: Partial<ChunkOptions>;
}): Promise<IndexStats & { dbPath: string }> {
  const docs = await readCorpus(opts.dir);
  const db = openSqlite(opts.dbPath);
  try {
    return { ...writeIndex(db, docs, { ...defaultChunkOptions, ...opts.chunking }), dbPath: opts.dbPath };
  } finally {
    db.close();
  }
}

/**
 * Opens an index that `ingest` wrote. Fails at once, with the command that fixes it, when
 * there is none: a worker must not start answering from an empty knowledge base.
 */
export function openSqliteRetriever(opts: { path?: string } = {}): SqliteRetriever {
  const path = opts.path ?? defaultRetrievalDbPath();
  const missing = () =>
    new Error(`no retrieval index at ${path}: run \`npm run ingest -- <folder> --db ${path}\` first`);
  if (path !== ':memory:' && !existsSync(path)) throw missing();
  const db = openSqlite(path);
  try {
    return sqliteRetriever(db, path);
  } catch (err) {
    db.close();
    throw err instanceof Error && /no such table/.test(err.message) ? missing() : err;
  }
}

/**
 * An in-memory index of a folder, built at start-up: no file, nothing to ingest first. For
 * small corpora (the example knowledge base, tests); larger ones belong in a file.
 *
 * @example const retriever = await buildMemoryRetriever({ dir: exampleKnowledgeDir });
 */
export async function buildMemoryRetriever(opts: {
  dir: string;
  chunking?: Partial<ChunkOptions>;
}): Promise<SqliteRetriever> {
  return memoryRetriever(await readCorpus(opts.dir), opts.chunking);
}

/** An in-memory index of documents given directly (tests, generated corpora). */
export function memoryRetriever(
  docs: readonly KnowledgeDocument[],
  chunking: Partial<ChunkOptions> = {},
): SqliteRetriever {
  const db = openSqlite(':memory:');
  writeIndex(db, docs, { ...defaultChunkOptions, ...chunking });
  return sqliteRetriever(db, ':memory:');
}

type ChunkRow = { id: string; docId: string; source: string; title: string; text: string; score: number };

function sqliteRetriever(db: DatabaseSync, path: string): SqliteRetriever {
  const { title, heading, text } = columnWeights;
  // FTS5's bm25() is negative, lower is better; its negation is a positive relevance where
  // higher is better (near 0 for terms present in most chunks). Ties: document, position.
  const search = db.prepare(
    `SELECT c.id AS id, c.doc_id AS docId, d.source AS source, d.title AS title, c.text AS text,
            -bm25(chunks_fts, ${title}, ${heading}, ${text}) AS score
     FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid JOIN documents d ON d.doc_id = c.doc_id
     WHERE chunks_fts MATCH ? ORDER BY score DESC, c.doc_id, c.ord LIMIT ?`,
  );
  const readStats = db.prepare(`SELECT value FROM meta WHERE key = 'stats'`);
  const readDoc = db.prepare('SELECT doc_id AS docId, source, title, text FROM documents WHERE doc_id = ?');
  const listDocs = db.prepare('SELECT doc_id AS docId, source, title FROM documents ORDER BY doc_id');

  const stats = (): IndexStats => {
    const row = readStats.get() as { value: string } | undefined;
    if (!row) throw new Error(`the retrieval index at ${path} is incomplete: ingest it again`);
    return JSON.parse(row.value) as IndexStats;
  };
  stats();

  return {
    path,
    stats,
    close: () => db.close(),
    async retrieve(input: RetrieveInput): Promise<RetrievalResult> {
      const k = Math.max(1, Math.min(50, Math.floor(input.k)));
      const match = toFtsQuery(input.query);
      // Chunks and version from one snapshot, even if `ingest` replaces the index meanwhile.
      return inTransaction(
        db,
        () => {
          const indexVersion = stats().indexVersion;
          const rows = match ? (search.all(match, k) as ChunkRow[]) : [];
          const chunks: RetrievedChunk[] = rows
            .filter((r) => input.minScore === undefined || r.score >= input.minScore)
            .map((r, i) => ({
              id: r.id,
              docId: r.docId,
              source: r.source,
              title: r.title,
              text: r.text,
              score: r.score,
              rank: i + 1,
            }));
          return { query: input.query, chunks, indexVersion, weak: chunks.length === 0 };
        },
        'deferred',
      );
    },
    async indexVersion() {
      return stats().indexVersion;
    },
    async document(docId: string) {
      const row = readDoc.get(docId) as KnowledgeDocument | undefined;
      return row ? { ...row } : undefined;
    },
    async documents() {
      return (listDocs.all() as Omit<KnowledgeDocument, 'text'>[]).map((r) => ({ ...r }));
    },
  };
}
