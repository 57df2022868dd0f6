import {
  countMessageParts,
  measureMessage,
  type MeasuredMessage,
  type MessageTokens,
  type TokenCounter,
} from '../../core/context.ts';
import type { Message } from '../../core/messages.ts';
import { StoreDataMissingError, type RunStore, type TokenCounts } from '../store/run-store.ts';
import type { Tokenizer } from './tokenizer.ts';

/**
 * A worker's copy of the stored conversations it served last, so a model call reads, parses
 * and counts only what was written since its previous call of the same run, not the whole
 * conversation: without it a run's CPU grew with the square of its length (10 ms of context
 * work per call at step 50, 60 ms at step 300).
 *
 * The run store stays the source of truth. Every call asks it for the rows written after
 * the last write this copy has seen (`RunStore.readConversation`, by write sequence number),
 * so a position rewritten by another worker (an answer a later call replaced), a call after
 * a restart, or a call on a worker that never saw the run all get exactly what the store
 * holds, and build the same request. Token counts are stored with each message when it is
 * written; a count the store lacks (a message written before counts were stored, or counted
 * by another tokenizer) is made once and written back (`flush`).
 *
 * Bounded: at most `maxConversations` conversations and about `maxChars` characters of
 * stored JSON; the least recently used go first.
 */
export interface ConversationCache {
  /** The first `length` messages of a stored conversation, as the store holds them now.
   * Throws `StoreDataMissingError` when the store has fewer. */
  load(store: RunStore, conversationId: string, length: number): Promise<LoadedConversation>;
  /** Token counts of messages about to be written, one per message (`TokenCounts` with one
   * tokenizer), counted here so `work.tokenized` sees every count. */
  countNew(tokenizer: Tokenizer, messages: readonly Message[]): TokenCounts[];
  /** What this cache did since it was made: rows read and parsed, messages tokenized,
   * messages measured for packing. Per call, each grows with the new messages only. */
  readonly work: ContextWork;
  readonly size: number;
}

export interface ContextWork {
  parsed: number;
  tokenized: number;
  measured: number;
}

export interface LoadedConversation {
  messages: Message[];
  /** Measures a loaded message for packing (`ContextInput.measure`), with stored counts,
   * each message at most once per tokenizer and tool-result cap while it stays cached. */
  measurer(tokenizer: Tokenizer, maxToolResultTokens?: number): (message: Message) => MeasuredMessage | undefined;
  /** `tokenizer` with its counts of long texts that recur every call (system prompt, tool
   * definitions, the task) remembered. */
  counter(tokenizer: Tokenizer): TokenCounter;
  /** Writes the counts made during this call that the store lacks. */
  flush(): Promise<void>;
}

export interface ConversationCacheOptions {
  maxConversations?: number;
  maxChars?: number;
}

interface Meta {
  position: number;
  seq: number;
  tokens: TokenCounts;
}

interface Entry {
  /** The highest write sequence number applied. */
  seq: number;
  messages: Message[];
  seqs: number[];
  chars: number[];
  totalChars: number;
  /** How many leading positions are held. */
  contiguous: number;
  meta: WeakMap<Message, Meta>;
  measured: Map<string, WeakMap<Message, MeasuredMessage>>;
  texts: Map<string, number>;
}

/** Texts shorter than this are counted again rather than remembered. */
const MEMO_MIN_CHARS = 256;
const MEMO_MAX_TEXTS = 32;

export function createConversationCache(options: ConversationCacheOptions = {}): ConversationCache {
  const maxConversations = options.maxConversations ?? 500;
  const maxChars = options.maxChars ?? 32_000_000;
  const entries = new Map<string, Entry>();
  let totalChars = 0;
  const work: ContextWork = { parsed: 0, tokenized: 0, measured: 0 };

  const count = (tokenizer: Tokenizer, m: Message): MessageTokens => {
    work.tokenized += 1;
    return countMessageParts(m, (t) => (t.length === 0 ? 0 : tokenizer.count(t)));
  };

  const evict = (keep: string) => {
    for (const [id, e] of entries) {
      if (entries.size <= maxConversations && totalChars <= maxChars) return;
      if (id === keep) continue;
      entries.delete(id);
      totalChars -= e.totalChars;
    }
  };

  return {
    work,
    get size() {
      return entries.size;
    },
    countNew: (tokenizer, messages) => messages.map((m) => ({ [tokenizer.name]: count(tokenizer, m) })),
    async load(store, conversationId, length) {
      const e: Entry = entries.get(conversationId) ?? {
        seq: -1,
        messages: [],
        seqs: [],
        chars: [],
        totalChars: 0,
        contiguous: 0,
        meta: new WeakMap(),
        measured: new Map(),
        texts: new Map(),
      };
      const { rows, seq } = await store.readConversation(conversationId, e.seq);
      work.parsed += rows.length;
      for (const r of rows) {
        // A read that raced a newer one never takes a position back.
        if ((e.seqs[r.position] ?? -1) >= r.seq && e.messages[r.position] !== undefined) continue;
        const before = e.chars[r.position] ?? 0;
        e.messages[r.position] = r.message;
        e.seqs[r.position] = r.seq;
        e.chars[r.position] = r.chars;
        e.totalChars += r.chars - before;
        totalChars += r.chars - before;
        e.meta.set(r.message, { position: r.position, seq: r.seq, tokens: { ...r.tokens } });
      }
      e.seq = Math.max(e.seq, seq);
      while (e.messages[e.contiguous] !== undefined) e.contiguous += 1;
      // Most recently used last.
      entries.delete(conversationId);
      entries.set(conversationId, e);
      evict(conversationId);
      if (e.contiguous < length) {
        throw new StoreDataMissingError(
          `conversation ${conversationId}: expected ${length} stored messages, found ${e.contiguous}`,
        );
      }
      const pending: { position: number; seq: number; tokenizer: string; tokens: MessageTokens }[] = [];
      return {
        messages: e.messages.slice(0, length),
        measurer(tokenizer, maxToolResultTokens) {
          const key = `${tokenizer.name}\u0000${maxToolResultTokens ?? ''}`;
          let memo = e.measured.get(key);
          if (!memo) {
            memo = new WeakMap();
            e.measured.set(key, memo);
          }
          const known = memo;
          return (m) => {
            const hit = known.get(m);
            if (hit) return hit;
            const meta = e.meta.get(m);
            if (!meta) return undefined;
            let tokens = meta.tokens[tokenizer.name];
            if (!tokens) {
              tokens = count(tokenizer, m);
              meta.tokens[tokenizer.name] = tokens;
              pending.push({ position: meta.position, seq: meta.seq, tokenizer: tokenizer.name, tokens });
            }
            work.measured += 1;
            const measured = measureMessage(m, tokenizer, maxToolResultTokens, tokens);
            known.set(m, measured);
            return measured;
          };
        },
        counter(tokenizer) {
          return {
            name: tokenizer.name,
            exact: tokenizer.exact,
            prefix: (text, maxTokens) => tokenizer.prefix(text, maxTokens),
            count(text) {
              if (text.length < MEMO_MIN_CHARS) return tokenizer.count(text);
              const key = `${tokenizer.name}\u0000${text}`;
              const held = e.texts.get(key);
              if (held !== undefined) return held;
              if (e.texts.size >= MEMO_MAX_TEXTS) e.texts.clear();
              const n = tokenizer.count(text);
              e.texts.set(key, n);
              return n;
            },
          };
        },
        async flush() {
          if (pending.length) await store.addTokens(conversationId, pending.splice(0));
        },
      };
    },
  };
}
