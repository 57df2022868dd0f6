/** The I/O zone. `createActivities` is the factory the worker registers; workflows import
 * only the `BosunActivities` type. */
import type { RegisteredTool } from '../tools/handlers/types.ts';
import { createCallModel, type ModelAdapters } from './call-model.ts';
import type { CircuitBreaker } from './model/breaker.ts';
import { createExecuteTool } from './execute-tool.ts';

export type { ModelAdapters } from './call-model.ts';

export interface ActivityDeps {
  models: ModelAdapters;
  tools: RegisteredTool[];
  /** Shared by every run this worker serves: a model that keeps failing is skipped fast. */
  breaker?: CircuitBreaker;
}

export function createActivities(deps: ActivityDeps) {
  return {
    callModel: createCallModel(deps.models, deps.breaker ? { breaker: deps.breaker } : {}),
    executeTool: createExecuteTool(deps.tools),
  };
}

export type BosunActivities = ReturnType<typeof createActivities>;
