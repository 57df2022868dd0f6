import { Context, log } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { McpError, ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import type { ExecuteToolResult } from '../../core/activity-contracts.ts';
import {
  callMcpToolInputSchema,
  type CallMcpToolInput,
  type ListMcpToolsInput,
  type ListMcpToolsResult,
} from '../../core/mcp.ts';
import { formatIssues } from '../../core/zod-issues.ts';
import { authorizeToolCall } from '../../tools/authorize.ts';
import { capResult, checkToolInput } from '../../tools/define-tool.ts';
import type { RunStore } from '../store/run-store.ts';
import { byReference } from '../tool-result-ref.ts';
import { mcpToolContract, mcpToolName, schemaHash } from '../../tools/mcp/contract.ts';
import { mcpToolPolicy } from '../../tools/mcp/config.ts';
import { startHeartbeat } from '../heartbeat.ts';
import { annotateToolSpan, recordToolCall, toolOutcomeOf } from '../metrics.ts';
import { blobRef, type BlobStore } from '../store/blob-store.ts';
import { listAllTools, McpUnavailableError, oneLine, type McpPool } from './pool.ts';
import { mapMcpResult, type McpCallResult } from './result.ts';
import { mcpToolCall, traceToolCalls } from '../trace/record.ts';

/** The `_meta` key that carries a call's idempotency key (`runId:callId`, stable across
 * retries): servers that deduplicate can use it, the others ignore it. */
export const idempotencyMetaKey = 'bosun.dev/idempotency-key';

/**
 * The two MCP activities. `listMcpTools` runs once at a run's start: what it returns is
 * pinned in the run's history, so the run offers the same tools, schemas and policies to the
 * end even if the server or the worker's configuration changes. `callMcpTool` runs one call.
 */
export function createMcpActivities(deps: { pool: McpPool; blobs: BlobStore; store?: RunStore }) {
  const { pool, blobs } = deps;

  async function listMcpTools(input: ListMcpToolsInput): Promise<ListMcpToolsResult> {
    const configured = pool.servers.map((s) => s.name);
    const tools: ListMcpToolsResult['tools'] = [];
    const selected = input.servers.map((selection) => {
      const config = pool.server(selection.server);
      if (!config) {
        throw ApplicationFailure.create({
          type: 'invalid_input',
          nonRetryable: true,
          message: `the agent selects the MCP server "${selection.server}", which this worker does not configure (configured: ${configured.join(', ') || 'none'})`,
        });
      }
      return { selection, config };
    });
    // All servers at once: a run's start waits for the slowest server, not for their sum
    // (several slow ones would otherwise outlast the activity's timeout).
    const listings = await Promise.all(
      selected.map(async ({ config }) => {
        try {
          return await listAllTools(await pool.client(config.name), config.connectTimeoutMs);
        } catch (err) {
          throw unavailable(config.name, err);
        }
      }),
    );
    for (const [i, { selection, config }] of selected.entries()) {
      const listed = listings[i]!;
      const offered = new Map(listed.map((t) => [t.name, t]));
      const wanted = selection.tools ?? [...offered.keys()];
      const missing = wanted.filter((n) => !offered.has(n));
      if (missing.length) {
        throw ApplicationFailure.create({
          type: 'invalid_input',
          nonRetryable: true,
          message: `the MCP server "${config.name}" does not offer ${missing.map((n) => `"${n}"`).join(', ')} (it offers: ${[...offered.keys()].join(', ')})`,
        });
      }
      for (const toolName of wanted) {
        const t = offered.get(toolName)!;
        const name = mcpToolName(config.name, t.name);
        if (!name) {
          if (selection.tools) {
            throw ApplicationFailure.create({
              type: 'invalid_input',
              nonRetryable: true,
              message: `"${config.name}__${t.name}" cannot be a tool name (64 letters, digits, _ or - at most): rename the server`,
            });
          }
          log.warn('MCP tool skipped: its name does not fit', { server: config.name, tool: t.name });
          continue;
        }
        const inputSchema = t.inputSchema as Record<string, unknown>;
        const annotations = t.annotations as Record<string, unknown> | undefined;
        tools.push({
          server: config.name,
          tool: t.name,
          name,
          description: t.description ?? '',
          inputSchema,
          ...(annotations ? { annotations } : {}),
          schemaHash: schemaHash(inputSchema),
          policy: mcpToolPolicy(config, t.name, annotations),
        });
      }
    }
    log.info('MCP tools listed', { runId: input.runId, tools: tools.length });
    return { tools };
  }

  async function callMcpTool(raw: CallMcpToolInput): Promise<ExecuteToolResult> {
    const parsed = callMcpToolInputSchema.safeParse(raw);
    const label = parsed.success ? parsed.data.tool.name : '(unknown)';
    const span = { tool: label, runId: String(raw?.runId), step: Number(raw?.step), callId: String(raw?.callId) };
    try {
      if (!parsed.success) {
        throw ApplicationFailure.create({
          type: 'tool_input_invalid',
          nonRetryable: true,
          message: `invalid MCP call: ${formatIssues(parsed.error)}`,
        });
      }
      const result = await call(parsed.data);
      recordToolCall({ tool: label, outcome: 'ok' });
      annotateToolSpan({ ...span, outcome: 'ok' });
      return result;
    } catch (err) {
      const outcome = err instanceof ApplicationFailure ? toolOutcomeOf(err.type) : 'cancelled';
      recordToolCall({ tool: label, outcome });
      annotateToolSpan({ ...span, outcome });
      throw err;
    }
  }

  async function call(input: CallMcpToolInput): Promise<ExecuteToolResult> {
    const { tool } = input;
    // Complete mediation: the same contract the workflow gated with, checked again.
    const contract = mcpToolContract(tool);
    const check = checkToolInput(contract, input.input);
    if (!check.ok)
      throw ApplicationFailure.create({ type: 'tool_input_invalid', nonRetryable: true, message: check.message });
    const decision = authorizeToolCall(contract, check.value, input.principal, input.prior);
    if (decision.kind === 'deny') throw denied(input, decision.reason);
    if (decision.kind === 'ask' && !input.approvedBy)
      throw denied(input, `needs approval (${decision.reason}); none recorded`);
    const config = pool.server(tool.server);
    if (!config) {
      // Another worker of the task queue may have it: retryable.
      throw ApplicationFailure.create({
        type: 'tool_unavailable',
        message: `the MCP server "${tool.server}" is not configured on this worker`,
      });
    }

    const ctx = Context.current();
    const stopHeartbeat = startHeartbeat(ctx, () => ({ step: input.step, callId: input.callId }));
    let result: McpCallResult;
    try {
      const client = await pool.client(tool.server);
      const key = `${input.runId}:${input.callId}`;
      const request = client.callTool(
        {
          name: tool.tool,
          arguments: check.value as Record<string, unknown>,
          ...(config.idempotencyKey === 'meta' ? { _meta: { [idempotencyMetaKey]: key } } : {}),
        },
        undefined,
        // Temporal's timeouts govern: the SDK's own 60 s default must not cut a longer call.
        { signal: ctx.cancellationSignal, timeout: ctx.info.startToCloseTimeoutMs || 600_000 },
      );
      result = (await Promise.race([request, ctx.cancelled])) as McpCallResult;
    } catch (err) {
      if (ctx.cancellationSignal.aborted) {
        const reason: unknown = ctx.cancellationSignal.reason;
        throw reason instanceof CancelledFailure ? reason : err;
      }
      if (err instanceof McpError && (err.code === ErrorCode.InvalidParams || err.code === ErrorCode.MethodNotFound)) {
        // The server refused the call itself (unknown tool, arguments it rejects): the model
        // may correct it; retrying the same call cannot help.
        throw ApplicationFailure.create({
          type: 'tool_failed',
          nonRetryable: true,
          message: `the MCP server "${tool.server}" refused the call: ${oneLine(err)}`,
        });
      }
      if (err instanceof McpError && err.code !== ErrorCode.ConnectionClosed && err.code !== ErrorCode.RequestTimeout) {
        // The server answered this call with an error (an internal one, say): the connection
        // works, and other runs' calls are in flight on it. Dropping it would end a stdio
        // server's process under them; the call alone is retried, per its effect class.
        log.warn('MCP server failed a call', { server: tool.server, tool: tool.tool, error: oneLine(err) });
        throw ApplicationFailure.create({
          type: 'tool_unavailable',
          message: `the MCP server "${tool.server}" failed the call: ${oneLine(err)}`,
        });
      }
      throw unavailable(tool.server, err);
    } finally {
      stopHeartbeat();
    }

    // The references are known at once (content addressed); the bytes are stored before
    // the result that names them is returned.
    const writes: Promise<unknown>[] = [];
    const mapped = mapMcpResult(result, (bytes, mimeType) => {
      writes.push(blobs.put(bytes, mimeType, { runId: input.runId, callId: input.callId }));
      return blobRef(bytes, mimeType);
    });
    await Promise.all(writes);
    const capped = capResult(mapped.text, contract.maxResultChars);
    log.info('mcp tool call', {
      runId: input.runId,
      step: input.step,
      tool: tool.name,
      chars: mapped.text.length,
      truncated: capped.truncated,
      isError: mapped.isError,
      ...(input.approvedBy ? { approvedBy: input.approvedBy } : {}),
    });
    if (mapped.isError) {
      // The server ran the call and reports a failure the model should see (isError).
      throw ApplicationFailure.create({
        type: 'tool_failed',
        nonRetryable: true,
        message: capped.content || `the MCP server "${tool.server}" reported an error without a message`,
      });
    }
    // A long result stays in the run store, like a handler's (`executeTool`).
    return deps.store && input.inlineMaxChars !== undefined ? byReference(deps.store, input, capped) : capped;
  }

  /** The server could not be reached or the connection broke mid-call: drop the connection
   * (the next attempt reconnects) and fail retryably. */
  function unavailable(server: string, err: unknown): ApplicationFailure {
    if (!(err instanceof McpUnavailableError)) pool.reset(server, oneLine(err));
    const message = err instanceof McpUnavailableError ? err.message : `MCP server "${server}": ${oneLine(err)}`;
    log.warn('MCP server unavailable', { server, error: message });
    return ApplicationFailure.create({ type: 'tool_unavailable', message });
  }

  // One trace record per attempt (activities/trace/record.ts).
  return { listMcpTools, callMcpTool: traceToolCalls(deps.store, mcpToolCall, callMcpTool) };
}

function denied(input: CallMcpToolInput, reason: string): ApplicationFailure {
  log.warn('tool call denied', { runId: input.runId, step: input.step, tool: input.tool.name, reason });
  return ApplicationFailure.create({
    type: 'permission_denied',
    nonRetryable: true,
    message: `tool "${input.tool.name}" denied: ${reason}`,
  });
}
