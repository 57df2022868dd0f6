import { Context, log } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import {
  TOOL_RESULT_INLINE_CHARS,
  type CallModelInput,
  type ExecuteToolInput,
  type ExecuteToolResult,
} from '../core/activity-contracts.ts';
import type { ToolCall } from '../core/messages.ts';
import type { EarlyResult } from '../core/model.ts';
import { anonymousPrincipal, principalSchema } from '../core/principal.ts';
import { authorizeToolCall } from '../tools/authorize.ts';
import { capResult, checkToolInput, runsEarly } from '../tools/define-tool.ts';
import { ToolError, type RegisteredTool } from '../tools/handlers/types.ts';
import { startHeartbeat } from './heartbeat.ts';
import type { RunStore } from './store/run-store.ts';
import { byReference } from './tool-result-ref.ts';
import { annotateToolSpan, inToolSpan, recordToolCall, toolOutcomeOf } from './metrics.ts';
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
  const { registry, execute } = toolExecution(tools, store);
  // One trace record per attempt (activities/trace/record.ts).
  const traced = traceToolCalls(store, nativeToolCall(registry), execute);
  return async function executeTool(input: ExecuteToolInput): Promise<ExecuteToolResult> {
    const ctx = Context.current();
    const attempt: Attempt = {
      signal: ctx.cancellationSignal,
      stopped: ctx.cancelled,
      // A local activity cannot heartbeat; its cancellation reaches `ctx.cancellationSignal` anyway.
      ...(ctx.info.isLocal
        ? {}
        : { heartbeat: () => startHeartbeat(ctx, () => ({ step: input.step, callId: input.callId })) }),
    };
    return metered(registry, input, () => traced(input, attempt));
  };
}

/**
 * Runs the calls of a model's answer that may run early (`runsEarly`), inside the `callModel`
 * activity and in parallel, with the same checks, handler context, result by reference,
 * trace record (marked `early`) and metrics as `executeTool`. Only calls of the tools the
 * workflow named (`CallModelInput.early`), at most `EARLY_MAX_CALLS` of them, each within its
 * timeout and the time `callModel` has left (`timeLeftMs`).
 *
 * A result is returned for a call that succeeded, and a `failed` one for a handler failure
 * retrying cannot help (`tool_failed`). Every other failure (a timeout, a retryable error, a
 * denial the workflow would not have made) returns nothing for the call: the workflow runs
 * it as before, with its attempts. Never throws.
 */
export function createEarlyTools(tools: RegisteredTool[], store?: RunStore) {
  const { registry, execute } = toolExecution(tools, store);
  const traced = traceToolCalls(store, nativeToolCall(registry), execute, { early: true });
  return async function runEarly(
    input: Pick<CallModelInput, 'runId' | 'step' | 'early'>,
    calls: readonly ToolCall[],
    signal: AbortSignal,
    timeLeftMs: number,
  ): Promise<EarlyResult[]> {
    const early = input.early;
    if (!early) return [];
    const named = new Set(early.tools);
    const chosen = calls
      .filter((c) => named.has(c.name) && registry.has(c.name) && runsEarly(registry.get(c.name)!.contract))
      .slice(0, EARLY_MAX_CALLS);
    const settled = await Promise.all(
      chosen.map(async (call): Promise<EarlyResult | undefined> => {
        const contract = registry.get(call.name)!.contract;
        const ms = Math.min(contract.timeoutMs ?? early.timeoutMs, timeLeftMs);
        if (ms <= 0) return undefined;
        const tool: ExecuteToolInput = {
          runId: input.runId,
          step: input.step,
          callId: call.id,
          name: call.name,
          input: call.input,
          principal: early.principal ?? anonymousPrincipal,
          inlineMaxChars: TOOL_RESULT_INLINE_CHARS,
        };
        // The model call's cancellation or the call's own timeout, whichever comes first. Not
        // `AbortSignal.any`: on Node 24 a signal it makes that is listened to is never
        // collected (1.4 KB a call, measured), and a worker makes one per early call.
        const stop = new AbortController();
        const bounded = stop.signal;
        const onCancel = () => stop.abort(signal.reason);
        if (signal.aborted) onCancel();
        else signal.addEventListener('abort', onCancel, { once: true });
        const timer = setTimeout(
          () =>
            stop.abort(
              ApplicationFailure.create({
                type: 'timeout',
                message: `tool "${call.name}" did not finish within ${ms} ms inside the model call`,
              }),
            ),
          ms,
        );
        const stopped = new Promise<never>((_, reject) =>
          bounded.addEventListener('abort', () => reject(bounded.reason), { once: true }),
        );
        stopped.catch(() => {});
        try {
          const r = await metered(registry, tool, () => traced(tool, { signal: bounded, stopped }), true);
          return { callId: call.id, content: r.content, ...(r.ref ? { ref: r.ref, chars: r.chars } : {}) };
        } catch (err) {
          if (err instanceof ApplicationFailure && err.type === 'tool_failed' && !bounded.aborted)
            return { callId: call.id, failed: err.message };
          log.info('early tool call not used; the workflow runs it', {
            runId: input.runId,
            step: input.step,
            tool: call.name,
            reason: bounded.aborted ? (signal.aborted ? 'cancelled' : 'timed out') : errorType(err),
          });
          return undefined;
        } finally {
          clearTimeout(timer);
          signal.removeEventListener('abort', onCancel);
        }
      }),
    );
    return settled.filter((r): r is EarlyResult => r !== undefined);
  };
}

export type EarlyToolRunner = ReturnType<typeof createEarlyTools>;

/** At most this many calls of one answer run early; the rest run as before. Bounds what one
 * model call's result carries. */
export const EARLY_MAX_CALLS = 16;

const errorType = (err: unknown) => (err instanceof ApplicationFailure ? (err.type ?? 'unknown') : 'unexpected');

/** How one execution runs: in the activity of its own (whose signal it takes, heartbeating
 * unless local), or early inside `callModel` (a signal bounded by its timeout). */
interface Attempt {
  signal: AbortSignal;
  /** Rejects once `signal` aborts: a handler that ignores the signal must not hold the stop back. */
  stopped: Promise<never>;
  /** Starts heartbeating; returns the stop. */
  heartbeat?: () => () => void;
}

/** A call counted in the tool metrics and annotated on its span, by outcome. An early call
 * gets a span of its own under the model call's. */
async function metered(
  registry: ReadonlyMap<string, RegisteredTool>,
  input: ExecuteToolInput,
  run: () => Promise<ExecuteToolResult>,
  ownSpan = false,
): Promise<ExecuteToolResult> {
  // An unknown name came from outside the registry: keep it out of metric labels.
  const tool = registry.has(input.name) ? input.name : '(unknown)';
  const span = { tool, runId: input.runId, step: input.step, callId: input.callId };
  const body = async () => {
    try {
      const result = await run();
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
  return ownSpan ? inToolSpan(`EarlyTool:${tool}`, body) : body();
}

/** The checks and the handler call both ways of running a tool share. */
function toolExecution(tools: RegisteredTool[], store: RunStore | undefined) {
  const registry = new Map(tools.map((t) => [t.contract.name, t]));
  async function execute(input: ExecuteToolInput, attempt: Attempt): Promise<ExecuteToolResult> {
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

    const stopHeartbeat = attempt.heartbeat?.() ?? (() => {});
    let value: unknown;
    try {
      const running = tool.handler(check.value, {
        runId: input.runId,
        callId: input.callId,
        idempotencyKey: `${input.runId}:${input.callId}`,
        principal: principal.data,
        signal: attempt.signal,
      });
      // A handler that ignores the signal must not hold the cancellation back.
      value = await Promise.race([running, attempt.stopped]);
    } catch (err) {
      if (attempt.signal.aborted) {
        // Temporal's cancellation, or an early run's timeout (`createEarlyTools`).
        const reason: unknown = attempt.signal.reason;
        throw reason instanceof CancelledFailure || reason instanceof ApplicationFailure ? reason : err;
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
  return { registry, execute };
}

function denied(input: ExecuteToolInput, reason: string): ApplicationFailure {
  log.warn('tool call denied', { runId: input.runId, step: input.step, tool: input.name, reason });
  return ApplicationFailure.create({
    type: 'permission_denied',
    nonRetryable: true,
    message: `tool "${input.name}" denied: ${reason}`,
  });
}
