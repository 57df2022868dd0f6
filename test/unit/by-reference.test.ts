import OpenAI from 'openai';
import { z } from 'zod';
import { afterEach, describe, expect, it } from 'vitest';
import { ApplicationFailure, type Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { CallModelInput, ExecuteToolInput } from '../../core/activity-contracts.ts';
import { createCallModel } from '../../activities/call-model.ts';
import { createExecuteTool } from '../../activities/execute-tool.ts';
import { createOpenAIAdapter } from '../../activities/model/index.ts';
import { promptHash, type RunStore } from '../../activities/store/run-store.ts';
import { defineTool, ToolDefinitionError } from '../../tools/define-tool.ts';
import { registerTool } from '../../tools/handlers/types.ts';
import { startFakeOpenAI, type FakeProviderServer } from '../kit/index.ts';
import { useMemoryRunStores } from '../helpers/memory-store.ts';

/**
 * What history does not carry: large tool results and the offered tools' definitions stay
 * in the run store, and the model call reads them back from there.
 */
const silent: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const run = <A, R>(fn: (a: A) => Promise<R>, arg: A): Promise<R> =>
  new MockActivityEnvironment({}, { logger: silent }).run(fn, arg);

const store = useMemoryRunStores();

const echo = defineTool({
  name: 'echo',
  description: 'returns n characters',
  input: z.object({ n: z.number().int().nonnegative() }),
  effect: 'read',
  maxResultChars: 100_000,
});
const echoTool = registerTool(echo, async ({ n }) => 'x'.repeat(n));
const toolCall = (n: number, extra: Partial<ExecuteToolInput> = {}): ExecuteToolInput => ({
  runId: 'run-1',
  step: 4,
  callId: 'call-9',
  name: 'echo',
  input: { n },
  principal: { tenant: 't', user: 'u', scopes: [], roles: [], attributes: {} },
  ...extra,
});

describe('executeTool: results by reference', () => {
  it('keeps a result over inlineMaxChars in the store and returns its start and key', async () => {
    const s = store();
    const executeTool = createExecuteTool([echoTool], s);
    const r = await run(executeTool, toolCall(5_000, { inlineMaxChars: 256 }));
    expect(r).toEqual({ content: 'x'.repeat(256), truncated: false, ref: 'run-1/tool/4/call-9', chars: 5_000 });
    expect(await s.getContent('run-1/tool/4/call-9')).toBe('x'.repeat(5_000));
  });

  it('returns a short result inline, and any result inline when the caller did not ask', async () => {
    const s = store();
    const executeTool = createExecuteTool([echoTool], s);
    expect(await run(executeTool, toolCall(256, { inlineMaxChars: 256 }))).toEqual({
      content: 'x'.repeat(256),
      truncated: false,
    });
    expect(await run(executeTool, toolCall(5_000))).toEqual({ content: 'x'.repeat(5_000), truncated: false });
    await expect(s.getContent('run-1/tool/4/call-9')).rejects.toThrow(/no content stored/);
  });
});

describe('callModel: content by reference', () => {
  let server: FakeProviderServer;
  afterEach(async () => server?.close());

  const spec = { name: 'echo', description: 'returns n characters', inputSchema: { type: 'object' } };
  const base = (s: Partial<CallModelInput>): CallModelInput => ({
    runId: 'run-1',
    step: 2,
    timeoutMs: 5_000,
    request: { model: { provider: 'openai', name: 'm' }, system: 'sys', messages: [], tools: [], maxOutputTokens: 64 },
    ...s,
  });

  it('sends the model a referenced tool result whole, and the tools it stored on an earlier call', async () => {
    server = await startFakeOpenAI();
    const s = store();
    await s.putContent('run-1/tool/1/c1', 'y'.repeat(3_000));
    const callModel = createCallModel(
      { openai: createOpenAIAdapter(new OpenAI({ apiKey: 'k', baseURL: server.baseURL, maxRetries: 0 })) },
      { store: s },
    );
    const toolsRef = `tools/${'a'.repeat(64)}`;
    server.push(
      { kind: 'tool_calls', calls: [{ id: 'c1', name: 'echo', args: { n: 3000 } }] },
      { kind: 'text', text: 'ok' },
    );
    await run(
      callModel,
      base({
        request: { ...base({}).request, tools: [spec] },
        toolsRef,
        conversation: { id: 'run-1', storedLength: 0, append: [{ role: 'user', content: 'go' }] },
      }),
    );
    const second = base({
      toolsRef,
      step: 3,
      conversation: {
        id: 'run-1',
        storedLength: 2,
        append: [
          {
            role: 'tool',
            results: [{ callId: 'c1', name: 'echo', content: 'y'.repeat(10), isError: false, ref: 'run-1/tool/1/c1' }],
          },
        ],
      },
    });
    expect((await run(callModel, second)).message.text).toBe('ok');
    const sent = server.requests[1]!.body as { messages: { role: string; content: string }[]; tools?: unknown[] };
    expect(sent.messages.find((m) => m.role === 'tool')?.content).toBe('y'.repeat(3_000));
    expect(sent.tools).toHaveLength(1);
    // The stored conversation holds the whole result, without the reference.
    const stored = await s.getMessages('run-1', 3);
    expect(stored[2]).toEqual({
      role: 'tool',
      results: [{ callId: 'c1', name: 'echo', content: 'y'.repeat(3_000), isError: false }],
    });
  });

  it('fails typed and non-retryable when the referenced tools are not in the store', async () => {
    server = await startFakeOpenAI();
    const callModel = createCallModel(
      { openai: createOpenAIAdapter(new OpenAI({ apiKey: 'k', baseURL: server.baseURL, maxRetries: 0 })) },
      { store: store() },
    );
    const missing = base({
      toolsRef: `tools/${'b'.repeat(64)}`,
      conversation: { id: 'run-2', storedLength: 0, append: [{ role: 'user', content: 'go' }] },
    });
    const err = await run(callModel, missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'internal', nonRetryable: true });
    expect((err as Error).message).toMatch(/tool definitions \(tools\/b{64}\) are missing from the run store/);
    expect(server.requests).toHaveLength(0);
  });
});

describe('callModel: a prompt pinned in the workflow', () => {
  let server: FakeProviderServer;
  afterEach(async () => server?.close());
  const withPrompt = (content: string, hash: string): CallModelInput => ({
    runId: 'run-p',
    step: 1,
    timeoutMs: 5_000,
    request: { model: { provider: 'openai', name: 'm' }, system: '', messages: [], tools: [], maxOutputTokens: 64 },
    conversation: { id: 'run-p', storedLength: 0, append: [{ role: 'user', content: 'go' }] },
    prompt: { name: 'a/instructions', hash },
    promptContent: content,
  });

  it('stores the text the first call sends under its hash, and refuses a text that does not match it', async () => {
    server = await startFakeOpenAI();
    const s = store();
    const callModel = createCallModel(
      { openai: createOpenAIAdapter(new OpenAI({ apiKey: 'k', baseURL: server.baseURL, maxRetries: 0 })) },
      { store: s },
    );
    server.push({ kind: 'text', text: 'ok' });
    const hash = promptHash('Be brief.');
    await run(callModel, withPrompt('Be brief.', hash));
    expect((server.requests[0]!.body as { messages: { content: string }[] }).messages[0]!.content).toBe('Be brief.');
    expect(await s.getPrompt(hash)).toMatchObject({ name: 'a/instructions', content: 'Be brief.' });

    const err = await run(callModel, withPrompt('Be verbose.', hash)).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'internal', nonRetryable: true });
    expect((err as Error).message).toMatch(/does not match its pinned hash/);
    expect(server.requests).toHaveLength(1);
  });
});

describe('defineTool: local activities', () => {
  const def = { name: 't', description: 'd', input: z.object({}) };
  it('runs reads locally by default, idempotent tools when asked, side effects never', () => {
    expect(defineTool({ ...def, effect: 'read' }).local).toBe(true);
    expect(defineTool({ ...def, effect: 'read', local: false }).local).toBe(false);
    expect(defineTool({ ...def, effect: 'idempotent' }).local).toBe(false);
    expect(defineTool({ ...def, effect: 'idempotent', local: true }).local).toBe(true);
    expect(defineTool({ ...def, effect: 'side-effect' }).local).toBe(false);
    expect(() => defineTool({ ...def, effect: 'side-effect', local: true })).toThrow(ToolDefinitionError);
    expect(() => defineTool({ ...def, effect: 'side-effect', local: true })).toThrow(/cannot be local/);
  });
});

describe('callModel: prompt texts and tool definitions, once per worker', () => {
  let server: FakeProviderServer;
  afterEach(async () => server?.close());

  const spec = { name: 'echo', description: 'returns n characters', inputSchema: { type: 'object' } };
  const toolsRef = `tools/${'c'.repeat(64)}`;
  const text = 'Answer in one line.';
  const pin = { name: 'a/instructions', hash: promptHash(text) };
  /** A run's first call sends the prompt's text and the tools; later calls their keys. */
  const call = (runId: string, first: boolean): CallModelInput => ({
    runId,
    step: first ? 1 : 2,
    timeoutMs: 5_000,
    request: {
      model: { provider: 'openai', name: 'm' },
      system: '',
      messages: [],
      tools: first ? [spec] : [],
      maxOutputTokens: 64,
    },
    conversation: first
      ? { id: runId, storedLength: 0, append: [{ role: 'user', content: 'go' }] }
      : { id: runId, storedLength: 2, append: [{ role: 'user', content: 'again' }] },
    prompt: pin,
    ...(first ? { promptContent: text } : {}),
    toolsRef,
  });
  /** The store, counting what is asked of it; `failPutPrompt` fails that many prompt writes. */
  function counted(s: RunStore, failPutPrompt = 0) {
    const calls = { putPrompt: 0, getPrompt: 0, putTools: 0, getTools: 0 };
    const wrapped: RunStore = {
      ...s,
      async putPrompt(p) {
        calls.putPrompt++;
        if (failPutPrompt-- > 0) throw new Error('disk full');
        return s.putPrompt(p);
      },
      async getPrompt(hash) {
        calls.getPrompt++;
        return s.getPrompt(hash);
      },
      async putContent(key, content, owner) {
        if (key.startsWith('tools/')) calls.putTools++;
        return s.putContent(key, content, owner);
      },
      async getContent(key) {
        if (key.startsWith('tools/')) calls.getTools++;
        return s.getContent(key);
      },
    };
    return { store: wrapped, calls };
  }
  const callModelOn = (s: RunStore) =>
    createCallModel(
      { openai: createOpenAIAdapter(new OpenAI({ apiKey: 'k', baseURL: server.baseURL, maxRetries: 0 })) },
      { store: s },
    );
  const sent = (i: number) =>
    server.requests[i]!.body as {
      messages: { role: string; content: string }[];
      tools?: { function: { name: string } }[];
    };

  it('stores them once and reads them back once; every request still carries them', async () => {
    server = await startFakeOpenAI();
    const s = store();
    const a = counted(s);
    const workerA = callModelOn(a.store);
    for (let i = 0; i < 6; i++) server.push({ kind: 'text', text: 'ok' });
    // Two runs on one worker: the second run's first call stores nothing again, and no
    // later call reads back what this worker stored.
    await run(workerA, call('run-a1', true));
    await run(workerA, call('run-a1', false));
    await run(workerA, call('run-a2', true));
    await run(workerA, call('run-a2', false));
    expect(a.calls).toEqual({ putPrompt: 1, getPrompt: 0, putTools: 1, getTools: 0 });
    // Another worker on the same store reads them once, then not again.
    const b = counted(s);
    const workerB = callModelOn(b.store);
    await run(workerB, call('run-a1', false));
    await run(workerB, call('run-a2', false));
    expect(b.calls).toEqual({ putPrompt: 0, getPrompt: 1, putTools: 0, getTools: 1 });
    for (let i = 0; i < 6; i++) {
      expect(sent(i).messages[0]).toEqual({ role: 'system', content: text });
      expect(sent(i).tools?.map((t) => t.function.name)).toEqual(['echo']);
    }
    expect(await s.getPrompt(pin.hash)).toMatchObject({ name: 'a/instructions', content: text });
  });

  it('remembers nothing that a failed write would have stored', async () => {
    server = await startFakeOpenAI();
    const a = counted(store(), 1);
    const worker = callModelOn(a.store);
    server.push({ kind: 'text', text: 'ok' });
    const err = await run(worker, call('run-f', true)).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/disk full/);
    expect(server.requests).toHaveLength(0);
    // The retry writes it again, and then the prompt is there for any worker to read.
    await run(worker, call('run-f', true));
    expect(a.calls.putPrompt).toBe(2);
    expect(await a.store.getPrompt(pin.hash)).toMatchObject({ content: text });
  });

  it('still refuses a first call whose text does not match the pin, after the right one was remembered', async () => {
    server = await startFakeOpenAI();
    const worker = callModelOn(store());
    server.push({ kind: 'text', text: 'ok' });
    await run(worker, call('run-g', true));
    const wrong = { ...call('run-h', true), promptContent: 'Answer at length.' };
    const err = await run(worker, wrong).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'internal', nonRetryable: true });
    expect((err as Error).message).toMatch(/does not match its pinned hash/);
    expect(server.requests).toHaveLength(1);
  });
});
