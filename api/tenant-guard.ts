import { WorkflowNotFoundError, type WorkflowExecutionDescription } from '@temporalio/client';
import type { BosunClient } from '../client/client.ts';
import { searchAttributes, workflowNames } from '../workflows/definitions.ts';
import type { Identity } from './auth/identity.ts';
import { notFound } from './errors.ts';

/**
 * The run, if it acts for the caller's tenant; a 404 otherwise — another tenant's run is
 * answered exactly like a run that does not exist, so ids of other tenants' runs cannot be
 * probed. The tenant is the run's `BosunTenant` search attribute, set by the client at start
 * from the principal and never changed by the run; one `describe` call, no worker needed.
 * Runs without it (started before it existed, or single tasks) belong to no tenant here.
 */
export async function runOfTenant(
  bosun: BosunClient,
  runId: string,
  identity: Identity,
): Promise<WorkflowExecutionDescription> {
  let description: WorkflowExecutionDescription;
  try {
    description = await bosun.temporal.workflow.getHandle(runId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw notFound(runId);
    throw err;
  }
  const tenant = description.typedSearchAttributes.get(searchAttributes.tenant);
  if (description.type !== workflowNames.agentRun || tenant !== identity.tenant) throw notFound(runId);
  return description;
}
