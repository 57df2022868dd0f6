/**
 * Writes the trace: one record per attempt of every model call and tool call, from inside
 * the activity (Temporal's history keeps only an activity's last attempt, so only the attempt
 * itself can say it happened). Each record is one INSERT in the worker's run store; a write
 * that fails is logged and never fails the call. Content the store already holds is
 * recorded by reference (conversation positions, the stored tool set, a result's `ref`).
 */
import { Context, log } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { CallModelInput, ExecuteToolInput, ExecuteToolResult } from '../../core/activity-contracts.ts';
import { isFailureType, nonRetryableFailureTypes } from '../../core/failures.ts';
import type { CallMcpToolInput } from '../../core/mcp.ts';
import type { ModelResponse } from '../../core/model.ts';
import { costOf, defaultPrices } from '../../core/pricing.ts';
import { principalSchema } from '../../core/principal.ts';
import type { ModelAttempt, ToolAttempt, TraceOutcome, TraceRecord } from '../../core/trace.ts';
import { usageSchema, type Usage } from '../../core/usage.ts';
import { canonicalJson, sha256Hex, toolFingerprint } from '../../tools/fingerprint.ts';
import type { RegisteredTool } from '../../tools/handlers/types.ts';
import type { RunStore } from '../store/run-store.ts';

type Info = Context['info'];

/** The running activity's info; undefined when called outside an activity (direct use). */
function currentInfo(): Info | undefined {
  try {
    return Context.current().info;
  } catch {
    return undefined;
  }
}

/** First 16 hex digits of the SHA-256 of a JSON Schema (canonical JSON), as MCP pins use. */
export const schemaHashOf = (schema: unknown): string => sha256Hex(canonicalJson(schema)).slice(0, 16);

/** Stores a record; a failure is logged, never thrown (the trace must not fail a call). */
export async function writeTrace(store: RunStore, record: TraceRecord): Promise<void> {
  try {
    await store.putTrace(record);
  } catch (err) {
    log.warn('trace record not written', {
      runId: record.runId,
      step: record.step,
      kind: record.kind,
      attempt: record.attempt,
      error: (err as Error)?.message,
    });
  }
}

/** How an attempt ended, from what it threw. */
export function outcomeOf(err: unknown): Extract<TraceOutcome, { status: 'failed' }> {
  if (err instanceof CancelledFailure)
    return { status: 'failed', type: 'cancelled', message: err.message, retryable: false };
  if (err instanceof ApplicationFailure) {
    const type = err.type ?? 'internal';
    const nonRetryable = err.nonRetryable === true || (isFailureType(type) && nonRetryableFailureTypes.includes(type));
    return { status: 'failed', type, message: err.message, retryable: !nonRetryable };
  }
  return { status: 'failed', type: 'internal', message: (err as Error)?.message ?? String(err), retryable: true };
}

const timing = (startedMs: number) => {
  const ended = Date.now();
  return {
    startedAt: new Date(startedMs).toISOString(),
    endedAt: new Date(ended).toISOString(),
    latencyMs: ended - startedMs,
  };
};

/**
 * `callModel` with a trace record per attempt: what was sent (by reference), the answer or
 * the failure, usage, cost (default price table) and latency.
 */
export function traceModelCalls(
  store: RunStore | undefined,
  callModel: (input: CallModelInput) => Promise<ModelResponse>,
): (input: CallModelInput) => Promise<ModelResponse> {
  if (!store) return callModel;
  return async function callModelTraced(input) {
    const startedMs = Date.now();
    const info = currentInfo();
    try {
      const response = await callModel(input);
      await writeTrace(store, await modelRecord(store, input, info, startedMs, { response }));
      return response;
    } catch (err) {
      await writeTrace(store, await modelRecord(store, input, info, startedMs, { err }));
      throw err;
    }
  };
}

async function modelRecord(
  store: RunStore,
  input: CallModelInput,
  info: Info | undefined,
  startedMs: number,
  end: { response: ModelResponse } | { err: unknown },
): Promise<ModelAttempt> {
  const { request, conversation } = input;
  const response = 'response' in end ? end.response : undefined;
  const usage = 'response' in end ? end.response.usage : billedByThisAttempt(end.err, info);
  const price = defaultPrices[request.model.name];
  const history = response?.context?.sections.find((s) => s.section === 'history');
  const summaryUpTo =
    conversation && history?.summarized
      ? (await store.getSummary(conversation.id).catch(() => undefined))?.upTo
      : undefined;
  return {
    kind: 'model',
    call: callKey(info),
    runId: input.runId,
    step: input.step,
    attempt: info?.attempt ?? 1,
    ...timing(startedMs),
    outcome: 'err' in end ? outcomeOf(end.err) : { status: 'ok' },
    model: request.model,
    ...(input.route ? { route: input.route } : {}),
    ...(input.prompt ? { prompt: input.prompt } : {}),
    messages: conversation
      ? {
          conversationId: conversation.id,
          length: conversation.storedLength + conversation.append.length,
          appended: conversation.append.length,
          ...(summaryUpTo !== undefined ? { summaryUpTo } : {}),
        }
      : { length: request.messages.length, appended: 0, inline: request.messages.length },
    tools: {
      ...(input.toolsRef ? { ref: input.toolsRef } : {}),
      ...(!input.toolsRef
        ? { offered: request.tools.map((t) => ({ name: t.name, schemaHash: schemaHashOf(t.inputSchema) })) }
        : {}),
    },
    parameters: {
      maxOutputTokens: request.maxOutputTokens,
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(request.output
        ? { output: { name: request.output.name, schemaHash: schemaHashOf(request.output.schema) } }
        : {}),
      ...(request.cachePrefix !== undefined ? { cachePrefix: request.cachePrefix } : {}),
      timeoutMs: input.timeoutMs,
      ...(input.summarizer ? { summarizer: input.summarizer } : {}),
    },
    ...(response
      ? {
          answer: {
            text: response.message.text,
            toolCalls: response.message.toolCalls,
            stop: response.stop,
            modelVersion: response.modelVersion,
            ...(response.requestId ? { requestId: response.requestId } : {}),
            providerLatencyMs: response.latencyMs,
            ...(response.answerRef
              ? { ref: { conversationId: response.answerRef.conversationId, position: response.answerRef.position } }
              : {}),
          },
          ...(response.context ? { context: response.context } : {}),
          ...(response.summaries?.length ? { summaries: response.summaries } : {}),
        }
      : {}),
    ...(usage
      ? { usage, costUsd: price ? costOf(usage, price) : null, ...(price ? { priceAsOf: price.asOf } : {}) }
      : {}),
  };
}

/** `<workflow run id>/<activity id>`: the same for every attempt of a call (as the write
 * fence), different for every other call. */
function callKey(info: Info | undefined): string {
  return info ? `${info.workflowExecution?.runId ?? 'direct'}/${info.activityId}` : `direct/${Date.now()}`;
}

/** What the provider billed this failed attempt: the failure carries the sum over the
 * call's attempts (`details[0].billedUsage`), the heartbeat the sum before it. */
function billedByThisAttempt(err: unknown, info: Info | undefined): Usage | undefined {
  const details = err instanceof ApplicationFailure ? err.details?.[0] : undefined;
  const total = usageSchema.safeParse((details as { billedUsage?: unknown } | undefined)?.billedUsage);
  if (!total.success) return undefined;
  const before = usageSchema.safeParse((info?.heartbeatDetails as { billed?: unknown } | undefined)?.billed);
  if (!before.success) return total.data;
  const mine: Usage = {
    input: Math.max(0, total.data.input - before.data.input),
    output: Math.max(0, total.data.output - before.data.output),
    cachedInput: Math.max(0, total.data.cachedInput - before.data.cachedInput),
    cacheWrite: Math.max(0, (total.data.cacheWrite ?? 0) - (before.data.cacheWrite ?? 0)),
  };
  return mine.input + mine.output > 0 ? mine : undefined;
}

/** A tool call's identity in its record: native (its contract's version) or MCP (server and
 * pinned schema hash). */
type ToolIdentity = ToolAttempt['tool'];

/** The input fields both tool activities share. */
type ToolCallInput = Pick<
  ExecuteToolInput,
  'runId' | 'step' | 'callId' | 'input' | 'principal' | 'approvedBy' | 'prior'
>;

/** `executeTool` / `callMcpTool` with a trace record per attempt: the arguments as executed,
 * the authorization it carried, the result (by `ref` when stored) or the failure. `early`:
 * calls run inside `callModel` (`createEarlyTools`), each recorded as attempt 0 marked `early`,
 * not as an attempt of the model call's activity. */
export function traceToolCalls<I, A extends unknown[] = []>(
  store: RunStore | undefined,
  identify: (input: I) => { call: ToolCallInput; tool: ToolIdentity } | undefined,
  execute: (input: I, ...rest: A) => Promise<ExecuteToolResult>,
  opts: { early?: boolean } = {},
): (input: I, ...rest: A) => Promise<ExecuteToolResult> {
  if (!store) return execute;
  return async function executeTraced(input, ...rest) {
    const startedMs = Date.now();
    const info = opts.early ? undefined : currentInfo();
    const who = identify(input);
    const record = (outcome: TraceOutcome, result?: ExecuteToolResult) => {
      const r = toolRecord(who!, info, startedMs, outcome, result);
      return writeTrace(store, opts.early ? { ...r, attempt: 0, early: true } : r);
    };
    try {
      const result = await execute(input, ...rest);
      if (who) await record({ status: 'ok' }, result);
      return result;
    } catch (err) {
      if (who) await record(outcomeOf(err));
      throw err;
    }
  };
}

function toolRecord(
  { call, tool }: { call: ToolCallInput; tool: ToolIdentity },
  info: Info | undefined,
  startedMs: number,
  outcome: TraceOutcome,
  result?: ExecuteToolResult,
): ToolAttempt {
  const principal = principalSchema.safeParse(call.principal ?? {});
  const p = principal.success ? principal.data : { tenant: '?', user: '?', scopes: [], roles: [] };
  return {
    kind: 'tool',
    call: call.callId,
    runId: call.runId,
    step: call.step,
    attempt: info?.attempt ?? 1,
    ...timing(startedMs),
    outcome,
    tool,
    arguments: call.input,
    authorization: {
      principal: { tenant: p.tenant, user: p.user, scopes: p.scopes, roles: p.roles },
      ...(call.approvedBy ? { approvedBy: call.approvedBy } : {}),
      ...(call.prior ? { prior: call.prior } : {}),
    },
    ...(result
      ? {
          result: {
            content: result.content,
            truncated: result.truncated,
            ...(result.ref ? { ref: result.ref } : {}),
            ...(result.chars !== undefined ? { chars: result.chars } : {}),
          },
        }
      : {}),
  };
}

/** The identity of a native tool call (`executeTool`): its name and contract version. */
export const nativeToolCall =
  (registry: ReadonlyMap<string, RegisteredTool>) =>
  (input: ExecuteToolInput): { call: ToolCallInput; tool: ToolIdentity } => {
    const t = registry.get(input.name);
    return { call: input, tool: { name: input.name, ...(t ? { version: toolFingerprint(t.contract) } : {}) } };
  };

/** The identity of an MCP tool call (`callMcpTool`); none for a malformed input (refused
 * before anything runs, nothing to trace). */
export function mcpToolCall(input: CallMcpToolInput): { call: ToolCallInput; tool: ToolIdentity } | undefined {
  const t = (input as Partial<CallMcpToolInput> | undefined)?.tool;
  if (typeof input?.runId !== 'string' || typeof input.callId !== 'string' || typeof t?.name !== 'string')
    return undefined;
  return {
    call: input,
    tool: {
      name: t.name,
      ...(typeof t.server === 'string' ? { server: t.server } : {}),
      ...(typeof t.schemaHash === 'string' ? { schemaHash: t.schemaHash } : {}),
    },
  };
}
