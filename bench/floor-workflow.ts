/**
 * The Temporal floor for the agent-loop benchmark: the same shape as `agentRun` (one "model"
 * activity then one "tool" activity per step, then a final "model" activity) with no-op
 * activities and tiny payloads (the tool activity returns an output of the measured size, the
 * least a workflow that sees the result carries). Whatever Bosun costs per step above this is
 * Bosun's own.
 *
 * Activity options mirror `activitiesFor` in workflows/agent-run.ts (same timeouts, heartbeat
 * timeout and retry policy shape); the bench passes the values in so they track Bosun's
 * defaults. Workflow code: only `@temporalio/workflow`.
 */
import { proxyActivities } from '@temporalio/workflow';

export interface FloorActivities {
  floorModel(input: { step: number }): Promise<{ step: number }>;
  /** Returns the tool's output (`bytes` long): a workflow that sees a tool's result carries
   * it in its history once, at least. */
  floorTool(input: { step: number; bytes: number }): Promise<string>;
}

export interface FloorInput {
  steps: number;
  modelCallMs: number;
  heartbeatMs: number;
  toolCallMs: number;
  nonRetryableErrorTypes: string[];
  /** The size of the tool output each step, as in the case measured. */
  toolOutputBytes: number;
}

export async function floorAgentLoop(input: FloorInput): Promise<number> {
  const retry = {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '60s',
    maximumAttempts: 6,
    nonRetryableErrorTypes: input.nonRetryableErrorTypes,
  };
  const { floorModel } = proxyActivities<FloorActivities>({
    startToCloseTimeout: input.modelCallMs + 10_000,
    heartbeatTimeout: input.heartbeatMs,
    retry,
  });
  const { floorTool } = proxyActivities<FloorActivities>({
    startToCloseTimeout: input.toolCallMs,
    retry: { ...retry, maximumAttempts: 3 },
  });
  let step = 0;
  while (step < input.steps) {
    step++;
    await floorModel({ step });
    await floorTool({ step, bytes: input.toolOutputBytes });
  }
  // The final answer: one more model call, as in a Bosun run.
  await floorModel({ step: step + 1 });
  return step;
}
