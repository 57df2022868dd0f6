import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { temporal } from '@temporalio/proto';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createContentCipher, plaintextCipher } from '../../activities/store/content-cipher.ts';
import { openSqliteRunStore } from '../../activities/store/run-store.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBosunClient } from '../../client/client.ts';
import type { RunResult, RunStatus } from '../../core/run.ts';
import { searchDocs } from '../../tools/contracts/search-docs.ts';
import type { RegisteredTool } from '../../tools/handlers/index.ts';
import { builtInTools } from '../../worker/built-in-tools.ts';
import { createAesGcmCodec, dataConverterFromConfig } from '../../worker/codec/index.ts';
import { describeConfig } from '../../worker/config.ts';
import { createBosunWorker } from '../../worker/create-worker.ts';
import { startFakeOpenAI, type FakeProviderServer } from '../kit/index.ts';
import {
  capturedLogs,
  connectHarness,
  fakeConfig,
  openaiModel,
  testAgent,
  uniqueName,
  type Harness,
} from '../helpers/harness.ts';

type History = temporal.api.history.v1.IHistory;

/**
 * Secrets a run's tools and worker handle but which must never be written anywhere an
 * operator or an attacker with database access reads: history (raw or decrypted), memo,
 * search attributes, the result, logs.
 */
const providerKey = `sk-live-SECRET-${randomBytes(12).toString('hex')}`;
const codecKey = randomBytes(32);
const backendToken = `tok_live_SECRET_${randomBytes(12).toString('hex')}`;
const credentials: Record<string, string> = {
  'provider API key': providerKey,
  'codec key (base64)': codecKey.toString('base64'),
  'codec key (hex)': codecKey.toString('hex'),
  'search backend token': backendToken,
};
/**
 * A token-shaped string the model itself put into a tool's input (a user pasted it into the
 * chat). It is run content — the decrypted history holds it, as it holds every tool call —
 * so it must be ciphertext at rest and absent from logs, memo and search attributes.
 */
const pastedToken = `ghp_SECRET${randomBytes(15).toString('hex')}`;

/** Every Payload in a proto object, with where it was found. */
function payloadsIn(value: unknown, path = ''): { path: string; payload: Payload }[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return [];
  const v = value as Record<string, unknown>;
  if (v.data instanceof Uint8Array && v.metadata !== null && typeof v.metadata === 'object')
    return [{ path, payload: v as Payload }];
  return Object.entries(v).flatMap(([k, child]) => payloadsIn(child, `${path}.${k}`));
}

/** Where each secret occurs in `where`: payload bytes (raw key bytes included) and text. */
function leaks(where: string, secrets: Record<string, string>, opts: { text?: string; proto?: unknown }): string[] {
  const found: string[] = [];
  const needles = Object.entries(secrets).map(([name, s]) => ({
    name,
    forms: [s, JSON.stringify(s).slice(1, -1)].map((f) => Buffer.from(f)),
  }));
  for (const { path, payload } of payloadsIn(opts.proto)) {
    const bytes = Buffer.concat([
      Buffer.from(payload.data ?? new Uint8Array()),
      ...Object.values(payload.metadata ?? {}).map((m) => Buffer.from(m)),
    ]);
    for (const { name, forms } of needles)
      if (forms.some((f) => bytes.includes(f))) found.push(`${name} in ${where} payload ${path}`);
    if (bytes.includes(codecKey)) found.push(`raw codec key bytes in ${where} payload ${path}`);
  }
  if (opts.text !== undefined)
    for (const { name, forms } of needles)
      if (forms.some((f) => opts.text!.includes(f.toString()))) found.push(`${name} in ${where}`);
  return found;
}

let h: Harness;
let openai: FakeProviderServer;
let observed: {
  result: RunResult;
  status: RunStatus;
  raw: History;
  decoded: History;
  rawDescription: unknown;
  description: { memo?: unknown; searchAttributes?: unknown; typedSearchAttributes?: unknown };
  backendCalls: number;
  describedConfig: string;
  /** The worker's own state folder (run store, blob store): scanned at rest. */
  stateDir: string;
};

beforeAll(async () => {
  h = await connectHarness();
  // The fake answers 401 to any other key: the run below proves the worker used this one.
  openai = await startFakeOpenAI({ requireApiKey: providerKey });
  const config = {
    ...fakeConfig({ openai }, uniqueName('secrets'), {
      BOSUN_CODEC_KEYS: JSON.stringify({ s1: codecKey.toString('base64') }),
      BOSUN_CODEC_ACTIVE_KEY: 's1',
      BOSUN_STATE_DIR: mkdtempSync(join(tmpdir(), 'bosun-secrets-state-')),
    }),
    OPENAI_API_KEY: providerKey,
  };
  const dataConverter = dataConverterFromConfig(config)!;

  // search_docs backed by a "search service" that needs a token; its first call fails the
  // way client libraries do, quoting the request's credentials in the error.
  const tools = await builtInTools();
  const realSearch = tools.find((t) => t.contract.name === 'search_docs')!;
  let backendCalls = 0;
  const tokenSearch: RegisteredTool = {
    contract: searchDocs as RegisteredTool['contract'],
    handler: async (input, ctx) => {
      const authorization = `Bearer ${backendToken}`;
      if (++backendCalls === 1) throw new Error(`search service 503 for GET /search (Authorization: ${authorization})`);
      return realSearch.handler(input, ctx);
    },
  };
  const worker = await createBosunWorker({
    connection: h.nativeConnection,
    config,
    workflowBundle: { codePath: h.workflowBundlePath },
    tools: tools.map((t) => (t.contract.name === 'search_docs' ? tokenSearch : t)),
  });
  const codecClient = new Client({ connection: h.connection, dataConverter });
  const bosun = createBosunClient({ client: codecClient, taskQueue: config.BOSUN_TASK_QUEUE });

  openai.push(
    {
      kind: 'tool_calls',
      calls: [{ name: 'search_docs', args: { query: 'api tokens account security' } }],
      usage: { input: 100, output: 10 },
    },
    // The calculator fails on this input and its error message quotes it.
    {
      kind: 'tool_calls',
      calls: [{ name: 'calculator', args: { expression: `${pastedToken} * 2` } }],
      usage: { input: 200, output: 10 },
    },
    {
      kind: 'text',
      text: 'Never paste access tokens into a chat; revoke that one now.',
      usage: { input: 300, output: 12 },
    },
  );
  const { result, status } = await worker.runUntil(async () => {
    const run = await bosun.start({
      agent: testAgent(openaiModel),
      task: 'Is my GitHub token still valid? What is it times two?',
    });
    const result = await run.result();
    return { result, status: await run.status() };
  });

  const raw = await h.temporal.workflow.getHandle(result.runId).fetchHistory();
  const decoded = structuredClone(raw) as History;
  const codec = createAesGcmCodec({ keys: { s1: codecKey }, activeKeyId: 's1' });
  for (const { payload } of payloadsIn(decoded)) Object.assign(payload, (await codec.decode([payload]))[0]);
  const rawDescription = await h.connection.workflowService.describeWorkflowExecution({
    namespace: 'default',
    execution: { workflowId: result.runId },
  });
  const description = await codecClient.workflow.getHandle(result.runId).describe();
  observed = {
    result,
    status,
    raw,
    decoded,
    rawDescription,
    description,
    backendCalls,
    describedConfig: describeConfig(config),
    stateDir: config.BOSUN_STATE_DIR,
  };
});
afterAll(async () => {
  await openai?.close();
  await h?.close();
  if (observed?.stateDir) rmSync(observed.stateDir, { recursive: true, force: true });
});

describe('secrets a run handled', () => {
  it('were really used: the provider key, the backend token (after a failed first attempt) and the pasted token', () => {
    expect(observed.result.outcome).toMatchObject({ kind: 'answer' });
    expect(openai.requests).toHaveLength(3);
    expect(observed.backendCalls).toBe(2);
    const modelSaw = JSON.stringify(openai.requests.at(-1)!.body);
    expect(modelSaw).toContain(pastedToken); // in the calculator's error, fed back to the model
    // And the pasted token is in the decrypted history, as all run content is: the scans
    // below look in the right places.
    expect(leaks('decrypted history', { pastedToken }, { proto: observed.decoded })).not.toEqual([]);
  });

  it('are not in the history, raw or decrypted', () => {
    expect(
      leaks('raw history', { ...credentials, pastedToken }, { proto: observed.raw, text: historyToJSON(observed.raw) }),
    ).toEqual([]);
    expect(
      leaks('decrypted history', credentials, { proto: observed.decoded, text: historyToJSON(observed.decoded) }),
    ).toEqual([]);
  });

  it('are not in the memo or the search attributes, raw or decoded', () => {
    const raw = observed.rawDescription as { workflowExecutionInfo?: { memo?: unknown; searchAttributes?: unknown } };
    expect(payloadsIn(raw.workflowExecutionInfo?.memo).length).toBeGreaterThan(0);
    expect(payloadsIn(raw.workflowExecutionInfo?.searchAttributes).length).toBeGreaterThan(0);
    const all = { ...credentials, pastedToken };
    expect(leaks('raw memo', all, { proto: raw.workflowExecutionInfo?.memo })).toEqual([]);
    expect(leaks('raw search attributes', all, { proto: raw.workflowExecutionInfo?.searchAttributes })).toEqual([]);
    const { memo, searchAttributes, typedSearchAttributes } = observed.description;
    expect(memo).toMatchObject({ agent: 'test-agent' });
    expect(leaks('memo', all, { text: JSON.stringify(memo) })).toEqual([]);
    expect(
      leaks('search attributes', all, { text: JSON.stringify({ searchAttributes, typedSearchAttributes }) }),
    ).toEqual([]);
  });

  it('are not in the result, the status query or the printed worker config', () => {
    const all = { ...credentials, pastedToken };
    expect(leaks('result', all, { text: JSON.stringify(observed.result) })).toEqual([]);
    expect(leaks('status', all, { text: JSON.stringify(observed.status) })).toEqual([]);
    expect(leaks('describeConfig', all, { text: observed.describedConfig })).toEqual([]);
  });

  it('are not in any log line of the worker, its workflows or activities', () => {
    expect(capturedLogs.length).toBeGreaterThan(10);
    expect(capturedLogs.some((l) => l.includes('tool handler crashed'))).toBe(true);
    // Name the leaking lines by their message and logger fields, with the secret masked.
    const all = { ...credentials, pastedToken };
    const leaking = capturedLogs.flatMap((line) =>
      leaks('log line', all, { text: line }).map(
        (hit) =>
          `${hit}: ${Object.values(all)
            .reduce((l, s) => l.split(s).join('<SECRET>'), line)
            .replace(/"taskToken":"[^"]*",/, '')}`,
      ),
    );
    expect(leaking).toEqual([]);
  });
});

describe('run content at rest in the run store', () => {
  /** Every file of the worker's state folder (runs.db with its WAL, blobs.db if any), as text. */
  const atRest = () =>
    readdirSync(observed.stateDir)
      .filter((f) => /^(runs|blobs)\.db/.test(f))
      .map((f) => readFileSync(join(observed.stateDir, f)).toString('latin1'))
      .join('\n');
  const task = 'Is my GitHub token still valid? What is it times two?';
  const answer = 'Never paste access tokens into a chat; revoke that one now.';

  it('is stored (the run store holds the conversation and the trace) and reads back with the keys', async () => {
    expect(existsSync(join(observed.stateDir, 'runs.db'))).toBe(true);
    const store = openSqliteRunStore(join(observed.stateDir, 'runs.db'), {
      cipher: createContentCipher({ keys: { s1: codecKey }, activeKeyId: 's1' }),
    });
    try {
      const { rows } = await store.readConversation(observed.result.runId, -1);
      const text = JSON.stringify(rows.map((r) => r.message));
      expect(text).toContain(task);
      expect(text).toContain(answer);
      expect(text).toContain(pastedToken); // the calculator's error, a tool result
      expect((await store.readTrace(observed.result.runId, { limit: 100 })).length).toBeGreaterThan(0);
      // Without the keys the stored content is refused typed, never returned as ciphertext.
      const keyless = openSqliteRunStore(join(observed.stateDir, 'runs.db'), { cipher: plaintextCipher });
      await expect(keyless.readConversation(observed.result.runId, -1)).rejects.toMatchObject({ reason: 'no_keys' });
      keyless.close();
    } finally {
      store.close();
    }
  });

  it('is not in runs.db (or its WAL) in plaintext: no task text, tool result, answer or secret', () => {
    const raw = atRest();
    expect(raw.length).toBeGreaterThan(0);
    const contents = { task, answer, pastedToken, searchQuery: 'api tokens account security' };
    expect(leaks('run store at rest', { ...credentials, ...contents }, { text: raw })).toEqual([]);
    expect(raw.includes(codecKey.toString('latin1'))).toBe(false);
  });
});
