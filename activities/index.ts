/** The I/O zone. `createActivities` is the factory the worker registers; workflows import
 * only the `BosunActivities` type. */
import type { RegisteredTool } from '../tools/handlers/types.ts';
import { createCallModel, type ModelAdapters } from './call-model.ts';
import { createExecuteTool } from './execute-tool.ts';

export type { ModelAdapters } from './call-model.ts';

export interface ActivityDeps {
  models: ModelAdapters;
  tools: RegisteredTool[];
}

export function createActivities(deps: ActivityDeps) {
  return {
    callModel: createCallModel(deps.models),
    executeTool: createExecuteTool(deps.tools),
  };
}

export type BosunActivities = ReturnType<typeof createActivities>;
