import { createHash } from 'node:crypto';

/** Chunk size and overlap in words (a stand-in for tokens: ~0.75 words per token in English). */
export interface ChunkOptions {
  /** Upper bound of words per chunk. */
  size: number;
  /** Words repeated from the end of a chunk at the start of the next one of the same section. */
  overlap: number;
}

export const defaultChunkOptions: Readonly<ChunkOptions> = Object.freeze({ size: 200, overlap: 40 });

export interface Chunk {
  /** `<docId>#<first 10 hex of sha1(text)>`: the same text gives the same id on every ingest. */
  id: string;
  docId: string;
  source: string;
  /** Position in the document, from 0. */
  ord: number;
  /** The section headings above the chunk, below the title: `Returns > Damaged items`. */
  heading: string;
  text: string;
  words: number;
}

interface Section {
  /** Headings of level 2 and below, outermost first. */
  heading: string;
  blocks: string[];
}

interface Piece {
  text: string;
  words: number;
  /** Joins it to the piece before it in the same chunk. */
  sep: string;
}

const headingLine = /^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/;
const fenceLine = /^ {0,3}(```|~~~)/;
const countWords = (text: string) => text.match(/\S+/g)?.length ?? 0;

/**
 * Splits a markdown or plain-text document into chunks for retrieval.
 *
 * Boundaries, in order of preference: a heading always starts a new chunk (a section is the
 * natural unit of meaning); a section longer than `size` words is packed from whole
 * paragraphs, then lines, then sentences, and only a run-on sentence is cut between words.
 * Consecutive chunks of one section share `overlap` words, so a fact straddling a boundary
 * is whole in at least one of them; sections do not overlap each other. A heading with no
 * text of its own (a title right above its first section) joins the section below it.
 * Fenced code blocks are never split at their blank lines.
 *
 * @example
 * chunkDocument({ docId: 'refunds', source: 'refunds.md', text }, { size: 200, overlap: 40 })
 * // → [{ id: 'refunds#3f9a0c21be', heading: 'Eligibility', text: '# Refund policy\n\n## Eligibility\n…', … }, …]
 */
export function chunkDocument(
  doc: { docId: string; source: string; text: string },
  options: Partial<ChunkOptions> = {},
): Chunk[] {
  const { size, overlap } = checkOptions({ ...defaultChunkOptions, ...options });
  const texts: { heading: string; text: string }[] = [];
  for (const section of sections(normalizeText(doc.text))) {
    for (const text of packSection(section.blocks, size, overlap)) texts.push({ heading: section.heading, text });
  }
  const seen = new Map<string, number>();
  return texts.map(({ heading, text }, ord) => {
    const base = `${doc.docId}#${createHash('sha1').update(text).digest('hex').slice(0, 10)}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return {
      id: n === 1 ? base : `${base}-${n}`,
      docId: doc.docId,
      source: doc.source,
      ord,
      heading,
      text,
      words: countWords(text),
    };
  });
}

/** Line endings and a byte-order mark must not change ids or the index version. */
export function normalizeText(text: string): string {
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

function checkOptions(o: ChunkOptions): ChunkOptions {
  if (!Number.isInteger(o.size) || o.size < 10)
    throw new RangeError(`chunk size must be an integer of at least 10 words, got ${o.size}`);
  if (!Number.isInteger(o.overlap) || o.overlap < 0 || o.overlap * 2 > o.size) {
    throw new RangeError(`chunk overlap must be an integer from 0 to half the size (${o.size / 2}), got ${o.overlap}`);
  }
  return o;
}

/** Headings open sections; blank lines outside code fences separate blocks. */
function sections(text: string): Section[] {
  const out: Section[] = [];
  let current: Section = { heading: '', blocks: [] };
  let block: string[] = [];
  let fence: string | undefined;
  const levels: (string | undefined)[] = [];
  const endBlock = () => {
    const b = block.join('\n').trim();
    if (b) current.blocks.push(b);
    block = [];
  };
  for (const line of text.split('\n')) {
    const f = fenceLine.exec(line)?.[1];
    if (fence) {
      block.push(line);
      if (f === fence) fence = undefined;
      continue;
    }
    if (f) {
      fence = f;
      block.push(line);
      continue;
    }
    const h = headingLine.exec(line);
    if (h) {
      endBlock();
      const level = h[1]!.length;
      levels.length = level;
      levels[level - 1] = h[2]!.trim();
      const heading = levels.slice(1).filter(Boolean).join(' > ');
      const headingOnly = current.blocks.length > 0 && current.blocks.every((b) => headingLine.test(b));
      // A heading with nothing under it yet stays with the next one.
      if (headingOnly) current = { heading, blocks: [...current.blocks, line.trim()] };
      else {
        if (current.blocks.length) out.push(current);
        current = { heading, blocks: [line.trim()] };
      }
      continue;
    }
    if (line.trim() === '') endBlock();
    else block.push(line);
  }
  endBlock();
  if (current.blocks.length) out.push(current);
  return out;
}

function packSection(blocks: string[], size: number, overlap: number): string[] {
  const whole = blocks.join('\n\n');
  if (countWords(whole) <= size) return [whole];
  // Every piece leaves room for the overlap, so a chunk never exceeds `size`.
  const pieceMax = size - overlap;
  const pieces = blocks.flatMap((b) => split(b, pieceMax, 0, '\n\n'));
  const chunks: string[] = [];
  let current: Piece[] = [];
  let words = 0;
  for (const piece of pieces) {
    if (current.length && words + piece.words > size) {
      const text = join(current);
      chunks.push(text);
      const tail = lastWords(text, overlap);
      current = tail ? [{ text: tail, words: countWords(tail), sep: '' }] : [];
      words = current[0]?.words ?? 0;
    }
    current.push(piece);
    words += piece.words;
  }
  if (current.length) chunks.push(join(current));
  return chunks;
}

const splitters: { split: (text: string) => string[]; sep: string }[] = [
  { split: (t) => t.split('\n'), sep: '\n' },
  { split: (t) => t.split(/(?<=[.!?]["')\]]?)\s+(?=\S)/), sep: ' ' },
];

/** Paragraph → lines → sentences → word windows, going finer only where a piece is too long. */
function split(text: string, max: number, level: number, sep: string): Piece[] {
  const words = countWords(text);
  if (words === 0) return [];
  if (words <= max) return [{ text, words, sep }];
  const splitter = splitters[level];
  if (!splitter) {
    const all = text.match(/\S+/g) ?? [];
    const out: Piece[] = [];
    for (let i = 0; i < all.length; i += max)
      out.push({ text: all.slice(i, i + max).join(' '), words: Math.min(max, all.length - i), sep: ' ' });
    out[0]!.sep = sep;
    return out;
  }
  const parts = splitter
    .split(text)
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length <= 1) return split(text, max, level + 1, sep);
  const out = parts.flatMap((p) => split(p, max, level + 1, splitter.sep));
  out[0]!.sep = sep;
  return out;
}

const join = (pieces: Piece[]) => pieces.map((p, i) => (i === 0 ? p.text : p.sep + p.text)).join('');

function lastWords(text: string, n: number): string {
  if (n === 0) return '';
  const starts = [...text.matchAll(/\S+/g)].map((m) => m.index);
  return text.slice(starts[Math.max(0, starts.length - n)] ?? text.length);
}
