/**
 * The `readTrace` activity: one page of a run's trace records, with the content references
 * a reader needs resolved from the run store. Run by the `traceReader` workflow on the run's
 * task queue, so what it returns goes through the workers' payload codec: with encryption
 * on, only a client holding the keys can read it.
 */
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { toolSpecSchema, type Message } from '../../core/messages.ts';
import {
  readTraceInputSchema,
  type ModelAttempt,
  type ReadTraceInput,
  type StoredTraceRecord,
  type TracePage,
} from '../../core/trace.ts';
import { formatIssues } from '../../core/zod-issues.ts';
import type { RunStore } from '../store/run-store.ts';
import { schemaHashOf } from './record.ts';

/** A page stops growing past this many bytes of JSON (one Temporal payload holds 2 MiB;
 * the history of the reader workflow stays small). */
export const TRACE_PAGE_MAX_BYTES = 512 * 1024;
/** Records per page unless the reader asks for fewer. */
export const TRACE_PAGE_DEFAULT_LIMIT = 200;
/** A tool result stored by reference is resolved up to this many characters. */
export const TRACE_RESULT_MAX_CHARS = 16_000;
/** With `detail`: each text of a message sent is cut to this many characters. */
export const TRACE_SENT_TEXT_MAX_CHARS = 4_000;

export function createReadTrace(store: RunStore) {
  return async function readTrace(raw: ReadTraceInput): Promise<TracePage> {
    const parsed = readTraceInputSchema.safeParse(raw);
    if (!parsed.success) {
      throw ApplicationFailure.create({
        type: 'invalid_input',
        nonRetryable: true,
        message: `invalid trace request: ${formatIssues(parsed.error)}`,
      });
    }
    const input = parsed.data;
    const limit = input.limit ?? TRACE_PAGE_DEFAULT_LIMIT;
    const rows = await store.readTrace(input.runId, {
      limit,
      ...(input.step !== undefined ? { step: input.step } : {}),
      ...(input.after !== undefined ? { after: input.after } : {}),
    });
    if (rows.length === 0 && input.after === undefined) {
      // No records: perhaps the run's content was erased. Say so rather than show an empty run.
      const [erasure] = await store.readErasures({ runId: input.runId, limit: 1 });
      if (erasure) return { records: [], erased: { at: erasure.at, by: erasure.by, reason: erasure.reason } };
    }
    const resolver = createResolver(store, input.detail === true);
    const records: StoredTraceRecord[] = [];
    let bytes = 0;
    for (const row of rows) {
      const record = await resolver.resolve(row);
      const size = JSON.stringify(record).length;
      // Always at least one record per page, so paging makes progress.
      if (records.length > 0 && bytes + size > TRACE_PAGE_MAX_BYTES) return { records, next: records.at(-1)!.seq };
      records.push(record);
      bytes += size;
    }
    return rows.length === limit && records.length > 0 ? { records, next: records.at(-1)!.seq } : { records };
  };
}

/** Resolves references, reading each stored tool set and conversation once per page. */
function createResolver(store: RunStore, detail: boolean) {
  const toolSets = new Map<string, Promise<ModelAttempt['tools']['offered']>>();
  const conversations = new Map<string, Promise<Map<number, Message>>>();
  const toolSet = (ref: string) => {
    let set = toolSets.get(ref);
    if (!set) {
      set = store
        .getContent(ref)
        .then((json) =>
          z
            .array(toolSpecSchema)
            .parse(JSON.parse(json))
            .map((t) => ({ name: t.name, schemaHash: schemaHashOf(t.inputSchema) })),
        )
        .catch(() => undefined);
      toolSets.set(ref, set);
    }
    return set;
  };
  const conversation = (id: string) => {
    let c = conversations.get(id);
    if (!c) {
      c = store
        .readConversation(id, -1)
        .then(({ rows }) => new Map(rows.map((r) => [r.position, r.message])))
        .catch(() => new Map<number, Message>());
      conversations.set(id, c);
    }
    return c;
  };

  async function resolveModel(r: ModelAttempt & { seq: number }): Promise<StoredTraceRecord> {
    let out = r;
    if (r.tools.ref && !r.tools.offered) {
      const offered = await toolSet(r.tools.ref);
      if (offered) out = { ...out, tools: { ...out.tools, offered } };
    }
    const ref = r.answer?.ref;
    if (ref && r.answer && !r.answer.text) {
      const m = (await conversation(ref.conversationId)).get(ref.position);
      if (m?.role === 'assistant') out = { ...out, answer: { ...r.answer, text: m.text } };
    }
    if (detail && r.messages.conversationId) {
      const messages = await conversation(r.messages.conversationId);
      const sent: Message[] = [];
      for (let p = 0; p < r.messages.length; p++) {
        // Summarized positions went as their summary, not as themselves.
        if (r.messages.summaryUpTo !== undefined && p >= 1 && p < r.messages.summaryUpTo) continue;
        const m = messages.get(p);
        if (m) sent.push(cutMessage(m));
      }
      out = { ...out, sent };
    }
    return out;
  }

  return {
    async resolve(r: StoredTraceRecord): Promise<StoredTraceRecord> {
      if (r.kind === 'model') return resolveModel(r);
      const ref = r.result?.ref;
      if (!ref || !r.result) return r;
      try {
        const whole = await store.getContent(ref);
        return {
          ...r,
          result: { ...r.result, content: whole.slice(0, TRACE_RESULT_MAX_CHARS), chars: whole.length },
        };
      } catch {
        return r; // The stored start is still there; the rest is gone (expired, foreign store).
      }
    },
  };
}

const cut = (text: string) =>
  text.length <= TRACE_SENT_TEXT_MAX_CHARS
    ? text
    : `${text.slice(0, TRACE_SENT_TEXT_MAX_CHARS)}… [${text.length - TRACE_SENT_TEXT_MAX_CHARS} more characters]`;

function cutMessage(m: Message): Message {
  switch (m.role) {
    case 'user':
      return { ...m, content: cut(m.content) };
    case 'assistant':
      return { ...m, text: cut(m.text) };
    case 'tool':
      return { ...m, results: m.results.map((r) => ({ ...r, content: cut(r.content) })) };
  }
}
