/**
 * Whether a run may have its stored content erased: only a closed run may (an open one
 * still reads and writes its conversation). Asked of Temporal, with the worker's own client
 * (`Context.current().client`), so it holds wherever the erasure runs.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';

/** What Temporal says about a run: open, closed (and when), or gone — closed so long ago
 * that the namespace's retention removed it (or it never existed on this namespace). */
export type RunLiveness = { state: 'open' } | { state: 'closed'; closedAt: Date } | { state: 'gone' };

/** The worker's Temporal client, inside an activity. */
export const workerClient = (): Client => Context.current().client;

export async function runLiveness(client: Client, runId: string): Promise<RunLiveness> {
  try {
    const d = await client.workflow.getHandle(runId).describe();
    if (d.status.name === 'RUNNING') return { state: 'open' };
    return { state: 'closed', closedAt: d.closeTime ?? new Date(0) };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { state: 'gone' };
    throw err;
  }
}

/**
 * The namespace's retention period in days (how long Temporal keeps a closed run's
 * history), read with `describeNamespace`; undefined when the server reports none.
 */
export async function namespaceRetentionDays(client: Client, namespace: string): Promise<number | undefined> {
  const { config } = await client.workflowService.describeNamespace({ namespace });
  const ttl = config?.workflowExecutionRetentionTtl;
  if (!ttl) return undefined;
  const seconds = Number(ttl.seconds ?? 0) + (ttl.nanos ?? 0) / 1e9;
  return seconds > 0 ? seconds / 86_400 : undefined;
}
