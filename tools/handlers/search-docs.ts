import { readDoc, searchDocs } from '../contracts/search-docs.ts';
import type { KnowledgeBase } from './knowledge-base.ts';
import { registerTool, ToolError } from './types.ts';

export function searchDocsTool(kb: KnowledgeBase) {
  return registerTool(searchDocs, async ({ query, limit }) => {
    const hits = kb.search(query, limit);
    if (hits.length === 0) return `No passages match "${query}". Try other keywords.`;
    return hits.map((h) => ({ docId: h.docId, passage: h.id, title: h.title, score: h.score, text: h.text }));
  });
}

export function readDocTool(kb: KnowledgeBase) {
  return registerTool(readDoc, async ({ id }) => {
    const doc = kb.documents.get(id);
    if (!doc) {
      const known = [...kb.documents.keys()].join(', ');
      throw new ToolError(`No document with id "${id}". Known ids: ${known}`);
    }
    return doc.text;
  });
}
