import { z } from 'zod';
import { mcpNameSeparator, type PinnedMcpTool } from '../../core/mcp.ts';
import type { ToolContract } from '../define-tool.ts';
import { canonicalJson, sha256Hex } from '../fingerprint.ts';
import { jsonSchemaIssues } from './json-schema.ts';
import { pathViolation } from './paths.ts';

const offeredNamePattern = /^[a-zA-Z0-9_-]{1,64}$/;

/** The name a model sees for a server's tool (`files__read_text_file`), or undefined when it
 * would not fit the providers' limit (64 letters, digits, `_` or `-`). */
export function mcpToolName(server: string, tool: string): string | undefined {
  const name = `${server}${mcpNameSeparator}${tool}`;
  return offeredNamePattern.test(name) ? name : undefined;
}

/** The first 16 hex digits of the SHA-256 of a schema's canonical JSON: equal schemas, equal
 * hashes, in the workflow sandbox and in Node. */
export function schemaHash(schema: unknown): string {
  return sha256Hex(canonicalJson(schema)).slice(0, 16);
}

/**
 * A pinned MCP tool as a tool contract, so the workflow gates it exactly like a native tool:
 * arguments validated against the server's JSON Schema (the sandbox-safe validator, wrapped
 * in zod so approvers' edited arguments are checked the same way), scopes, the agent's path
 * confinement as a constraint, the configured approval policy, and the effect class that
 * decides retries. Pure: the workflow builds it from the pinned list, the activity again from
 * the call's input.
 */
export function mcpToolContract(pinned: PinnedMcpTool): ToolContract {
  const { policy, paths } = pinned;
  const input = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
    for (const issue of jsonSchemaIssues(pinned.inputSchema, value)) {
      ctx.addIssue({ code: 'custom', message: issue.message, path: [...(issue.path as PropertyKey[])] });
    }
  });
  const constraints = paths ? { constraints: (args: unknown) => pathViolation(args, policy.pathArguments, paths) } : {};
  return Object.freeze({
    name: pinned.name,
    description: pinned.description.trim() || `${pinned.tool} (a tool of the MCP server "${pinned.server}")`,
    input,
    effect: policy.effect,
    scopes: Object.freeze([...policy.scopes]),
    ...(policy.timeoutMs !== undefined ? { timeoutMs: policy.timeoutMs } : {}),
    maxResultChars: policy.maxResultChars,
    approval: policy.approval,
    approvalOptions: {
      timeoutMs: policy.approvalOptions.timeoutMs,
      onTimeout: policy.approvalOptions.onTimeout,
      ...(policy.approvalOptions.group ? { group: policy.approvalOptions.group } : {}),
    },
    ...constraints,
    maxAttempts: policy.maxAttempts,
    // Calls go to a server through a pooled connection: regular activities, heartbeating.
    local: false,
    // The confinement is data, not code: its hash is the contract's version, so a different
    // `paths` is a different tool version in the run's pins.
    version: `mcp-${schemaHash({ paths: paths ?? null, pathArguments: policy.pathArguments })}`,
    inputJsonSchema: pinned.inputSchema,
    mcp: pinned,
  });
}
