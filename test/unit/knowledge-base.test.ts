import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildKnowledgeBase, loadKnowledgeBase } from '../../tools/handlers/knowledge-base.ts';

const exampleDir = fileURLToPath(new URL('../../tools/knowledge/', import.meta.url));

const docs = [
  { id: 'cats', text: '# Cats\n\n## Food\nCats eat fish and chicken.\n\n## Sleep\nCats sleep sixteen hours a day.' },
  { id: 'dogs', text: '# Dogs\n\n## Food\nDogs eat almost anything, chicken included.\n\n## Walks\nDogs need two walks a day.' },
  { id: 'notes', text: 'No heading here, only a line about parrots.' },
];

describe('buildKnowledgeBase', () => {
  it('splits documents at ## headings into passages with stable ids doc#section', () => {
    const kb = buildKnowledgeBase(docs);
    expect(kb.search('sleep', 5).map((h) => h.id)).toEqual(['cats#2']);
    expect(kb.search('walks', 5).map((h) => h.id)).toEqual(['dogs#2']);
    expect(kb.search('parrots', 5).map((h) => h.id)).toEqual(['notes#0']);
  });

  it('titles each document by its # heading, falling back to its id', () => {
    const kb = buildKnowledgeBase(docs);
    expect(kb.documents.get('cats')?.title).toBe('Cats');
    expect(kb.documents.get('notes')?.title).toBe('notes');
    expect(kb.documents.get('dogs')?.text).toBe(docs[1]!.text);
  });

  it('returns a hit with its document, title, passage text and a positive score', () => {
    const [hit] = buildKnowledgeBase(docs).search('fish', 5);
    expect(hit).toEqual({ id: 'cats#1', docId: 'cats', title: 'Cats', score: expect.any(Number), text: '## Food\nCats eat fish and chicken.' });
    expect(hit!.score).toBeGreaterThan(0);
  });

  it('ranks a passage matching more query terms above one matching fewer', () => {
    const ids = buildKnowledgeBase(docs).search('chicken fish', 5).map((h) => h.id);
    expect(ids).toEqual(['cats#1', 'dogs#1']);
  });

  it('matches regardless of case and punctuation, ignoring one-letter tokens', () => {
    const kb = buildKnowledgeBase(docs);
    expect(kb.search('FISH!', 5).map((h) => h.id)).toEqual(['cats#1']);
    expect(kb.search('a I', 5)).toEqual([]);
  });

  it('returns nothing when no term matches, and for an empty query', () => {
    const kb = buildKnowledgeBase(docs);
    expect(kb.search('xylophone zebra', 5)).toEqual([]);
    expect(kb.search('', 5)).toEqual([]);
  });

  it('orders equal scores by passage id, so results are stable', () => {
    const twins = buildKnowledgeBase([
      { id: 'b', text: 'same words here' },
      { id: 'a', text: 'same words here' },
    ]);
    expect(twins.search('words', 5).map((h) => h.id)).toEqual(['a#0', 'b#0']);
  });
});

describe('the example knowledge base', () => {
  it('loads every markdown file, keyed by file name', async () => {
    const kb = await loadKnowledgeBase(exampleDir);
    expect([...kb.documents.keys()].sort()).toEqual(['pricing', 'refunds', 'shipping', 'support']);
    expect(kb.documents.get('refunds')?.title).toBe('Refund policy');
  });

  it('puts the refund amount section first for "restocking fee opened"', async () => {
    const hits = (await loadKnowledgeBase(exampleDir)).search('restocking fee opened', 5);
    expect(hits[0]).toMatchObject({ id: 'refunds#2', docId: 'refunds', title: 'Refund policy' });
    expect(hits[0]!.text).toContain('restocking fee of 10%');
    expect(hits.every((h, i) => i === 0 || h.score <= hits[i - 1]!.score)).toBe(true);
  });

  it('returns at most limit hits', async () => {
    const kb = await loadKnowledgeBase(exampleDir);
    expect(kb.search('shipping', 10).length).toBeGreaterThan(2);
    expect(kb.search('shipping', 2)).toHaveLength(2);
    expect(kb.search('shipping', 2)).toEqual(kb.search('shipping', 10).slice(0, 2));
  });

  it('gives the same ids and scores on every load', async () => {
    const [a, b] = await Promise.all([loadKnowledgeBase(exampleDir), loadKnowledgeBase(exampleDir)]);
    expect(a.search('refund shipping damaged', 10)).toEqual(b.search('refund shipping damaged', 10));
  });
});
