import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ExecuteToolInput, ExecuteToolResult } from '../core/activity-contracts.ts';
import { capResult, checkToolInput } from '../tools/define-tool.ts';
import { ToolError, type RegisteredTool } from '../tools/handlers/types.ts';

/**
 * Runs one tool call. The workflow validated the input already; it is validated again here
 * (complete mediation: an activity can be invoked by anything that can reach the queue).
 */
export function createExecuteTool(tools: RegisteredTool[]) {
  const registry = new Map(tools.map((t) => [t.contract.name, t]));
  return async function executeTool(input: ExecuteToolInput): Promise<ExecuteToolResult> {
    const tool = registry.get(input.name);
    if (!tool) {
      throw ApplicationFailure.create({ type: 'unknown_tool', nonRetryable: true, message: `no handler for tool "${input.name}" on this worker` });
    }
    const check = checkToolInput(tool.contract, input.input);
    if (!check.ok) throw ApplicationFailure.create({ type: 'tool_input_invalid', nonRetryable: true, message: check.message });

    const ctx = Context.current();
    let value: unknown;
    try {
      value = await tool.handler(check.value, {
        runId: input.runId,
        callId: input.callId,
        idempotencyKey: `${input.runId}:${input.callId}`,
        signal: ctx.cancellationSignal,
      });
    } catch (err) {
      if (err instanceof ToolError) {
        throw ApplicationFailure.create({
          type: err.retryable ? 'tool_unavailable' : 'tool_failed',
          nonRetryable: !err.retryable,
          message: err.message,
        });
      }
      // Unexpected errors may carry anything in their message; keep it out of history.
      log.error('tool handler crashed', { runId: input.runId, tool: input.name, error: (err as Error)?.name });
      throw ApplicationFailure.create({ type: 'tool_unavailable', message: `tool "${input.name}" failed unexpectedly` });
    }
    const text = typeof value === 'string' ? value : JSON.stringify(value, null, 1);
    const result = capResult(text, tool.contract.maxResultChars);
    log.info('tool call', { runId: input.runId, step: input.step, tool: input.name, chars: text.length, truncated: result.truncated });
    return result;
  };
}
