/**
 * What every `RunStore` / `BlobStore` implementation owes for encryption at rest, erasure
 * and retention, as one suite: `test/unit/store-retention.test.ts` runs it on SQLite, and a
 * PostgreSQL store runs the same (`describeStoreRetentionContract('postgres', harness)`).
 *
 * The harness opens the SAME database each call, with the cipher given (so a test can write
 * with one key set and read with another), and `raw()` returns every byte the database holds
 * (files, or a dump of every table) for the "no plaintext at rest" checks.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { BlobStore } from '../../activities/store/blob-store.ts';
import {
  createContentCipher,
  plaintextCipher,
  StoreDecryptionError,
  type ContentCipher,
} from '../../activities/store/content-cipher.ts';
import type { RunStore, WriteFence } from '../../activities/store/run-store.ts';
import type { Message } from '../../core/messages.ts';
import type { TraceRecord } from '../../core/trace.ts';

export interface StoreHarness {
  /** A run store on the test's database (a fresh database per test), reading and writing
   * with `cipher`. Closed by the harness after the test. */
  open(cipher: ContentCipher): RunStore;
  /** A blob store on the test's database. */
  openBlobs(cipher: ContentCipher): BlobStore;
  /** Every byte the test's database holds, as latin1 text, for plaintext scans (flushes
   * first where the implementation buffers). */
  raw(): Promise<string>;
}

export const key1 = randomBytes(32);
export const key2 = randomBytes(32);
export const cipherK1 = createContentCipher({ keys: { k1: key1 }, activeKeyId: 'k1' });
export const cipherK1K2 = createContentCipher({ keys: { k1: key1, k2: key2 }, activeKeyId: 'k2' });
export const cipherK2Only = createContentCipher({ keys: { k2: key2 }, activeKeyId: 'k2' });

const fence = (n: number): WriteFence => ({ call: `wf/${n}`, scheduledAt: n });
const task = (text: string): Message => ({ role: 'user', content: text });
const answer = (text: string): Message => ({ role: 'assistant', text, toolCalls: [] });
const toolAttempt = (runId: string, result: string): TraceRecord => ({
  kind: 'tool',
  call: 'call_1',
  runId,
  step: 1,
  attempt: 1,
  startedAt: '2026-11-30T10:00:00.000Z',
  endedAt: '2026-11-30T10:00:00.100Z',
  latencyMs: 100,
  outcome: { status: 'ok' },
  tool: { name: 'lookup_order' },
  arguments: { orderId: 'ORD-SECRET-ARG' },
  authorization: { principal: { tenant: 't', user: 'u', scopes: [], roles: [] } },
  result: { content: result, truncated: false },
});

/** Writes one run's worth of content: conversation, summary, content by reference (owned),
 * a shared tool set, a prompt, a trace record. */
export async function writeRun(store: RunStore, runId: string, secret: string): Promise<void> {
  await store.putMessages(runId, 0, [task(`task ${secret}`)], fence(1));
  await store.putAnswer(runId, 1, { message: answer(`answer ${secret}`), stop: 'end' }, fence(1));
  await store.putSummary(runId, 1, `summary ${secret}`);
  await store.putContent(`${runId}/tool/1/call_1`, `tool result ${secret}`, runId);
  await store.putContent('tools/shared-hash', `[{"name":"lookup_order","description":"shared"}]`);
  await store.putPrompt({ name: 'support', content: `prompt ${secret}` });
  await store.putTrace(toolAttempt(runId, `traced ${secret}`));
}

export function describeStoreRetentionContract(name: string, harness: StoreHarness): void {
  describe(`${name}: encryption at rest`, () => {
    it('round-trips every content kind, and none of it is in the database in plaintext', async () => {
      const store = harness.open(cipherK1);
      await writeRun(store, 'run-a', 'PLAINTEXT-CANARY');
      expect(await store.getMessages('run-a', 2)).toEqual([
        task('task PLAINTEXT-CANARY'),
        answer('answer PLAINTEXT-CANARY'),
      ]);
      const { rows } = await store.readConversation('run-a', -1);
      expect(rows.map((r) => r.chars)).toEqual(rows.map((r) => JSON.stringify(r.message).length));
      expect(await store.getSummary('run-a')).toEqual({ upTo: 1, text: 'summary PLAINTEXT-CANARY' });
      expect(await store.getContent('run-a/tool/1/call_1')).toBe('tool result PLAINTEXT-CANARY');
      const prompt = await store.putPrompt({ name: 'support', content: 'prompt PLAINTEXT-CANARY' });
      expect((await store.getPrompt(prompt.hash))?.content).toBe('prompt PLAINTEXT-CANARY');
      const [trace] = await store.readTrace('run-a', { limit: 10 });
      expect(trace).toMatchObject({ kind: 'tool', result: { content: 'traced PLAINTEXT-CANARY' } });
      // A stale attempt still loses to the stored answer, and gets it back decrypted.
      const stale = await store.putAnswer('run-a', 1, { message: answer('stale'), stop: 'end' }, fence(1));
      expect(stale).toMatchObject({ message: answer('answer PLAINTEXT-CANARY'), won: false });
      const blobs = harness.openBlobs(cipherK1);
      const bytes = Buffer.from('BLOB-PLAINTEXT-CANARY');
      const ref = await blobs.put(bytes, 'image/png', { runId: 'run-a', callId: 'c1' });
      expect(Buffer.from((await blobs.get(ref.ref))!.bytes).toString()).toBe('BLOB-PLAINTEXT-CANARY');
      const raw = await harness.raw();
      expect(raw).not.toContain('CANARY');
      expect(raw).not.toContain('ORD-SECRET-ARG');
    });

    it('after a rotation old values still read and new ones use the new key; without the old key reads fail typed', async () => {
      await writeRun(harness.open(cipherK1), 'run-old', 'old');
      const rotated = harness.open(cipherK1K2);
      await writeRun(rotated, 'run-new', 'new');
      expect(await rotated.getContent('run-old/tool/1/call_1')).toBe('tool result old');
      expect(await rotated.getContent('run-new/tool/1/call_1')).toBe('tool result new');
      const k2Only = harness.open(cipherK2Only);
      expect(await k2Only.getContent('run-new/tool/1/call_1')).toBe('tool result new');
      const err = await k2Only.getContent('run-old/tool/1/call_1').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreDecryptionError);
      expect(err).toMatchObject({ reason: 'unknown_key', keyId: 'k1' });
      await expect(k2Only.getMessages('run-old', 2)).rejects.toBeInstanceOf(StoreDecryptionError);
      await expect(harness.open(plaintextCipher).getSummary('run-new')).rejects.toMatchObject({ reason: 'no_keys' });
    });

    it('a prompt put again is sealed with the putting store’s key: shared prompts never pin a retired key', async () => {
      const old = await harness.open(cipherK1).putPrompt({ name: 'support', content: 'be kind' });
      await expect(harness.open(cipherK2Only).getPrompt(old.hash)).rejects.toBeInstanceOf(StoreDecryptionError);
      // The next run sends the text again (the first call of an execution does): re-sealed.
      const again = await harness.open(cipherK2Only).putPrompt({ name: 'support', content: 'be kind' });
      expect(again.hash).toBe(old.hash);
      expect(await harness.open(cipherK2Only).getPrompt(old.hash)).toMatchObject({
        name: 'support',
        content: 'be kind',
      });
    });

    it('rows written before encryption was switched on still read', async () => {
      await writeRun(harness.open(plaintextCipher), 'run-plain', 'legacy');
      const encrypting = harness.open(cipherK1);
      expect(await encrypting.getMessages('run-plain', 2)).toEqual([task('task legacy'), answer('answer legacy')]);
      expect(await encrypting.readTrace('run-plain', { limit: 10 })).toHaveLength(1);
    });
  });

  describe(`${name}: erasure and retention`, () => {
    it('forgetRun erases the run’s content, keeps other runs and shared rows, and logs the erasure', async () => {
      const store = harness.open(cipherK1);
      await writeRun(store, 'run-a', 'A');
      await writeRun(store, 'run-b', 'B');
      const blobs = harness.openBlobs(cipherK1);
      const own = await blobs.put(Buffer.from('only a'), 'image/png', { runId: 'run-a', callId: 'c1' });
      const shared = await blobs.put(Buffer.from('both'), 'image/png', { runId: 'run-a', callId: 'c2' });
      await blobs.put(Buffer.from('both'), 'image/png', { runId: 'run-b', callId: 'c3' });
      const blobCount = await blobs.forgetRun('run-a');
      expect(blobCount).toBe(1);
      expect(await blobs.get(own.ref)).toBeUndefined();
      expect(await blobs.get(shared.ref)).toBeDefined();

      const erasure = await store.forgetRun('run-a', { by: 'alice', reason: 'forget', blobs: blobCount });
      expect(erasure).toMatchObject({
        runId: 'run-a',
        by: 'alice',
        reason: 'forget',
        counts: { messages: 2, summaries: 1, contents: 1, traceRecords: 1, blobs: 1 },
      });
      await expect(store.getMessages('run-a', 1)).rejects.toThrow(/expected 1 stored messages, found 0/);
      expect(await store.readConversation('run-a', -1)).toEqual({ rows: [], seq: -1 });
      expect(await store.getSummary('run-a')).toBeUndefined();
      await expect(store.getContent('run-a/tool/1/call_1')).rejects.toThrow(/no content stored/);
      expect(await store.readTrace('run-a', { limit: 10 })).toEqual([]);
      // Another run's content, the shared tool set and prompt versions stay.
      expect(await store.getContent('run-b/tool/1/call_1')).toBe('tool result B');
      expect(await store.getMessages('run-b', 2)).toHaveLength(2);
      expect(await store.getContent('tools/shared-hash')).toContain('lookup_order');
      expect(await store.readErasures({ runId: 'run-a', limit: 10 })).toEqual([erasure]);
      expect((await store.readErasures({ limit: 10 })).map((e) => e.runId)).toEqual(['run-a']);
      // Forgetting again erases nothing more, and says so.
      const again = await store.forgetRun('run-a', { by: 'alice', reason: 'forget' });
      expect(again.counts).toEqual({ messages: 0, summaries: 0, contents: 0, traceRecords: 0, blobs: 0 });
      expect(again.seq).toBeGreaterThan(erasure.seq);
      expect((await store.readErasures({ limit: 1 }))[0]!.seq).toBe(again.seq);
    });

    it('storedRuns lists runs first written before a time, in run id order, paged; a forgotten run leaves it', async () => {
      const store = harness.open(plaintextCipher);
      const before = Date.now();
      for (const id of ['r3', 'r1', 'r2']) await writeRun(store, id, id);
      expect(await store.storedRuns({ before: before - 1, limit: 10 })).toEqual([]);
      const all = await store.storedRuns({ before: Date.now() + 1, limit: 10 });
      expect(all.map((r) => r.runId)).toEqual(['r1', 'r2', 'r3']);
      expect(all.every((r) => r.firstWriteAt >= before - 1 && r.firstWriteAt <= Date.now())).toBe(true);
      const page = await store.storedRuns({ before: Date.now() + 1, after: 'r1', limit: 1 });
      expect(page.map((r) => r.runId)).toEqual(['r2']);
      await store.forgetRun('r2', { by: 'retention', reason: 'retention' });
      expect((await store.storedRuns({ before: Date.now() + 1, limit: 10 })).map((r) => r.runId)).toEqual(['r1', 'r3']);
    });
  });
}
