import type { RetrievalResult, RetrieveInput } from '../../core/retrieval.ts';

/** A whole document of the corpus, as `read_doc` returns it. */
export interface KnowledgeDocument {
  /** Path under the corpus root without extension, `/`-separated: `refunds`, `faq/returns`. */
  docId: string;
  /** Path under the corpus root: `refunds.md`. */
  source: string;
  title: string;
  text: string;
}

/**
 * Where the `retrieve` activity and the `search_docs`/`read_doc` tools get their passages.
 * The embedded default is SQLite FTS5 with BM25 (`openSqliteRetriever`); another backend
 * (Postgres with pgvector, a hosted index) implements the same four methods:
 *
 * - `retrieve` never fails on the user's text: a query that matches nothing (or only
 *   noise) is an empty, `weak` result, not an error. Throw only for infrastructure
 *   failures (the database is down); the activity lets Temporal retry those.
 * - scores are "higher is better" and `rank` is 1-based; ties are broken deterministically,
 *   so the same query on the same index returns the same chunks in the same order.
 * - `indexVersion` identifies the indexed content (the SQLite retriever hashes the corpus),
 *   so recorded chunk ids can be traced to what was indexed when the call ran.
 * - `document` returns the full text of one document, or `undefined` when unknown (a
 *   backend that stores only chunks may always return `undefined`).
 *
 * @example
 * const retriever = openSqliteRetriever({ path: '.bosun/retrieval.db' });
 * const { chunks, weak } = await retriever.retrieve({ query: 'restocking fee', k: 5, minScore: 1 });
 */
export interface Retriever {
  retrieve(input: RetrieveInput): Promise<RetrievalResult>;
  indexVersion(): Promise<string>;
  document(docId: string): Promise<KnowledgeDocument | undefined>;
  /** Every document, by id (without text), for listings and "did you mean" messages. */
  documents(): Promise<Omit<KnowledgeDocument, 'text'>[]>;
}
