/**
 * The `eraseRunContent` activity behind `bosun forget <runId>`: refuses a run that is still
 * open (typed `run_open`), else erases its stored content and logs the erasure. And
 * `readErasures`, the log itself. Both run on a worker of the queue (the one with the
 * store), reached through a short workflow, so they work from any host.
 */
import { ApplicationFailure } from '@temporalio/common';
import {
  RUN_OPEN_FAILURE,
  RUN_UNKNOWN_FAILURE,
  forgetRunInputSchema,
  readErasuresInputSchema,
  type Erasure,
  type ForgetRunInput,
  type ReadErasuresInput,
} from '../../core/erasure.ts';
import { formatIssues } from '../../core/zod-issues.ts';
import { eraseRun, type ErasureStores } from './erase-run.ts';
import { runLiveness, workerClient } from './run-closed.ts';
import type { Client } from '@temporalio/client';

export function createEraseRunContent(stores: ErasureStores, client: () => Client = workerClient) {
  return async function eraseRunContent(raw: ForgetRunInput): Promise<Erasure> {
    const parsed = forgetRunInputSchema.safeParse(raw);
    if (!parsed.success)
      throw ApplicationFailure.create({
        type: 'invalid_input',
        nonRetryable: true,
        message: `invalid forget request: ${formatIssues(parsed.error)}`,
      });
    const { runId, by } = parsed.data;
    const liveness = await runLiveness(client(), runId);
    if (liveness.state === 'open')
      throw ApplicationFailure.create({
        type: RUN_OPEN_FAILURE,
        nonRetryable: true,
        message: `run ${runId} is still open: only a closed run's content is erased (cancel it first, or wait for it to end)`,
      });
    // A typo must not leave an erasure in the log: a run Temporal no longer knows (past the
    // namespace's retention) is the retention sweep's to erase.
    if (liveness.state === 'gone')
      throw ApplicationFailure.create({
        type: RUN_UNKNOWN_FAILURE,
        nonRetryable: true,
        message: `Temporal has no run ${runId} (a typo, or past the namespace's retention: the retention sweep erases those)`,
      });
    // Forgotten already: the erasure that deleted the content, not a second, empty one.
    const [earlier] = await stores.store.readErasures({ runId, limit: 1 });
    if (earlier) return earlier;
    return eraseRun(stores, runId, { by, reason: 'forget' });
  };
}

export function createReadErasures(stores: Pick<ErasureStores, 'store'>) {
  return async function readErasures(raw: ReadErasuresInput): Promise<Erasure[]> {
    const parsed = readErasuresInputSchema.safeParse(raw);
    if (!parsed.success)
      throw ApplicationFailure.create({
        type: 'invalid_input',
        nonRetryable: true,
        message: `invalid erasure log request: ${formatIssues(parsed.error)}`,
      });
    const { runId, limit = 100 } = parsed.data;
    return stores.store.readErasures({ ...(runId !== undefined ? { runId } : {}), limit });
  };
}
