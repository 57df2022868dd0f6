/**
 * The Temporal floor for the agent-loop benchmark: the same shape as `agentRun` (one "model"
 * activity then one "tool" activity per step, then a final "model" activity) with no-op
 * activities and tiny payloads. Whatever Bosun costs per step above this is Bosun's own.
 *
 * Activity options mirror `activitiesFor` in workflows/agent-run.ts (same timeouts, heartbeat
 * timeout and retry policy shape); the bench passes the values in so they track Bosun's
 * defaults. Workflow code: only `@temporalio/workflow`.
 */
import { proxyActivities } from '@temporalio/workflow';

export interface FloorActivities {
  floorModel(input: { step: number }): Promise<{ step: number }>;
  floorTool(input: { step: number }): Promise<{ step: number }>;
}

export interface FloorInput {
  steps: number;
  modelCallMs: number;
  heartbeatMs: number;
  toolCallMs: number;
  nonRetryableErrorTypes: string[];
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
    await floorTool({ step });
  }
  // The final answer: one more model call, as in a Bosun run.
  await floorModel({ step: step + 1 });
  return step;
}
