import { buildMemoryRetriever } from '../activities/retrieval/sqlite-retriever.ts';
import type { Retriever } from '../core/retrieval.ts';
import { calculatorTool, readDocTool, searchDocsTool, type RegisteredTool } from '../tools/handlers/index.ts';

/**
 * The handlers of Bosun's built-in tools (`calculator`, `search_docs`, `read_doc`), composed
 * here because choosing implementations is the composition root's job: the search handlers
 * know only the `Retriever` contract (`core/retrieval.ts`), and the worker picks the
 * retriever behind them: the one given, an in-memory index of `knowledgeDir`, or none.
 *
 * @example
 * const tools = await builtInTools({ retriever: openSqliteRetriever({ path: '.bosun/retrieval.db' }) });
 */
export async function builtInTools(
  opts: { knowledgeDir?: string; retriever?: Retriever } = {},
): Promise<RegisteredTool[]> {
  const retriever =
    opts.retriever ?? (opts.knowledgeDir ? await buildMemoryRetriever({ dir: opts.knowledgeDir }) : emptyRetriever);
  return [calculatorTool, searchDocsTool(retriever), readDocTool(retriever)];
}

/** A knowledge base with nothing in it: what a worker without one searches. Every lookup is
 * weak, so RAG agents degrade or escalate as their policy says. */
export const emptyRetriever: Retriever = {
  retrieve: async ({ query }) => ({ query, chunks: [], weak: true, indexVersion: 'empty' }),
  indexVersion: async () => 'empty',
  document: async () => undefined,
  documents: async () => [],
};
