import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createBosunClient, type BosunClient } from '../../client/client.ts';
import { main } from '../../client/cli/main.ts';
import { NoWorkerAnsweredError } from '../../client/mcp-inventory.ts';
import type { AgentDefinitionInput } from '../../core/run.ts';
import { openSqliteBlobStore } from '../../activities/store/blob-store.ts';
import { demoApp } from '../../examples/demo/app.ts';
import type { McpServerInput } from '../../tools/mcp/config.ts';
import { createBosunWorker } from '../../worker/create-worker.ts';
import type { WorkerConfig } from '../../worker/config.ts';
import { startFakeOpenAI, type FakeProviderServer, type FakeReply, type RecordedRequest } from '../kit/index.ts';
import { chatBody } from '../helpers/chat-body.ts';
import {
  capturedLogs,
  fakeConfig,
  maybeRecordHistory,
  openaiModel,
  scheduledActivities,
  testAgent,
  uniqueName,
  useHarness,
} from '../helpers/harness.ts';
import {
  childPids,
  everythingServerEntry,
  filesystemServerEntry,
  freePort,
  startEverythingHttp,
} from '../helpers/mcp-servers.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const h = useHarness();

/** A worker serving the demo app plus `servers`, on a fresh task queue. */
async function withMcpWorker<T>(
  fake: FakeProviderServer,
  servers: McpServerInput[],
  fn: (ctx: { bosun: BosunClient; config: WorkerConfig }) => Promise<T>,
): Promise<T> {
  const config = fakeConfig({ openai: fake }, uniqueName('mcp'));
  const worker = await createBosunWorker({
    connection: h.nativeConnection,
    config,
    workflowBundle: { codePath: h.workflowBundlePath },
    ...demoApp(),
    mcpServers: servers,
  });
  const bosun = createBosunClient({ client: h.temporal, taskQueue: config.BOSUN_TASK_QUEUE });
  return worker.runUntil(fn({ bosun, config }));
}

const agent = (mcp: AgentDefinitionInput['mcp'], overrides: Partial<AgentDefinitionInput> = {}) =>
  testAgent(openaiModel, {
    name: 'mcp-agent',
    tools: [],
    mcp,
    maxSteps: 8,
    timeouts: { modelCallMs: 10_000, heartbeatMs: 2_000, toolCallMs: 15_000 },
    ...overrides,
  });

const call = (name: string, args: Record<string, unknown>, id = `call_${name}`): FakeReply => ({
  kind: 'tool_calls',
  calls: [{ id, name, args }],
});
/** The last tool result the model was sent in a request. */
const lastToolText = (req: RecordedRequest) =>
  chatBody(req)
    .messages.filter((m) => m.role === 'tool')
    .at(-1)?.content ?? '';
/** The highest attempt number of any activity in the run's (latest) history. */
const maxAttempt = async (runId: string) => {
  const history = await h.temporal.workflow.getHandle(runId).fetchHistory();
  return Math.max(...(history.events ?? []).map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0));
};
const mcpCalls = async (runId: string) =>
  (await scheduledActivities(h.temporal, runId)).filter((a) => a === 'callMcpTool').length;

describe('tools from MCP servers', () => {
  it('server-filesystem over stdio: reads, refusals by the server and by Bosun, invalid arguments, an approved write', async () => {
    const root = tempDir('bosun-mcp-fs-');
    const allowed = join(root, 'allowed');
    mkdirSync(join(allowed, 'public'), { recursive: true });
    mkdirSync(join(root, 'outside'));
    writeFileSync(join(allowed, 'public', 'note.txt'), 'The launch code is 4-8-15.');
    writeFileSync(join(root, 'outside', 'secret.txt'), 'not for you');
    const fake = await startFakeOpenAI({
      script: [
        call('files__read_text_file', { path: join(allowed, 'public', 'note.txt') }),
        // Inside the agent's folders, outside the server's: the server refuses (isError).
        call('files__read_text_file', { path: join(root, 'outside', 'secret.txt') }),
        // Outside the agent's folders: Bosun refuses before anything is scheduled.
        call('files__read_text_file', { path: '/etc/hostname' }),
        call('files__read_text_file', { path: `${allowed}/../../etc/hostname` }),
        // Against the server's schema: refused in the workflow.
        call('files__read_text_file', { file: 'note.txt' }),
        call('files__write_file', { path: join(allowed, 'out.txt'), content: 'written by the agent' }),
        { kind: 'text', text: 'done' },
      ],
    });
    try {
      await withMcpWorker(
        fake,
        [{ name: 'files', transport: 'stdio', command: process.execPath, args: [filesystemServerEntry, allowed] }],
        async ({ bosun }) => {
          const run = await bosun.start({
            agent: agent([{ server: 'files', tools: ['read_text_file', 'write_file'], paths: [root] }]),
            task: 'Read the note, then write out.txt',
          });
          // The write is a side effect (not annotated read-only): it waits for a human.
          let pending: Awaited<ReturnType<typeof run.status>>['pendingApprovals'] = [];
          await expect
            .poll(async () => (pending = (await run.status()).pendingApprovals).length, { timeout: 30_000 })
            .toBe(1);
          expect(pending[0]).toMatchObject({ tool: 'files__write_file' });
          expect(await mcpCalls(run.runId)).toBe(2);
          // The listing and both reads went over one pooled connection: one server process.
          expect(childPids(filesystemServerEntry)).toHaveLength(1);
          await run.approve(pending[0]!.id, { id: 'alice', groups: [] }, 'fine');
          const result = await run.result();
          expect(result.outcome).toEqual({ kind: 'answer', text: 'done', truncated: false });

          // The model was offered the server's tools with the server's JSON Schema.
          const offered = chatBody(fake.requests[0]!).tools as { function: { name: string; parameters: unknown } }[];
          expect(offered.map((t) => t.function.name)).toEqual(['files__read_text_file', 'files__write_file']);
          expect(offered[0]!.function.parameters).toMatchObject({ type: 'object', required: ['path'] });
          expect(lastToolText(fake.requests[1]!)).toBe('The launch code is 4-8-15.');
          // The server's isError result, as a typed tool error (not a refused request).
          expect(lastToolText(fake.requests[2]!)).toMatch(
            /failed \(tool_failed\): Access denied - path outside allowed directories/,
          );
          expect(lastToolText(fake.requests[3]!)).toMatch(
            /Permission denied .*\/etc\/hostname.* outside the folders this agent may use/,
          );
          expect(lastToolText(fake.requests[4]!)).toMatch(/Permission denied/);
          expect(lastToolText(fake.requests[5]!)).toMatch(/Invalid arguments for tool "files__read_text_file".*path/);
          expect(readFileSync(join(allowed, 'out.txt'), 'utf8')).toBe('written by the agent');
          // Only the two reads and the approved write reached the server.
          expect(await mcpCalls(run.runId)).toBe(3);
          // Pinned versions, recorded per call as for native tools.
          expect(Object.keys(result.tools ?? {})).toEqual(['files__read_text_file', 'files__write_file']);
          expect(result.calls[0]!.tools).toMatch(/^[0-9a-f]{16}$/);
          const events = result.audit.map((a) => `${a.event}:${a.tool ?? ''}`);
          expect(events).toContain('tool_denied:files__read_text_file');
          expect(events).toContain('approved:files__write_file');
          await maybeRecordHistory(h.temporal, run.runId, 'agent-run-mcp-filesystem');
        },
      );
      // The worker stopped: so did the server process it started.
      await expect.poll(() => childPids(filesystemServerEntry).length, { timeout: 5_000 }).toBe(0);
    } finally {
      await fake.close();
    }
  });

  it('server-everything over Streamable HTTP: a call, an isError result, an image stored by reference', async () => {
    const server = await startEverythingHttp({ GZIP_ALLOWED_DOMAINS: 'allowed.example' });
    const fake = await startFakeOpenAI({
      script: [
        call('everything__echo', { message: 'hello over http' }),
        call('everything__get-tiny-image', {}),
        call('everything__gzip-file-as-resource', { name: 'x.gz', data: 'https://elsewhere.example/file' }),
        { kind: 'text', text: 'seen it all' },
      ],
    });
    try {
      await withMcpWorker(
        fake,
        [
          {
            name: 'everything',
            transport: 'http',
            url: server.url,
            // Configuration over annotations: this one is not read-only, but needs no human.
            tools: { 'gzip-file-as-resource': { effect: 'idempotent' } },
          },
        ],
        async ({ bosun, config }) => {
          const result = await bosun.run({
            agent: agent([{ server: 'everything', tools: ['echo', 'get-tiny-image', 'gzip-file-as-resource'] }]),
            task: 'Try the tools',
          });
          expect(result.outcome).toEqual({ kind: 'answer', text: 'seen it all', truncated: false });
          expect(lastToolText(fake.requests[1]!)).toBe('Echo: hello over http');
          const image = lastToolText(fake.requests[2]!);
          const ref = /\[image image\/png, [\d,]+ bytes, stored as (blob:[0-9a-f]{64})\]/.exec(image)?.[1];
          expect(ref, image).toBeDefined();
          const stored = await openSqliteBlobStore(join(config.BOSUN_STATE_DIR, 'blobs.db')).get(ref!);
          expect(stored?.mimeType).toBe('image/png');
          expect(Buffer.from(stored!.bytes.subarray(1, 4)).toString()).toBe('PNG');
          // The bytes never reached history.
          const history = JSON.stringify(await h.temporal.workflow.getHandle(result.runId).fetchHistory());
          expect(history).not.toContain('iVBORw0KGgo');
          // isError: the server's own message, not "the MCP server refused the call".
          expect(lastToolText(fake.requests[3]!)).toMatch(/failed \(tool_failed\): .*elsewhere\.example/);
          expect(lastToolText(fake.requests[3]!)).not.toContain('refused the call');

          // `bosun mcp list`, end to end: the worker reports the server, its tools and policies.
          const out: string[] = [];
          const code = await main(['mcp', 'list', '--address', h.address, '--task-queue', config.BOSUN_TASK_QUEUE], {
            out: (t) => out.push(t),
            err: (t) => out.push(t),
            env: {},
          });
          expect(code, out.join('\n')).toBe(0);
          expect(out.join('\n')).toContain(`everything · http: ${server.url} · connected`);
          expect(out.join('\n')).toMatch(/- everything__echo {2}\[read; approval never; scopes none; 3 attempt\(s\)/);
          expect(out.join('\n')).toMatch(/- everything__gzip-file-as-resource {2}\[idempotent; approval never;/);
          expect(out.join('\n')).toMatch(
            /- everything__toggle-simulated-logging {2}\[side-effect; approval always; scopes none; 1 attempt/,
          );
        },
      );
    } finally {
      await Promise.all([fake.close(), server.stop()]);
    }
  });

  it('a server killed mid-call: the read call is retried on a new connection and the run completes', async () => {
    const fake = await startFakeOpenAI({
      script: [
        call('slow__trigger-long-running-operation', { duration: 2, steps: 2 }),
        { kind: 'text', text: 'survived' },
      ],
    });
    try {
      await withMcpWorker(
        fake,
        [{ name: 'slow', transport: 'stdio', command: process.execPath, args: [everythingServerEntry, 'stdio'] }],
        async ({ bosun }) => {
          const run = await bosun.start({
            agent: agent([{ server: 'slow', tools: ['trigger-long-running-operation'] }]),
            task: 'Run the long operation',
          });
          await expect
            .poll(async () => (await run.status()).pending.some((p) => p.kind === 'tool_call'), { timeout: 20_000 })
            .toBe(true);
          await new Promise((r) => setTimeout(r, 300));
          const pids = childPids(everythingServerEntry);
          expect(pids.length).toBeGreaterThan(0);
          for (const pid of pids) process.kill(pid, 'SIGKILL');
          const result = await run.result();
          expect(result.outcome).toEqual({ kind: 'answer', text: 'survived', truncated: false });
          expect(lastToolText(fake.requests[1]!)).toMatch(/Long running operation completed/);
          expect(await maxAttempt(run.runId)).toBeGreaterThanOrEqual(2);
        },
      );
    } finally {
      await fake.close();
    }
  });

  it('a server unreachable at worker start: the worker starts and logs it; a run that needs it ends tool_unavailable', async () => {
    const port = await freePort();
    const fake = await startFakeOpenAI({ script: [{ kind: 'text', text: 'never asked' }] });
    try {
      await withMcpWorker(
        fake,
        [{ name: 'down', transport: 'http', url: `http://127.0.0.1:${port}/mcp` }],
        async ({ bosun }) => {
          const started = Date.now();
          const result = await bosun.run({ agent: agent([{ server: 'down' }]), task: 'anything' });
          expect(result.outcome).toMatchObject({ kind: 'failed', failure: { type: 'tool_unavailable' } });
          expect(Date.now() - started).toBeLessThan(20_000);
          expect(fake.requests).toHaveLength(0);
          // Logged by the worker at start, the cause said once.
          expect(capturedLogs).toContainEqual(
            expect.stringMatching(/^WARN MCP server "down" is unreachable: fetch failed[^.]*\. The worker serves on;/),
          );
          // Without a worker on the queue, `mcp list` says so instead of waiting.
          const nobody = createBosunClient({ client: h.temporal, taskQueue: uniqueName('no-worker') });
          await expect(nobody.mcpInventory({ timeoutMs: 2_000 })).rejects.toThrow(NoWorkerAnsweredError);
          const inventory = await bosun.mcpInventory();
          expect(inventory.servers).toEqual([
            expect.objectContaining({
              server: 'down',
              state: 'unreachable',
              error: expect.stringContaining('fetch failed'),
            }),
          ]);
        },
      );
    } finally {
      await fake.close();
    }
  });

  it("a run keeps the tools and policies it pinned while the worker's configuration changes; new runs get the new ones", async () => {
    const root = tempDir('bosun-mcp-pin-');
    const files = (settings: McpServerInput['tools'] = {}): McpServerInput[] => [
      {
        name: 'files',
        transport: 'stdio',
        command: process.execPath,
        args: [filesystemServerEntry, root],
        tools: settings,
      },
    ];
    const write = (name: string) => call('files__write_file', { path: join(root, name), content: name });
    const fake = await startFakeOpenAI({
      script: [write('a.txt'), { kind: 'text', text: 'A done' }, write('b.txt'), { kind: 'text', text: 'B done' }],
    });
    const runAgent = agent([{ server: 'files', tools: ['read_text_file', 'write_file'] }]);
    const names = (req: RecordedRequest) =>
      ((chatBody(req).tools ?? []) as { function: { name: string; parameters: unknown } }[]).map(
        (t) => t.function.name,
      );
    try {
      const config = fakeConfig({ openai: fake }, uniqueName('mcp-pin'));
      const worker = (servers: McpServerInput[]) =>
        createBosunWorker({
          connection: h.nativeConnection,
          config,
          workflowBundle: { codePath: h.workflowBundlePath },
          ...demoApp(),
          mcpServers: servers,
        });
      const bosun = createBosunClient({ client: h.temporal, taskQueue: config.BOSUN_TASK_QUEUE });
      // Run A pins the defaults (the write asks a human) and waits for one.
      const first = await worker(files());
      const runA = await first.runUntil(async () => {
        const run = await bosun.start({ agent: runAgent, task: 'write a.txt' });
        await expect.poll(async () => (await run.status()).pendingApprovals.length, { timeout: 30_000 }).toBe(1);
        return run;
      });
      // A new worker, a new configuration: reads need a scope, writes need nobody.
      const second = await worker(
        files({ read_text_file: { scopes: ['files:read'] }, write_file: { approval: 'never' } }),
      );
      await second.runUntil(async () => {
        const approval = (await runA.status()).pendingApprovals[0]!;
        await runA.approve(approval.id, { id: 'alice', groups: [] });
        const resultA = await runA.result();
        expect(resultA.outcome).toMatchObject({ kind: 'answer', text: 'A done' });
        // A still offers what it pinned (no scope needed for reads) and never listed again.
        expect(names(fake.requests[1]!)).toEqual(['files__read_text_file', 'files__write_file']);
        expect((await scheduledActivities(h.temporal, runA.runId)).filter((a) => a === 'listMcpTools')).toHaveLength(1);
        const resultB = await bosun.run({ agent: runAgent, task: 'write b.txt' });
        expect(resultB.outcome).toMatchObject({ kind: 'answer', text: 'B done' });
        // B got the new configuration: reads hidden from a principal without the scope, the
        // write ran without asking.
        expect(names(fake.requests[2]!)).toEqual(['files__write_file']);
        expect(resultB.audit.map((a) => a.event)).not.toContain('approval_requested');
        // The policy is part of a tool's version: each run recorded the one it enforced.
        expect(resultB.tools?.files__write_file).toMatch(/^[0-9a-f]{16}$/);
        expect(resultB.tools?.files__write_file).not.toBe(resultA.tools?.files__write_file);
        expect(resultB.calls[0]!.tools).not.toBe(resultA.calls[0]!.tools);
      });
      expect(readFileSync(join(root, 'a.txt'), 'utf8')).toBe('a.txt');
      expect(readFileSync(join(root, 'b.txt'), 'utf8')).toBe('b.txt');
    } finally {
      await fake.close();
    }
  });

  it("a run keeps the tool list and schemas it pinned when the server's own list changes; new runs see the new list", async () => {
    const serverScript = fileURLToPath(new URL('../fixtures/mcp/meta-echo-server.ts', import.meta.url));
    const meta = (version: string): McpServerInput[] => [
      {
        name: 'meta',
        transport: 'stdio',
        command: process.execPath,
        args: [serverScript],
        env: { META_ECHO_VERSION: version },
      },
    ];
    const fake = await startFakeOpenAI({
      script: [
        call('meta__record', { note: 'a' }, 'call_a'),
        { kind: 'text', text: 'A done' },
        { kind: 'text', text: 'B done' },
      ],
    });
    const offered = (req: RecordedRequest) =>
      Object.fromEntries(
        ((chatBody(req).tools ?? []) as { function: { name: string; parameters: unknown } }[]).map((t) => [
          t.function.name,
          Object.keys((t.function.parameters as { properties: object }).properties),
        ]),
      );
    try {
      const config = fakeConfig({ openai: fake }, uniqueName('mcp-list-change'));
      const worker = (servers: McpServerInput[]) =>
        createBosunWorker({
          connection: h.nativeConnection,
          config,
          workflowBundle: { codePath: h.workflowBundlePath },
          ...demoApp(),
          mcpServers: servers,
        });
      const bosun = createBosunClient({ client: h.temporal, taskQueue: config.BOSUN_TASK_QUEUE });
      const runAgent = agent([{ server: 'meta' }]);
      // Run A pins version 1 (one tool) and waits for a human: `record` is not read-only.
      const runA = await (
        await worker(meta('1'))
      ).runUntil(async () => {
        const run = await bosun.start({ agent: runAgent, task: 'record a' });
        await expect.poll(async () => (await run.status()).pendingApprovals.length, { timeout: 30_000 }).toBe(1);
        return run;
      });
      // The server is upgraded: `record` takes a priority too, and `forget` is new.
      await (
        await worker(meta('2'))
      ).runUntil(async () => {
        await runA.approve((await runA.status()).pendingApprovals[0]!.id, { id: 'alice', groups: [] });
        const resultA = await runA.result();
        expect(resultA.outcome).toMatchObject({ kind: 'answer', text: 'A done' });
        expect(offered(fake.requests[0]!)).toEqual({ meta__record: ['note'] });
        expect(offered(fake.requests[1]!)).toEqual({ meta__record: ['note'] });
        expect(lastToolText(fake.requests[1]!)).toBe(`a key=${resultA.runId}:call_a`);
        const resultB = await bosun.run({ agent: runAgent, task: 'nothing' });
        expect(resultB.outcome).toMatchObject({ kind: 'answer', text: 'B done' });
        expect(offered(fake.requests[2]!)).toEqual({ meta__record: ['note', 'priority'], meta__forget: ['note'] });
        // The schema is part of the tool's version.
        expect(resultB.tools?.meta__record).not.toBe(resultA.tools?.meta__record);
      });
    } finally {
      await fake.close();
    }
  });

  it('carries the pinned tools across continue-as-new: the continuation offers them without listing again', async () => {
    const server = await startEverythingHttp();
    const echoes = Array.from({ length: 9 }, (_, i) => call('everything__echo', { message: `hop ${i}` }, `call_${i}`));
    const fake = await startFakeOpenAI({ script: [...echoes, { kind: 'text', text: 'arrived' }] });
    try {
      await withMcpWorker(fake, [{ name: 'everything', transport: 'http', url: server.url }], async ({ bosun }) => {
        const result = await bosun.run({
          agent: agent([{ server: 'everything', tools: ['echo'] }], { maxSteps: 12, continueAsNewAfterEvents: 100 }),
          task: 'Echo nine times',
        });
        expect(result.outcome).toMatchObject({ kind: 'answer', text: 'arrived' });
        expect(lastToolText(fake.requests.at(-1)!)).toBe('Echo: hop 8');
        expect(chatBody(fake.requests.at(-1)!).tools?.map((t) => t.function.name)).toEqual(['everything__echo']);
        // The latest run of the chain is a continuation: it called the tool, never listed.
        const activities = await scheduledActivities(h.temporal, result.runId);
        expect(activities).toContain('callMcpTool');
        expect(activities).not.toContain('listMcpTools');
        expect(Object.keys(result.tools ?? {})).toEqual(['everything__echo']);
      });
    } finally {
      await Promise.all([fake.close(), server.stop()]);
    }
  });

  it('passes the idempotency key in _meta, stable for the call', async () => {
    const fake = await startFakeOpenAI({
      script: [call('meta__record', { note: 'refund 42' }, 'call_k'), { kind: 'text', text: 'recorded' }],
    });
    const serverScript = fileURLToPath(new URL('../fixtures/mcp/meta-echo-server.ts', import.meta.url));
    try {
      await withMcpWorker(
        fake,
        [
          {
            name: 'meta',
            transport: 'stdio',
            command: process.execPath,
            args: [serverScript],
            tools: { record: { effect: 'idempotent' } },
          },
        ],
        async ({ bosun }) => {
          const result = await bosun.run({ agent: agent([{ server: 'meta' }]), task: 'record it' });
          expect(result.outcome).toMatchObject({ kind: 'answer', text: 'recorded' });
          expect(lastToolText(fake.requests[1]!)).toBe(`refund 42 key=${result.runId}:call_k`);
        },
      );
    } finally {
      await fake.close();
    }
  });

  it('a tool whose schema cannot be checked is refused to the model; the run goes on', async () => {
    const serverScript = fileURLToPath(new URL('../fixtures/mcp/meta-echo-server.ts', import.meta.url));
    const fake = await startFakeOpenAI({
      script: [call('meta__tag', { tag: 'a_b' }), { kind: 'text', text: 'gave up' }],
    });
    try {
      await withMcpWorker(
        fake,
        [
          {
            name: 'meta',
            transport: 'stdio',
            command: process.execPath,
            args: [serverScript],
            env: { META_ECHO_TAG: '1' },
          },
        ],
        async ({ bosun }) => {
          const result = await bosun.run({ agent: agent([{ server: 'meta', tools: ['tag'] }]), task: 'tag it' });
          expect(result.outcome).toMatchObject({ kind: 'answer', text: 'gave up' });
          expect(lastToolText(fake.requests[1]!)).toMatch(
            /^Invalid arguments for tool "meta__tag": (?:\(input\): )?the MCP server's input schema for this tool cannot be checked \(Invalid regular expression/,
          );
          expect(await mcpCalls(result.runId)).toBe(0);
        },
      );
    } finally {
      await fake.close();
    }
  });

  it('an HTTP server restarted between calls: the lost session is dropped and the next attempt reconnects', async () => {
    let server = await startEverythingHttp();
    const fake = await startFakeOpenAI({
      script: [
        call('everything__echo', { message: 'before' }, 'call_1'),
        // The model "thinks" while the server restarts on the same port.
        { kind: 'delay', ms: 2_500, then: call('everything__echo', { message: 'after' }, 'call_2') },
        { kind: 'text', text: 'both' },
      ],
    });
    try {
      await withMcpWorker(fake, [{ name: 'everything', transport: 'http', url: server.url }], async ({ bosun }) => {
        const run = await bosun.start({
          agent: agent([{ server: 'everything', tools: ['echo'] }]),
          task: 'echo twice',
        });
        await expect.poll(() => fake.requests.length, { timeout: 20_000 }).toBe(2);
        await server.stop();
        server = await startEverythingHttp({}, server.port);
        const result = await run.result();
        expect(result.outcome).toMatchObject({ kind: 'answer', text: 'both' });
        expect(lastToolText(fake.requests[2]!)).toBe('Echo: after');
        // The first attempt met the lost session (or the closed port) and failed.
        expect(await maxAttempt(run.runId)).toBeGreaterThanOrEqual(2);
      });
    } finally {
      await Promise.all([fake.close(), server.stop()]);
    }
  });
});
