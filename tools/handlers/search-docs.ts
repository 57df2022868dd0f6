import type { Retriever } from '../../core/retrieval.ts';
import { readDoc, searchDocs } from '../contracts/search-docs.ts';
import { registerTool, ToolError } from './types.ts';

/** One passage as the model sees it. `chunkId`, `docId` and `indexVersion` let a run record
 * exactly what it was shown; `docId` is what `read_doc` takes. */
export interface SearchDocsHit {
  chunkId: string;
  docId: string;
  source: string;
  title: string;
  score: number;
  text: string;
}

export interface SearchDocsResult {
  indexVersion: string;
  results: SearchDocsHit[];
  /** Lower-ranked passages left out to keep the result within the tool's size cap. */
  omitted?: number;
  note?: string;
}

/**
 * `search_docs` over a retriever: the best chunks for the query, best first. When the
 * passages would not fit the tool's result cap, the lowest-ranked ones are left out whole
 * (and counted) rather than the last one being cut mid-sentence.
 */
export function searchDocsTool(retriever: Retriever) {
  return registerTool(searchDocs, async ({ query, limit }): Promise<SearchDocsResult> => {
    const { chunks, indexVersion } = await retriever.retrieve({ query, k: limit });
    if (chunks.length === 0)
      return { indexVersion, results: [], note: `No passages match "${query}". Try other keywords.` };
    const results = chunks.map((c) => ({
      chunkId: c.id,
      docId: c.docId,
      source: c.source,
      title: c.title,
      score: Number(c.score.toFixed(4)),
      text: c.text,
    }));
    return fitWithin({ indexVersion, results }, searchDocs.maxResultChars);
  });
}

/** Keeps whole passages, best first, while the JSON the model receives fits `maxChars`. */
function fitWithin(result: SearchDocsResult, maxChars: number): SearchDocsResult {
  const size = (r: SearchDocsResult) => JSON.stringify(r, null, 1).length;
  let kept = result.results.length;
  const attempt = (n: number): SearchDocsResult =>
    n === result.results.length
      ? result
      : {
          ...result,
          results: result.results.slice(0, n),
          omitted: result.results.length - n,
          note: 'More passages matched; search with more specific words, or read_doc a document.',
        };
  while (kept > 1 && size(attempt(kept)) > maxChars) kept--;
  return attempt(kept);
}

/** `read_doc`: a whole document of the same corpus, by the `docId` that `search_docs` gave. */
export function readDocTool(retriever: Retriever) {
  return registerTool(readDoc, async ({ id }) => {
    const doc = await retriever.document(id);
    if (doc) return doc.text;
    const ids = (await retriever.documents()).map((d) => d.docId);
    const known = ids.length > 30 ? `${ids.slice(0, 30).join(', ')}, … (${ids.length} in all)` : ids.join(', ');
    throw new ToolError(`No document with id "${id}". Use a docId from search_docs. Known ids: ${known}`);
  });
}
