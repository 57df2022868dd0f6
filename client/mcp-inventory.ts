import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { McpInventory } from '../core/mcp.ts';
import { workflowNames } from '../workflows/definitions.ts';

/** No worker of the task queue answered in time: none runs, or none is up to date. */
export class NoWorkerAnsweredError extends Error {
  constructor(taskQueue: string, timeoutMs: number) {
    super(
      `no worker on task queue "${taskQueue}" answered within ${Math.round(timeoutMs / 1000)} s: start one (npm run worker), or name its queue with --task-queue`,
    );
    this.name = 'NoWorkerAnsweredError';
  }
}

/**
 * What a worker of `taskQueue` says about its MCP servers (`bosun mcp list`). Asked through a
 * short `mcpInventory` workflow, since Temporal reaches a queue's workers only that way: the
 * answer is the serving worker's own view — its configuration (no secret values), whether
 * each server is reachable from it, the tools and the policy each gets.
 */
export async function readMcpInventory(client: Client, taskQueue: string, timeoutMs = 30_000): Promise<McpInventory> {
  try {
    return await client.workflow.execute(workflowNames.mcpInventory, {
      taskQueue,
      workflowId: `bosun-mcp-inventory-${randomUUID()}`,
      workflowExecutionTimeout: timeoutMs,
      args: [],
    });
  } catch (err) {
    if (err instanceof WorkflowFailedError && (err.cause as { name?: string } | undefined)?.name === 'TimeoutFailure')
      throw new NoWorkerAnsweredError(taskQueue, timeoutMs);
    throw err;
  }
}
