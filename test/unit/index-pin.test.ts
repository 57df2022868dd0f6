import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { indexPinKey, pinIndexVersion } from '../../activities/retrieval/index-pin.ts';
import { createRetrieveActivity } from '../../activities/retrieval/retrieve-activity.ts';
import { openSqliteRunStore, type RunStore } from '../../activities/store/run-store.ts';
import type { Retriever } from '../../core/retrieval.ts';

const stores: RunStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

/** A knowledge index of one version with one document. */
const index = (version: string): Retriever => ({
  retrieve: async ({ query }) => ({
    query,
    weak: false,
    indexVersion: version,
    chunks: [
      {
        id: 'returns#1',
        docId: 'returns',
        source: 'returns.md',
        title: 'Returns',
        text: `returns (${version})`,
        score: 1,
        rank: 1,
      },
    ],
  }),
  indexVersion: async () => version,
  document: async (docId) => ({ docId, title: 'Returns', text: `whole doc (${version})`, source: 'returns.md' }),
  documents: async () => [{ docId: 'returns', title: 'Returns', source: 'returns.md' }],
});

/** An activity context of workflow `runId` (a Bosun run id). */
const inRun = (runId: string) =>
  new MockActivityEnvironment({
    workflowExecution: { workflowId: runId, runId: 'r' },
  } as ConstructorParameters<typeof MockActivityEnvironment>[0]);

describe('retrieval across hosts: the run pins its index version', () => {
  it('pins the first version a run retrieves with; a worker with another version fails typed, naming both', async () => {
    const store = openSqliteRunStore(':memory:');
    stores.push(store);
    // Two workers, mid-rollout: same shared store, different knowledge indexes.
    const oldWorker = createRetrieveActivity(pinIndexVersion(index('aaaa1111'), store));
    const newWorker = pinIndexVersion(index('bbbb2222'), store);
    await inRun('run-1').run(oldWorker, { query: 'returns', k: 3 });
    expect(await store.getContent(indexPinKey('run-1'))).toBe('aaaa1111');

    const err = await inRun('run-1')
      .run(createRetrieveActivity(newWorker), { query: 'returns', k: 3 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'index_version_mismatch', nonRetryable: false });
    expect((err as Error).message).toMatch(
      /run run-1 retrieved from knowledge index aaaa1111; this worker serves index bbbb2222/,
    );
    // A citation (read_doc) is checked the same way; the listing of documents is not content.
    await expect(inRun('run-1').run(() => newWorker.document('returns'))).rejects.toMatchObject({
      type: 'index_version_mismatch',
    });
    // The old worker goes on serving the run; a new run pins the new version.
    await expect(inRun('run-1').run(oldWorker, { query: 'returns', k: 3 })).resolves.toMatchObject({
      indexVersion: 'aaaa1111',
    });
    await expect(inRun('run-2').run(() => newWorker.document('returns'))).resolves.toMatchObject({
      text: 'whole doc (bbbb2222)',
    });
    // Outside an activity (the CLI, an evaluation) nothing is pinned or checked.
    await expect(newWorker.retrieve({ query: 'returns', k: 1 })).resolves.toMatchObject({ indexVersion: 'bbbb2222' });
  });
});
