import { TOOL_RESULT_INLINE_CHARS } from '../../core/activity-contracts.ts';
import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAesGcmCodec,
  dataConverterFromConfig,
  encryptedEncoding,
  PayloadDecryptionError,
  startCodecServer,
} from '../../worker/codec/index.ts';
import { findTemporalCli } from '../../worker/temporal-cli.ts';
import { createBosunClient } from '../../client/client.ts';
import type { RunResult } from '../../core/run.ts';
import type { WorkerConfig } from '../../worker/config.ts';
import { startFakeOpenAI, type FakeProviderServer } from '../kit/index.ts';
import {
  connectHarness,
  fakeConfig,
  openaiModel,
  testAgent,
  uniqueName,
  withWorker,
  type Harness,
} from '../helpers/harness.ts';
import { chatBody } from '../helpers/chat-body.ts';

type History = temporal.api.history.v1.IHistory;
const execFileP = promisify(execFile);

const k1 = randomBytes(32);
const k2 = randomBytes(32);
/** Rotated once: k1 is retired but kept, k2 encrypts. */
const codecEnv = {
  BOSUN_CODEC_KEYS: JSON.stringify({ k1: k1.toString('base64'), k2: k2.toString('base64') }),
  BOSUN_CODEC_ACTIVE_KEY: 'k2',
};
const codec = createAesGcmCodec({ keys: { k1, k2 }, activeKeyId: 'k2' });

/** Every Payload in a history (or any proto object), with where it was found. */
function payloadsIn(value: unknown, path = ''): { path: string; payload: Payload }[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return [];
  const v = value as Record<string, unknown>;
  if (v.data instanceof Uint8Array && v.metadata !== null && typeof v.metadata === 'object')
    return [{ path, payload: v as Payload }];
  return Object.entries(v).flatMap(([k, child]) => payloadsIn(child, `${path}.${k}`));
}
const isSearchAttribute = (path: string) => /searchAttributes/i.test(path);
/** `patched()` markers are written by the SDK core, which does not run payload codecs: they
 * hold a patch id and a flag (`{ id, deprecated }`), never run content. */
const isPatchMarker = (path: string) => /markerRecordedEventAttributes\.details\.patch-data\./.test(path);
/** The SDK core's bookkeeping of a local activity (ids, attempt, times); its result is a
 * payload of its own, encrypted like any other. */
const isLocalActivityMarkerData = (path: string) => /markerRecordedEventAttributes\.details\.data\./.test(path);
const encodingOf = (p: Payload) => Buffer.from(p.metadata?.encoding ?? new Uint8Array()).toString('utf8');

/** Where any needle shows up in a history as plain text: in any payload's bytes, or in any
 * other field (failure messages, activity ids, ...), as the history's JSON has it. */
function plaintextHits(history: History, needles: string[]): string[] {
  const hits: string[] = [];
  for (const { path, payload } of payloadsIn(history)) {
    const bytes = Buffer.from(payload.data!);
    const meta = Buffer.concat(Object.values(payload.metadata ?? {}).map((m) => Buffer.from(m)));
    for (const n of needles) {
      const forms = [n, JSON.stringify(n).slice(1, -1)].map((f) => Buffer.from(f));
      if (forms.some((f) => bytes.includes(f) || meta.includes(f))) hits.push(`${n} in payload at ${path}`);
    }
  }
  const json = historyToJSON(history);
  for (const n of needles)
    if (json.includes(n) || json.includes(JSON.stringify(n).slice(1, -1))) hits.push(`${n} in the history's JSON`);
  return hits;
}

/** The payloads of `temporal ... --output json`, their metadata and data base64-decoded. */
function cliPayloadTexts(stdout: string): string {
  const texts: string[] = [];
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (typeof o.data === 'string' && o.metadata && typeof o.metadata === 'object') {
      for (const m of Object.values(o.metadata)) texts.push(Buffer.from(String(m), 'base64').toString('utf8'));
      texts.push(Buffer.from(o.data, 'base64').toString('utf8'));
      return;
    }
    Object.values(o).forEach(walk);
  };
  walk(JSON.parse(stdout));
  return texts.join('\n');
}

let h: Harness;
let openai: FakeProviderServer;
/** One encrypted run, shared by the claims below. */
let run: { result: RunResult; history: History; toolResults: string[]; config: WorkerConfig; codecClient: Client };

const task = 'Refund for 2 opened mugs at $18.40? Customer Ada Lovelace, order ord_Q7ZX.';
const answer = 'Ada gets 33.12 dollars back for the mugs of ord_Q7ZX.';
const searchQuery = 'restocking fee opened items';
const expression = '2 * 18.40 * 0.9';
const badExpression = 'two mugs for Ada Lovelace';

beforeAll(async () => {
  h = await connectHarness(); // no codec: reads history the way anyone with database access would
  openai = await startFakeOpenAI();
  const config = fakeConfig({ openai }, uniqueName('codec'), codecEnv);
  await withWorker(h, config, async ({ bosun, temporal: codecClient }) => {
    openai.push(
      // A failed attempt (retried at once): its failure is in history, encoded.
      { kind: 'error', status: 503, headers: { 'retry-after': '0' }, message: 'overloaded' },
      {
        kind: 'tool_calls',
        calls: [{ name: 'search_docs', args: { query: searchQuery } }],
        usage: { input: 100, output: 10 },
      },
      // A failing tool call: the calculator's error message quotes its input.
      {
        kind: 'tool_calls',
        calls: [{ name: 'calculator', args: { expression: badExpression } }],
        usage: { input: 200, output: 10 },
      },
      { kind: 'tool_calls', calls: [{ name: 'calculator', args: { expression } }], usage: { input: 300, output: 12 } },
      { kind: 'text', text: answer, usage: { input: 350, output: 9 } },
    );
    // A named prompt: pinning it is a local activity, whose marker the claims below look into.
    const result = await bosun.run({ agent: testAgent(openaiModel, { instructions: { template: 'support' } }), task });
    // What the tools returned, as the model saw it: texts to look for in history.
    const toolResults = chatBody(openai.requests.at(-1)!)
      .messages.filter((m) => m.role === 'tool')
      .map((m) => String(m.content));
    const history = await h.temporal.workflow.getHandle(result.runId).fetchHistory();
    run = { result, history, toolResults, config, codecClient };
  });
});
afterAll(async () => {
  await openai?.close();
  await h?.close();
});

describe('payload encryption (AES-GCM codec on worker and client)', () => {
  it('runs normally: a tool-using run with a failed tool call answers', () => {
    expect(run.result.outcome).toEqual({ kind: 'answer', text: answer, truncated: false });
    expect(run.result).toMatchObject({ steps: 4, toolCalls: 3 });
    expect(run.toolResults).toHaveLength(3);
    expect(run.toolResults[1]).toContain(badExpression);
    expect(run.toolResults[2]).toContain('= 33.12');
  });

  it('keeps history ciphertext: no task, answer, tool argument or tool result in plain text, every payload binary/encrypted', async () => {
    const { history } = run;
    expect(run.toolResults[0], 'search_docs found the refunds document').toMatch(/restocking fee of 10%/);
    // A long result stays in the run store (issue 13): history carries its start, encrypted.
    const docSnippet = /[^\\\n"]{20,60}/.exec(run.toolResults[0]!.slice(0, TOOL_RESULT_INLINE_CHARS))?.[0];
    expect(docSnippet).toBeDefined();
    const needles = [
      task,
      'Ada Lovelace',
      'ord_Q7ZX',
      answer,
      searchQuery,
      expression,
      badExpression,
      '= 33.12',
      docSnippet!,
      'support v1', // the pinned prompt's label
    ];
    expect(plaintextHits(history, needles)).toEqual([]);
    // The scan finds every one of them once the payloads are decrypted: it is not blind.
    const decodedHistory = structuredClone(history) as History;
    for (const { payload } of payloadsIn(decodedHistory)) Object.assign(payload, (await codec.decode([payload]))[0]);
    const found = plaintextHits(decodedHistory, needles).join('\n');
    for (const n of needles) expect(found).toContain(n);

    const payloads = payloadsIn(history);
    const content = payloads.filter(
      ({ path }) => !isSearchAttribute(path) && !isPatchMarker(path) && !isLocalActivityMarkerData(path),
    );
    expect(content.length).toBeGreaterThan(10);
    const notEncrypted = content
      .filter(({ payload }) => encodingOf(payload) !== encryptedEncoding)
      .map(({ path, payload }) => `${path}: ${encodingOf(payload)}`);
    expect(notEncrypted).toEqual([]);
    for (const { payload } of content)
      expect(Buffer.from(payload.metadata!['encryption-key-id']!).toString()).toBe('k2');
    // The memo, activity summaries and failure messages are payloads too, so they are covered.
    expect(content.some(({ path }) => path.includes('memo'))).toBe(true);
    expect(content.some(({ path }) => path.includes('userMetadata.summary'))).toBe(true);
    // The failed calculator call ran inside its model call (an early result): its failure is
    // in that call's result, encrypted (the needles above include its input). The model call's
    // failed first attempt is in history as a failure, encoded.
    const failed = (history.events ?? []).flatMap(
      (e) =>
        e.activityTaskFailedEventAttributes?.failure ??
        e.activityTaskStartedEventAttributes?.lastFailure ??
        e.markerRecordedEventAttributes?.failure ??
        [],
    );
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      message: 'Encoded failure',
      stackTrace: '',
      applicationFailureInfo: { type: 'provider_unavailable' },
    });
    expect(content.some(({ path }) => /failure\.encodedAttributes/i.test(path))).toBe(true);

    // Outside the codec's reach, by design: search attributes (plain so the UI can filter on
    // them; they hold status, agent, model and numbers), the SDK's patch markers and the
    // bookkeeping of local activities.
    for (const { payload } of payloads.filter(({ path }) => isSearchAttribute(path)))
      expect(encodingOf(payload)).toBe('json/plain');
    for (const { payload } of payloads.filter(({ path }) => isPatchMarker(path))) {
      expect(Object.keys(JSON.parse(Buffer.from(payload.data!).toString('utf8'))).sort()).toEqual(['deprecated', 'id']);
    }
    // Local activities (the prompt pin here): core's bookkeeping only, no content.
    const localActivityData = payloads.filter(({ path }) => isLocalActivityMarkerData(path));
    expect(localActivityData.length).toBeGreaterThan(0);
    for (const { payload } of localActivityData) {
      expect(Object.keys(JSON.parse(Buffer.from(payload.data!).toString('utf8'))).sort()).toEqual([
        'activity_id',
        'activity_type',
        'attempt',
        'backoff',
        'complete_time',
        'original_schedule_time',
        'seq',
      ]);
    }
  });

  it('lets a client with the codec read the result and memo, and replays the history; a client without it gets an error, not ciphertext', async () => {
    const handle = run.codecClient.workflow.getHandle(run.result.runId);
    expect(await handle.result()).toEqual(run.result);
    expect((await handle.describe()).memo).toMatchObject({ agent: 'test-agent' });
    const dataConverter = dataConverterFromConfig(run.config)!;
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: h.workflowBundlePath }, dataConverter },
      run.history,
      run.result.runId,
    );
    await expect(h.temporal.workflow.getHandle(run.result.runId).result()).rejects.toThrow();
  });

  it('serves the Temporal CLI through the codec server: with the token it shows the run decrypted, without it not', async () => {
    const cli = findTemporalCli(resolve('.bosun'));
    expect(cli, "the dev server's Temporal CLI").toBeDefined();
    const token = randomBytes(24).toString('hex');
    const served: string[] = [];
    const server = await startCodecServer({
      codec,
      token,
      allowedOrigins: ['http://127.0.0.1:8233'],
      port: 0,
      log: (l) => served.push(l),
    });
    const show = (...extra: string[]) =>
      execFileP(
        cli!.path,
        [
          'workflow',
          'show',
          '--address',
          h.address,
          '--workflow-id',
          run.result.runId,
          '--output',
          'json',
          '--codec-endpoint',
          server.url,
          ...extra,
        ],
        {
          maxBuffer: 32 * 1024 * 1024,
        },
      );
    try {
      // The CLI prints proto3 JSON: payload data is base64.
      const { stdout } = await show('--codec-auth', `Bearer ${token}`);
      const shown = cliPayloadTexts(stdout);
      expect(shown).toContain(JSON.stringify(task));
      expect(shown).toContain(JSON.stringify(answer));
      expect(shown).not.toContain(encryptedEncoding);
      expect(served.some((l) => l.startsWith('POST decode 200 namespace=default'))).toBe(true);
      // Without the token the server answers 401 and the CLI gives up: no plaintext.
      const refused = await show('--command-timeout', '3s').then(
        ({ stdout: out }) => ({ failed: false, out: cliPayloadTexts(out) }),
        (err: { stdout?: string; stderr?: string }) => ({
          failed: true,
          out: `${err.stdout ?? ''}${err.stderr ?? ''}`,
        }),
      );
      expect(refused.failed).toBe(true);
      expect(refused.out).not.toContain(task);
      expect(served.some((l) => l.startsWith('POST decode 401'))).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('stops a run whose input the worker has no key for, saying which key in the workflow task failure', async () => {
    const k9 = randomBytes(32);
    const stranger = new Client({
      connection: h.connection,
      dataConverter: { payloadCodecs: [createAesGcmCodec({ keys: { k9 }, activeKeyId: 'k9' })] },
    });
    await withWorker(h, fakeConfig({ openai }, uniqueName('codec-k9'), codecEnv), async ({ taskQueue }) => {
      const handle = await createBosunClient({ client: stranger, taskQueue }).start({
        agent: testAgent(openaiModel),
        task,
      });
      try {
        const taskFailure = async () => {
          const events = (await h.temporal.workflow.getHandle(handle.runId).fetchHistory()).events ?? [];
          return events.find((e) => e.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes?.failure
            ?.message;
        };
        await expect
          .poll(taskFailure, { timeout: 10_000 })
          .toMatch(/payload is encrypted with key "k9", which is not in the codec's key set \(k1, k2\)/);
        expect(await stranger.workflow.getHandle(handle.runId).describe()).toMatchObject({
          status: { name: 'RUNNING' },
        });
      } finally {
        await h.temporal.workflow.getHandle(handle.runId).terminate('test: undecryptable input');
      }
    });
  });

  it('fails loudly on a tampered payload: the codec names the key, a replaying worker refuses the history', async () => {
    const [first] = payloadsIn(run.history).filter(({ payload }) => encodingOf(payload) === encryptedEncoding);
    const data = Buffer.from(first!.payload.data!);
    data[data.length - 1] = data[data.length - 1]! ^ 0x01;
    const err = await codec.decode([{ ...first!.payload, data }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadDecryptionError);
    expect(err).toMatchObject({
      reason: 'tampered',
      keyId: 'k2',
      message: expect.stringContaining('(key "k2") failed authentication'),
    });

    const tampered = structuredClone(run.history) as History;
    const input = tampered.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    const bytes = Buffer.from(input.data!);
    bytes[20] = bytes[20]! ^ 0x01;
    input.data = bytes;
    const dataConverter = dataConverterFromConfig(run.config)!;
    await expect(
      Worker.runReplayHistory(
        { workflowBundle: { codePath: h.workflowBundlePath }, dataConverter },
        tampered,
        run.result.runId,
      ),
    ).rejects.toThrow(/PayloadDecryptionError: encrypted payload \(key \\*"k2\\*"\) failed authentication/);
  });
});
