import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  evalSetSchema,
  evaluateRetrieval,
  formatEvalReport,
  scoreQuery,
  summarize,
  type EvalSet,
} from '../../activities/retrieval/evaluate.ts';
import { buildMemoryRetriever, memoryRetriever } from '../../activities/retrieval/sqlite-retriever.ts';

const c = (id: string) => ({ id, docId: id.split('#')[0]! });

describe('scoreQuery', () => {
  it('scores a first-rank hit as recall 1 and reciprocal rank 1', () => {
    expect(scoreQuery({ id: 'q', query: 'x', relevant: ['a'] }, [c('a#1'), c('b#1')], 5)).toEqual({
      id: 'q',
      query: 'x',
      recall: 1,
      reciprocalRank: 1,
      firstHit: 1,
      found: ['a'],
      missed: [],
      top: ['a', 'b'],
    });
  });

  it('counts ranks over chunks: two chunks of another document first put the hit at rank 3', () => {
    const s = scoreQuery({ id: 'q', query: 'x', relevant: ['a'] }, [c('b#1'), c('b#2'), c('a#1')], 5);
    expect([s.recall, s.reciprocalRank, s.firstHit]).toEqual([1, 1 / 3, 3]);
  });

  it('gives partial recall when only some relevant documents are in the top k, and nothing below k', () => {
    const ranked = [c('x#1'), c('a#1'), c('y#1'), c('b#1')];
    const atFour = scoreQuery({ id: 'q', query: 'x', relevant: ['a', 'b'] }, ranked, 4);
    expect([atFour.recall, atFour.reciprocalRank, atFour.found, atFour.missed]).toEqual([1, 0.5, ['a', 'b'], []]);
    const atThree = scoreQuery({ id: 'q', query: 'x', relevant: ['a', 'b'] }, ranked, 3);
    expect([atThree.recall, atThree.reciprocalRank, atThree.missed]).toEqual([0.5, 0.5, ['b']]);
    const atOne = scoreQuery({ id: 'q', query: 'x', relevant: ['a', 'b'] }, ranked, 1);
    expect(atOne).toMatchObject({ recall: 0, reciprocalRank: 0, found: [], top: ['x'] });
    expect(atOne.firstHit).toBeUndefined();
  });

  it('matches a chunk label only to that chunk, and counts a repeated label once', () => {
    const s = scoreQuery({ id: 'q', query: 'x', relevant: ['a#2', 'a#2'] }, [c('a#1'), c('a#2')], 5);
    expect([s.recall, s.reciprocalRank, s.firstHit]).toEqual([1, 0.5, 2]);
  });
});

describe('summarize', () => {
  it('averages recall@k and reciprocal ranks over the queries', () => {
    // Hand-made: recall 1, 0.5, 0 → 0.5; RR 1, 1/3, 0 → 4/9.
    const scores = [
      scoreQuery({ id: 'q1', query: 'a', relevant: ['a'] }, [c('a#1')], 3),
      scoreQuery({ id: 'q2', query: 'b', relevant: ['b', 'd'] }, [c('x#1'), c('y#1'), c('b#1')], 3),
      scoreQuery({ id: 'q3', query: 'c', relevant: ['c'] }, [c('x#1'), c('y#1'), c('z#1'), c('c#1')], 3),
    ];
    const report = summarize('tiny', 3, 'v1', scores);
    expect(report.recallAtK).toBeCloseTo(0.5, 12);
    expect(report.mrr).toBeCloseTo(4 / 9, 12);
    expect(report.hits).toBe(2);
    expect(summarize('empty', 3, 'v1', [])).toMatchObject({ recallAtK: 0, mrr: 0, hits: 0 });
  });
});

describe('evaluateRetrieval', () => {
  const docs = [
    { docId: 'cats', source: 'cats.md', title: 'Cats', text: '# Cats\n\nCats eat fish.' },
    { docId: 'dogs', source: 'dogs.md', title: 'Dogs', text: '# Dogs\n\nDogs need walks. Dogs eat meat.' },
  ];
  const set: EvalSet = evalSetSchema.parse({
    name: 'pets',
    queries: [
      { id: 'fish', query: 'who eats fish', relevant: ['cats'] },
      { id: 'walks', query: 'walks', relevant: ['dogs'] },
      { id: 'eat', query: 'eat meat', relevant: ['cats'] },
      { id: 'none', query: 'parrots', relevant: ['dogs'] },
    ],
  });

  it('runs each query through the retriever and reports exact totals', async () => {
    const retriever = memoryRetriever(docs);
    const report = await evaluateRetrieval(retriever, set, { k: 2 });
    expect(report.queries.map((q) => [q.id, q.recall, q.reciprocalRank])).toEqual([
      ['fish', 1, 1],
      ['walks', 1, 1],
      ['eat', 1, 0.5],
      ['none', 0, 0],
    ]);
    expect(report).toMatchObject({
      set: 'pets',
      k: 2,
      recallAtK: 0.75,
      mrr: 0.625,
      hits: 3,
      indexVersion: await retriever.indexVersion(),
    });
    expect(set.k).toBe(5);
    expect((await evaluateRetrieval(retriever, set)).k).toBe(5);
  });

  it('refuses labels naming documents the index does not hold', async () => {
    const typo = { ...set, queries: [{ id: 'q', query: 'fish', relevant: ['catz#abc'] }] };
    await expect(evaluateRetrieval(memoryRetriever(docs), typo)).rejects.toThrow(/does not hold: catz/);
  });

  it('prints one row per query and the totals', async () => {
    const text = formatEvalReport(await evaluateRetrieval(memoryRetriever(docs), set, { k: 2 }));
    expect(text.split('\n').filter((l) => /^(fish|walks|eat|none) /.test(l))).toHaveLength(4);
    expect(text).toMatch(/recall@2 0\.750 {3}MRR@2 0\.625 {3}queries with a hit 3\/4$/);
  });
});

describe('the shipped eval set', () => {
  const path = fileURLToPath(new URL('../fixtures/retrieval-eval.json', import.meta.url));

  it('is valid, labels only documents of the example knowledge base, and scores above a floor', async () => {
    const set = evalSetSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
    expect(set.queries.length).toBeGreaterThanOrEqual(20);
    expect(new Set(set.queries.map((q) => q.id)).size).toBe(set.queries.length);
    const retriever = await buildMemoryRetriever({
      dir: fileURLToPath(new URL(set.corpus!, new URL('../fixtures/', import.meta.url))),
    });
    const report = await evaluateRetrieval(retriever, set);
    // A regression guard, not a target: lower only with a reason.
    expect(report.recallAtK).toBeGreaterThanOrEqual(0.9);
    expect(report.mrr).toBeGreaterThanOrEqual(0.85);
  });
});
