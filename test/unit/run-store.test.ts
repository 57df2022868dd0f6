import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteRunStore, type RunStore, type WriteFence } from '../../activities/store/run-store.ts';
import { runStoreContract } from '../helpers/run-store-contract.ts';
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

runStoreContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-store-'));
  dirs.push(dir);
  return [openSqliteRunStore(join(dir, 'runs.db')), openSqliteRunStore(join(dir, 'runs.db'))];
});

describe('run store (SQLite): files from older versions', () => {
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
