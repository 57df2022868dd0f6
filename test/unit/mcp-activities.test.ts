import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createMcpActivities, idempotencyMetaKey } from '../../activities/mcp/activities.ts';
import type { McpPool } from '../../activities/mcp/pool.ts';
import type { BlobStore } from '../../activities/store/blob-store.ts';
import type { CallMcpToolInput, PinnedMcpTool } from '../../core/mcp.ts';
import { anonymousPrincipal, principalSchema } from '../../core/principal.ts';
import { mcpToolPolicy } from '../../tools/mcp/config.ts';
import { schemaHash } from '../../tools/mcp/contract.ts';
import { parseMcpServers } from '../../worker/mcp-config.ts';

/**
 * `callMcpTool` on its own, against a server made with the official SDK over its in-memory
 * transport: what the activity checks again before the server is asked (complete mediation:
 * the workflow's gate is not the only one), and what it makes of the answer (the cap).
 */
const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const inputSchema = {
  type: 'object',
  properties: { path: { type: 'string' }, content: { type: 'string' } },
  required: ['path', 'content'],
  additionalProperties: false,
};
const [config] = parseMcpServers([
  { name: 'files', transport: 'stdio', command: 'unused', tools: { write_file: { scopes: ['files:write'] } } },
]);

/** A pool of one server, whose calls are recorded; the server answers `reply`'s text. */
async function setup(reply: (args: Record<string, unknown>) => string) {
  const calls: { args: Record<string, unknown>; meta: unknown }[] = [];
  const resets: string[] = [];
  const server = new Server({ name: 'recorder', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: [{ name: 'write_file', inputSchema: inputSchema as { type: 'object' } }],
  }));
  server.setRequestHandler(CallToolRequestSchema, (req) => {
    const args = req.params.arguments ?? {};
    calls.push({ args, meta: req.params._meta });
    return { content: [{ type: 'text', text: reply(args) }] };
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'bosun-test', version: '1.0.0' });
  await client.connect(clientSide);
  const pool: McpPool = {
    servers: [config!],
    server: (name) => (name === config!.name ? config : undefined),
    client: () => Promise.resolve(client),
    reset: (name) => void resets.push(name),
    states: () => [],
    warm: () => Promise.resolve(),
    close: () => client.close(),
  };
  const blobs = {} as BlobStore;
  closers.push(() => pool.close());
  return { calls, resets, callMcpTool: createMcpActivities({ pool, blobs }).callMcpTool };
}
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

const pinned = (overrides: Partial<PinnedMcpTool> = {}): PinnedMcpTool => ({
  server: 'files',
  tool: 'write_file',
  name: 'files__write_file',
  description: '',
  inputSchema,
  schemaHash: schemaHash(inputSchema),
  policy: mcpToolPolicy(config!, 'write_file', undefined),
  paths: ['/srv/docs'],
  ...overrides,
});
const writer = principalSchema.parse({ user: 'ann', scopes: ['files:write'] });
const input = (overrides: Partial<CallMcpToolInput> = {}): CallMcpToolInput => ({
  runId: 'run-1',
  step: 2,
  callId: 'call_1',
  tool: pinned(),
  input: { path: '/srv/docs/a.md', content: 'hello' },
  principal: writer,
  approvedBy: 'human:alice',
  ...overrides,
});

async function run(callMcpTool: (i: CallMcpToolInput) => Promise<unknown>, i: CallMcpToolInput) {
  const env = new MockActivityEnvironment({ startToCloseTimeoutMs: 10_000 }, { logger: silent });
  try {
    return { result: await env.run(callMcpTool, i) };
  } catch (err) {
    if (!(err instanceof ApplicationFailure)) throw err;
    return { failure: { type: err.type, message: err.message, nonRetryable: err.nonRetryable } };
  }
}

describe('callMcpTool: checked again before the server is asked', () => {
  it('calls the server with the checked arguments and the idempotency key, for an approved call', async () => {
    const { calls, callMcpTool } = await setup(() => 'written');
    expect(await run(callMcpTool, input())).toEqual({ result: { content: 'written', truncated: false } });
    expect(calls).toEqual([
      { args: { path: '/srv/docs/a.md', content: 'hello' }, meta: { [idempotencyMetaKey]: 'run-1:call_1' } },
    ]);
  });

  it('refuses, typed and without asking the server: bad arguments, a missing scope, a path outside, no approval', async () => {
    const { calls, callMcpTool } = await setup(() => 'written');
    const refused = async (i: CallMcpToolInput) => (await run(callMcpTool, i)).failure;
    expect(await refused(input({ input: { path: '/srv/docs/a.md' } }))).toMatchObject({
      type: 'tool_input_invalid',
      nonRetryable: true,
      message: expect.stringMatching(/^Invalid arguments for tool "files__write_file": .*"content"/),
    });
    expect(await refused(input({ principal: anonymousPrincipal }))).toMatchObject({
      type: 'permission_denied',
      message: 'tool "files__write_file" denied: principal anonymous lacks scope files:write',
    });
    expect(await refused(input({ input: { path: '/srv/docs/../../etc/passwd', content: 'x' } }))).toMatchObject({
      type: 'permission_denied',
      message: expect.stringContaining('outside the folders this agent may use (/srv/docs)'),
    });
    const { approvedBy: _approvedBy, ...unapproved } = input();
    expect(await refused(unapproved)).toMatchObject({
      type: 'permission_denied',
      message: expect.stringContaining('needs approval (files__write_file always needs approval); none recorded'),
    });
    expect(calls).toEqual([]);
  });

  it('cuts a long result at the pinned maxResultChars, with a marker', async () => {
    const { callMcpTool } = await setup((args) => String(args.content).repeat(100));
    const tool = pinned({ policy: { ...pinned().policy, maxResultChars: 120 } });
    const { result } = await run(callMcpTool, input({ tool, input: { path: '/srv/docs/a.md', content: 'abcde' } }));
    const { content, truncated } = result as { content: string; truncated: boolean };
    expect(truncated).toBe(true);
    expect(content.length).toBeLessThanOrEqual(120);
    expect(content).toMatch(/^(abcde)+a?b?c?d?\n\[truncated: \d+ of 500 characters omitted\]$/);
  });

  it('a JSON-RPC error from the server fails the call, retryably, and keeps the connection other runs share', async () => {
    const { resets, callMcpTool } = await setup(() => {
      throw new Error('database is down'); // the SDK answers -32603, Internal error
    });
    expect(await run(callMcpTool, input())).toEqual({
      failure: {
        type: 'tool_unavailable',
        nonRetryable: false,
        message: 'the MCP server "files" failed the call: MCP error -32603: database is down',
      },
    });
    expect(resets).toEqual([]);
  });
});
