import { anonymousPrincipal } from '../../core/principal.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryRetriever } from '../../activities/retrieval/sqlite-retriever.ts';
import type { Retriever } from '../../core/retrieval.ts';
import { readDocTool, searchDocsTool, ToolError, type SearchDocsResult } from '../../tools/handlers/index.ts';
import { builtInTools } from '../../worker/built-in-tools.ts';
import { demoKnowledgeDir } from '../../examples/demo/app.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const ctx = {
  runId: 'run-1',
  callId: 'call-1',
  idempotencyKey: 'run-1:call-1',
  signal: new AbortController().signal,
  principal: anonymousPrincipal,
};

async function tools(opts: Parameters<typeof builtInTools>[0] = { knowledgeDir: demoKnowledgeDir }) {
  const all = await builtInTools(opts);
  const byName = (name: string) => all.find((t) => t.contract.name === name)!;
  return {
    search: (query: string, limit = 3) =>
      byName('search_docs').handler({ query, limit }, ctx) as Promise<SearchDocsResult>,
    read: (id: string) => byName('read_doc').handler({ id }, ctx) as Promise<string>,
  };
}

describe('search_docs and read_doc over the example knowledge base', () => {
  it('answers "restocking fee opened items" from refunds.md with chunk ids, doc ids, scores, source and the index version', async () => {
    const result = await (await tools()).search('restocking fee opened items');
    expect(result.indexVersion).toMatch(/^[0-9a-f]{16}$/);
    expect(result.results.length).toBeLessThanOrEqual(3);
    expect(result.results[0]).toEqual({
      chunkId: expect.stringMatching(/^refunds#[0-9a-f]{10}$/),
      docId: 'refunds',
      source: 'refunds.md',
      title: 'Refund policy',
      score: expect.any(Number),
      text: expect.stringContaining('restocking fee of 10%'),
    });
    expect(result.results.every((r, i) => r.score > 0 && (i === 0 || r.score <= result.results[i - 1]!.score))).toBe(
      true,
    );
  });

  it('says plainly when nothing matches, still naming the index version', async () => {
    const result = await (await tools()).search('xylophone zebra');
    expect(result).toEqual({
      indexVersion: expect.any(String),
      results: [],
      note: 'No passages match "xylophone zebra". Try other keywords.',
    });
  });

  it('reads a whole document by the docId search_docs returned, and lists the ids for an unknown one', async () => {
    const t = await tools();
    const { docId } = (await t.search('refund policy')).results[0]!;
    expect(await t.read(docId)).toMatch(/^# Refund policy\n/);
    const err = await t.read('refund').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect((err as Error).message).toMatch(
      /^No document with id "refund"\. .*Known ids: account, gift-cards, orders, payments, pricing, refunds, returns/,
    );
  });
});

describe('builtInTools', () => {
  it('indexes knowledgeDir in memory when no retriever is given', async () => {
    const dir = tempDir('bosun-kb-');
    writeFileSync(join(dir, 'policy.md'), '# Refund policy\n\nRefunds within 30 days.');
    const t = await tools({ knowledgeDir: dir });
    expect((await t.search('refund policy')).results.map((r) => [r.docId, r.source])).toEqual([
      ['policy', 'policy.md'],
    ]);
    expect(await t.read('policy')).toBe('# Refund policy\n\nRefunds within 30 days.');
  });

  it('uses the retriever it is given for both tools', async () => {
    const retriever = memoryRetriever([
      { docId: 'faq', source: 'faq.md', title: 'FAQ', text: '# FAQ\n\nParrots are welcome.' },
    ]);
    const t = await tools({ retriever, knowledgeDir: '/nonexistent' });
    expect((await t.search('parrots')).results.map((r) => r.docId)).toEqual(['faq']);
    expect(await t.read('faq')).toContain('Parrots are welcome.');
  });
});

describe('search_docs within its result cap', () => {
  it('leaves out whole lower-ranked passages, counting them, instead of cutting one', async () => {
    const long = (n: number) => `fee ${'word '.repeat(400)}end ${n}`;
    const docs = Array.from({ length: 6 }, (_, i) => ({
      docId: `d${i}`,
      source: `d${i}.md`,
      title: `D${i}`,
      text: long(i),
    }));
    const tool = searchDocsTool(memoryRetriever(docs, { size: 1_000, overlap: 0 }));
    const result = (await tool.handler({ query: 'fee', limit: 6 }, ctx)) as SearchDocsResult;
    expect(result.results.length).toBeLessThan(6);
    expect(result.omitted).toBe(6 - result.results.length);
    expect(JSON.stringify(result, null, 1).length).toBeLessThanOrEqual(6_000);
    expect(result.results.every((r) => r.text.endsWith(`end ${r.docId.slice(1)}`))).toBe(true);
  });

  it('passes a retriever failure through, for the activity to retry', async () => {
    const broken: Retriever = {
      retrieve: () => Promise.reject(new Error('database is locked')),
      indexVersion: () => Promise.resolve('v'),
      document: () => Promise.resolve(undefined),
      documents: () => Promise.resolve([]),
    };
    await expect(searchDocsTool(broken).handler({ query: 'x', limit: 1 }, ctx)).rejects.toThrow('database is locked');
    await expect(readDocTool(broken).handler({ id: 'x' }, ctx)).rejects.toThrow(ToolError);
  });
});
