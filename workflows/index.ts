/** Workflow code bundled into Temporal's sandbox. Every export here is a workflow type. */
import './adopt-shared-modules.ts';
import { rememberSharedModules } from './shared-modules.ts';

export { agentRun } from './agent-run.ts';
export { completeTask } from './complete-task.ts';
export { mcpInventory } from './mcp-inventory.ts';
export { erasureLog, forgetRun, retentionSweep } from './retention.ts';
export { traceReader } from './trace-reader.ts';

// Every module above has evaluated: the first run's shareable ones serve the runs after it.
rememberSharedModules();
