/** Retrieval: the embedded SQLite FTS5/BM25 index (chunker, corpus reader, ingest), the
 * `retrieve` activity, and the recall@k/MRR evaluation. The `Retriever` contract they
 * implement is in `core/retrieval.ts`. */
export { chunkDocument, defaultChunkOptions, normalizeText, type Chunk, type ChunkOptions } from './chunker.ts';
export { corpusExtensions, corpusVersion, documentTitle, readCorpus } from './corpus.ts';
export { maxQueryTerms, toFtsQuery } from './fts-query.ts';
export {
  buildMemoryRetriever,
  columnWeights,
  defaultRetrievalDbPath,
  ingest,
  memoryRetriever,
  openSqliteRetriever,
  writeIndex,
  type IndexStats,
  type SqliteRetriever,
} from './sqlite-retriever.ts';
export { createRetrieveActivity } from './retrieve-activity.ts';
export {
  evalQuerySchema,
  evalSetSchema,
  evaluateRetrieval,
  formatEvalReport,
  scoreQuery,
  summarize,
  type EvalQuery,
  type EvalReport,
  type EvalSet,
  type QueryScore,
} from './evaluate.ts';
