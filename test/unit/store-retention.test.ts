import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEraseRunContent } from '../../activities/retention/forget.ts';
import { createSweepRetention } from '../../activities/retention/sweep.ts';
import { openSqliteBlobStore, type BlobStore } from '../../activities/store/blob-store.ts';
import { createContentCipher, isSealedText, plaintextCipher } from '../../activities/store/content-cipher.ts';
import { openSqliteRunStore, type RunStore } from '../../activities/store/run-store.ts';
import { createReadTrace } from '../../activities/trace/read.ts';
import { describeStoreRetentionContract, key1, writeRun } from '../helpers/store-retention-contract.ts';

let dir: string;
const open: { close?: () => void }[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bosun-retention-'));
});
afterEach(() => {
  for (const s of open.splice(0)) s.close?.();
  rmSync(dir, { recursive: true, force: true });
});

const runStore = (cipher = plaintextCipher): RunStore => {
  const s = openSqliteRunStore(join(dir, 'runs.db'), { cipher });
  open.push(s);
  return s;
};
const blobStore = (cipher = plaintextCipher): BlobStore => openSqliteBlobStore(join(dir, 'blobs.db'), { cipher });

describeStoreRetentionContract('sqlite', {
  open: runStore,
  openBlobs: blobStore,
  // The files themselves, WAL included: what a copied disk or backup would hold.
  raw: async () =>
    readdirSync(dir)
      .map((f) => readFileSync(join(dir, f)).toString('latin1'))
      .join('\n'),
});

describe('content cipher', () => {
  it('text values carry their key id; tampering and bad input fail typed', () => {
    const cipher = createContentCipher({ keys: { k1: key1 }, activeKeyId: 'k1' });
    const sealed = cipher.sealText('hello');
    expect(sealed).toMatch(/^enc:v1:k1:/);
    expect(isSealedText(sealed)).toBe(true);
    expect(cipher.sealText('hello')).not.toBe(sealed); // random IVs
    const flipped = sealed.slice(0, -4) + (sealed.at(-4) === 'A' ? 'B' : 'A') + sealed.slice(-3);
    expect(() => cipher.openText(flipped)).toThrow(expect.objectContaining({ reason: 'tampered', keyId: 'k1' }));
    // The key id is authenticated: relabelling a value fails.
    const relabelled = sealed.replace('enc:v1:k1:', 'enc:v1:k2:');
    const both = createContentCipher({ keys: { k1: key1, k2: key1 }, activeKeyId: 'k1' });
    expect(() => both.openText(relabelled)).toThrow(expect.objectContaining({ reason: 'tampered' }));
    expect(() => createContentCipher({ keys: { k1: key1 }, activeKeyId: 'k9' })).toThrow(/not in the key set/);
    expect(() => createContentCipher({ keys: { k1: Buffer.alloc(16) }, activeKeyId: 'k1' })).toThrow(/32 bytes/);
  });
});

/** A Temporal client that knows only what these tests need: runs' states and the namespace. */
function fakeTemporal(runs: Record<string, 'open' | { closedDaysAgo: number }>, now: number, retentionDays = 30) {
  return {
    options: { namespace: 'default' },
    workflowService: {
      describeNamespace: async () => ({
        config: { workflowExecutionRetentionTtl: { seconds: retentionDays * 86_400, nanos: 0 } },
      }),
    },
    workflow: {
      getHandle: (id: string) => ({
        describe: async () => {
          const run = runs[id];
          if (run === undefined) throw new WorkflowNotFoundError(`no workflow ${id}`, id, undefined);
          return run === 'open'
            ? { status: { name: 'RUNNING' } }
            : { status: { name: 'COMPLETED' }, closeTime: new Date(now - run.closedDaysAgo * 86_400_000) };
        },
      }),
    },
  } as unknown as Client;
}

describe('retention sweep', () => {
  it('erases closed-and-old runs and runs Temporal no longer knows; keeps open and recently closed ones', async () => {
    const store = runStore();
    for (const id of ['old-closed', 'old-open', 'recently-closed', 'gone']) await writeRun(store, id, id);
    const now = Date.now() + 40 * 86_400_000; // every run was first written 40 days "ago"
    const temporal = fakeTemporal(
      { 'old-closed': { closedDaysAgo: 35 }, 'old-open': 'open', 'recently-closed': { closedDaysAgo: 2 } },
      now,
    );
    const sweep = createSweepRetention({ store, client: () => temporal, now: () => now });
    const result = await sweep();
    expect(result).toMatchObject({ retentionDays: 30, source: 'namespace', examined: 4, erased: 2, kept: 2 });
    expect((await store.storedRuns({ before: now, limit: 10 })).map((r) => r.runId)).toEqual([
      'old-open',
      'recently-closed',
    ]);
    const log = await store.readErasures({ limit: 10 });
    expect(log.map((e) => [e.runId, e.reason, e.by]).sort()).toEqual([
      ['gone', 'retention', 'retention'],
      ['old-closed', 'retention', 'retention'],
    ]);
    // BOSUN_RETENTION_DAYS overrides the namespace's period.
    const longer = createSweepRetention({ store, retentionDays: 365, client: () => temporal, now: () => now });
    expect(await longer()).toMatchObject({ retentionDays: 365, source: 'BOSUN_RETENTION_DAYS', examined: 0 });
  });
});

describe('forget activity', () => {
  it('refuses an open run typed, erases a closed one, and the trace then says it was erased', async () => {
    const store = runStore();
    await writeRun(store, 'open-run', 'x');
    await writeRun(store, 'closed-run', 'y');
    const temporal = fakeTemporal({ 'open-run': 'open', 'closed-run': { closedDaysAgo: 0 } }, Date.now());
    const forget = createEraseRunContent({ store }, () => temporal);
    const refused = await forget({ runId: 'open-run', by: 'ops' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApplicationFailure);
    expect(refused).toMatchObject({ type: 'run_open', nonRetryable: true });
    expect(await store.getMessages('open-run', 2)).toHaveLength(2);

    const erasure = await forget({ runId: 'closed-run', by: 'ops' });
    expect(erasure).toMatchObject({ runId: 'closed-run', by: 'ops', reason: 'forget' });
    expect(erasure.counts.messages).toBe(2);
    const page = await createReadTrace(store)({ runId: 'closed-run' });
    expect(page).toEqual({ records: [], erased: { at: erasure.at, by: 'ops', reason: 'forget' } });
    await expect(forget({ runId: '', by: 'ops' })).rejects.toMatchObject({ type: 'invalid_input' });
  });
});
