import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { normalizeText, type ChunkOptions } from './chunker.ts';
import type { KnowledgeDocument } from '../../core/retrieval.ts';

/** File types the corpus reader takes; everything else in the folder is ignored. */
export const corpusExtensions: readonly string[] = ['.md', '.markdown', '.txt'];

/**
 * Reads every `.md`/`.txt` file under `dir`, recursively, skipping dot-files, dot-folders,
 * `node_modules` and symbolic links. A document's id is its path under `dir` without the
 * extension (`faq/returns.md` → `faq/returns`); its title is its first `# ` heading, else the
 * id. Text is normalized (LF line endings, no byte-order mark) so ids and the index version
 * do not depend on the platform that wrote the files. Sorted by id.
 */
export async function readCorpus(dir: string): Promise<KnowledgeDocument[]> {
  const files = await listFiles(dir);
  const docs = await Promise.all(
    files.map(async (file): Promise<KnowledgeDocument> => {
      const source = relative(dir, file).split(sep).join('/');
      const docId = source.slice(0, -extname(source).length);
      const text = normalizeText(await readFile(file, 'utf8'));
      return { docId, source, title: documentTitle(text) ?? docId, text };
    }),
  );
  docs.sort((a, b) => (a.docId < b.docId ? -1 : a.docId > b.docId ? 1 : 0));
  for (let i = 1; i < docs.length; i++) {
    if (docs[i]!.docId === docs[i - 1]!.docId) {
      throw new Error(
        `two files map to document id "${docs[i]!.docId}" (${docs[i - 1]!.source}, ${docs[i]!.source}): rename one`,
      );
    }
  }
  return docs;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path)));
    else if (entry.isFile() && corpusExtensions.includes(extname(entry.name).toLowerCase())) out.push(path);
  }
  return out;
}

/** The first level-1 ATX heading, outside code fences. */
export function documentTitle(text: string): string | undefined {
  let fenced = false;
  for (const line of text.split('\n')) {
    if (/^ {0,3}(```|~~~)/.test(line)) fenced = !fenced;
    else if (!fenced) {
      const m = /^ {0,3}#\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
      if (m?.[1]) return m[1];
    }
  }
  return undefined;
}

/**
 * The index version: a hash of every document (id, source, text) and of the chunking
 * parameters, since they decide the chunks. The same documents chunked the same way give
 * the same version on every machine; any edit, addition or removal changes it.
 */
export function corpusVersion(docs: readonly KnowledgeDocument[], chunking: ChunkOptions): string {
  const h = createHash('sha256').update(`bosun-retrieval/1 size=${chunking.size} overlap=${chunking.overlap}\n`);
  const sorted = [...docs].sort((a, b) => (a.docId < b.docId ? -1 : a.docId > b.docId ? 1 : 0));
  for (const d of sorted) {
    h.update(`${d.docId}\0${d.source}\0${createHash('sha256').update(d.text).digest('hex')}\n`);
  }
  return h.digest('hex').slice(0, 16);
}
