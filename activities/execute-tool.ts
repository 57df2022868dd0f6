import { Context, log } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ExecuteToolInput, ExecuteToolResult } from '../core/activity-contracts.ts';
import { principalSchema } from '../core/principal.ts';
import { authorizeToolCall } from '../tools/authorize.ts';
import { capResult, checkToolInput } from '../tools/define-tool.ts';
import { ToolError, type RegisteredTool } from '../tools/handlers/types.ts';
import { startHeartbeat } from './heartbeat.ts';
import type { RunStore } from './store/run-store.ts';
import { byReference } from './tool-result-ref.ts';
import { annotateToolSpan, recordToolCall, toolOutcomeOf } from './metrics.ts';
import { nativeToolCall, traceToolCalls } from './trace/record.ts';

/**
 * Runs one tool call. The workflow validated and authorized it already; both are done again
 * here (complete mediation: an activity can be invoked by anything that can reach the task
 * queue), so a call that was not allowed never runs:
 * unknown tool → `unknown_tool`; bad arguments → `tool_input_invalid`; missing scope, a
 * violated constraint, or a policy that asks for a human without an `approvedBy` →
 * `permission_denied`. All non-retryable.
 *
 * While the handler runs the activity heartbeats, so a cancelled run (or a timed-out
 * attempt) reaches it through `ctx.signal`; a cancellation propagates as Temporal's
 * `CancelledFailure`, never as a tool failure.
 */
export function createExecuteTool(tools: RegisteredTool[], store?: RunStore) {
  const registry = new Map(tools.map((t) => [t.contract.name, t]));
  // One trace record per attempt (activities/trace/record.ts).
  const traced = traceToolCalls(store, nativeToolCall(registry), execute);
  return async function executeTool(input: ExecuteToolInput): Promise<ExecuteToolResult> {
    // An unknown name came from outside the registry: keep it out of metric labels.
    const tool = registry.has(input.name) ? input.name : '(unknown)';
    const span = { tool, runId: input.runId, step: input.step, callId: input.callId };
    try {
      const result = await traced(input);
      recordToolCall({ tool, outcome: 'ok' });
      annotateToolSpan({ ...span, outcome: 'ok' });
      return result;
    } catch (err) {
      const outcome = err instanceof ApplicationFailure ? toolOutcomeOf(err.type) : 'cancelled';
      recordToolCall({ tool, outcome });
      annotateToolSpan({ ...span, outcome });
      throw err;
    }
  };

  async function execute(input: ExecuteToolInput): Promise<ExecuteToolResult> {
    const tool = registry.get(input.name);
    if (!tool) {
      throw ApplicationFailure.create({
        type: 'unknown_tool',
        nonRetryable: true,
        message: `no handler for tool "${input.name}" on this worker`,
      });
    }
    const check = checkToolInput(tool.contract, input.input);
    if (!check.ok)
      throw ApplicationFailure.create({ type: 'tool_input_invalid', nonRetryable: true, message: check.message });

    // A caller that sends no principal acts for nobody: only scope-free tools pass.
    const principal = principalSchema.safeParse(input.principal ?? {});
    if (!principal.success) throw denied(input, 'the call carries an invalid principal');
    const decision = authorizeToolCall(tool.contract, check.value, principal.data, input.prior);
    if (decision.kind === 'deny') throw denied(input, decision.reason);
    if (decision.kind === 'ask' && !input.approvedBy)
      throw denied(input, `needs approval (${decision.reason}); none recorded`);

    const ctx = Context.current();
    // A local activity cannot heartbeat; its cancellation reaches `ctx.cancellationSignal` anyway.
    const stopHeartbeat = ctx.info.isLocal
      ? () => {}
      : startHeartbeat(ctx, () => ({ step: input.step, callId: input.callId }));
    let value: unknown;
    try {
      const running = tool.handler(check.value, {
        runId: input.runId,
        callId: input.callId,
        idempotencyKey: `${input.runId}:${input.callId}`,
        principal: principal.data,
        signal: ctx.cancellationSignal,
      });
      // A handler that ignores the signal must not hold the cancellation back.
      value = await Promise.race([running, ctx.cancelled]);
    } catch (err) {
      if (ctx.cancellationSignal.aborted) {
        const reason: unknown = ctx.cancellationSignal.reason;
        throw reason instanceof CancelledFailure ? reason : err;
      }
      // A failure already typed (a shared store down, another knowledge index version) keeps its type.
      if (err instanceof ApplicationFailure) throw err;
      if (err instanceof ToolError) {
        throw ApplicationFailure.create({
          type: err.retryable ? 'tool_unavailable' : 'tool_failed',
          nonRetryable: !err.retryable,
          message: err.message,
        });
      }
      // Unexpected errors may carry anything in their message; keep it out of history.
      log.error('tool handler crashed', { runId: input.runId, tool: input.name, error: (err as Error)?.name });
      throw ApplicationFailure.create({
        type: 'tool_unavailable',
        message: `tool "${input.name}" failed unexpectedly`,
      });
    } finally {
      stopHeartbeat();
    }
    const text = typeof value === 'string' ? value : JSON.stringify(value, null, 1);
    const result = capResult(text, tool.contract.maxResultChars);
    log.info('tool call', {
      runId: input.runId,
      step: input.step,
      tool: input.name,
      chars: text.length,
      truncated: result.truncated,
      ...(input.approvedBy ? { approvedBy: input.approvedBy } : {}),
    });
    return store && input.inlineMaxChars !== undefined ? byReference(store, input, result) : result;
  }
}

function denied(input: ExecuteToolInput, reason: string): ApplicationFailure {
  log.warn('tool call denied', { runId: input.runId, step: input.step, tool: input.name, reason });
  return ApplicationFailure.create({
    type: 'permission_denied',
    nonRetryable: true,
    message: `tool "${input.name}" denied: ${reason}`,
  });
}
