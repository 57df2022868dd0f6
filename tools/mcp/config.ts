import { z } from 'zod';
import { mcpServerNameSchema, type McpToolPolicy } from '../../core/mcp.ts';
import { defaultApprovalOptions, type ToolEffect } from '../define-tool.ts';

/**
 * MCP servers as worker configuration (`WorkerApp.mcpServers`): how to reach each one and
 * what Bosun enforces for its tools. Checked by zod when the worker starts
 * (`parseMcpServers` in worker/mcp-config.ts); secrets are named here (environment variables
 * of the worker) and read from the environment then — never from a run's input, which
 * anyone who can start a run controls. Pure data and functions: the CLI reads it too.
 */

const effectSchema = z.enum(['read', 'idempotent', 'side-effect']);

/** What Bosun enforces for a server's tools: for all of them (`defaults`) or one (`tools`). */
export const mcpToolSettingsSchema = z.strictObject({
  /** Overrides what the server's annotations say (`readOnlyHint: true` → read, anything
   * else → side-effect). The effect decides the default approval and retries. */
  effect: effectSchema.optional(),
  /** Scopes a principal needs to be offered and to call the tool. */
  scopes: z.array(z.string().min(1)).optional(),
  /** `always` asks a human before each call; side-effect tools ask by default. */
  approval: z.enum(['always', 'never']).optional(),
  approvalOptions: z
    .strictObject({
      timeoutMs: z.number().int().positive().optional(),
      onTimeout: z
        .union([
          z.literal('deny'),
          z.strictObject({ escalateTo: z.string().min(1), timeoutMs: z.number().int().positive() }),
        ])
        .optional(),
      group: z.string().min(1).optional(),
    })
    .optional(),
  /** Upper bound for one call attempt; the agent's `toolCallMs` otherwise. */
  timeoutMs: z.number().int().positive().optional(),
  /** Attempts for transient failures (3 for read and idempotent tools, 1 for side effects). */
  maxAttempts: z.number().int().positive().max(20).optional(),
  /** Results longer than this are cut, with a marker (8,000 by default). */
  maxResultChars: z.number().int().positive().optional(),
});
export type McpToolSettings = z.infer<typeof mcpToolSettingsSchema>;

const envVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');

/** A value taken from the worker's environment when it starts, by variable name. */
export const fromEnvSchema = z.strictObject({
  env: envVarName,
  /** Put before the value, e.g. `Bearer `. */
  prefix: z.string().optional(),
});

const commonShape = {
  name: mcpServerNameSchema,
  defaults: mcpToolSettingsSchema.optional(),
  /** Per tool, by the server's name for it (over `defaults`). */
  tools: z.record(z.string().min(1), mcpToolSettingsSchema).optional(),
  /** Arguments that name files or folders, checked against an agent's `paths`. The default
   * fits the reference filesystem server. */
  pathArguments: z.array(z.string().min(1)).default(['path', 'paths', 'source', 'destination']),
  /** How long connecting (and the MCP handshake) may take. */
  connectTimeoutMs: z.number().int().positive().default(10_000),
  /** Whether each call carries its idempotency key in `_meta` (`bosun.dev/idempotency-key`):
   * servers that do not know it ignore it. */
  idempotencyKey: z.enum(['meta', 'none']).default('meta'),
};

export const stdioServerSchema = z.strictObject({
  ...commonShape,
  transport: z.literal('stdio'),
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  /** Variables for the server process (beside a minimal safe set: PATH, HOME, ...). */
  env: z.record(envVarName, z.string()).default({}),
  /** Variables copied from the worker's environment: `{ GITHUB_TOKEN: { env: 'GH_MCP_TOKEN' } }`. */
  envFrom: z.record(envVarName, fromEnvSchema).default({}),
  cwd: z.string().min(1).optional(),
});

/** Query parameters that usually carry a credential (`?api_key=`, `?access_token=`, `?sig=`). */
const secretQueryParam = /[?&][^=&]*(token|key|secret|passw|auth|sig|credential)[^=&]*=/i;

export const httpServerSchema = z.strictObject({
  ...commonShape,
  transport: z.literal('http'),
  url: z
    .url({ protocol: /^https?$/ })
    .refine((u) => !/^https?:\/\/[^/]*@/.test(u), 'no credentials in the URL: name them in secretHeaders')
    // A query string is printed by `bosun mcp list` and kept in the inventory's history.
    .refine(
      (u) => !secretQueryParam.test(new URL(u).search),
      'no secrets in the query string (token, key, secret, password, auth, signature): send them in secretHeaders',
    ),
  /** Plain headers, sent as written: nothing secret (that goes in `secretHeaders`). */
  headers: z.record(z.string().min(1), z.string()).default({}),
  /** Secret headers, from the worker's environment: `{ Authorization: { env: 'MCP_TOKEN', prefix: 'Bearer ' } }`. */
  secretHeaders: z.record(z.string().min(1), fromEnvSchema).default({}),
});

export const mcpServerSchema = z.discriminatedUnion('transport', [stdioServerSchema, httpServerSchema]);
export type McpServerInput = z.input<typeof mcpServerSchema>;
type McpServerParsed = z.infer<typeof mcpServerSchema>;

/** A server as the worker uses it: secrets resolved (kept out of `describe`). */
export type McpServerConfig = McpServerParsed & {
  /** stdio: `env` plus `envFrom` resolved; http: `headers` plus `secretHeaders` resolved. */
  resolved: { env?: Record<string, string>; headers?: Record<string, string> };
};

/**
 * The policy a server's tool gets: the configured settings (tool over server defaults), and
 * where they are silent the conservative default — a tool the server does not annotate
 * `readOnlyHint: true` is a side effect, asks for approval and runs one attempt.
 */
export function mcpToolPolicy(
  server: McpServerConfig,
  tool: string,
  annotations: Record<string, unknown> | undefined,
): McpToolPolicy {
  const s: McpToolSettings = { ...server.defaults, ...server.tools?.[tool] };
  const effect: ToolEffect = s.effect ?? (annotations?.readOnlyHint === true ? 'read' : 'side-effect');
  const { group, ...options } = { ...defaultApprovalOptions, ...s.approvalOptions };
  return {
    effect,
    scopes: s.scopes ?? [],
    approval: s.approval ?? (effect === 'side-effect' ? 'always' : 'never'),
    approvalOptions: { ...options, ...(group ? { group } : {}) },
    ...(s.timeoutMs !== undefined ? { timeoutMs: s.timeoutMs } : {}),
    maxAttempts: s.maxAttempts ?? (effect === 'side-effect' ? 1 : 3),
    maxResultChars: s.maxResultChars ?? 8_000,
    pathArguments: server.pathArguments,
  };
}

/** A server's configuration for people: no secret values, only where they come from. */
export function describeMcpServer(s: McpServerConfig): string {
  if (s.transport === 'stdio') {
    const fromEnv = Object.entries(s.envFrom).map(([k, r]) => `${k}=$${r.env}`);
    return `stdio: ${[s.command, ...s.args].join(' ')}${fromEnv.length ? ` (env ${fromEnv.join(', ')})` : ''}`;
  }
  const secret = Object.entries(s.secretHeaders).map(([k, r]) => `${k}: ${r.prefix ?? ''}$${r.env}`);
  return `http: ${s.url}${secret.length ? ` (headers ${secret.join(', ')})` : ''}`;
}
