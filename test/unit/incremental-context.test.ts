import { afterEach, describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Logger } from '@temporalio/common';
import { createCallModel, SUMMARY_LOW_WATER, type ModelAdapters } from '../../activities/call-model.ts';
import { assembleRequest } from '../../activities/context/assemble.ts';
import { tokenizerFor } from '../../activities/context/tokenizer.ts';
import { createConversationCache, type ConversationCache } from '../../activities/context/conversation-cache.ts';
import type { ModelAdapter } from '../../activities/model/types.ts';
import { openSqliteRunStore, type RunStore } from '../../activities/store/run-store.ts';
import type { CallModelInput } from '../../core/activity-contracts.ts';
import type { Message } from '../../core/messages.ts';
import type { ModelRef, ModelRequest, ModelResponse } from '../../core/model.ts';

const silent: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const stores: RunStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

const main: ModelRef = { provider: 'openai', name: 'gpt-4o' };
const summarizerModel: ModelRef = { provider: 'anthropic', name: 'claude-haiku-4-5' };
const tools = [{ name: 'lookup', description: 'Looks things up.', inputSchema: { type: 'object' } }];

const words = 'order refund carrier invoice warehouse ticket status delayed payment review customer region'.split(' ');
function prose(chars: number, seed: number): string {
  let out = '';
  for (let i = seed; out.length < chars; i++) out += `${words[(i * 7 + seed) % words.length]} `;
  return out.slice(0, chars);
}

/** A worker: `callModel` over a shared store with its own conversation cache, and the
 * requests its model and summarizer were sent. */
function worker(store: RunStore, conversations: ConversationCache = createConversationCache()) {
  const sent: ModelRequest[] = [];
  const summarized: ModelRequest[] = [];
  let answer: (step: number) => ModelResponse['message'] = (step) => ({
    role: 'assistant',
    text: `step ${step}: ${prose(120, step)}`,
    toolCalls: [{ id: `call_${step}`, name: 'lookup', input: { q: prose(30, step) } }],
  });
  const response = (message: ModelResponse['message']): ModelResponse => ({
    message,
    stop: message.toolCalls.length ? 'tool_calls' : 'end',
    usage: { input: 1, output: 1, cachedInput: 0, cacheWrite: 0 },
    modelVersion: 'm',
    latencyMs: 0,
  });
  let step = 0;
  const model: ModelAdapter = {
    provider: 'openai',
    call: async (req) => {
      sent.push(req);
      return response(answer(step));
    },
  };
  const summarizer: ModelAdapter = {
    provider: 'anthropic',
    call: async (req) => {
      summarized.push(req);
      return response({ role: 'assistant', text: `summary ${summarized.length}: ${prose(200, 3)}`, toolCalls: [] });
    },
  };
  const adapters: ModelAdapters = { openai: model, anthropic: summarizer };
  const callModel = createCallModel(adapters, { store, conversations });
  return {
    sent,
    summarized,
    conversations,
    answerWith(f: typeof answer) {
      answer = f;
    },
    async call(input: CallModelInput, activityId = String(input.step), scheduledAt = input.step) {
      step = input.step;
      const env = new MockActivityEnvironment(
        {
          attempt: 1,
          activityId,
          scheduledTimestampMs: scheduledAt,
          workflowExecution: { workflowId: input.runId, runId: 'r1' },
        },
        { logger: silent },
      );
      return (await env.run(callModel, input)) as ModelResponse;
    },
  };
}

/** What the workflow sends: the conversation by reference, the messages not stored yet. */
function input(
  step: number,
  storedLength: number,
  append: Message[],
  opts: { model?: ModelRef; summarize?: boolean; summarizer?: ModelRef } = {},
): CallModelInput {
  return {
    runId: 'run-1',
    step,
    timeoutMs: 10_000,
    request: {
      model: opts.model ?? main,
      system: `You are careful. ${prose(400, 1)}`,
      messages: [],
      tools,
      maxOutputTokens: 256,
    },
    conversation: { id: 'run-1', storedLength, append },
    ...(opts.summarize ? { summarizer: opts.summarizer ?? summarizerModel } : {}),
  };
}

const toolResult = (response: ModelResponse, chars: number, seed: number): Message => {
  const call = response.message.toolCalls[0]!;
  return { role: 'tool', results: [{ callId: call.id, name: call.name, content: prose(chars, seed), isError: false }] };
};

/** Runs `steps` agent steps on `w`, calling `each` after every call. */
async function runSteps(
  w: ReturnType<typeof worker>,
  steps: number,
  opts: { model?: ModelRef; summarize?: boolean; summarizer?: ModelRef; resultChars?: number } = {},
  each?: (step: number) => void,
) {
  let storedLength = 0;
  let pending: Message[] = [{ role: 'user', content: `Task: ${prose(300, 2)}` }];
  for (let step = 1; step <= steps; step++) {
    const r = await w.call(input(step, storedLength, pending, opts));
    storedLength = r.conversationLength!;
    pending = [toolResult(r, opts.resultChars ?? 200, step)];
    each?.(step);
  }
  return { storedLength, pending };
}

describe('callModel: incremental context', () => {
  it('per call, parses, counts and measures only the new messages, however long the run', async () => {
    const store = openSqliteRunStore(':memory:');
    stores.push(store);
    const w = worker(store);
    const perCall: { parsed: number; tokenized: number; measured: number }[] = [];
    let before = { ...w.conversations.work };
    await runSteps(w, 120, { model: { ...main, contextWindow: 8_000 }, summarize: true }, () => {
      const now = { ...w.conversations.work };
      perCall.push({
        parsed: now.parsed - before.parsed,
        tokenized: now.tokenized - before.tokenized,
        measured: now.measured - before.measured,
      });
      before = now;
    });
    // The window (8k) fills within the run: history is dropped and summarized, and still each
    // call reads the tool result and the previous answer, counts each once (appending and
    // storing), and measures them once.
    expect(w.summarized.length).toBeGreaterThan(0);
    for (const work of perCall.slice(1)) {
      expect(work).toEqual({ parsed: 2, tokenized: 2, measured: 2 });
    }
  });

  it('a worker that never saw the run builds exactly the request the warm worker builds, and the one from the store alone', async () => {
    const store = openSqliteRunStore(':memory:');
    stores.push(store);
    const warm = worker(store);
    const small = { ...main, contextWindow: 6_000 };
    const { storedLength, pending } = await runSteps(warm, 40, { model: small, summarize: true, resultChars: 600 });
    expect(warm.summarized.length).toBeGreaterThan(0);
    const next = input(41, storedLength, pending, { model: small, summarize: true });
    await warm.call(next);
    // A retry of the same call on a fresh worker (a crash, a restart): the same request.
    const cold = worker(store);
    await cold.call(next);
    expect(cold.summarized).toEqual([]);
    expect(cold.sent[0]).toEqual(warm.sent.at(-1));
    // ...which is what packing the stored conversation from scratch gives.
    const messages = await store.getMessages('run-1', storedLength + 1);
    const summary = await store.getSummary('run-1');
    const fromScratch = assembleRequest({ ...next.request, messages }, summary);
    expect(warm.sent.at(-1)).toEqual(fromScratch.request);
    expect(fromScratch.record.sections.find((s) => s.section === 'history')?.summarized).toBe(true);
  });

  it('sees a position another worker rewrote (an answer a fallback call replaced)', async () => {
    const store = openSqliteRunStore(':memory:');
    stores.push(store);
    const a = worker(store);
    const b = worker(store);
    const task: Message = { role: 'user', content: 'Task: refund order 7' };
    // Call 1 on worker A: refused; the workflow discards it and falls back on worker B.
    a.answerWith(() => ({ role: 'assistant', text: 'I will not', toolCalls: [] }));
    await a.call(input(1, 0, [task]), '1', 1);
    const fallback = await b.call(input(1, 0, [task]), '2', 2);
    expect(fallback.message.toolCalls).toHaveLength(1);
    // Step 2 lands on worker A again: it sends B's answer, not the one it stored itself.
    await a.call(input(2, 2, [toolResult(fallback, 50, 1)]), '3', 3);
    const sentAnswer = a.sent.at(-1)!.messages[1];
    expect(sentAnswer).toEqual(fallback.message);
  });

  it('summarizes with hysteresis: down to the low-water mark, so not on every step once the window is full', async () => {
    const store = openSqliteRunStore(':memory:');
    stores.push(store);
    const w = worker(store);
    const small = { ...main, contextWindow: 8_000 };
    const summarizedAt: number[] = [];
    await runSteps(w, 150, { model: small, summarize: true, resultChars: 400 }, (step) => {
      if (w.summarized.length > summarizedAt.length) summarizedAt.push(step);
    });
    // About 180 tokens a step against an 8k window: full after ~40 steps. Before, every
    // later step made a summary (~110); now each summary frees ~45% of the budget.
    expect(summarizedAt.length).toBeGreaterThanOrEqual(3);
    expect(summarizedAt.length).toBeLessThan(12);
    const gaps = summarizedAt.slice(1).map((s, i) => s - summarizedAt[i]!);
    expect(Math.min(...gaps)).toBeGreaterThan(10);
    // Incremental, as before: each summary after the first folds in the one before it.
    expect(w.summarized[1]!.messages[0]!.role === 'user' && w.summarized[1]!.messages[0]!.content).toMatch(
      /^Summary so far:\nsummary 1: /,
    );
    // Every main request fits, and right after a summary it fills about the low-water mark.
    const budget = 8_000 - 256;
    const justAfter = w.sent[summarizedAt[1]! - 1]!;
    const packed = assembleRequest(justAfter, undefined);
    expect(packed.record.totalTokens).toBeLessThanOrEqual(budget * (SUMMARY_LOW_WATER + 0.1));
    for (const req of w.sent) expect(assembleRequest(req, undefined).record.overBudgetTokens).toBe(0);
  });

  it("summarizes in several calls when the turns would not fit the summarizer's own window", async () => {
    const store = openSqliteRunStore(':memory:');
    stores.push(store);
    const w = worker(store);
    const tight: ModelRef = { ...summarizerModel, contextWindow: 3_000 };
    const summarizedAt: number[] = [];
    await runSteps(
      w,
      90,
      { model: { ...main, contextWindow: 9_000 }, summarize: true, summarizer: tight, resultChars: 400 },
      (step) => {
        while (summarizedAt.length < w.summarized.length) summarizedAt.push(step);
      },
    );
    // ~110 tokens a step: full after ~75 steps; then ~45% of an 8.7k budget to summarize,
    // at most ~1.8k tokens of turns a call.
    expect(summarizedAt.length).toBeGreaterThan(1);
    expect(summarizedAt.filter((s) => s === summarizedAt[0]).length).toBeGreaterThan(1);
    const tok = tokenizerFor(tight);
    for (const req of w.summarized) {
      const content = req.messages[0]!.role === 'user' ? req.messages[0]!.content : '';
      expect(tok.count(req.system) + tok.count(content)).toBeLessThan(3_000 - 400);
    }
    for (const req of w.sent) expect(assembleRequest(req, undefined).record.overBudgetTokens).toBe(0);
  });

  it('a call with another tokenizer (a fallback model) counts each message once and stores the counts', async () => {
    const store = openSqliteRunStore(':memory:');
    stores.push(store);
    const w = worker(store);
    const { storedLength, pending } = await runSteps(w, 10);
    const claude: ModelRef = { provider: 'anthropic', name: 'claude-sonnet-4-5' };
    const before = w.conversations.work.tokenized;
    const r = await w.call(input(11, storedLength, pending, { model: claude }));
    // The new tool result, the 19 stored messages after the task it had not counted (the
    // task is sent as a text of its own), and the answer.
    expect(w.conversations.work.tokenized - before).toBe(1 + (storedLength - 1) + 1);
    const stored = (await store.readConversation('run-1', -1)).rows;
    expect(stored.filter((row) => Object.keys(row.tokens).length === 2)).toHaveLength(storedLength - 1);
    // A worker that never saw the run finds both counts stored: it counts nothing again.
    const cold = worker(store);
    const next: Message = { role: 'user', content: 'and?' };
    await cold.call(input(12, r.conversationLength!, [next], { model: claude }));
    expect(cold.conversations.work.tokenized).toBe(2);
    // Back on gpt-4o: what only the Claude calls counted (4 messages) is counted once more.
    await cold.call(input(13, r.conversationLength! + 2, [next], { model: main }));
    expect(cold.conversations.work.tokenized).toBe(2 + 1 + 4 + 1);
  });

  it('keeps at most so many conversations, least recently used out first', async () => {
    const store = openSqliteRunStore(':memory:');
    stores.push(store);
    const cache = createConversationCache({ maxConversations: 2 });
    for (const id of ['a', 'b', 'c']) await store.putMessages(id, 0, [{ role: 'user', content: id }]);
    await cache.load(store, 'a', 1);
    await cache.load(store, 'b', 1);
    await cache.load(store, 'a', 1);
    await cache.load(store, 'c', 1);
    expect(cache.size).toBe(2);
    const parsed = cache.work.parsed;
    await cache.load(store, 'a', 1); // still held: nothing read
    expect(cache.work.parsed).toBe(parsed);
    await cache.load(store, 'b', 1); // evicted: read again
    expect(cache.work.parsed).toBe(parsed + 1);
    await expect(cache.load(store, 'a', 2)).rejects.toThrow(/expected 2 stored messages, found 1/);
  });
});
