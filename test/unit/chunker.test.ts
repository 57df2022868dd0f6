import { describe, expect, it } from 'vitest';
import { chunkDocument, defaultChunkOptions, type Chunk } from '../../activities/retrieval/chunker.ts';

/** `n` distinct words `<prefix>0 … <prefix>n-1`, ending in a full stop. */
const sentence = (n: number, prefix: string) => `${Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(' ')}.`;
const words = (text: string) => text.match(/\S+/g) ?? [];
const chunk = (text: string, opts = {}) => chunkDocument({ docId: 'doc', source: 'doc.md', text }, opts);

describe('chunkDocument', () => {
  it('starts a new chunk at every heading and keeps a short section whole', () => {
    const chunks = chunk('# Cats\n\n## Food\nCats eat fish.\n\n## Sleep\nCats sleep a lot.\n\n### Naps\nShort ones.');
    expect(chunks.map((c) => [c.heading, c.text])).toEqual([
      ['Food', '# Cats\n\n## Food\n\nCats eat fish.'],
      ['Sleep', '## Sleep\n\nCats sleep a lot.'],
      ['Sleep > Naps', '### Naps\n\nShort ones.'],
    ]);
    expect(chunks.map((c) => c.ord)).toEqual([0, 1, 2]);
  });

  it('lets a title with no text of its own join the section below it', () => {
    const [first] = chunk('# Refund policy\n\n## Eligibility\nWithin 30 days.');
    expect(first!.text).toBe('# Refund policy\n\n## Eligibility\n\nWithin 30 days.');
  });

  it('keeps plain text without headings as one chunk when it fits', () => {
    expect(chunk('first paragraph.\n\nsecond paragraph.').map((c) => c.text)).toEqual([
      'first paragraph.\n\nsecond paragraph.',
    ]);
    expect(chunk('   \n\n  ')).toEqual([]);
  });

  it('packs a long section from whole paragraphs, never exceeding the size', () => {
    const paragraphs = ['a', 'b', 'c', 'd'].map((p) => sentence(25, p));
    const chunks = chunk(paragraphs.join('\n\n'), { size: 60, overlap: 0 });
    expect(chunks.map((c) => c.text)).toEqual([
      `${paragraphs[0]}\n\n${paragraphs[1]}`,
      `${paragraphs[2]}\n\n${paragraphs[3]}`,
    ]);
    expect(chunks.every((c) => c.words <= 60)).toBe(true);
  });

  it('repeats the last `overlap` words of a chunk at the start of the next one in the section', () => {
    const chunks = chunk(['a', 'b', 'c', 'd'].map((p) => sentence(25, p)).join('\n\n'), { size: 60, overlap: 10 });
    expect(chunks.length).toBeGreaterThan(1);
    for (let i = 1; i < chunks.length; i++) {
      expect(words(chunks[i]!.text).slice(0, 10)).toEqual(words(chunks[i - 1]!.text).slice(-10));
    }
    expect(chunks.every((c) => c.words <= 60)).toBe(true);
    // Every word of the section is in some chunk.
    const covered = new Set(chunks.flatMap((c) => words(c.text)));
    for (const p of ['a', 'b', 'c', 'd']) expect(covered).toContain(`${p}24.`);
  });

  it('does not overlap across sections', () => {
    const chunks = chunk(`## One\n${sentence(50, 'a')}\n\n## Two\n${sentence(10, 'b')}`, { size: 40, overlap: 10 });
    const two = chunks.find((c) => c.heading === 'Two')!;
    expect(two.text).toBe(`## Two\n\n${sentence(10, 'b')}`);
  });

  it('splits an over-long paragraph at sentences, and a run-on sentence between words', () => {
    const sentences = chunk(`${sentence(20, 'a')} ${sentence(20, 'b')} ${sentence(20, 'c')}`, { size: 30, overlap: 0 });
    expect(sentences.map((c) => c.text)).toEqual([sentence(20, 'a'), sentence(20, 'b'), sentence(20, 'c')]);

    const runOn = chunk(sentence(100, 'w'), { size: 30, overlap: 5 });
    expect(runOn.every((c) => c.words <= 30)).toBe(true);
    expect(words(runOn.map((c, i) => (i === 0 ? c.text : words(c.text).slice(5).join(' '))).join(' '))).toEqual(
      words(sentence(100, 'w')),
    );
  });

  it('never splits a fenced code block at its blank lines, nor reads # inside it as a heading', () => {
    const text = '## Setup\nRun this:\n\n```sh\n# not a heading\n\nnpm install\n```';
    const chunks = chunk(text);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.text).toContain('```sh\n# not a heading\n\nnpm install\n```');
  });

  it('gives ids <docId>#<10 hex of sha1(text)> that survive re-chunking and edits elsewhere', () => {
    const before = chunk('## A\nalpha text.\n\n## B\nbeta text.');
    const after = chunk('## A\nalpha text, edited.\n\n## B\nbeta text.');
    expect(before[0]!.id).toMatch(/^doc#[0-9a-f]{10}$/);
    expect(chunk('## A\nalpha text.\n\n## B\nbeta text.').map((c) => c.id)).toEqual(before.map((c) => c.id));
    expect(after[1]!.id).toBe(before[1]!.id);
    expect(after[0]!.id).not.toBe(before[0]!.id);
  });

  it('keeps ids unique when a document repeats a chunk, and ignores CRLF and a BOM', () => {
    const ids = chunk('## Note\nSame.\n\n## Note\nSame.').map((c) => c.id);
    expect(new Set(ids).size).toBe(2);
    expect(ids[1]).toBe(`${ids[0]}-2`);
    expect(chunk('\uFEFF## A\r\nalpha.\r\n').map((c: Chunk) => c.id)).toEqual(chunk('## A\nalpha.\n').map((c) => c.id));
  });

  it('carries the source and defaults to 200 words with 40 of overlap', () => {
    expect(defaultChunkOptions).toEqual({ size: 200, overlap: 40 });
    const chunks = chunk(Array.from({ length: 10 }, (_, i) => sentence(50, `p${i}x`)).join('\n\n'));
    expect(chunks.every((c) => c.source === 'doc.md' && c.docId === 'doc' && c.words <= 200)).toBe(true);
    expect(words(chunks[1]!.text).slice(0, 40)).toEqual(words(chunks[0]!.text).slice(-40));
  });

  it('rejects a size or overlap that cannot work', () => {
    expect(() => chunk('x', { size: 5 })).toThrow(RangeError);
    expect(() => chunk('x', { size: 100, overlap: 60 })).toThrow(/overlap/);
    expect(() => chunk('x', { size: Number.NaN })).toThrow(RangeError);
  });
});
