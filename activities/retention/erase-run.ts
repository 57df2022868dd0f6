/**
 * Erasing one run's stored content: the blobs it stored (those no other run shares), then
 * its rows in the run store, which logs the erasure with the blob count. Used by `forget`
 * and the retention sweep, which both check first that the run is closed.
 */
import type { Erasure, ErasureReason } from '../../core/erasure.ts';
import type { BlobStore } from '../store/blob-store.ts';
import type { RunStore } from '../store/run-store.ts';

/** Where a run's content is: the run store, and the blob store when this worker has one. */
export interface ErasureStores {
  store: RunStore;
  /** The blob store, opened on demand (undefined: this worker has none, nothing to erase). */
  blobs?: () => BlobStore | undefined;
}

export async function eraseRun(
  stores: ErasureStores,
  runId: string,
  who: { by: string; reason: ErasureReason },
): Promise<Erasure> {
  const blobs = (await stores.blobs?.()?.forgetRun(runId)) ?? 0;
  return stores.store.forgetRun(runId, { ...who, blobs });
}
