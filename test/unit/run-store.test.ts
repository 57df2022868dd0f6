import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteRunStore, type RunStore, type WriteFence } from '../../activities/store/run-store.ts';
import type { Message } from '../../core/messages.ts';

const stores: RunStore[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const open = (path = ':memory:') => {
  const s = openSqliteRunStore(path);
  stores.push(s);
  return s;
};

const task: Message = { role: 'user', content: 'refund order 7' };
const answer = (id: string): Message => ({
  role: 'assistant',
  text: '',
  toolCalls: [{ id, name: 'calculator', input: { expression: '1 + 1' } }],
});
const callA: WriteFence = { call: 'run-1/1', scheduledAt: 1_000 };
const callB: WriteFence = { call: 'run-1/2', scheduledAt: 2_000 };

describe('run store: fenced conversation writes', () => {
  it('first writer wins per position: a second attempt of the same call gets the stored answer back', async () => {
    const store = open();
    await store.putMessages('c', 0, [task], callA);
    const first = await store.putAnswer('c', 1, { message: answer('call_2_0'), stop: 'tool_calls' }, callA);
    expect(first).toEqual({ message: answer('call_2_0'), stop: 'tool_calls', won: true });
    // The stale attempt comes back later with its own answer: refused, handed the stored one.
    const stale = await store.putAnswer('c', 1, { message: answer('call_1_0'), stop: 'tool_calls' }, callA);
    expect(stale).toEqual({ message: answer('call_2_0'), stop: 'tool_calls', won: false });
    expect(await store.getMessages('c', 2)).toEqual([task, answer('call_2_0')]);
  });

  it('a later call replaces what an earlier one left (an answer the workflow discarded); an earlier call never replaces a later one', async () => {
    const store = open();
    await store.putMessages('c', 0, [task], callA);
    const refused: Message = { role: 'assistant', text: 'I cannot', toolCalls: [] };
    await store.putAnswer('c', 1, { message: refused, stop: 'refusal' }, callA);
    const fallback = await store.putAnswer('c', 1, { message: answer('call_b'), stop: 'tool_calls' }, callB);
    expect(fallback.won).toBe(true);
    // A stale attempt of the earlier call arrives after: it does not win the position back.
    const stale = await store.putAnswer('c', 1, { message: answer('call_a'), stop: 'tool_calls' }, callA);
    expect(stale).toEqual({ message: answer('call_b'), stop: 'tool_calls', won: false });
    // A still later call appends a human's message there; stale appends do not undo it.
    const human: Message = { role: 'user', content: 'try again' };
    await store.putMessages('c', 1, [human], { call: 'run-1/3', scheduledAt: 3_000 });
    await store.putMessages('c', 1, [refused], callA);
    await store.putMessages('c', 1, [answer('call_b')], callB);
    expect(await store.getMessages('c', 2)).toEqual([task, human]);
  });

  it('unfenced writes overwrite, as before (direct callers)', async () => {
    const store = open();
    await store.putMessages('c', 0, [task], callA);
    await store.putMessages('c', 0, [{ role: 'user', content: 'other' }]);
    expect(await store.getMessages('c', 1)).toEqual([{ role: 'user', content: 'other' }]);
    await store.putMessages('c', 0, [task], callA);
    expect(await store.getMessages('c', 1)).toEqual([task]);
  });

  it('the fence holds across two connections to one file (two worker processes)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-store-'));
    dirs.push(dir);
    const one = open(join(dir, 'runs.db'));
    const two = open(join(dir, 'runs.db'));
    await one.putMessages('c', 0, [task], callA);
    expect((await two.putAnswer('c', 1, { message: answer('call_2_0'), stop: 'tool_calls' }, callA)).won).toBe(true);
    expect(await one.putAnswer('c', 1, { message: answer('call_1_0'), stop: 'tool_calls' }, callA)).toMatchObject({
      won: false,
      message: answer('call_2_0'),
    });
  });
});

describe('run store: reading a conversation by write sequence number', () => {
  const counts = { o200k_base: { tokens: 7 } };

  it('returns what was written after a sequence number, parsed, with stored token counts', async () => {
    const store = open();
    await store.putMessages('c', 0, [task], callA, [counts]);
    const first = await store.readConversation('c', -1);
    expect(first.rows).toEqual([
      { position: 0, message: task, tokens: counts, seq: 1, chars: JSON.stringify(task).length },
    ]);
    expect(first.seq).toBe(1);
    await store.putAnswer('c', 1, { message: answer('x'), stop: 'tool_calls' }, callA);
    const next = await store.readConversation('c', first.seq);
    expect(next.rows.map((r) => [r.position, r.seq, r.tokens])).toEqual([[1, 2, {}]]);
    // Nothing new: nothing read, the sequence number stays.
    expect(await store.readConversation('c', next.seq)).toEqual({ rows: [], seq: next.seq });
    // Other conversations have sequence numbers of their own.
    await store.putMessages('d', 0, [task]);
    expect((await store.readConversation('d', -1)).seq).toBe(1);
  });

  it('a rewritten position (a later call replacing a discarded answer) comes back with a new number', async () => {
    const store = open();
    await store.putMessages('c', 0, [task], callA);
    await store.putAnswer(
      'c',
      1,
      { message: { role: 'assistant', text: 'no', toolCalls: [] }, stop: 'refusal' },
      callA,
    );
    const seen = await store.readConversation('c', -1);
    await store.putAnswer('c', 1, { message: answer('b'), stop: 'tool_calls' }, callB);
    // A stale attempt that loses the position writes nothing, so it is not news either.
    await store.putAnswer('c', 1, { message: answer('a'), stop: 'tool_calls' }, callA);
    const after = await store.readConversation('c', seen.seq);
    expect(after.rows.map((r) => [r.position, r.message])).toEqual([[1, answer('b')]]);
  });

  it('adds token counts of another tokenizer without a new write, only to the write that was counted', async () => {
    const store = open();
    await store.putMessages('c', 0, [task], callA, [counts]);
    const { seq } = await store.readConversation('c', -1);
    await store.addTokens('c', [{ position: 0, seq, tokenizer: 'cl100k_base', tokens: { tokens: 8 } }]);
    // Counted against a write that has since been replaced: ignored.
    await store.addTokens('c', [{ position: 0, seq: seq - 1, tokenizer: 'x', tokens: { tokens: 1 } }]);
    expect(await store.readConversation('c', seq)).toEqual({ rows: [], seq });
    const [row] = (await store.readConversation('c', -1)).rows;
    expect(row!.tokens).toEqual({ o200k_base: { tokens: 7 }, cl100k_base: { tokens: 8 } });
  });

  it('opens a file from before sequence numbers: its rows read as write 0, later writes number on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-store-'));
    dirs.push(dir);
    const file = join(dir, 'runs.db');
    const { DatabaseSync } = await import('node:sqlite');
    const old = new DatabaseSync(file);
    old.exec(`CREATE TABLE messages (conversation TEXT NOT NULL, position INTEGER NOT NULL, body TEXT NOT NULL,
      PRIMARY KEY (conversation, position)) WITHOUT ROWID`);
    old.prepare('INSERT INTO messages VALUES (?, ?, ?)').run('c', 0, JSON.stringify(task));
    old.close();
    const store = open(file);
    const read = await store.readConversation('c', -1);
    expect(read.rows.map((r) => [r.position, r.seq, r.message, r.tokens])).toEqual([[0, 0, task, {}]]);
    await store.putAnswer('c', 1, { message: answer('x'), stop: 'tool_calls' }, callA);
    expect((await store.readConversation('c', read.seq)).rows.map((r) => [r.position, r.seq])).toEqual([[1, 1]]);
  });
});
