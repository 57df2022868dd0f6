import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Retriever } from '../../core/retrieval.ts';
import type { RunStore } from '../store/run-store.ts';

/** Where a run's pinned index version is kept in the run store (erased with the run). */
export const indexPinKey = (runId: string) => `${runId}/retrieval/index-version`;

/**
 * Retrieval across hosts: each worker has its own copy of the knowledge index (built from the
 * same knowledge folder or `npm run ingest` file it was deployed with), so two workers can
 * serve different versions during a rollout. A run must not cite chunks of one version and
 * then read documents of another: the first retrieval a run makes (the `retrieve` activity,
 * `search_docs`, `read_doc`) pins the serving worker's `indexVersion` in the shared run store
 * (first writer wins, `RunStore.claimContent`), and every later one on any worker checks it.
 * A worker with another version fails the call with the retryable `index_version_mismatch`,
 * naming both versions, so Temporal retries it — on a worker that has the pinned version,
 * while one is left. Outside an activity (the CLI, an evaluation) nothing is pinned.
 *
 * @example
 * const retriever = pinIndexVersion(openSqliteRetriever({ path }), store);
 */
export function pinIndexVersion(inner: Retriever, store: RunStore): Retriever {
  const check = async (): Promise<void> => {
    const runId = currentWorkflowId();
    if (runId === undefined) return;
    const serving = await inner.indexVersion();
    const pinned = await store.claimContent(indexPinKey(runId), serving, runId);
    if (pinned !== serving) {
      throw ApplicationFailure.create({
        type: 'index_version_mismatch',
        message:
          `run ${runId} retrieved from knowledge index ${pinned}; this worker serves index ${serving}. ` +
          'Retrying on a worker with the pinned index (deploy one knowledge index to every worker of a task queue).',
        details: [{ pinned, serving }],
      });
    }
  };
  return {
    async retrieve(input) {
      await check();
      return inner.retrieve(input);
    },
    async document(docId) {
      await check();
      return inner.document(docId);
    },
    documents: () => inner.documents(),
    indexVersion: () => inner.indexVersion(),
  };
}

/** The workflow id of the activity running now (a Bosun run's id), if any. */
function currentWorkflowId(): string | undefined {
  try {
    return Context.current().info.workflowExecution?.workflowId;
  } catch {
    return undefined;
  }
}
