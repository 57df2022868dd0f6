/**
 * `mcp list`: a worker's MCP servers — how each is reached (secrets by variable name only),
 * whether it is reachable from the worker, and each tool with its input schema, scopes,
 * effect and approval policy. Asked of a running worker of the task queue
 * (`readMcpInventory`), so it shows what runs will get, from where they run.
 */
import type { McpInventory, McpServerReport } from '../../core/mcp.ts';
import type { CommandOf, ParseResult } from './command.ts';
import type { CommandArgs } from './flags.ts';
import type { Job } from './job.ts';

export function parseMcp({ rest, values, connection, json }: CommandArgs<'mcp'>): ParseResult {
  if (rest.length !== 1 || rest[0] !== 'list') return { error: `"mcp" takes one subcommand: list` };
  if (values.timeout === undefined) return { kind: 'mcp', connection, json };
  const seconds = Number(values.timeout);
  if (values.timeout.trim() === '' || !Number.isFinite(seconds) || seconds <= 0)
    return { error: `--timeout takes a number of seconds greater than 0 (got "${values.timeout}")` };
  return { kind: 'mcp', connection, json, timeoutMs: Math.round(seconds * 1000) };
}

export function mcpJob(cmd: CommandOf<'mcp'>): Job {
  return {
    async run(client, output) {
      const inventory = await client.mcpInventory(cmd.timeoutMs !== undefined ? { timeoutMs: cmd.timeoutMs } : {});
      output.print(inventory, formatMcpInventory(inventory));
      // A server that is down is worth a non-zero exit for scripts (health checks).
      return inventory.servers.every((s) => s.state === 'connected') ? 0 : 1;
    },
  };
}

export function formatMcpInventory(inv: McpInventory): string {
  if (inv.servers.length === 0) return `worker ${inv.worker}: no MCP servers configured`;
  return [`worker ${inv.worker}:`, ...inv.servers.map(formatServer)].join('\n\n');
}

function formatServer(s: McpServerReport): string {
  const state = s.state === 'connected' ? `connected${s.pid !== undefined ? ` (pid ${s.pid})` : ''}` : 'UNREACHABLE';
  const lines = [`${s.server} · ${s.transport} · ${state}`];
  if (s.error) lines.push(`  error: ${s.error}`);
  for (const w of s.warnings) lines.push(`  warning: ${w}`);
  if (s.state === 'connected') lines.push(`  ${s.tools.length} tool(s):`);
  for (const t of s.tools) {
    const p = t.policy;
    const hints = Object.entries(t.annotations ?? {})
      .filter(([k, v]) => k.endsWith('Hint') && typeof v === 'boolean')
      .map(([k, v]) => `${k.replace(/Hint$/, '')}=${String(v)}`);
    lines.push(
      `  - ${t.name || `(not offered) ${t.tool}`}  [${p.effect}; approval ${p.approval}; scopes ${p.scopes.join(', ') || 'none'}; ${p.maxAttempts} attempt(s); schema ${t.schemaHash}]`,
      ...(t.description ? [`      ${firstLine(t.description, 160)}`] : []),
      `      input: ${schemaSummary(t.inputSchema)}`,
      ...(hints.length ? [`      annotations: ${hints.join(', ')}`] : []),
    );
  }
  return lines.join('\n');
}

/** A description's first line, cut at a word within `max` characters, with `…` where text was left out. */
function firstLine(text: string, max: number): string {
  const lines = text.trim().split('\n');
  const line = lines[0]!.trim();
  if (line.length > max) return `${line.slice(0, max + 1).replace(/\s+\S*$/, '')} …`;
  return lines.length > 1 ? `${line} …` : line;
}

/** `{ path: string (required), head?: number }`: an input schema on one line (--json for all of it). */
export function schemaSummary(schema: Record<string, unknown>): string {
  const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const fields = Object.entries(props).map(([name, p]) => {
    const type = Array.isArray(p.type)
      ? p.type.join('|')
      : typeof p.type === 'string'
        ? p.type
        : p.enum
          ? 'enum'
          : 'any';
    const items = type === 'array' && p.items && typeof (p.items as { type?: unknown }).type === 'string';
    return `${name}${required.has(name) ? '' : '?'}: ${items ? `${String((p.items as { type: string }).type)}[]` : type}`;
  });
  return `{ ${fields.join(', ')} }`;
}
