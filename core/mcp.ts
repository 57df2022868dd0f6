import { z } from 'zod';
import { principalSchema } from './principal.ts';

/**
 * Tools from MCP servers as data: what an agent selects, what a run pins at start, and the
 * arguments of the two MCP activities. Sandbox-safe (zod only): the workflow keeps the
 * pinned list in its state and carries it across continue-as-new.
 */

/** Server names become part of tool names the model sees (`<server>__<tool>`): keep them to
 * what every provider accepts. */
export const mcpServerNamePattern = /^[a-zA-Z0-9_-]{1,32}$/;
export const mcpServerNameSchema = z
  .string()
  .regex(mcpServerNamePattern, 'use 1-32 letters, digits, _ or - (it prefixes the tool names the model sees)');

/** Separates the server from the tool in the name a model sees: `files__read_text_file`. */
export const mcpNameSeparator = '__';

/**
 * What an agent may use of one configured server: all its tools, or the ones named (the
 * server's own names). `paths` confines every path argument (the server's `pathArguments`)
 * to these absolute folders: Bosun refuses a call outside them before anything is
 * scheduled, whatever the server itself would allow.
 */
export const mcpSelectionSchema = z.strictObject({
  server: mcpServerNameSchema,
  tools: z.array(z.string().min(1)).min(1).optional(),
  paths: z.array(z.string().regex(/^\//, 'an absolute path (starting with /)')).min(1).optional(),
});
export type McpSelection = z.infer<typeof mcpSelectionSchema>;

/** An agent's selections: one per server (two would offer its tools twice). */
export const mcpSelectionsSchema = z
  .array(mcpSelectionSchema)
  .refine((list) => new Set(list.map((s) => s.server)).size === list.length, {
    message: 'select each MCP server once (put all its tools in one entry)',
  });

const effectSchema = z.enum(['read', 'idempotent', 'side-effect']);

/** What the worker's configuration decided for one tool, pinned with it: the run enforces
 * exactly this even if the worker's configuration changes while it runs. */
export const mcpToolPolicySchema = z.object({
  effect: effectSchema,
  scopes: z.array(z.string().min(1)),
  approval: z.enum(['always', 'never']),
  approvalOptions: z.object({
    timeoutMs: z.number().int().positive(),
    onTimeout: z.union([
      z.literal('deny'),
      z.object({ escalateTo: z.string().min(1), timeoutMs: z.number().int().positive() }),
    ]),
    group: z.string().min(1).optional(),
  }),
  timeoutMs: z.number().int().positive().optional(),
  maxAttempts: z.number().int().positive(),
  maxResultChars: z.number().int().positive(),
  /** Arguments that name files or folders (checked against an agent's `paths`). */
  pathArguments: z.array(z.string().min(1)),
});
export type McpToolPolicy = z.infer<typeof mcpToolPolicySchema>;

/** One tool as a run pinned it at start: the server's description and input JSON Schema,
 * its annotations, the schema's hash, the policy, and the agent's path confinement. */
export const pinnedMcpToolSchema = z.object({
  server: mcpServerNameSchema,
  /** The server's name for the tool. */
  tool: z.string().min(1),
  /** The name the model sees: `<server>__<tool>`. */
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
  description: z.string(),
  inputSchema: z.record(z.string(), z.unknown()),
  annotations: z.record(z.string(), z.unknown()).optional(),
  /** First 16 hex digits of the SHA-256 of the input schema (canonical JSON). */
  schemaHash: z.string().regex(/^[0-9a-f]{16}$/),
  policy: mcpToolPolicySchema,
  paths: z.array(z.string()).optional(),
});
export type PinnedMcpTool = z.infer<typeof pinnedMcpToolSchema>;

/** The argument of the `listMcpTools` activity. */
export const listMcpToolsInputSchema = z.object({
  runId: z.string(),
  servers: z.array(mcpSelectionSchema.omit({ paths: true })),
});
export type ListMcpToolsInput = z.infer<typeof listMcpToolsInputSchema>;

/** The tools the selected servers offer now; `paths` are added by the workflow. */
export interface ListMcpToolsResult {
  tools: Omit<PinnedMcpTool, 'paths'>[];
}

/** The argument of the `callMcpTool` activity: the call, and the pinned tool it is checked
 * against again (complete mediation). */
export const callMcpToolInputSchema = z.object({
  runId: z.string(),
  step: z.number().int().positive(),
  callId: z.string().min(1),
  tool: pinnedMcpToolSchema,
  input: z.unknown(),
  principal: principalSchema,
  approvedBy: z.string().optional(),
  prior: z.object({ calls: z.number().int().nonnegative(), totals: z.record(z.string(), z.number()) }).optional(),
  /** As `ExecuteToolInput.inlineMaxChars`: a longer result is returned by reference. */
  inlineMaxChars: z.number().int().nonnegative().optional(),
});
export type CallMcpToolInput = z.infer<typeof callMcpToolInputSchema>;

/** One configured server as a worker sees it (`bosun mcp list`): how it is reached (no
 * secret values), whether it is reachable, and its tools with the policy each would get. */
export interface McpServerReport {
  server: string;
  /** `stdio: node server.js /data` or `http: https://…` (secrets by variable name only). */
  transport: string;
  state: 'connected' | 'unreachable';
  error?: string;
  pid?: number;
  tools: {
    name: string;
    tool: string;
    description: string;
    inputSchema: Record<string, unknown>;
    annotations?: Record<string, unknown>;
    schemaHash: string;
    policy: McpToolPolicy;
  }[];
  /** Configuration that names tools the server does not list, and the like. */
  warnings: string[];
}

export interface McpInventory {
  /** The worker's identity (host and process) that answered. */
  worker: string;
  servers: McpServerReport[];
}
