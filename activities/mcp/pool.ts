import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { McpServerConfig } from '../../tools/mcp/config.ts';

/** How a server looks from this worker right now (`bosun mcp list`, logs). */
export interface McpServerState {
  server: string;
  state: 'idle' | 'connecting' | 'connected' | 'unreachable' | 'closed';
  /** Why the last connection failed or ended, in one line. */
  error?: string;
  /** A stdio server's process id while connected. */
  pid?: number;
  /** When the state last changed (ms since the epoch). */
  since: number;
}

/** The server could not be reached (spawned, connected, handshaken): a transient failure. */
export class McpUnavailableError extends Error {
  readonly server: string;
  constructor(server: string, reason: string) {
    super(`MCP server "${server}" is unreachable: ${reason}`);
    this.name = 'McpUnavailableError';
    this.server = server;
  }
}

export type McpLog = (level: 'info' | 'warn', message: string, meta?: Record<string, unknown>) => void;

/**
 * One MCP connection per configured server, shared by every run this worker serves and
 * made on first use. A connection that closes (the stdio process died, the HTTP session is
 * gone) or fails a request is dropped, and the next call reconnects: a crashed or restarted
 * server costs one failed attempt, which Temporal retries per the tool's effect class.
 * Nothing here is read by workflow code, so nothing cached here can reach a replay.
 */
export interface McpPool {
  readonly servers: readonly McpServerConfig[];
  server(name: string): McpServerConfig | undefined;
  /** A connected client for the server, connecting if needed. Throws `McpUnavailableError`. */
  client(name: string): Promise<Client>;
  /** Drops the server's connection (after a failed request): the next `client` reconnects. */
  reset(name: string, reason: string): void;
  states(): McpServerState[];
  /** Connects every server in the background and logs how each went; never throws. */
  warm(): Promise<void>;
  close(): Promise<void>;
}

interface Entry {
  config: McpServerConfig;
  state: McpServerState;
  client?: Client;
  transport?: Transport;
  connecting?: Promise<Client>;
  /** The last lines a stdio server wrote to stderr: why it exited, usually. */
  stderr: string[];
}

export function createMcpPool(servers: readonly McpServerConfig[], log: McpLog = () => undefined): McpPool {
  const entries = new Map<string, Entry>(
    servers.map((config) => [
      config.name,
      { config, state: { server: config.name, state: 'idle', since: Date.now() }, stderr: [] },
    ]),
  );
  let closed = false;

  const setState = (e: Entry, state: McpServerState['state'], extra: { error?: string; pid?: number } = {}) => {
    e.state = { server: e.config.name, state, since: Date.now(), ...extra };
  };

  async function connect(e: Entry): Promise<Client> {
    const { config } = e;
    setState(e, 'connecting');
    const transport = transportFor(config, e);
    const client = new Client({ name: 'bosun', version: '0.1.0' }, { capabilities: {} });
    try {
      await client.connect(transport, { timeout: config.connectTimeoutMs });
    } catch (err) {
      await transport.close().catch(() => undefined);
      const tail = e.stderr.length ? ` (stderr: ${stderrSummary(e.stderr)})` : '';
      const reason = `${oneLine(err)}${tail}`;
      setState(e, 'unreachable', { error: reason });
      throw new McpUnavailableError(config.name, reason);
    }
    if (closed) {
      await client.close().catch(() => undefined);
      throw new McpUnavailableError(config.name, 'the worker is shutting down');
    }
    e.client = client;
    e.transport = transport;
    const pid = transport instanceof StdioClientTransport ? (transport.pid ?? undefined) : undefined;
    setState(e, 'connected', pid !== undefined ? { pid } : {});
    client.onclose = () => {
      if (e.client !== client) return;
      e.client = undefined;
      e.transport = undefined;
      if (!closed) {
        setState(e, 'idle', { error: 'the connection closed; the next call reconnects' });
        log('warn', `MCP server "${config.name}" disconnected; the next call reconnects`, { server: config.name });
      }
    };
    return client;
  }

  const pool: McpPool = {
    servers,
    server: (name) => entries.get(name)?.config,
    async client(name) {
      const e = entries.get(name);
      if (!e) throw new McpUnavailableError(name, 'no such server is configured on this worker');
      if (closed) throw new McpUnavailableError(name, 'the worker is shutting down');
      if (e.client) return e.client;
      e.connecting ??= connect(e).finally(() => {
        e.connecting = undefined;
      });
      return e.connecting;
    },
    reset(name, reason) {
      const e = entries.get(name);
      if (!e?.client) return;
      const client = e.client;
      e.client = undefined;
      e.transport = undefined;
      setState(e, 'idle', { error: reason });
      void client.close().catch(() => undefined);
    },
    states: () => [...entries.values()].map((e) => e.state),
    async warm() {
      await Promise.all(
        [...entries.values()].map(async (e) => {
          try {
            const client = await pool.client(e.config.name);
            const tools = await listAllTools(client, e.config.connectTimeoutMs);
            log('info', `MCP server "${e.config.name}" connected: ${tools.length} tool(s)`, {
              server: e.config.name,
              tools: tools.length,
            });
            const unlisted = unlistedToolSettings(e.config, tools);
            if (unlisted.length) {
              log(
                'warn',
                `MCP server "${e.config.name}" does not list ${unlisted.map((t) => `"${t}"`).join(', ')}, which its configuration has settings for: those settings apply to nothing (a typo?); the server lists ${tools.map((t) => t.name).join(', ')}`,
                { server: e.config.name },
              );
            }
          } catch (err) {
            // McpUnavailableError says "MCP server "x" is unreachable: …" itself.
            const why =
              err instanceof McpUnavailableError ? err.message : `MCP server "${e.config.name}": ${oneLine(err)}`;
            log(
              'warn',
              `${why}. The worker serves on; runs that select this server end tool_unavailable until it is reachable`,
              { server: e.config.name },
            );
          }
        }),
      );
    },
    async close() {
      closed = true;
      await Promise.all(
        [...entries.values()].map(async (e) => {
          const { client, transport } = e;
          e.client = undefined;
          e.transport = undefined;
          setState(e, 'closed');
          // An HTTP server keeps a session until told it is over (a hung one gets 2 s).
          if (transport instanceof StreamableHTTPClientTransport) {
            const gaveUp = new Promise<void>((resolve) => setTimeout(resolve, 2_000).unref());
            await Promise.race([transport.terminateSession().catch(() => undefined), gaveUp]);
          }
          await client?.close().catch(() => undefined);
        }),
      );
    },
  };
  return pool;
}

function transportFor(config: McpServerConfig, e: Entry): Transport {
  if (config.transport === 'http') {
    return new StreamableHTTPClientTransport(new URL(config.url), {
      requestInit: { headers: config.resolved.headers ?? {} },
    });
  }
  e.stderr = [];
  const transport = new StdioClientTransport({
    command: config.command,
    args: config.args,
    env: config.resolved.env ?? {},
    ...(config.cwd ? { cwd: config.cwd } : {}),
    stderr: 'pipe',
  });
  // Keep the last lines only: a chatty server must not grow the worker's memory.
  transport.stderr?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      // Stack frames say where, not why: they would push the error line out.
      if (line.trim() && !/^at /.test(line.trim())) e.stderr.push(line.trim().slice(0, 300));
    }
    e.stderr.splice(0, Math.max(0, e.stderr.length - 10));
  });
  return transport;
}

/** Why a stdio server exited, from its last stderr lines: the last one that names an error
 * (`Error: Cannot find module …`) — a crash ends with lines such as `}` or `Node.js v24` —,
 * else the last three. */
export function stderrSummary(lines: readonly string[]): string {
  const error = lines.findLast((l) => /error/i.test(l));
  return error ?? lines.slice(-3).join(' | ');
}

/** Every tool a server lists, following `nextCursor` pages: a run, `bosun mcp list` and the
 * start-up check must see the same list, also from a server that paginates. */
export async function listAllTools(client: Client, timeoutMs: number): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor ? { cursor } : undefined, { timeout: timeoutMs });
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  return tools;
}

/** Configured tool settings (`tools: { name: … }`) that name no tool the server lists: a
 * typo there silently leaves that tool on the defaults (no scope, say), so it is reported. */
export function unlistedToolSettings(config: McpServerConfig, tools: readonly Tool[]): string[] {
  const listed = new Set(tools.map((t) => t.name));
  return Object.keys(config.tools ?? {}).filter((t) => !listed.has(t));
}

/**
 * An error's message on one line, without secrets that a URL could carry (userinfo), with
 * what `fetch failed` alone does not say: the cause's code (`ECONNREFUSED`) or message
 * (`bad port`), and an HTTP status (a 401 means the token, not the network).
 */
export function oneLine(err: unknown): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; cause?: unknown };
  const cause = (typeof e.cause === 'object' && e.cause !== null ? e.cause : {}) as {
    code?: unknown;
    message?: unknown;
  };
  const detail =
    typeof cause.code === 'string'
      ? cause.code
      : typeof cause.message === 'string' && cause.message
        ? cause.message
        : typeof e.code === 'number' && e.code >= 100 && e.code <= 599
          ? `HTTP ${e.code}`
          : undefined;
  const text = `${err instanceof Error ? err.message : String(err)}${detail ? ` (${detail})` : ''}`;
  return (text.split('\n')[0] ?? '').replace(/\/\/[^/@\s]*@/g, '//').slice(0, 300);
}
