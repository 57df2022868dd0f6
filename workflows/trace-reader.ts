import { proxyActivities } from '@temporalio/workflow';
import type { BosunActivities } from '../activities/index.ts';
import type { ReadTraceInput, TracePage } from '../core/trace.ts';

const { readTrace } = proxyActivities<BosunActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['invalid_input'] },
});

/**
 * `run.trace()` / `bosun trace`: one page of a run's trace, read by a worker of the run's
 * task queue (the one that has the run store). A workflow because Temporal reaches a queue's
 * workers only through one — and so the page crosses Temporal as a payload, encrypted by the
 * workers' codec when it is on: a client without the keys cannot read it.
 */
export async function traceReader(input: ReadTraceInput): Promise<TracePage> {
  return readTrace(input);
}
