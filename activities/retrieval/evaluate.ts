import { z } from 'zod';
import type { Retriever } from '../../core/retrieval.ts';

export const evalQuerySchema = z.object({
  id: z.string().min(1),
  query: z.string().min(1),
  /** What answers the query: document ids (any chunk of the document counts) or chunk ids
   * (`doc#hash`: only that chunk counts). */
  relevant: z.array(z.string().min(1)).min(1),
  note: z.string().optional(),
});
export type EvalQuery = z.infer<typeof evalQuerySchema>;

/**
 * A labelled query set.
 *
 * @example { "name": "example-kb", "corpus": "../../examples/demo/knowledge", "k": 5,
 *            "queries": [{ "id": "q01", "query": "restocking fee for opened items", "relevant": ["refunds"] }] }
 */
export const evalSetSchema = z.object({
  name: z.string().min(1),
  description: z.string().optional(),
  /** The folder the labels refer to, relative to the set file. */
  corpus: z.string().optional(),
  /** The default cut-off; the command line may override it. */
  k: z.number().int().positive().default(5),
  queries: z.array(evalQuerySchema).min(1),
});
export type EvalSet = z.infer<typeof evalSetSchema>;

export interface QueryScore {
  id: string;
  query: string;
  /** Share of the relevant items found in the top k. */
  recall: number;
  /** 1 / rank of the first relevant chunk in the top k, 0 when there is none. */
  reciprocalRank: number;
  /** Rank of the first relevant chunk, when one is in the top k. */
  firstHit?: number;
  found: string[];
  missed: string[];
  /** Document ids of the top k chunks, in rank order (repeats kept). */
  top: string[];
}

export interface EvalReport {
  set: string;
  k: number;
  indexVersion: string;
  queries: QueryScore[];
  /** Mean of the per-query recall@k. */
  recallAtK: number;
  /** Mean reciprocal rank (cut off at k). */
  mrr: number;
  /** Queries with at least one relevant chunk in the top k. */
  hits: number;
}

const matches = (item: string, chunk: { id: string; docId: string }) => item === chunk.docId || item === chunk.id;

/**
 * Scores one query's ranked chunks against its labels, document-level: a chunk is a hit
 * when its document is labelled relevant (or the chunk itself is). Ranks are chunk ranks,
 * so two chunks of an irrelevant document above the first hit put it at rank 3.
 *
 * @example scoreQuery({ id: 'q', query: '…', relevant: ['a', 'b'] }, [{ id: 'c#1', docId: 'c' }, { id: 'a#1', docId: 'a' }], 5)
 * // → recall 0.5, reciprocalRank 0.5, firstHit 2
 */
export function scoreQuery(q: EvalQuery, ranked: readonly { id: string; docId: string }[], k: number): QueryScore {
  const top = ranked.slice(0, k);
  const relevant = [...new Set(q.relevant)];
  const found = relevant.filter((item) => top.some((c) => matches(item, c)));
  const first = top.findIndex((c) => relevant.some((item) => matches(item, c)));
  return {
    id: q.id,
    query: q.query,
    recall: found.length / relevant.length,
    reciprocalRank: first < 0 ? 0 : 1 / (first + 1),
    ...(first < 0 ? {} : { firstHit: first + 1 }),
    found,
    missed: relevant.filter((item) => !found.includes(item)),
    top: top.map((c) => c.docId),
  };
}

/** Means over the query scores. */
export function summarize(set: string, k: number, indexVersion: string, queries: QueryScore[]): EvalReport {
  const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);
  return {
    set,
    k,
    indexVersion,
    queries,
    recallAtK: mean(queries.map((q) => q.recall)),
    mrr: mean(queries.map((q) => q.reciprocalRank)),
    hits: queries.filter((q) => q.firstHit !== undefined).length,
  };
}

/**
 * Runs every query of the set against the retriever and scores it. Labels naming a document
 * the index does not hold are an error, not a silent miss: a typo must not pass for a bad
 * retriever.
 */
export async function evaluateRetrieval(
  retriever: Retriever,
  set: EvalSet,
  opts: { k?: number } = {},
): Promise<EvalReport> {
  const k = opts.k ?? set.k;
  const known = new Set((await retriever.documents()).map((d) => d.docId));
  const unknown = [...new Set(set.queries.flatMap((q) => q.relevant.map((r) => r.split('#')[0]!)))].filter(
    (d) => !known.has(d),
  );
  if (unknown.length)
    throw new Error(`the eval set "${set.name}" labels documents the index does not hold: ${unknown.join(', ')}`);
  const scores: QueryScore[] = [];
  for (const q of set.queries) {
    const { chunks } = await retriever.retrieve({ query: q.query, k });
    scores.push(scoreQuery(q, chunks, k));
  }
  return summarize(set.name, k, await retriever.indexVersion(), scores);
}

/** A fixed-width table, one row per query, then the totals. */
export function formatEvalReport(r: EvalReport): string {
  const fmt = (x: number) => x.toFixed(3);
  const clip = (s: string, n: number) => (s.length <= n ? s.padEnd(n) : `${s.slice(0, n - 1)}…`);
  const idWidth = Math.max(2, ...r.queries.map((q) => q.id.length));
  const header = `${'id'.padEnd(idWidth)}  ${clip('query', 44)}  recall  RR     hit  missed`;
  const rows = r.queries.map(
    (q) =>
      `${q.id.padEnd(idWidth)}  ${clip(q.query, 44)}  ${fmt(q.recall)}   ${fmt(q.reciprocalRank)}  ${String(q.firstHit ?? '-').padStart(3)}  ${q.missed.join(', ') || '-'}`,
  );
  return [
    `retrieval eval: ${r.set} (index ${r.indexVersion}, k=${r.k}, ${r.queries.length} queries)`,
    '',
    header,
    '-'.repeat(header.length),
    ...rows,
    '-'.repeat(header.length),
    `recall@${r.k} ${fmt(r.recallAtK)}   MRR@${r.k} ${fmt(r.mrr)}   queries with a hit ${r.hits}/${r.queries.length}`,
  ].join('\n');
}
