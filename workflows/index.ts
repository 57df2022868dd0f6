/** Workflow code bundled into Temporal's sandbox. Every export here is a workflow type. */
export { agentRun } from './agent-run.ts';
export { completeTask } from './complete-task.ts';
export { mcpInventory } from './mcp-inventory.ts';
export { erasureLog, forgetRun, retentionSweep } from './retention.ts';
export { traceReader } from './trace-reader.ts';
