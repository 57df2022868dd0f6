import { z } from 'zod';
import type { AgentDefinition } from '../core/run.ts';
import { issuePath } from '../core/zod-issues.ts';
import type { fromEnvSchema } from '../tools/mcp/config.ts';
import { mcpServerSchema, type McpServerConfig } from '../tools/mcp/config.ts';
import { WorkerSetupError } from './catalog-wiring.ts';

/** MCP server configuration that cannot work; the worker does not start. */
export class McpConfigError extends WorkerSetupError {
  constructor(problems: string[]) {
    super(problems.map((p) => `MCP servers: ${p}`));
    this.name = 'McpConfigError';
  }
}

/**
 * Checks the worker's MCP servers: each by the schema, names unique, every secret's
 * environment variable set. Throws `McpConfigError` listing every problem.
 */
export function parseMcpServers(
  input: unknown,
  env: Record<string, string | undefined> = process.env,
): McpServerConfig[] {
  const parsed = z.array(mcpServerSchema).safeParse(input ?? []);
  if (!parsed.success) {
    throw new McpConfigError(parsed.error.issues.map((i) => `${issuePath(i.path, '(list)')}: ${i.message}`));
  }
  const problems: string[] = [];
  const seen = new Set<string>();
  const servers = parsed.data.map((s): McpServerConfig => {
    if (seen.has(s.name)) problems.push(`two servers are named "${s.name}"; names must be unique`);
    seen.add(s.name);
    const read = (what: string, ref: z.infer<typeof fromEnvSchema>) => {
      const value = env[ref.env];
      if (value === undefined || value === '') {
        problems.push(`server "${s.name}": ${what} needs the environment variable ${ref.env}, which is not set`);
        return '';
      }
      return `${ref.prefix ?? ''}${value}`;
    };
    if (s.transport === 'stdio') {
      const fromEnv = Object.fromEntries(Object.entries(s.envFrom).map(([k, ref]) => [k, read(`env ${k}`, ref)]));
      return { ...s, resolved: { env: { ...s.env, ...fromEnv } } };
    }
    const secret = Object.fromEntries(Object.entries(s.secretHeaders).map(([k, ref]) => [k, read(`header ${k}`, ref)]));
    return { ...s, resolved: { headers: { ...s.headers, ...secret } } };
  });
  if (problems.length) throw new McpConfigError(problems);
  return servers;
}

/**
 * The catalog's agents that select an MCP server this worker does not configure: each would
 * end every run `invalid_input` at its start, so the worker refuses to start instead (as it
 * does for a catalog tool without a handler). Whether a server lists the selected tools is
 * known only once it answers: that is checked when a run starts.
 */
export function checkAgentSelections(agents: readonly AgentDefinition[], servers: readonly McpServerConfig[]): void {
  const configured = new Set(servers.map((s) => s.name));
  const problems = agents.flatMap((agent) =>
    (agent.mcp ?? [])
      .filter((selection) => !configured.has(selection.server))
      .map(
        (selection) =>
          `agent "${agent.name}" selects the server "${selection.server}", which this worker does not configure (configured: ${[...configured].join(', ') || 'none'}); add it to mcpServers`,
      ),
  );
  if (problems.length) throw new McpConfigError(problems);
}
