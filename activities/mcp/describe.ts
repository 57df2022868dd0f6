import { hostname } from 'node:os';
import type { McpInventory, McpServerReport } from '../../core/mcp.ts';
import { describeMcpServer, mcpToolPolicy } from '../../tools/mcp/config.ts';
import { mcpToolName, schemaHash } from '../../tools/mcp/contract.ts';
import { listAllTools, oneLine, unlistedToolSettings, type McpPool } from './pool.ts';

/**
 * The `describeMcpServers` activity behind `bosun mcp list`: every server this worker is
 * configured with, connected now (through the same pool runs use, so "unreachable" means
 * unreachable from where runs call it), its tools with their schemas and the policy each
 * gets. Never throws for a server that is down: that is what the report is for.
 */
export function createDescribeMcpServers(pool: McpPool) {
  return async function describeMcpServers(): Promise<McpInventory> {
    const servers = await Promise.all(
      pool.servers.map(async (config): Promise<McpServerReport> => {
        const base = { server: config.name, transport: describeMcpServer(config) };
        try {
          const client = await pool.client(config.name);
          const tools = await listAllTools(client, config.connectTimeoutMs);
          const warnings = unlistedToolSettings(config, tools).map(
            (t) => `settings for "${t}", which the server does not list`,
          );
          const pid = pool.states().find((s) => s.server === config.name)?.pid;
          return {
            ...base,
            state: 'connected',
            ...(pid !== undefined ? { pid } : {}),
            tools: tools.map((t) => {
              const annotations = t.annotations as Record<string, unknown> | undefined;
              const name = mcpToolName(config.name, t.name);
              if (!name) warnings.push(`"${t.name}" is never offered: "${config.name}__${t.name}" is too long a name`);
              return {
                name: name ?? '',
                tool: t.name,
                description: t.description ?? '',
                inputSchema: t.inputSchema as Record<string, unknown>,
                ...(annotations ? { annotations } : {}),
                schemaHash: schemaHash(t.inputSchema),
                policy: mcpToolPolicy(config, t.name, annotations),
              };
            }),
            warnings,
          };
        } catch (err) {
          return { ...base, state: 'unreachable', error: oneLine(err), tools: [], warnings: [] };
        }
      }),
    );
    return { worker: `${process.pid}@${hostname()}`, servers };
  };
}
