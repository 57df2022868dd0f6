import { afterEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { StoreDataMissingError, type RunStore, type WriteFence } from '../../activities/store/run-store.ts';
import type { Message } from '../../core/messages.ts';
import type { ModelAttempt, ToolAttempt } from '../../core/trace.ts';

/**
 * What every `RunStore` promises, as tests: run against the embedded SQLite store
 * (`test/unit/run-store.test.ts`) and the PostgreSQL one (`test/integration/pg-stores.test.ts`),
 * so the two cannot drift apart. `openPair` opens two stores over the same data (two worker
 * processes); ids are fresh per test, so a shared database needs no cleaning.
 */
export function runStoreContract(label: string, openPair: () => Promise<[RunStore, RunStore]>): void {
  const opened: RunStore[] = [];
  afterEach(() => {
    for (const s of opened.splice(0)) s.close();
  });
  const pair = async () => {
    const both = await openPair();
    opened.push(...both);
    return both;
  };
  const open = async () => (await pair())[0];
  /** A fresh conversation or run id, so tests sharing one database never meet. */
  const fresh = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

  const task: Message = { role: 'user', content: 'refund order 7' };
  const answer = (id: string): Message => ({
    role: 'assistant',
    text: '',
    toolCalls: [{ id, name: 'calculator', input: { expression: '1 + 1' } }],
  });
  const callA: WriteFence = { call: 'run-1/1', scheduledAt: 1_000 };
  const callB: WriteFence = { call: 'run-1/2', scheduledAt: 2_000 };

  describe(`run store (${label}): fenced conversation writes`, () => {
    it('first writer wins per position: a second attempt of the same call gets the stored answer back', async () => {
      const store = await open();
      const c = fresh('c');
      await store.putMessages(c, 0, [task], callA);
      const first = await store.putAnswer(c, 1, { message: answer('call_2_0'), stop: 'tool_calls' }, callA);
      expect(first).toEqual({ message: answer('call_2_0'), stop: 'tool_calls', won: true });
      // The stale attempt comes back later with its own answer: refused, handed the stored one.
      const stale = await store.putAnswer(c, 1, { message: answer('call_1_0'), stop: 'tool_calls' }, callA);
      expect(stale).toEqual({ message: answer('call_2_0'), stop: 'tool_calls', won: false });
      expect(await store.getMessages(c, 2)).toEqual([task, answer('call_2_0')]);
    });

    it('a later call replaces what an earlier one left (an answer the workflow discarded); an earlier call never replaces a later one', async () => {
      const store = await open();
      const c = fresh('c');
      await store.putMessages(c, 0, [task], callA);
      const refused: Message = { role: 'assistant', text: 'I cannot', toolCalls: [] };
      await store.putAnswer(c, 1, { message: refused, stop: 'refusal' }, callA);
      const fallback = await store.putAnswer(c, 1, { message: answer('call_b'), stop: 'tool_calls' }, callB);
      expect(fallback.won).toBe(true);
      // A stale attempt of the earlier call arrives after: it does not win the position back.
      const stale = await store.putAnswer(c, 1, { message: answer('call_a'), stop: 'tool_calls' }, callA);
      expect(stale).toEqual({ message: answer('call_b'), stop: 'tool_calls', won: false });
      // A still later call appends a human's message there; stale appends do not undo it.
      const human: Message = { role: 'user', content: 'try again' };
      await store.putMessages(c, 1, [human], { call: 'run-1/3', scheduledAt: 3_000 });
      await store.putMessages(c, 1, [refused], callA);
      await store.putMessages(c, 1, [answer('call_b')], callB);
      expect(await store.getMessages(c, 2)).toEqual([task, human]);
    });

    it('unfenced writes overwrite, as before (direct callers)', async () => {
      const store = await open();
      const c = fresh('c');
      await store.putMessages(c, 0, [task], callA);
      await store.putMessages(c, 0, [{ role: 'user', content: 'other' }]);
      expect(await store.getMessages(c, 1)).toEqual([{ role: 'user', content: 'other' }]);
      await store.putMessages(c, 0, [task], callA);
      expect(await store.getMessages(c, 1)).toEqual([task]);
    });

    it('the fence holds across two connections (two worker processes)', async () => {
      const [one, two] = await pair();
      const c = fresh('c');
      await one.putMessages(c, 0, [task], callA);
      expect((await two.putAnswer(c, 1, { message: answer('call_2_0'), stop: 'tool_calls' }, callA)).won).toBe(true);
      expect(await one.putAnswer(c, 1, { message: answer('call_1_0'), stop: 'tool_calls' }, callA)).toMatchObject({
        won: false,
        message: answer('call_2_0'),
      });
    });

    it('of many attempts racing for one position from two connections, exactly one wins and all get its answer', async () => {
      const [one, two] = await pair();
      const c = fresh('c');
      await one.putMessages(c, 0, [task], callA);
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          (i % 2 ? one : two).putAnswer(c, 1, { message: answer(`attempt_${i}`), stop: 'tool_calls' }, callA),
        ),
      );
      const winners = results.filter((r) => r.won);
      expect(winners).toHaveLength(1);
      for (const r of results) expect(r.message).toEqual(winners[0]!.message);
      const { rows } = await two.readConversation(c, -1);
      expect(rows.map((r) => r.seq)).toEqual([1, 2]);
    });

    it('getMessages refuses a conversation with fewer messages than asked (lost or foreign data)', async () => {
      const store = await open();
      const c = fresh('c');
      await store.putMessages(c, 0, [task]);
      await expect(store.getMessages(c, 2)).rejects.toBeInstanceOf(StoreDataMissingError);
    });
  });

  describe(`run store (${label}): reading a conversation by write sequence number`, () => {
    const counts = { o200k_base: { tokens: 7 } };

    it('returns what was written after a sequence number, parsed, with stored token counts', async () => {
      const store = await open();
      const c = fresh('c');
      await store.putMessages(c, 0, [task], callA, [counts]);
      const first = await store.readConversation(c, -1);
      expect(first.rows).toEqual([
        { position: 0, message: task, tokens: counts, seq: 1, chars: JSON.stringify(task).length },
      ]);
      expect(first.seq).toBe(1);
      await store.putAnswer(c, 1, { message: answer('x'), stop: 'tool_calls' }, callA);
      const next = await store.readConversation(c, first.seq);
      expect(next.rows.map((r) => [r.position, r.seq, r.tokens])).toEqual([[1, 2, {}]]);
      // Nothing new: nothing read, the sequence number stays.
      expect(await store.readConversation(c, next.seq)).toEqual({ rows: [], seq: next.seq });
      // Other conversations have sequence numbers of their own.
      const d = fresh('d');
      await store.putMessages(d, 0, [task]);
      expect((await store.readConversation(d, -1)).seq).toBe(1);
    });

    it('a rewritten position (a later call replacing a discarded answer) comes back with a new number', async () => {
      const store = await open();
      const c = fresh('c');
      await store.putMessages(c, 0, [task], callA);
      await store.putAnswer(
        c,
        1,
        { message: { role: 'assistant', text: 'no', toolCalls: [] }, stop: 'refusal' },
        callA,
      );
      const seen = await store.readConversation(c, -1);
      await store.putAnswer(c, 1, { message: answer('b'), stop: 'tool_calls' }, callB);
      // A stale attempt that loses the position writes nothing, so it is not news either.
      await store.putAnswer(c, 1, { message: answer('a'), stop: 'tool_calls' }, callA);
      const after = await store.readConversation(c, seen.seq);
      expect(after.rows.map((r) => [r.position, r.message])).toEqual([[1, answer('b')]]);
    });

    it('adds token counts of another tokenizer without a new write, only to the write that was counted', async () => {
      const store = await open();
      const c = fresh('c');
      await store.putMessages(c, 0, [task], callA, [counts]);
      const { seq } = await store.readConversation(c, -1);
      await store.addTokens(c, [{ position: 0, seq, tokenizer: 'cl100k_base', tokens: { tokens: 8 } }]);
      // Counted against a write that has since been replaced: ignored.
      await store.addTokens(c, [{ position: 0, seq: seq - 1, tokenizer: 'x', tokens: { tokens: 1 } }]);
      expect(await store.readConversation(c, seq)).toEqual({ rows: [], seq });
      const [row] = (await store.readConversation(c, -1)).rows;
      expect(row!.tokens).toEqual({ o200k_base: { tokens: 7 }, cl100k_base: { tokens: 8 } });
    });

    it('adds counts of two tokenizers for one message at once, and counts for a message stored without any', async () => {
      const store = await open();
      const c = fresh('c');
      await store.putMessages(c, 0, [task, answer('y')], callA);
      await store.addTokens(c, [
        { position: 0, seq: 1, tokenizer: 'a', tokens: { tokens: 1 } },
        { position: 0, seq: 1, tokenizer: 'b', tokens: { tokens: 2 } },
        { position: 1, seq: 2, tokenizer: 'a', tokens: { tokens: 3 } },
      ]);
      const { rows } = await store.readConversation(c, -1);
      expect(rows.map((r) => r.tokens)).toEqual([{ a: { tokens: 1 }, b: { tokens: 2 } }, { a: { tokens: 3 } }]);
    });
  });

  describe(`run store (${label}): prompts, summaries, content by reference`, () => {
    it('stores prompt versions by content hash, once', async () => {
      const store = await open();
      const content = `You are helpful. ${fresh('p')}`;
      const v = await store.putPrompt({ name: 'support', label: 'prod', content });
      expect(await store.putPrompt({ name: 'support', content })).toEqual({ name: 'support', content, hash: v.hash });
      expect(await store.getPrompt(v.hash)).toEqual({ name: 'support', label: 'prod', content, hash: v.hash });
      expect(await store.getPrompt('0'.repeat(64))).toBeUndefined();
    });

    it('keeps the summary that covers the most, whatever order they arrive in', async () => {
      const store = await open();
      const c = fresh('c');
      expect(await store.getSummary(c)).toBeUndefined();
      await store.putSummary(c, 5, 'up to five');
      await store.putSummary(c, 3, 'stale: up to three');
      expect(await store.getSummary(c)).toEqual({ upTo: 5, text: 'up to five' });
      await store.putSummary(c, 9, 'up to nine');
      expect(await store.getSummary(c)).toEqual({ upTo: 9, text: 'up to nine' });
    });

    it('stores content under a key, a retried write replacing it; a missing key throws typed', async () => {
      const store = await open();
      const key = `${fresh('run')}/tool/4/call-9`;
      await store.putContent(key, 'x'.repeat(5_000));
      await store.putContent(key, 'y'.repeat(5_000));
      expect(await store.getContent(key)).toBe('y'.repeat(5_000));
      await expect(store.getContent(`${key}-nothing`)).rejects.toBeInstanceOf(StoreDataMissingError);
    });
  });

  describe(`run store (${label}): claims`, () => {
    it('the first claim of a key wins, across two connections; later claims get its value back', async () => {
      const [one, two] = await pair();
      const run = fresh('run');
      const key = `${run}/retrieval-index`;
      const claims = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 ? one : two).claimContent(key, `v${i}`, run)),
      );
      expect(new Set(claims).size).toBe(1);
      expect(await one.claimContent(key, 'another', run)).toBe(claims[0]);
      expect(await two.getContent(key)).toBe(claims[0]);
    });
  });

  describe(`run store (${label}): trace records`, () => {
    const model = { provider: 'openai', name: 'gpt-4.1-mini' } as const;
    const modelAttempt = (runId: string, over: Partial<ModelAttempt> = {}): ModelAttempt => ({
      kind: 'model',
      call: 'wf-1/1',
      runId,
      step: 1,
      attempt: 1,
      startedAt: '2026-11-30T10:00:00.000Z',
      endedAt: '2026-11-30T10:00:00.100Z',
      latencyMs: 100,
      outcome: { status: 'ok' },
      model,
      messages: { conversationId: runId, length: 1, appended: 1 },
      tools: {},
      parameters: { maxOutputTokens: 256, timeoutMs: 10_000 },
      ...over,
    });
    const toolAttempt = (runId: string): ToolAttempt => ({
      kind: 'tool',
      call: 'call_1',
      runId,
      step: 1,
      attempt: 1,
      startedAt: '2026-11-30T10:00:01.000Z',
      endedAt: '2026-11-30T10:00:01.010Z',
      latencyMs: 10,
      outcome: { status: 'ok' },
      tool: { name: 'refund_order', version: 'abcd' },
      arguments: { orderId: 'ord_1', amountCents: 500 },
      authorization: { principal: { tenant: 'acme', user: 'alice', scopes: ['orders:write'], roles: [] } },
      result: { content: 'refunded', truncated: false },
    });

    it('writes one record per attempt and reads them back in order, by step, paged', async () => {
      const store = await open();
      const run = fresh('run');
      const failed = { status: 'failed', type: 'provider_unavailable', message: '500', retryable: true } as const;
      await store.putTrace(modelAttempt(run, { attempt: 1, outcome: failed }));
      await store.putTrace(modelAttempt(run, { attempt: 2 }));
      await store.putTrace(toolAttempt(run));
      await store.putTrace(modelAttempt(run, { step: 2, call: 'wf-1/3' }));
      await store.putTrace(modelAttempt(fresh('other')));
      const all = await store.readTrace(run, { limit: 10 });
      expect(all.map((r) => [r.kind, r.step, r.attempt])).toEqual([
        ['model', 1, 1],
        ['model', 1, 2],
        ['tool', 1, 1],
        ['model', 2, 1],
      ]);
      expect(all[0]).toMatchObject({ outcome: { status: 'failed', type: 'provider_unavailable' } });
      expect((await store.readTrace(run, { step: 2, limit: 10 })).map((r) => r.call)).toEqual(['wf-1/3']);
      const first = await store.readTrace(run, { limit: 2 });
      const rest = await store.readTrace(run, { limit: 10, after: first.at(-1)!.seq });
      expect([...first, ...rest]).toEqual(all);
    });

    it('an attempt written again replaces its record in place', async () => {
      const store = await open();
      const run = fresh('run');
      await store.putTrace(modelAttempt(run, { latencyMs: 1 }));
      await store.putTrace(toolAttempt(run));
      await store.putTrace(modelAttempt(run, { latencyMs: 2 }));
      const rows = await store.readTrace(run, { limit: 10 });
      expect(rows.map((r) => [r.kind, r.latencyMs])).toEqual([
        ['model', 2],
        ['tool', 10],
      ]);
    });
  });
}
