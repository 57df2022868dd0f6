import { z } from 'zod';

/**
 * One retrieved passage. `id` is stable across re-ingests of an unchanged document, so a
 * model call can record which chunks it was given and an operator can look them up later.
 *
 * @example { id: 'refunds#3f9a0c21be', docId: 'refunds', source: 'refunds.md', title: 'Refund policy',
 *            text: '## Amount\nA refund returns…', score: 2.41, rank: 1 }
 */
export const retrievedChunkSchema = z.object({
  /** `<docId>#<first 10 hex of sha1(chunk text)>`. */
  id: z.string().min(1),
  /** The document the chunk belongs to: its path under the corpus root, without extension. */
  docId: z.string().min(1),
  /** The file the chunk came from, relative to the corpus root (`faq/returns.md`). */
  source: z.string(),
  /** The document's title (its first `# ` heading, else its id). */
  title: z.string(),
  text: z.string(),
  /** Relevance, higher is better; comparable within one index only (BM25 for the SQLite
   * retriever), so thresholds are tuned per corpus. */
  score: z.number(),
  /** 1-based position in the result. */
  rank: z.number().int().positive(),
});
export type RetrievedChunk = z.infer<typeof retrievedChunkSchema>;

/** The argument of the `retrieve` activity. */
export const retrieveInputSchema = z.object({
  /** Free text of any length (a user's whole question is fine): the retriever makes it safe
   * for its query language and never fails on it; the SQLite one uses its first 32 distinct
   * meaningful words. */
  query: z.string(),
  /** At most this many chunks, best first. */
  k: z.number().int().min(1).max(50),
  /** Chunks scoring below this are dropped; when none is left the result is `weak`. */
  minScore: z.number().optional(),
});
export type RetrieveInput = z.infer<typeof retrieveInputSchema>;

/**
 * What a retriever returns. `weak` is true when no chunk scored at or above `minScore`
 * (or nothing matched at all): a typed signal the workflow acts on with the agent's
 * {@link WeakContextPolicy}, instead of letting the model answer from nothing.
 */
export const retrievalResultSchema = z.object({
  query: z.string(),
  chunks: z.array(retrievedChunkSchema),
  /** Content hash of the ingested corpus: the same documents give the same version. */
  indexVersion: z.string(),
  weak: z.boolean(),
});
export type RetrievalResult = z.infer<typeof retrievalResultSchema>;

/** What an agent does when retrieval comes back weak (see {@link retrievalResultSchema}). */
export const weakContextPolicies = {
  /** Retry once with a broader query (fewer, more general terms; a larger `k`), then fall
   * back to `degrade` if that is weak too. */
  broaden: 'broaden',
  /** Answer, but say plainly that the knowledge base does not cover the question, rather
   * than guess. */
  degrade: 'degrade',
  /** Hand the run to a human (`needs_human`), as for any other escalation. */
  escalate: 'escalate',
} as const;
export const weakContextPolicySchema = z.enum(weakContextPolicies);
export type WeakContextPolicy = z.infer<typeof weakContextPolicySchema>;

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
 * It lives in `core/` so tools and activities depend on the contract only; the worker picks
 * the implementation and hands it to both. The embedded default is SQLite FTS5 with BM25
 * (`openSqliteRetriever`, `activities/retrieval/`); another backend (Postgres with pgvector,
 * a hosted index) implements the same four methods:
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
