import type { RetrievalResult } from '../core/retrieval.ts';
import type { AgentDefinition } from '../core/run.ts';
import { retrieve } from './activities.ts';

type RetrievalOptions = NonNullable<AgentDefinition['retrieval']>;

/** Retrieval for a RAG run: the task as the query; `broaden` retries once with twice the
 * chunks and half the score threshold. */
export async function lookUp(opts: RetrievalOptions, query: string): Promise<RetrievalResult> {
  const first = await retrieve({
    query,
    k: opts.k,
    ...(opts.minScore !== undefined ? { minScore: opts.minScore } : {}),
  });
  if (!first.weak || opts.onWeak !== 'broaden') return first;
  return retrieve({
    query,
    k: Math.min(50, opts.k * 2),
    ...(opts.minScore !== undefined ? { minScore: opts.minScore / 2 } : {}),
  });
}

/** The first user message of a RAG run: the documents, each with its id, then the task. */
export function withDocuments(chunks: RetrievalResult['chunks'], task: string): string {
  const docs = chunks
    .map((c) => `<document id="${c.id}" source="${c.source}" score="${c.score.toFixed(3)}">\n${c.text}\n</document>`)
    .join('\n');
  return `Answer from these knowledge-base documents; cite their ids.\n<documents>\n${docs}\n</documents>\n\n${task}`;
}
