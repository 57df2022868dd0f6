import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { createMcpPool, listAllTools, McpUnavailableError, oneLine, stderrSummary } from '../../activities/mcp/pool.ts';
import { filesystemServerEntry } from '../helpers/mcp-servers.ts';
import { mapMcpResult, type StoreBinary } from '../../activities/mcp/result.ts';
import type { PinnedMcpTool } from '../../core/mcp.ts';
import { authorizeToolCall } from '../../tools/authorize.ts';
import { checkToolInput, toolSpec } from '../../tools/define-tool.ts';
import { toolFingerprint } from '../../tools/fingerprint.ts';
import { describeMcpServer, mcpToolPolicy } from '../../tools/mcp/config.ts';
import { formatMcpInventory } from '../../client/cli/mcp.ts';
import { mcpToolContract, mcpToolName, schemaHash } from '../../tools/mcp/contract.ts';
import { jsonSchemaIssues, schemaDraft } from '../../tools/mcp/json-schema.ts';
import { normalizeAbsolutePath, pathViolation } from '../../tools/mcp/paths.ts';
import { checkAgentSelections, McpConfigError, parseMcpServers } from '../../worker/mcp-config.ts';
import { defineAgent } from '../../tools/catalog.ts';
import { anonymousPrincipal } from '../../core/principal.ts';
import { agentDefinitionSchema } from '../../core/run.ts';

describe('MCP server configuration', () => {
  it('parses stdio and HTTP servers, filling in defaults and taking secrets from the environment by name', () => {
    const [stdio, http] = parseMcpServers(
      [
        {
          name: 'files',
          transport: 'stdio',
          command: 'node',
          args: ['fs.js', '/data'],
          envFrom: { TOKEN: { env: 'FS_TOKEN' } },
        },
        {
          name: 'tickets',
          transport: 'http',
          url: 'https://mcp.example.com/mcp',
          headers: { 'X-Team': 'ops' },
          secretHeaders: { Authorization: { env: 'TICKETS_TOKEN', prefix: 'Bearer ' } },
          defaults: { scopes: ['tickets:read'] },
        },
      ],
      { FS_TOKEN: 'fs-secret', TICKETS_TOKEN: 'tk-secret' },
    );
    expect(stdio).toMatchObject({
      pathArguments: ['path', 'paths', 'source', 'destination'],
      connectTimeoutMs: 10_000,
    });
    expect(stdio!.resolved.env).toEqual({ TOKEN: 'fs-secret' });
    expect(http!.resolved.headers).toEqual({ 'X-Team': 'ops', Authorization: 'Bearer tk-secret' });
    // What people are shown names the variables, never their values.
    expect(describeMcpServer(http!)).toBe(
      'http: https://mcp.example.com/mcp (headers Authorization: Bearer $TICKETS_TOKEN)',
    );
    expect(describeMcpServer(stdio!)).toBe('stdio: node fs.js /data (env TOKEN=$FS_TOKEN)');
    expect(JSON.stringify([describeMcpServer(http!), describeMcpServer(stdio!)])).not.toMatch(/secret/);
  });

  it('refuses a configuration that cannot work, listing every problem', () => {
    const attempt = (input: unknown, env = {}) => {
      try {
        parseMcpServers(input, env);
      } catch (err) {
        expect(err).toBeInstanceOf(McpConfigError);
        return (err as McpConfigError).problems;
      }
      throw new Error('expected McpConfigError');
    };
    expect(attempt([{ name: 'bad name', transport: 'stdio', command: 'x' }])[0]).toMatch(
      /^MCP servers: 0\.name: use 1-32/,
    );
    expect(attempt([{ name: 'a', transport: 'ws', url: 'ws://x' }])[0]).toMatch(/0\.transport/);
    expect(attempt([{ name: 'a', transport: 'http', url: 'ftp://x' }])[0]).toMatch(/0\.url/);
    expect(attempt([{ name: 'a', transport: 'http', url: 'https://me:pw@x/mcp' }])[0]).toBe(
      'MCP servers: 0.url: no credentials in the URL: name them in secretHeaders',
    );
    for (const url of ['https://x/mcp?api_key=abc', 'https://x/mcp?v=1&access_token=abc', 'https://x/mcp?sig=1']) {
      expect(attempt([{ name: 'a', transport: 'http', url }])[0]).toMatch(/0\.url: no secrets in the query string/);
    }
    expect(() => parseMcpServers([{ name: 'a', transport: 'http', url: 'https://x/mcp?region=eu' }], {})).not.toThrow();
    expect(attempt([{ name: 'a', transport: 'stdio', command: 'x', secretHeaders: {} }])[0]).toMatch(/secretHeaders/);
    expect(attempt([{ name: 'a', transport: 'stdio', command: 'x', defaults: { effect: 'write' } }])[0]).toMatch(
      /0\.defaults\.effect/,
    );
    expect(
      attempt([
        { name: 'a', transport: 'stdio', command: 'x', envFrom: { K: { env: 'MISSING_ONE' } } },
        { name: 'a', transport: 'http', url: 'http://x/mcp', secretHeaders: { Authorization: { env: 'MISSING_TWO' } } },
      ]),
    ).toEqual([
      'MCP servers: server "a": env K needs the environment variable MISSING_ONE, which is not set',
      'MCP servers: two servers are named "a"; names must be unique',
      'MCP servers: server "a": header Authorization needs the environment variable MISSING_TWO, which is not set',
    ]);
  });

  it('gives a tool the server does not annotate read-only the side-effect defaults; configuration overrides', () => {
    const [server] = parseMcpServers([
      {
        name: 's',
        transport: 'stdio',
        command: 'x',
        defaults: { scopes: ['s:use'] },
        tools: { risky: { approval: 'always' }, writer: { effect: 'idempotent', maxAttempts: 5 } },
      },
    ]);
    expect(mcpToolPolicy(server!, 'reader', { readOnlyHint: true })).toMatchObject({
      effect: 'read',
      approval: 'never',
      maxAttempts: 3,
      scopes: ['s:use'],
    });
    // idempotentHint alone is a hint, not a promise: still a side effect by default.
    for (const annotations of [undefined, {}, { readOnlyHint: false, idempotentHint: true }]) {
      expect(mcpToolPolicy(server!, 'other', annotations)).toMatchObject({
        effect: 'side-effect',
        approval: 'always',
        maxAttempts: 1,
      });
    }
    expect(mcpToolPolicy(server!, 'risky', { readOnlyHint: true })).toMatchObject({
      effect: 'read',
      approval: 'always',
    });
    expect(mcpToolPolicy(server!, 'writer', {})).toMatchObject({
      effect: 'idempotent',
      approval: 'never',
      maxAttempts: 5,
    });
  });
});

describe('an agent’s MCP selection', () => {
  it('selects each server once, with absolute folders', () => {
    const base = { name: 'a', instructions: 'x', model: { provider: 'openai', name: 'm' } };
    expect(agentDefinitionSchema.safeParse({ ...base, mcp: [{ server: 'files', paths: ['/srv'] }] }).success).toBe(
      true,
    );
    const twice = agentDefinitionSchema.safeParse({ ...base, mcp: [{ server: 'files' }, { server: 'files' }] });
    expect(twice.error?.issues[0]?.message).toBe('select each MCP server once (put all its tools in one entry)');
    expect(agentDefinitionSchema.safeParse({ ...base, mcp: [{ server: 'files', paths: ['srv'] }] }).success).toBe(
      false,
    );
  });
});

describe('the catalog’s agents and the worker’s servers', () => {
  it('refuses to start a worker whose catalog has an agent selecting a server it does not configure', () => {
    const servers = parseMcpServers([{ name: 'files', transport: 'stdio', command: 'x' }]);
    const agent = (name: string, server: string) =>
      defineAgent({ name, instructions: 'x', model: { provider: 'openai', name: 'm' }, mcp: [{ server }] });
    expect(() => checkAgentSelections([agent('ok', 'files')], servers)).not.toThrow();
    let problems: string[] = [];
    try {
      checkAgentSelections([agent('ok', 'files'), agent('typo', 'file'), agent('other', 'tickets')], servers);
    } catch (err) {
      expect(err).toBeInstanceOf(McpConfigError);
      problems = (err as McpConfigError).problems;
    }
    expect(problems).toEqual([
      'MCP servers: agent "typo" selects the server "file", which this worker does not configure (configured: files); add it to mcpServers',
      'MCP servers: agent "other" selects the server "tickets", which this worker does not configure (configured: files); add it to mcpServers',
    ]);
  });
});

describe('JSON Schema validation (sandbox-safe)', () => {
  const schema = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: {
      path: { type: 'string', minLength: 1 },
      edits: { type: 'array', items: { $ref: '#/$defs/edit' } },
    },
    required: ['path'],
    additionalProperties: false,
    $defs: { edit: { type: 'object', properties: { old: { type: 'string' } }, required: ['old'] } },
  };

  it('accepts valid arguments and names each problem of invalid ones by its path', () => {
    expect(jsonSchemaIssues(schema, { path: '/a', edits: [{ old: 'x' }] })).toEqual([]);
    const issues = jsonSchemaIssues(schema, { edits: [{ new: 'y' }], extra: 1 });
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: [], message: 'Instance does not have required property "path".' },
        { path: ['edits', '0'], message: 'Instance does not have required property "old".' },
      ]),
    );
    expect(issues.some((i) => (i.path as string[]).length === 0 && /"extra"/.test(i.message))).toBe(true);
    expect(jsonSchemaIssues(schema, { path: '' })[0]).toMatchObject({ path: ['path'] });
  });

  it('picks the draft from $schema', () => {
    expect(schemaDraft({ $schema: 'http://json-schema.org/draft-07/schema#' })).toBe('7');
    expect(schemaDraft({ $schema: 'http://json-schema.org/draft-04/schema#' })).toBe('4');
    expect(schemaDraft({})).toBe('2020-12');
  });

  it('needs no code generation from strings (eval, new Function): it runs where the workflow sandbox forbids it', () => {
    const module = fileURLToPath(new URL('../../tools/mcp/json-schema.ts', import.meta.url));
    const script = `
      const { jsonSchemaIssues } = await import(${JSON.stringify(module)});
      let refused = false;
      try { new Function('return 1'); } catch { refused = true; }
      const schema = { type: 'object', properties: { n: { type: 'integer', minimum: 1 } }, required: ['n'] };
      console.log(JSON.stringify({ refused, ok: jsonSchemaIssues(schema, { n: 2 }), bad: jsonSchemaIssues(schema, { n: 0 }) }));`;
    const r = spawnSync(
      process.execPath,
      ['--disallow-code-generation-from-strings', '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
      },
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      refused: true,
      ok: [],
      bad: [{ path: ['n'], message: '0 is less than 1.' }],
    });
  });
});

describe('pinned MCP tools as contracts', () => {
  const pinned: PinnedMcpTool = {
    server: 'files',
    tool: 'read_text_file',
    name: 'files__read_text_file',
    description: 'Read a file.',
    inputSchema: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { path: { type: 'string' } },
      required: ['path'],
    },
    schemaHash: schemaHash({ type: 'object' }),
    policy: {
      effect: 'read',
      scopes: [],
      approval: 'never',
      approvalOptions: { timeoutMs: 1000, onTimeout: 'deny' },
      maxAttempts: 3,
      maxResultChars: 100,
      pathArguments: ['path', 'paths'],
    },
  };

  it('offers the server’s schema as is, validates against it with a message for the model, and hashes stably', () => {
    const contract = mcpToolContract(pinned);
    expect(toolSpec(contract)).toEqual({
      name: 'files__read_text_file',
      description: 'Read a file.',
      inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
    });
    expect(checkToolInput(contract, { path: '/x' })).toEqual({ ok: true, value: { path: '/x' } });
    const bad = checkToolInput(contract, { file: 'x' });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.message).toMatch(/^Invalid arguments for tool "files__read_text_file": .*"path"/);
    expect(checkToolInput(contract, 'not an object').ok).toBe(false);
    expect(toolFingerprint(contract)).toBe(toolFingerprint(mcpToolContract(structuredClone(pinned))));
    expect(toolFingerprint(mcpToolContract({ ...pinned, paths: ['/data'] }))).not.toBe(toolFingerprint(contract));
    expect(schemaHash({ a: 1, b: [2] })).toBe(schemaHash({ b: [2], a: 1 }));
  });

  it('confines path arguments to the agent’s folders before anything runs', () => {
    const contract = mcpToolContract({ ...pinned, paths: ['/data/public', '/tmp/work/'] });
    const auth = (input: unknown) => authorizeToolCall(contract, input, anonymousPrincipal).kind;
    expect(auth({ path: '/data/public/a.txt' })).toBe('allow');
    expect(auth({ path: '/tmp/work' })).toBe('allow');
    expect(auth({ path: '/data/public/../secret.txt' })).toBe('deny');
    expect(auth({ path: '/data/publicity/a.txt' })).toBe('deny');
    expect(auth({ path: 'relative.txt' })).toBe('deny');
    expect(auth({ paths: ['/data/public/a', '/etc/passwd'] })).toBe('deny');
    expect(pathViolation({ path: '/etc/passwd' }, ['path'], ['/data'])).toBe(
      'path "/etc/passwd" is outside the folders this agent may use (/data)',
    );
    expect(normalizeAbsolutePath('/a/./b/../c/')).toBe('/a/c');
    expect(normalizeAbsolutePath('/../etc')).toBeUndefined();
  });

  it('refuses, never throws, when the server sent a schema it cannot use (a throw in the workflow would hang the run)', () => {
    const broken = [
      { type: 'object', properties: { a: { $ref: 'https://example.com/other.json' } } },
      { type: 'object', properties: { a: { $ref: '#/$defs/missing' } } },
      { type: 'object', properties: { a: { type: 'string', pattern: '[\\_a-z]+' } } }, // no regex in Unicode mode
    ];
    for (const schema of broken) {
      expect(jsonSchemaIssues(schema, { a: 'x' })).toEqual([
        {
          path: [],
          message: expect.stringMatching(/^the MCP server's input schema for this tool cannot be checked \(.+\)/),
        },
      ]);
    }
    const contract = mcpToolContract({ ...pinned, inputSchema: broken[0]! });
    const check = checkToolInput(contract, { a: 'x' });
    expect(!check.ok && check.message).toMatch(
      /^Invalid arguments for tool "files__read_text_file": .*cannot be checked/,
    );
  });

  it('names tools <server>__<tool> within the providers’ limit', () => {
    expect(mcpToolName('files', 'read_text_file')).toBe('files__read_text_file');
    expect(mcpToolName('files', 'has.dot')).toBeUndefined();
    expect(mcpToolName('s', 'x'.repeat(70))).toBeUndefined();
  });
});

describe('MCP results', () => {
  const stored: { bytes: Uint8Array; mimeType: string }[] = [];
  const store: StoreBinary = (bytes, mimeType) => {
    stored.push({ bytes, mimeType });
    return { ref: `blob:${'0'.repeat(63)}${stored.length}`, mimeType, bytes: bytes.byteLength };
  };

  it('keeps text, adds structured content unless it repeats the text, and stores binaries by reference', () => {
    expect(mapMcpResult({ content: [{ type: 'text', text: 'hello' }] }, store)).toEqual({
      text: 'hello',
      isError: false,
    });
    expect(
      mapMcpResult(
        { content: [{ type: 'text', text: 'file body' }], structuredContent: { content: 'file body' } },
        store,
      ).text,
    ).toBe('file body');
    expect(
      mapMcpResult({ content: [{ type: 'text', text: '{"b":1,"a":2}' }], structuredContent: { a: 2, b: 1 } }, store)
        .text,
    ).toBe('{"b":1,"a":2}');
    expect(mapMcpResult({ content: [{ type: 'text', text: 'sum' }], structuredContent: { sum: 3 } }, store).text).toBe(
      'sum\n{"sum":3}',
    );
    expect(mapMcpResult({ structuredContent: { temperature: 21 } }, store).text).toBe('{"temperature":21}');
    const png = Buffer.from('\x89PNG fake', 'latin1').toString('base64');
    const mapped = mapMcpResult(
      {
        content: [
          { type: 'image', data: png, mimeType: 'image/png' },
          { type: 'audio', data: 'AAAA', mimeType: 'audio/wav' },
          { type: 'resource', resource: { uri: 'file:///a.gz', mimeType: 'application/gzip', blob: 'AAEC' } },
          { type: 'resource', resource: { uri: 'file:///a.txt', text: 'inline text' } },
          { type: 'resource_link', uri: 'file:///b.txt', name: 'b.txt', mimeType: 'text/plain' },
          { type: 'hologram' },
        ],
      },
      store,
    );
    expect(mapped.text.split('\n')).toEqual([
      `[image image/png, 9 bytes, stored as blob:${'0'.repeat(63)}1]`,
      `[audio audio/wav, 3 bytes, stored as blob:${'0'.repeat(63)}2]`,
      `[resource application/gzip, 3 bytes, stored as blob:${'0'.repeat(63)}3, file:///a.gz]`,
      '[resource file:///a.txt]',
      'inline text',
      '[resource link: b.txt file:///b.txt (text/plain)]',
      '[content of type "hologram" not shown]',
    ]);
    expect(Buffer.from(stored[0]!.bytes).toString('latin1')).toBe('\x89PNG fake');
    expect(mapped.text).not.toContain(png);
  });

  it('passes isError through (the activity makes it a typed tool error)', () => {
    expect(mapMcpResult({ content: [{ type: 'text', text: 'Access denied' }], isError: true }, store)).toEqual({
      text: 'Access denied',
      isError: true,
    });
  });
});

describe('the MCP connection pool', () => {
  it('reports a server it cannot start as unreachable, with why, and tries again on the next call', async () => {
    const [config] = parseMcpServers([
      { name: 'ghost', transport: 'stdio', command: '/nonexistent/mcp-server', connectTimeoutMs: 2_000 },
    ]);
    const logs: string[] = [];
    const pool = createMcpPool([config!], (level, message) => logs.push(`${level}: ${message}`));
    await expect(pool.client('ghost')).rejects.toThrow(McpUnavailableError);
    expect(pool.states()[0]).toMatchObject({
      server: 'ghost',
      state: 'unreachable',
      error: expect.stringMatching(/ENOENT/),
    });
    await pool.warm();
    // Said once, with the cause first (not "unreachable: MCP server "ghost" is unreachable: …").
    expect(logs).toEqual([
      expect.stringMatching(
        /^warn: MCP server "ghost" is unreachable: spawn \/nonexistent\/mcp-server ENOENT\. The worker serves on; .*tool_unavailable/,
      ),
    ]);
    await expect(pool.client('nobody')).rejects.toThrow('no such server is configured on this worker');
    await pool.close();
    await expect(pool.client('ghost')).rejects.toThrow('the worker is shutting down');
  });

  it('says why a stdio server exited: the error line of its stderr, not the tail of a stack trace', async () => {
    const [config] = parseMcpServers([
      { name: 'crash', transport: 'stdio', command: process.execPath, args: ['/nonexistent/server.js'] },
    ]);
    const pool = createMcpPool([config!]);
    await expect(pool.client('crash')).rejects.toThrow(
      /unreachable: .*\(stderr: Error: Cannot find module '\/nonexistent\/server\.js'\)$/,
    );
    await pool.close();
    expect(stderrSummary(['}', 'Node.js v24.0.0'])).toBe('} | Node.js v24.0.0');
  });

  it('warns at start about settings for tools the server does not list (a typo there would leave a tool on the defaults)', async () => {
    const [config] = parseMcpServers([
      {
        name: 'files',
        transport: 'stdio',
        command: process.execPath,
        args: [filesystemServerEntry, tmpdir()],
        tools: { write_fle: { scopes: ['files:write'] }, read_text_file: { scopes: ['files:read'] } },
      },
    ]);
    const logs: string[] = [];
    const pool = createMcpPool([config!], (level, message) => logs.push(`${level}: ${message}`));
    try {
      await pool.warm();
    } finally {
      await pool.close();
    }
    expect(logs).toEqual([
      expect.stringMatching(/^info: MCP server "files" connected: \d+ tool\(s\)$/),
      expect.stringMatching(
        /^warn: MCP server "files" does not list "write_fle", which its configuration has settings for: .*the server lists .*write_file/,
      ),
    ]);
  });

  it('says why a connection failed in one line: the cause of "fetch failed", an HTTP status, no credentials', () => {
    const fetchFailed = (cause: unknown) => Object.assign(new TypeError('fetch failed'), { cause });
    expect(oneLine(fetchFailed(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })))).toBe(
      'fetch failed (ECONNREFUSED)',
    );
    expect(oneLine(fetchFailed(new Error('bad port')))).toBe('fetch failed (bad port)');
    const http401 = Object.assign(
      new Error('Streamable HTTP error: Error POSTing to endpoint: {"error":"invalid_token"}'),
      {
        code: 401,
      },
    );
    expect(oneLine(http401)).toBe(
      'Streamable HTTP error: Error POSTing to endpoint: {"error":"invalid_token"} (HTTP 401)',
    );
    expect(oneLine(Object.assign(new Error('MCP error -32000: Connection closed'), { code: -32000 }))).toBe(
      'MCP error -32000: Connection closed',
    );
    expect(oneLine(new Error('GET https://me:pw@x.example/mcp\nstack'))).toBe('GET https://x.example/mcp');
  });

  it('lists every page of a server that paginates its tools', async () => {
    const server = new Server({ name: 'paged', version: '1.0.0' }, { capabilities: { tools: {} } });
    const pages: Record<string, { tools: { name: string; inputSchema: { type: 'object' } }[]; nextCursor?: string }> = {
      '': { tools: [{ name: 'one', inputSchema: { type: 'object' } }], nextCursor: 'p2' },
      p2: { tools: [{ name: 'two', inputSchema: { type: 'object' } }] },
    };
    server.setRequestHandler(ListToolsRequestSchema, (req) => pages[req.params?.cursor ?? '']!);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: 'test', version: '1.0.0' });
    await client.connect(clientSide);
    try {
      expect((await listAllTools(client, 5_000)).map((t) => t.name)).toEqual(['one', 'two']);
    } finally {
      await client.close();
    }
  });
});

describe('bosun mcp list, as printed', () => {
  it('shows each server, its state or error, its warnings, and each tool with its policy', () => {
    const [files] = parseMcpServers([
      {
        name: 'files',
        transport: 'stdio',
        command: 'node',
        args: ['fs.js', '/srv'],
        tools: { write_file: { scopes: ['files:write'] } },
      },
    ]);
    const long = 'Write a file. '.repeat(20);
    const text = formatMcpInventory({
      worker: '42@host',
      servers: [
        {
          server: 'files',
          transport: describeMcpServer(files!),
          state: 'connected',
          pid: 7,
          tools: [
            {
              name: 'files__write_file',
              tool: 'write_file',
              description: `${long}\nMore.`,
              inputSchema: {
                type: 'object',
                properties: { path: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } },
                required: ['path'],
              },
              annotations: { readOnlyHint: false, title: 'Write' },
              schemaHash: '0123456789abcdef',
              policy: mcpToolPolicy(files!, 'write_file', { readOnlyHint: false }),
            },
          ],
          warnings: ['settings for "wirte_file", which the server does not list'],
        },
        {
          server: 'down',
          transport: 'http: http://127.0.0.1:9/mcp',
          state: 'unreachable',
          error: 'fetch failed',
          tools: [],
          warnings: [],
        },
      ],
    });
    expect(text.split('\n')).toEqual([
      'worker 42@host:',
      '',
      'files · stdio: node fs.js /srv · connected (pid 7)',
      '  warning: settings for "wirte_file", which the server does not list',
      '  1 tool(s):',
      '  - files__write_file  [side-effect; approval always; scopes files:write; 1 attempt(s); schema 0123456789abcdef]',
      `      ${'Write a file. '.repeat(11)}Write …`,
      '      input: { path: string, tags?: string[] }',
      '      annotations: readOnly=false',
      '',
      'down · http: http://127.0.0.1:9/mcp · UNREACHABLE',
      '  error: fetch failed',
    ]);
  });
});
