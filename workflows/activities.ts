import {
  ActivityCancellationType,
  proxyActivities,
  proxyLocalActivities,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { BosunActivities } from '../activities/index.ts';
import type { ExecuteToolInput } from '../core/activity-contracts.ts';
import type { CallModelWireInput } from '../core/call-model-wire.ts';
import { nonRetryableFailureTypes } from '../core/failures.ts';
import type { CallMcpToolInput, ListMcpToolsInput } from '../core/mcp.ts';
import type { CallTimeouts } from '../core/run.ts';
import type { ToolContract } from '../tools/index.ts';

/**
 * Every activity the workflows schedule, with its timeouts and retry policy, in one place.
 * Temporal is the only retry loop: provider SDKs run with `maxRetries: 0`, so each attempt
 * here is one request, visible in history. Failure types that retrying cannot help
 * (`nonRetryableFailureTypes`) end the activity at once.
 */
const noRetryFor = { nonRetryableErrorTypes: nonRetryableFailureTypes };

/**
 * Short bookkeeping reads: pin a prompt version, look up the knowledge base. They run as
 * local activities — in the worker that runs the workflow task, recorded as one marker, with
 * no task-queue round trip — because they are fast, read (or write content-addressed data
 * idempotently) and are safe to run again if the worker dies before the task completes.
 */
const bookkeeping = proxyLocalActivities<BosunActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 5, ...noRetryFor },
});
export const resolvePrompt = bookkeeping.resolvePrompt;
export const retrieve = bookkeeping.retrieve;

const { callModel, executeTool } = proxyActivities<BosunActivities>({ startToCloseTimeout: '10m' });
const { executeTool: executeToolLocally } = proxyLocalActivities<BosunActivities>({ startToCloseTimeout: '10m' });

/**
 * One model of a route: `attempts` requests at most, backing off from 1 s to 60 s unless the
 * provider's `retry-after` says otherwise (`nextRetryDelay`). The SDK enforces the per-call
 * timeout; the activity gets a margin for setup and mapping. It heartbeats while it waits,
 * so a dead worker's call moves elsewhere within `heartbeatMs`.
 */
export function callModelActivity(timeouts: CallTimeouts, attempts: number, summary: string) {
  const options: ActivityOptions = {
    startToCloseTimeout: timeouts.modelCallMs + 10_000,
    heartbeatTimeout: timeouts.heartbeatMs,
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '60s',
      maximumAttempts: attempts,
      ...noRetryFor,
    },
    summary,
  };
  return (input: CallModelWireInput) => callModel.executeWithOptions(options, [input]);
}

/**
 * One tool call with the tool's own timeout and attempts; it heartbeats so a cancellation
 * reaches the handler, and a cancellation waits for the handler to stop. Tools marked
 * `local` (reads, by default) run as local activities.
 */
export function executeToolActivity(timeouts: CallTimeouts, contract: ToolContract, summary: string) {
  const options = toolActivityOptions(timeouts, contract, summary);
  if (contract.local) {
    // A local activity (`ToolDefinition.local`): no heartbeats; a cancellation is delivered
    // to the handler's signal all the same.
    const local: LocalActivityOptions = {
      startToCloseTimeout: options.startToCloseTimeout!,
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      retry: options.retry!,
      summary,
    };
    return (input: ExecuteToolInput) => executeToolLocally.executeWithOptions(local, [input]);
  }
  return (input: ExecuteToolInput) => executeTool.executeWithOptions(options, [input]);
}

/** A tool call's activity options, native or MCP: the tool's timeout (else the run's),
 * heartbeats, a cancellation that waits for the call to stop, and its attempts. */
function toolActivityOptions(timeouts: CallTimeouts, contract: ToolContract, summary: string): ActivityOptions {
  const timeout = contract.timeoutMs ?? timeouts.toolCallMs;
  return {
    startToCloseTimeout: timeout,
    heartbeatTimeout: Math.min(timeout, timeouts.heartbeatMs),
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      maximumAttempts: contract.maxAttempts,
      ...noRetryFor,
    },
    summary,
  };
}

const { listMcpTools, callMcpTool, describeMcpServers } = proxyActivities<BosunActivities>({
  startToCloseTimeout: '1m',
});

/**
 * Lists the selected MCP servers' tools at a run's start (connect, handshake, `tools/list`).
 * A server that is down fails fast (connection refused) and is tried three times within
 * seconds; the run then ends `tool_unavailable` rather than waiting for it.
 */
export function listMcpToolsActivity() {
  const options: ActivityOptions = {
    startToCloseTimeout: '45s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 3, ...noRetryFor },
    summary: 'list MCP tools',
  };
  return (input: ListMcpToolsInput) => listMcpTools.executeWithOptions(options, [input]);
}

/** One MCP tool call, with the same timeouts, heartbeats and retries by effect class as a
 * native tool (`executeToolActivity`): the pinned policy is its contract. */
export function callMcpToolActivity(timeouts: CallTimeouts, contract: ToolContract, summary: string) {
  const options = toolActivityOptions(timeouts, contract, summary);
  return (input: CallMcpToolInput) => callMcpTool.executeWithOptions(options, [input]);
}

/** `bosun mcp list`'s one activity: quick, no retries beyond a second attempt. */
export function describeMcpServersActivity() {
  const options: ActivityOptions = {
    startToCloseTimeout: '40s',
    retry: { maximumAttempts: 2, ...noRetryFor },
    summary: 'describe MCP servers',
  };
  return () => describeMcpServers.executeWithOptions(options, []);
}
