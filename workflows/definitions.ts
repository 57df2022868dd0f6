import { defineQuery } from '@temporalio/workflow';
import type { RunStatus } from '../core/run.ts';

/**
 * Names recorded in Temporal history are public API: the client and operators depend on
 * them, old histories replay against them. Change them only with `patched()` and a replay
 * test for the old shape.
 */
export const workflowNames = { agentRun: 'agentRun', completeTask: 'completeTask' } as const;
export const activityNames = { callModel: 'callModel', executeTool: 'executeTool' } as const;

/** Live progress of a run: step, tokens so far, last event, pending work. */
export const statusQuery = defineQuery<RunStatus>('status');
