import { proxyActivities } from '@temporalio/workflow';
import type { BosunActivities } from '../activities/index.ts';
import type { Erasure, ForgetRunInput, ReadErasuresInput, RetentionSweepResult } from '../core/erasure.ts';
import type { SweepRetentionInput } from '../activities/retention/sweep.ts';

const { eraseRunContent, readErasures } = proxyActivities<BosunActivities>({
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['invalid_input', 'run_open'] },
});
const { sweepRetention } = proxyActivities<BosunActivities>({
  startToCloseTimeout: '6h',
  heartbeatTimeout: '2m',
  retry: { maximumAttempts: 5, initialInterval: '1m', nonRetryableErrorTypes: ['invalid_input'] },
});

/**
 * `bosun forget <runId>`: a worker of the queue (the one with the run store) erases a closed
 * run's stored content and logs the erasure. A workflow only because Temporal reaches a
 * queue's workers through one; its own history holds the run id and the counts, no content.
 */
export async function forgetRun(input: ForgetRunInput): Promise<Erasure> {
  return eraseRunContent(input);
}

/** `bosun erasures`: the store's erasure log, read by a worker of the queue. */
export async function erasureLog(input: ReadErasuresInput): Promise<Erasure[]> {
  return readErasures(input);
}

/**
 * One retention sweep of the queue's run store. Started by the workers' timers under one
 * fixed workflow id per queue, so at most one sweeps at a time however many workers run.
 */
export async function retentionSweep(input: SweepRetentionInput = {}): Promise<RetentionSweepResult> {
  return sweepRetention(input);
}
