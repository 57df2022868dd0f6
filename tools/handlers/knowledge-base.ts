import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';

/** One searchable passage: a section of a document. */
export interface Passage {
  id: string;
  docId: string;
  title: string;
  text: string;
}

export interface SearchHit {
  id: string;
  docId: string;
  title: string;
  score: number;
  text: string;
}

export interface KnowledgeBase {
  readonly documents: ReadonlyMap<string, { title: string; text: string }>;
  search(query: string, limit: number): SearchHit[];
}

const tokenize = (text: string): string[] => text.toLowerCase().match(/[a-z0-9]+/g)?.filter((t) => t.length > 1) ?? [];

/**
 * An in-memory BM25 index over markdown documents, split into sections at `##` headings.
 * Small and dependency-free: enough for the example knowledge base; a SQLite FTS retriever
 * replaces it for real corpora.
 */
export function buildKnowledgeBase(docs: { id: string; text: string }[]): KnowledgeBase {
  const documents = new Map<string, { title: string; text: string }>();
  const passages: (Passage & { terms: Map<string, number>; length: number })[] = [];
  for (const doc of docs) {
    const title = /^#\s+(.+)$/m.exec(doc.text)?.[1]?.trim() ?? doc.id;
    documents.set(doc.id, { title, text: doc.text });
    const sections = doc.text.split(/\n(?=##\s)/);
    sections.forEach((section, i) => {
      const text = section.trim();
      if (!text) return;
      const tokens = tokenize(`${title} ${text}`);
      const terms = new Map<string, number>();
      for (const t of tokens) terms.set(t, (terms.get(t) ?? 0) + 1);
      passages.push({ id: `${doc.id}#${i}`, docId: doc.id, title, text, terms, length: tokens.length });
    });
  }
  const avgLength = passages.reduce((s, p) => s + p.length, 0) / Math.max(1, passages.length);
  const docFreq = new Map<string, number>();
  for (const p of passages) for (const t of p.terms.keys()) docFreq.set(t, (docFreq.get(t) ?? 0) + 1);
  const k1 = 1.2;
  const b = 0.75;

  return {
    documents,
    search(query, limit) {
      const qTerms = [...new Set(tokenize(query))];
      const scored = passages.map((p) => {
        let score = 0;
        for (const t of qTerms) {
          const tf = p.terms.get(t);
          if (!tf) continue;
          const df = docFreq.get(t) ?? 0;
          const idf = Math.log(1 + (passages.length - df + 0.5) / (df + 0.5));
          score += (idf * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * p.length) / avgLength));
        }
        return { p, score };
      });
      return scored
        .filter((s) => s.score > 0)
        .sort((x, y) => y.score - x.score || x.p.id.localeCompare(y.p.id))
        .slice(0, limit)
        .map(({ p, score }) => ({ id: p.id, docId: p.docId, title: p.title, score: Number(score.toFixed(4)), text: p.text }));
    },
  };
}

/** Loads every `.md`/`.txt` file of a folder; the file name (without extension) is the id. */
export async function loadKnowledgeBase(dir: string): Promise<KnowledgeBase> {
  const names = (await readdir(dir)).filter((n) => ['.md', '.txt'].includes(extname(n))).sort();
  const docs = await Promise.all(
    names.map(async (n) => ({ id: basename(n, extname(n)), text: await readFile(join(dir, n), 'utf8') })),
  );
  return buildKnowledgeBase(docs);
}
