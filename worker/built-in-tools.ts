import { buildMemoryRetriever } from '../activities/retrieval/sqlite-retriever.ts';
import type { Retriever } from '../core/retrieval.ts';
import {
  calculatorTool,
  exampleKnowledgeDir,
  lookupOrderTool,
  openOrderStore,
  readDocTool,
  refundOrderTool,
  searchDocsTool,
  type OrderStore,
  type RegisteredTool,
} from '../tools/handlers/index.ts';

/**
 * The built-in tools, ready for `createActivities`. Composed here, in the worker, because
 * choosing implementations is the composition root's job: the tool handlers only know the
 * `Retriever` contract (`core/retrieval.ts`), and this picks the retriever behind them.
 *
 * `search_docs` and `read_doc` use `retriever`; without one they get an in-memory index of
 * `knowledgeDir` (the example knowledge base by default), built here in milliseconds for a
 * small folder; pass an ingested file index (`openSqliteRetriever`) for a large one. The
 * order tools use `orderStore`; without one they get a private in-memory store (its refunds
 * vanish with the process), so pass a file-backed store wherever retries may land on
 * another process (the worker does).
 *
 * @example
 * const tools = await builtInTools({ retriever: openSqliteRetriever({ path: '.bosun/retrieval.db' }) });
 */
export async function builtInTools(
  opts: { knowledgeDir?: string; orderStore?: OrderStore; retriever?: Retriever } = {},
): Promise<RegisteredTool[]> {
  const retriever = opts.retriever ?? (await buildMemoryRetriever({ dir: opts.knowledgeDir ?? exampleKnowledgeDir }));
  const orders = opts.orderStore ?? openOrderStore({ path: ':memory:' });
  return [
    calculatorTool,
    searchDocsTool(retriever),
    readDocTool(retriever),
    lookupOrderTool(orders),
    refundOrderTool(orders),
  ];
}
