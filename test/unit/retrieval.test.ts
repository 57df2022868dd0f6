import { ApplicationFailure } from '@temporalio/common';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { retrievalResultSchema, weakContextPolicySchema } from '../../core/retrieval.ts';
import { readCorpus } from '../../activities/retrieval/corpus.ts';
import { maxQueryTerms, toFtsQuery } from '../../activities/retrieval/fts-query.ts';
import { createRetrieveActivity } from '../../activities/retrieval/retrieve-activity.ts';
import {
  buildMemoryRetriever,
  ingest,
  memoryRetriever,
  openSqliteRetriever,
} from '../../activities/retrieval/sqlite-retriever.ts';
import { tempDir as madeTempDir } from '../helpers/temp-dir.ts';

const exampleDir = fileURLToPath(new URL('../../examples/demo/knowledge/', import.meta.url));
const tempDir = () => madeTempDir('bosun-retrieval-');

const docs = [
  {
    docId: 'cats',
    source: 'cats.md',
    title: 'Cats',
    text: '# Cats\n\n## Food\nCats eat fish and chicken.\n\n## Sleep\nCats sleep sixteen hours a day.',
  },
  {
    docId: 'dogs',
    source: 'dogs.md',
    title: 'Dogs',
    text: '# Dogs\n\n## Food\nDogs eat almost anything, chicken included.\n\n## Walks\nDogs need two walks a day.',
  },
  {
    docId: 'notes/parrots',
    source: 'notes/parrots.txt',
    title: 'notes/parrots',
    text: 'Parrots talk. Parrots live long.',
  },
];

describe('toFtsQuery', () => {
  it('quotes each meaningful word and ORs them, dropping stopwords and duplicates', () => {
    expect(toFtsQuery('What is the restocking fee for opened items? Fee!')).toBe(
      '"restocking" OR "fee" OR "opened" OR "items"',
    );
  });

  it('turns FTS5 syntax into plain quoted words', () => {
    expect(toFtsQuery('title:refund AND (NOT "fee*") NEAR(a b, 2) ^start col-1 x+y')).toBe(
      '"title" OR "refund" OR "fee" OR "near" OR "b" OR "2" OR "start" OR "col" OR "1" OR "x" OR "y"',
    );
  });

  it('keeps stopwords when nothing else is left, and returns undefined for no words at all', () => {
    expect(toFtsQuery('how do I')).toBe('"how" OR "do" OR "i"');
    expect(toFtsQuery('?!* "" () ^:')).toBeUndefined();
    expect(toFtsQuery('')).toBeUndefined();
  });

  it('keeps non-Latin words and caps the number of terms', () => {
    expect(toFtsQuery('Rückerstattung für geöffnete Artikel')).toBe(
      '"rückerstattung" OR "für" OR "geöffnete" OR "artikel"',
    );
    expect(toFtsQuery('配送 料金')).toBe('"配送" OR "料金"');
    const many = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');
    expect(toFtsQuery(many)!.split(' OR ')).toHaveLength(maxQueryTerms);
  });

  it('never makes SQLite throw, whatever the user typed', async () => {
    const retriever = memoryRetriever(docs);
    const nasty = [
      '"',
      '""',
      '"unterminated',
      'NEAR(',
      'NEAR/3',
      'a AND',
      'OR OR OR',
      'NOT',
      '*',
      'fish*',
      '^',
      'title:',
      '{cats dogs}:fish',
      "'; DROP TABLE chunks; --",
      '\u0000fish',
      'é\u0301',
      '🐟 fish 🐈',
      'x'.repeat(2_000),
      '(((((',
      ')',
      '-fish',
      '+fish',
      'fish:',
      '\\',
      '%_',
      'cats AND NOT dogs',
      'COLUMN',
      'rank:',
      'bm25(chunks_fts)',
      '\u0301',
      ' \u0301 fish',
      '\u200b',
      'ﬁsh',
      '①',
      '٣',
    ];
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const alphabet = 'ab "*^:()-+.,;NEARORANDNOT{}\\\'\u0301é😀\n\t0';
    for (let i = 0; i < 300; i++)
      nasty.push(
        Array.from(
          { length: 1 + Math.floor(random() * 30) },
          () => alphabet[Math.floor(random() * alphabet.length)],
        ).join(''),
      );
    for (const query of nasty) {
      const result = await retriever.retrieve({ query, k: 3 });
      expect(retrievalResultSchema.parse(result)).toEqual(result);
    }
  });
});

describe('the SQLite retriever', () => {
  it('ranks by BM25 as a positive score, best first, with 1-based ranks and chunk provenance', async () => {
    const { chunks, weak, query } = await memoryRetriever(docs).retrieve({ query: 'chicken fish', k: 5 });
    expect(query).toBe('chicken fish');
    expect(weak).toBe(false);
    expect(chunks.map((c) => [c.docId, c.rank])).toEqual([
      ['cats', 1],
      ['dogs', 2],
    ]);
    expect(chunks[0]).toMatchObject({
      id: expect.stringMatching(/^cats#[0-9a-f]{10}$/),
      source: 'cats.md',
      title: 'Cats',
      text: '# Cats\n\n## Food\n\nCats eat fish and chicken.',
    });
    expect(chunks[0]!.score).toBeGreaterThan(chunks[1]!.score);
    expect(chunks[1]!.score).toBeGreaterThan(0);
  });

  it('matches word forms through stemming, and ignores case and punctuation', async () => {
    const retriever = memoryRetriever(docs);
    expect((await retriever.retrieve({ query: 'SLEEPING?', k: 5 })).chunks.map((c) => c.docId)).toEqual(['cats']);
    expect((await retriever.retrieve({ query: 'walk', k: 5 })).chunks.map((c) => c.docId)).toEqual(['dogs']);
  });

  it('returns at most k chunks, the top of the longer list', async () => {
    const retriever = await buildMemoryRetriever({ dir: exampleDir });
    const ten = await retriever.retrieve({ query: 'shipping refund order', k: 10 });
    const two = await retriever.retrieve({ query: 'shipping refund order', k: 2 });
    expect(ten.chunks.length).toBeGreaterThan(2);
    expect(two.chunks).toEqual(ten.chunks.slice(0, 2));
  });

  it('puts the refund amount section first for "restocking fee opened items" on the example knowledge base', async () => {
    const retriever = await buildMemoryRetriever({ dir: exampleDir });
    const { chunks } = await retriever.retrieve({ query: 'restocking fee opened items', k: 3 });
    expect(chunks[0]).toMatchObject({ docId: 'refunds', source: 'refunds.md', title: 'Refund policy' });
    expect(chunks[0]!.text).toContain('restocking fee of 10%');
    expect(chunks.every((c, i) => i === 0 || c.score <= chunks[i - 1]!.score)).toBe(true);
  });

  it.each([
    ['do you ship to Canada', 'shipping'],
    ['price match a competitor', 'pricing'],
    ['warranty claim serial number', 'warranty'],
    ['card declined', 'payments'],
  ])('answers "%s" from %s first', async (query, docId) => {
    const retriever = await buildMemoryRetriever({ dir: exampleDir });
    expect((await retriever.retrieve({ query, k: 3 })).chunks[0]?.docId).toBe(docId);
  });

  it('marks the result weak when nothing matches, when the query has no words, and below minScore', async () => {
    const retriever = memoryRetriever(docs);
    expect(await retriever.retrieve({ query: 'xylophone zebra', k: 5 })).toMatchObject({ chunks: [], weak: true });
    expect(await retriever.retrieve({ query: '?!', k: 5 })).toMatchObject({ chunks: [], weak: true });

    const all = await retriever.retrieve({ query: 'chicken fish', k: 5 });
    const [best, second] = all.chunks.map((c) => c.score);
    const between = await retriever.retrieve({ query: 'chicken fish', k: 5, minScore: (best! + second!) / 2 });
    expect(between.weak).toBe(false);
    expect(between.chunks.map((c) => [c.docId, c.rank])).toEqual([['cats', 1]]);
    const above = await retriever.retrieve({ query: 'chicken fish', k: 5, minScore: best! + 0.001 });
    expect(above).toMatchObject({ chunks: [], weak: true, indexVersion: all.indexVersion });
    expect((await retriever.retrieve({ query: 'chicken fish', k: 5, minScore: best! })).chunks).toHaveLength(1);
  });

  it('reads whole documents and lists them', async () => {
    const retriever = memoryRetriever(docs);
    expect(await retriever.document('notes/parrots')).toEqual(docs[2]);
    expect(await retriever.document('nope')).toBeUndefined();
    expect((await retriever.documents()).map((d) => d.docId)).toEqual(['cats', 'dogs', 'notes/parrots']);
  });
});

describe('ingest and the index version', () => {
  it('reads .md and .txt recursively, ids are paths without extension, dot-files skipped', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'faq'));
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, 'faq', 'returns.md'), '# Returns\n\nSend it back.');
    writeFileSync(join(dir, 'notes.txt'), 'plain notes');
    writeFileSync(join(dir, '.hidden.md'), 'secret');
    writeFileSync(join(dir, '.git', 'x.md'), 'git');
    writeFileSync(join(dir, 'image.png'), 'binary');
    expect((await readCorpus(dir)).map((d) => [d.docId, d.source, d.title])).toEqual([
      ['faq/returns', 'faq/returns.md', 'Returns'],
      ['notes', 'notes.txt', 'notes'],
    ]);
  });

  it('writes a file index that a retriever opens, reporting counts and the version', async () => {
    const dbPath = join(tempDir(), 'state', 'retrieval.db');
    const stats = await ingest({ dir: exampleDir, dbPath });
    expect(stats).toMatchObject({ documents: 10, dbPath, chunking: { size: 200, overlap: 40 } });
    expect(stats.chunks).toBeGreaterThanOrEqual(stats.documents);
    const retriever = openSqliteRetriever({ path: dbPath });
    expect(await retriever.indexVersion()).toBe(stats.indexVersion);
    expect(retriever.stats()).toEqual({
      documents: stats.documents,
      chunks: stats.chunks,
      indexVersion: stats.indexVersion,
      chunking: stats.chunking,
    });
    const { chunks, indexVersion } = await retriever.retrieve({ query: 'restocking fee', k: 1 });
    expect(indexVersion).toBe(stats.indexVersion);
    expect(chunks[0]?.docId).toBe('refunds');
    retriever.close();
  });

  it('gives the same version and chunk ids for the same documents, in memory or on disk, on every ingest', async () => {
    const dir = tempDir();
    const a = await ingest({ dir: exampleDir, dbPath: join(dir, 'a.db') });
    const b = await ingest({ dir: exampleDir, dbPath: join(dir, 'b.db') });
    const again = await ingest({ dir: exampleDir, dbPath: join(dir, 'a.db') });
    const memory = await buildMemoryRetriever({ dir: exampleDir });
    expect(b.indexVersion).toBe(a.indexVersion);
    expect(again).toEqual(a);
    expect(await memory.indexVersion()).toBe(a.indexVersion);
    expect(a.indexVersion).toMatch(/^[0-9a-f]{16}$/);
    const fromDisk = await openSqliteRetriever({ path: join(dir, 'b.db') }).retrieve({
      query: 'refund shipping damaged',
      k: 10,
    });
    expect(fromDisk.chunks).toEqual((await memory.retrieve({ query: 'refund shipping damaged', k: 10 })).chunks);
  });

  it('changes the version when a document changes, is added, or the chunking changes', async () => {
    const dir = tempDir();
    cpSync(exampleDir, dir, { recursive: true });
    const base = (await buildMemoryRetriever({ dir })).stats().indexVersion;
    writeFileSync(join(dir, 'refunds.md'), '# Refund policy\n\nEdited.');
    const edited = (await buildMemoryRetriever({ dir })).stats().indexVersion;
    writeFileSync(join(dir, 'extra.txt'), 'more');
    const added = (await buildMemoryRetriever({ dir })).stats().indexVersion;
    const rechunked = (await buildMemoryRetriever({ dir, chunking: { size: 100, overlap: 20 } })).stats().indexVersion;
    expect(new Set([base, edited, added, rechunked]).size).toBe(4);
  });

  it('replaces the index atomically: a failed ingest leaves the old index answering', async () => {
    const root = tempDir();
    const dbPath = join(root, 'kb.db');
    const first = await ingest({ dir: exampleDir, dbPath });
    const reader = openSqliteRetriever({ path: dbPath });
    await expect(ingest({ dir: exampleDir, dbPath, chunking: { size: 3 } })).rejects.toThrow(RangeError);
    const dupes = join(root, 'dupes');
    mkdirSync(dupes);
    writeFileSync(join(dupes, 'a.md'), 'one');
    writeFileSync(join(dupes, 'a.txt'), 'two');
    await expect(ingest({ dir: dupes, dbPath })).rejects.toThrow(/two files map to document id "a"/);
    expect(await reader.indexVersion()).toBe(first.indexVersion);

    const small = join(root, 'small');
    mkdirSync(small);
    writeFileSync(join(small, 'only.md'), '# Only\n\nA single document about zebras.');
    const second = await ingest({ dir: small, dbPath });
    // The open reader sees the new index at once, whole.
    expect(await reader.indexVersion()).toBe(second.indexVersion);
    expect((await reader.retrieve({ query: 'zebras restocking', k: 5 })).chunks.map((c) => c.docId)).toEqual(['only']);
    reader.close();
  });

  it('refuses to open a missing or empty index, naming the ingest command', () => {
    const dir = tempDir();
    expect(() => openSqliteRetriever({ path: join(dir, 'none.db') })).toThrow(/npm run ingest/);
    expect(existsSync(join(dir, 'none.db'))).toBe(false);
    writeFileSync(join(dir, 'empty.db'), '');
    expect(() => openSqliteRetriever({ path: join(dir, 'empty.db') })).toThrow(/npm run ingest/);
  });
});

describe('the retrieve activity', () => {
  it('returns the retriever result for a valid input', async () => {
    const retriever = memoryRetriever(docs);
    const retrieve = createRetrieveActivity(retriever);
    expect(await retrieve({ query: 'walks', k: 2 })).toEqual(await retriever.retrieve({ query: 'walks', k: 2 }));
  });

  it('takes a query of any length, and an empty one, as user text rather than a broken contract', async () => {
    const retrieve = createRetrieveActivity(memoryRetriever(docs));
    expect(
      (await retrieve({ query: `walks ${'lorem ipsum '.repeat(2_000)}`, k: 2 })).chunks.map((c) => c.docId),
    ).toEqual(['dogs']);
    expect(await retrieve({ query: '', k: 2 })).toMatchObject({ chunks: [], weak: true });
  });

  it('rejects a broken contract as a non-retryable bad_request', async () => {
    const retrieve = createRetrieveActivity(memoryRetriever(docs));
    const err = await retrieve({ query: 'walks', k: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({
      type: 'bad_request',
      nonRetryable: true,
      message: expect.stringMatching(/^invalid retrieve input: k:/),
    });
    await expect(retrieve({ k: 3 } as never)).rejects.toMatchObject({ type: 'bad_request' });
  });

  it('offers three weak-context policies', () => {
    expect(weakContextPolicySchema.options).toEqual(['broaden', 'degrade', 'escalate']);
    expect(weakContextPolicySchema.safeParse('guess').success).toBe(false);
  });
});
