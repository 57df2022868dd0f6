import { z } from 'zod';
import type { Message, ToolMessage, ToolResult, ToolSpec } from './messages.ts';

/**
 * Context assembly under a token budget. A model call's request is built from typed
 * sections, each with an overflow policy, so that what is sent is curated rather than
 * "everything we have", and every call can say what it sent and what it left out.
 *
 * Pure and sandbox-safe: token counting is passed in (`TokenCounter`), so the same packing
 * runs in an activity with a real tokenizer and in tests with a toy one.
 *
 * Layout (stable first, so provider prompt caching hits on every step):
 *   system prompt + pinned business data  → `system`   ┐ the stable prefix: identical across
 *   tool definitions                      → `tools`    ┘ the steps of a run
 *   task (user input) + retrieved documents → the first user message
 *   [summary of dropped history]            → a user message, when history was trimmed
 *   history (earlier turns), recent (the turns that must stay) → the rest of `messages`
 *
 * Overflow policies, applied to the flexible sections in ascending priority until the
 * request fits `contextWindow − outputReserve`:
 * - `retrieved`: drop the lowest-ranked documents first (lowest score, then latest listed);
 * - `history`: drop the oldest turns first; an assistant turn and its tool results go
 *   together, and the kept history never starts with a tool message; a provided `summary`
 *   takes the place of what was dropped;
 * - `recent`: never dropped; its largest tool results are truncated, down to a floor.
 * Any tool result longer than `maxToolResultTokens` is truncated with a marker
 * `[truncated: N of M tokens omitted]`, never removed: a tool call needs its result.
 * `system`, `tools`, `pinned` and `task` are always sent whole; if they alone exceed the
 * budget, the record says so (`overBudgetTokens > 0`) and the caller decides (typically a
 * `context_too_long` failure, which routing answers with a larger model).
 *
 * @example
 * const packed = packContext({
 *   tokenizer: tokenizerFor(model),            // activities/context/tokenizer.ts
 *   budget: { contextWindow: 128_000, outputReserve: 4_000 },
 *   system: 'You are a support agent.',
 *   tools: specs,
 *   pinned: [{ name: 'customer', content: JSON.stringify(customer) }],
 *   task: 'Why was order ord_123 refunded twice?',
 *   retrieved: retrieval.chunks,               // RetrievedChunk[] from the retrieve activity
 *   history: conversation.slice(0, -2),
 *   recent: conversation.slice(-2),
 * });
 * // Still too big after every policy: fail as `context_too_long` (routing moves to a
 * // model with a larger window).
 * if (packed.record.overBudgetTokens > 0) throw contextTooLongFailure(packed.record);
 * const request = { model, system: packed.system, messages: packed.messages, tools: packed.tools, maxOutputTokens: 4_000 };
 */

/** Counts tokens of a text for one model family. `exact: false` marks an approximation
 * (a provider without a public tokenizer); it is carried into the context record. */
export interface TokenCounter {
  readonly name: string;
  readonly exact: boolean;
  count(text: string): number;
  /** Optional: a prefix of `text` of about `maxTokens` tokens, made without counting the
   * whole text (an encoder can stop early). Lets truncation skip its binary search. */
  prefix?(text: string, maxTokens: number): string;
}
type Count = (text: string) => number;
type Prefix = (text: string, maxTokens: number) => string;

// ---------------------------------------------------------------------------------------
// Counting messages and tool specs

/** Framing tokens per chat message (role markers, separators). OpenAI's chat format spends
 * 3 per message (`<|start|>role\n … <|end|>`, per OpenAI's token-counting cookbook) plus
 * the reply priming; 4 covers that with a token to spare. Anthropic does not publish its
 * framing; the same constant is used. */
export const MESSAGE_OVERHEAD_TOKENS = 4;
/** Framing per tool call and per tool result inside a message (OpenAI sends each tool
 * result as its own message; Anthropic wraps each in a content block). */
export const TOOL_PART_OVERHEAD_TOKENS = 4;
/** Framing per tool definition, on top of the JSON of its name, description and schema.
 * Providers render definitions in their own internal syntax; the JSON is a close, slightly
 * high estimate of it. */
export const TOOL_SPEC_OVERHEAD_TOKENS = 8;

/** Tokens of one tool call: the JSON of `{ id, name, input }` plus framing. */
function countToolCall(call: { id: string; name: string; input: unknown }, count: Count): number {
  return count(JSON.stringify({ id: call.id, name: call.name, input: call.input })) + TOOL_PART_OVERHEAD_TOKENS;
}

/** Tokens of one tool result besides its content: the JSON of its envelope
 * `{ callId, name }` plus framing. */
function toolResultEnvelopeTokens(result: ToolResult, count: Count): number {
  return count(JSON.stringify({ callId: result.callId, name: result.name })) + TOOL_PART_OVERHEAD_TOKENS;
}

/** Tokens of one tool result: its content as sent (raw text) plus its envelope. */
function countToolResult(result: ToolResult, count: Count): number {
  return count(result.content) + toolResultEnvelopeTokens(result, count);
}

/** Tokens a message costs in a request: its text, the JSON of its tool calls, or its tool
 * results, plus `MESSAGE_OVERHEAD_TOKENS`. */
export function countMessageTokens(message: Message, count: Count): number {
  switch (message.role) {
    case 'user':
      return count(message.content) + MESSAGE_OVERHEAD_TOKENS;
    case 'assistant':
      return (
        count(message.text) +
        message.toolCalls.reduce((n, c) => n + countToolCall(c, count), 0) +
        MESSAGE_OVERHEAD_TOKENS
      );
    case 'tool':
      return message.results.reduce((n, r) => n + countToolResult(r, count), 0) + MESSAGE_OVERHEAD_TOKENS;
  }
}

/** What a message costs before any truncation: its total (as `countMessageTokens`) and, for
 * a tool message, each result's content and envelope. Computed once, when the message is
 * appended to a stored conversation, and stored with it (per tokenizer), so packing a long
 * conversation never re-tokenizes what it already counted. */
export const messageTokensSchema = z.object({
  tokens: z.number().int().nonnegative(),
  results: z
    .array(z.object({ content: z.number().int().nonnegative(), envelope: z.number().int().nonnegative() }))
    .optional(),
});
export type MessageTokens = z.infer<typeof messageTokensSchema>;

/** The `MessageTokens` of a message. */
export function countMessageParts(message: Message, count: Count): MessageTokens {
  if (message.role !== 'tool') return { tokens: countMessageTokens(message, count) };
  const results = message.results.map((r) => ({
    content: count(r.content),
    envelope: toolResultEnvelopeTokens(r, count),
  }));
  return { tokens: results.reduce((n, p) => n + p.content + p.envelope, 0) + MESSAGE_OVERHEAD_TOKENS, results };
}

/** Tokens a tool definition costs: the JSON of `{ name, description, parameters }` plus
 * `TOOL_SPEC_OVERHEAD_TOKENS`. */
export function countToolSpecTokens(spec: ToolSpec, count: Count): number {
  return (
    count(JSON.stringify({ name: spec.name, description: spec.description, parameters: spec.inputSchema })) +
    TOOL_SPEC_OVERHEAD_TOKENS
  );
}

// ---------------------------------------------------------------------------------------
// Truncation

export function truncationMarker(omitted: number, total: number): string {
  return `[truncated: ${omitted} of ${total} tokens omitted]`;
}

export interface Truncation {
  text: string;
  truncated: boolean;
  /** Tokens of the original text. */
  originalTokens: number;
  /** Tokens of the returned text (marker included). */
  tokens: number;
  /** `originalTokens` minus the tokens of the kept prefix; the N of the marker. */
  omittedTokens: number;
}

/**
 * Cuts `text` to at most `maxTokens` tokens, marker included: a prefix that fits, then a
 * line `[truncated: N of M tokens omitted]`. A `count` function is enough: the longest
 * fitting prefix is found by binary search over its length. With a tokenizer's `prefix`
 * the cut is found directly (and may be a token or two short of the longest). A text within
 * the limit comes back unchanged. When `maxTokens` cannot even hold the marker, the marker
 * alone is returned (the only case above the bound).
 *
 * @example
 * truncateToTokens(hugeLog, 2_000, tok.count, tok.prefix).text
 * // '…first lines of the log…\n[truncated: 48211 of 50211 tokens omitted]'
 */
export function truncateToTokens(text: string, maxTokens: number, count: Count, prefix?: Prefix): Truncation {
  const originalTokens = count(text);
  if (originalTokens <= maxTokens) {
    return { text, truncated: false, originalTokens, tokens: originalTokens, omittedTokens: 0 };
  }
  const build = (length: number) => {
    let cut = length;
    // Never split a surrogate pair.
    if (cut > 0 && cut < text.length && isHighSurrogate(text.charCodeAt(cut - 1))) cut -= 1;
    const prefix = text.slice(0, cut);
    const omittedTokens = originalTokens - (cut === 0 ? 0 : count(prefix));
    const candidate = `${prefix}${cut === 0 ? '' : '\n'}${truncationMarker(omittedTokens, originalTokens)}`;
    return { text: candidate, tokens: count(candidate), omittedTokens };
  };
  let best = build(0);
  if (best.tokens > maxTokens) return { ...best, truncated: true, originalTokens };
  if (prefix) {
    // The marker never has more digits than this one.
    let room = maxTokens - count(`\n${truncationMarker(originalTokens, originalTokens)}`);
    for (let tries = 0; room > 0 && tries < 8; tries++) {
      const attempt = build(commonPrefixLength(prefix(text, room), text));
      if (attempt.tokens <= maxTokens) return { ...attempt, truncated: true, originalTokens };
      room -= Math.max(1, attempt.tokens - maxTokens);
    }
  }
  // Largest prefix length whose result fits. A first guess bounds the search cheaply for
  // huge texts (a token is rarely more than a few characters).
  let lo = 0;
  let hi = text.length - 1;
  const guess = Math.min(hi, maxTokens * 8);
  const atGuess = build(guess);
  if (atGuess.tokens <= maxTokens) {
    best = atGuess;
    lo = guess;
  } else {
    hi = guess - 1;
  }
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const attempt = build(mid);
    if (attempt.tokens <= maxTokens) {
      best = attempt;
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return { ...best, truncated: true, originalTokens };
}

function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

// ---------------------------------------------------------------------------------------
// Inputs

/** Structured business data pinned into the stable prefix (a customer record, an order,
 * account limits). Render it deterministically (e.g. `JSON.stringify`) so the prefix stays
 * byte-identical across steps. */
export const pinnedItemSchema = z.object({ name: z.string().min(1), content: z.string() });
export type PinnedItem = z.infer<typeof pinnedItemSchema>;

/** A retrieved document (chunk) with its rank score: higher is better. A `RetrievedChunk`
 * from `core/retrieval.ts` is one. */
export const retrievedDocumentSchema = z.object({
  id: z.string().min(1),
  score: z.number(),
  text: z.string(),
  source: z.string().optional(),
  title: z.string().optional(),
});
export type RetrievedDocument = z.infer<typeof retrievedDocumentSchema>;

export const contextSections = ['system', 'tools', 'pinned', 'task', 'retrieved', 'history', 'recent'] as const;
export const contextSectionSchema = z.enum(contextSections);
export type ContextSection = z.infer<typeof contextSectionSchema>;

/** The sections that give way when the request does not fit. */
export const flexibleSections = ['retrieved', 'history', 'recent'] as const;
export type FlexibleSection = (typeof flexibleSections)[number];

export const sectionLimitSchema = z.object({
  /** Lower gives way first when the whole request is over budget. */
  priority: z.number().optional(),
  /** A cap for this section alone, applied whether or not the whole fits. */
  maxTokens: z.number().int().nonnegative().optional(),
});
export type SectionLimit = z.infer<typeof sectionLimitSchema>;

/** Defaults: old history gives way first, then retrieved documents, then (by truncating its
 * tool results) the recent turns. */
export const defaultSectionPriorities: Record<FlexibleSection, number> = { history: 10, retrieved: 20, recent: 30 };
/** Default cap for any single tool result. */
export const DEFAULT_MAX_TOOL_RESULT_TOKENS = 8_000;
/** Default floor when recent tool results are squeezed to fit the window. */
export const DEFAULT_MIN_TOOL_RESULT_TOKENS = 256;

export const contextBudgetSchema = z.object({
  contextWindow: z.number().int().positive(),
  /** Tokens kept free for the answer (usually the request's `maxOutputTokens`). */
  outputReserve: z.number().int().nonnegative(),
  /** Cap for any single tool result, in history and recent alike. */
  maxToolResultTokens: z.number().int().positive().optional(),
  /** How far recent tool results may be squeezed when the request is over budget. */
  minToolResultTokens: z.number().int().positive().optional(),
  sections: z.partialRecord(z.enum(flexibleSections), sectionLimitSchema).optional(),
});
export type ContextBudget = z.infer<typeof contextBudgetSchema>;

export interface ContextInput {
  tokenizer: TokenCounter;
  budget: ContextBudget;
  system: string;
  tools: ToolSpec[];
  pinned?: PinnedItem[];
  /** The run's input, sent as the first user message (before history). For a multi-turn
   * chat, leave it out and pass earlier turns in `history`, the latest in `recent`. */
  task?: string;
  /** In rank order or not: dropping goes by `score`. Kept documents keep their order. */
  retrieved?: RetrievedDocument[];
  /** Earlier turns, oldest first. */
  history?: Message[];
  /** The latest turns, which are always sent (e.g. the last assistant tool calls and their
   * results). If it starts with a tool message, the assistant turn it answers is moved
   * here from `history`. */
  recent?: Message[];
  /** A summary of earlier history, made elsewhere (a cheap-model call). Inserted in place
   * of dropped history, only when history was trimmed. */
  summary?: string;
  /** The summary stands for earlier turns that are not in `history` at all (they were
   * summarized before): send it even when nothing in `history` is dropped. */
  summaryCoversDropped?: boolean;
  /** A message of `history` or `recent` already measured: what `measureMessage` returns for
   * it with this tokenizer and `maxToolResultTokens` (undefined: measure it here). Lets a
   * caller that keeps a conversation across calls count each message once. */
  measure?: (message: Message) => MeasuredMessage | undefined;
}

// ---------------------------------------------------------------------------------------
// The record

export const contextPolicies = ['keep', 'drop-lowest-ranked', 'drop-oldest', 'truncate-tool-results'] as const;

export const sectionRecordSchema = z.object({
  section: contextSectionSchema,
  policy: z.enum(contextPolicies),
  /** Tokens this section adds to the request as sent. */
  tokens: z.number().int().nonnegative(),
  /** Items given: messages, documents, tool definitions or pinned items. */
  items: z.number().int().nonnegative(),
  kept: z.number().int().nonnegative(),
  /** Tool results cut with a truncation marker. */
  truncated: z.number().int().nonnegative(),
  dropped: z.number().int().nonnegative(),
  /** Tokens removed by truncation. */
  omittedTokens: z.number().int().nonnegative().optional(),
  /** Retrieved documents: which were sent and which were left out. */
  ids: z.object({ kept: z.array(z.string()), dropped: z.array(z.string()) }).optional(),
  /** History: whether a summary took the place of the dropped turns. */
  summarized: z.boolean().optional(),
});
export type SectionRecord = z.infer<typeof sectionRecordSchema>;

/** What one model call was sent, section by section. Small enough for history and the
 * run's query. `totalTokens` is the sum of the sections' tokens. */
export const contextRecordSchema = z.object({
  sections: z.array(sectionRecordSchema),
  totalTokens: z.number().int().nonnegative(),
  /** `contextWindow − outputReserve`. */
  budgetTokens: z.number().int().nonnegative(),
  contextWindow: z.number().int().positive(),
  outputReserve: z.number().int().nonnegative(),
  /** How far the request is over the budget after every policy ran (0 when it fits). */
  overBudgetTokens: z.number().int().nonnegative(),
  tokenizer: z.object({ name: z.string(), exact: z.boolean() }),
  /** System + tool definitions + pinned data: identical across steps, so providers can
   * cache it. */
  stablePrefixTokens: z.number().int().nonnegative(),
  stablePrefixShare: z.number().min(0).max(1),
  /** A hash (FNV-1a, 32 bit) of the stable prefix: a change between steps of a run means a
   * prompt-cache miss. */
  stablePrefixHash: z.string(),
});
export type ContextRecord = z.infer<typeof contextRecordSchema>;

/** The record as history keeps it (every call's result carries one): sections the request
 * had nothing in (no items, no tokens) are left out, the prefix share is rounded to 0.1%;
 * `totalTokens` is unchanged. */
export function compactContextRecord(record: ContextRecord): ContextRecord {
  return {
    ...record,
    sections: record.sections.filter((s) => s.items > 0 || s.tokens > 0),
    stablePrefixShare: Math.round(record.stablePrefixShare * 1000) / 1000,
  };
}

export interface PackedContext {
  system: string;
  messages: Message[];
  tools: ToolSpec[];
  record: ContextRecord;
}

// ---------------------------------------------------------------------------------------
// Rendering

export function renderPinned(items: readonly PinnedItem[]): string {
  return items.map((p) => `<pinned name="${escapeAttr(p.name)}">\n${p.content}\n</pinned>`).join('\n');
}

export function renderDocument(doc: RetrievedDocument): string {
  const source = doc.source === undefined ? '' : ` source="${escapeAttr(doc.source)}"`;
  const title = doc.title === undefined ? '' : ` title="${escapeAttr(doc.title)}"`;
  return `<document id="${escapeAttr(doc.id)}"${source}${title}>\n${doc.text}\n</document>\n`;
}

const documentsOpen = '<documents>\n';
const documentsClose = '</documents>';
const taskDocumentsSeparator = '\n\n';
const systemPinnedSeparator = '\n\n';

export function renderSummary(summary: string): string {
  return `[Summary of earlier turns, left out to fit the context window]\n${summary}`;
}

function escapeAttr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/** FNV-1a, 32 bit: a cheap, deterministic fingerprint (not a security hash). */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

// ---------------------------------------------------------------------------------------
// Packing

/** A message as it will be sent, with its token count. For a tool message, per result:
 * the tokens of its content as sent, of its envelope, and those cut away (0: sent whole);
 * `original` is the message as given, so a second cut starts from the original content and
 * the marker always speaks of the original size. */
export interface MeasuredMessage {
  readonly value: Message;
  readonly tokens: number;
  readonly original: Message;
  readonly parts: readonly { content: number; envelope: number; omitted: number }[];
}
type Counted = MeasuredMessage;

const truncatedCount = (m: Counted) => m.parts.filter((p) => p.omitted > 0).length;
const omittedSum = (m: Counted) => m.parts.reduce((n, p) => n + p.omitted, 0);
const toolMessageTokens = (parts: Counted['parts']) =>
  parts.reduce((n, p) => n + p.content + p.envelope, 0) + MESSAGE_OVERHEAD_TOKENS;

/** Cuts result `index` of a tool message to `cap` tokens (no-op when it fits). */
function cutToolResult(m: Counted, index: number, cap: number, count: Count, prefix?: Prefix): Counted {
  if (m.original.role !== 'tool' || m.value.role !== 'tool') return m;
  const cut = truncateToTokens(m.original.results[index]!.content, cap, count, prefix);
  if (!cut.truncated && m.parts[index]!.omitted === 0) return m;
  const results = m.value.results.map((r, i) => (i === index ? { ...r, content: cut.text } : r));
  const parts = m.parts.map((p, i) => (i === index ? { ...p, content: cut.tokens, omitted: cut.omittedTokens } : p));
  return { value: { role: 'tool', results }, tokens: toolMessageTokens(parts), original: m.original, parts };
}

/** Counts a message, capping every tool result at `cap` tokens. `known` are its counts
 * measured before (`countMessageParts` with the same tokenizer): only a result over the cap
 * is then tokenized again, to cut it. */
function capToolResults(message: Message, cap: number, count: Count, prefix?: Prefix, known?: MessageTokens): Counted {
  if (message.role !== 'tool')
    return {
      value: message,
      tokens: known?.tokens ?? countMessageTokens(message, count),
      original: message,
      parts: [],
    };
  const sizes = known?.results?.length === message.results.length ? known.results : undefined;
  const cuts = message.results.map((r, i) => {
    const tokens = sizes?.[i]?.content;
    return tokens !== undefined && tokens <= cap
      ? { text: r.content, truncated: false, tokens, omittedTokens: 0 }
      : truncateToTokens(r.content, cap, count, prefix);
  });
  const parts = message.results.map((r, i) => ({
    content: cuts[i]!.tokens,
    envelope: sizes?.[i]?.envelope ?? toolResultEnvelopeTokens(r, count),
    omitted: cuts[i]!.omittedTokens,
  }));
  const value: ToolMessage = cuts.some((c) => c.truncated)
    ? { role: 'tool', results: message.results.map((r, i) => ({ ...r, content: cuts[i]!.text })) }
    : message;
  return { value, tokens: toolMessageTokens(parts), original: message, parts };
}

/**
 * A message as `packContext` would measure it: its tokens as sent, every tool result capped
 * at `maxToolResultTokens` (default `DEFAULT_MAX_TOOL_RESULT_TOKENS`) with a truncation
 * marker. `known` (its `countMessageParts`, stored with it) saves counting it again.
 */
export function measureMessage(
  message: Message,
  tokenizer: TokenCounter,
  maxToolResultTokens = DEFAULT_MAX_TOOL_RESULT_TOKENS,
  known?: MessageTokens,
): MeasuredMessage {
  const count: Count = (t) => (t.length === 0 ? 0 : tokenizer.count(t));
  const prefix: Prefix | undefined = tokenizer.prefix ? (t, n) => tokenizer.prefix!(t, n) : undefined;
  return capToolResults(message, maxToolResultTokens, count, prefix, known);
}

/** Groups messages into turns that are kept or dropped whole: an assistant message with the
 * tool messages after it; a user message alone; a leading tool message (no call before it)
 * alone, and it is never kept at the start. */
function groupTurns(messages: readonly Counted[]): Counted[][] {
  const groups: Counted[][] = [];
  for (const m of messages) {
    const last = groups.at(-1);
    if (m.value.role === 'tool' && last && last[0]!.value.role === 'assistant') last.push(m);
    else groups.push([m]);
  }
  return groups;
}

const sum = (xs: readonly { tokens: number }[]) => xs.reduce((n, x) => n + x.tokens, 0);

/**
 * Packs the sections into a request that fits `contextWindow − outputReserve` and records
 * what was sent. See the module comment for the layout and the overflow policies.
 */
export function packContext(input: ContextInput): PackedContext {
  const { tokenizer, budget } = input;
  const count: Count = (t) => (t.length === 0 ? 0 : tokenizer.count(t));
  const prefix: Prefix | undefined = tokenizer.prefix ? (t, n) => tokenizer.prefix!(t, n) : undefined;
  const budgetTokens = Math.max(0, budget.contextWindow - budget.outputReserve);
  const maxToolResult = budget.maxToolResultTokens ?? DEFAULT_MAX_TOOL_RESULT_TOKENS;
  const minToolResult = Math.min(budget.minToolResultTokens ?? DEFAULT_MIN_TOOL_RESULT_TOKENS, maxToolResult);
  const limit = (s: FlexibleSection) => ({
    priority: budget.sections?.[s]?.priority ?? defaultSectionPriorities[s],
    maxTokens: budget.sections?.[s]?.maxTokens,
  });

  // Fixed sections: always sent whole.
  const pinned = input.pinned ?? [];
  const pinnedText =
    pinned.length === 0 ? '' : (input.system === '' ? '' : systemPinnedSeparator) + renderPinned(pinned);
  const systemTokens = input.system === '' && pinnedText === '' ? 0 : count(input.system) + MESSAGE_OVERHEAD_TOKENS;
  const pinnedTokens = count(pinnedText);
  const toolsTokens = input.tools.reduce((n, t) => n + countToolSpecTokens(t, count), 0);
  const task = input.task;
  const taskTokens = task === undefined ? 0 : countMessageTokens({ role: 'user', content: task }, count);

  // Retrieved documents.
  const docs = (input.retrieved ?? []).map((d, index) => ({ doc: d, index, tokens: count(renderDocument(d)) }));
  const docsKept = new Set(docs.map((d) => d.index));
  const docsWrapperTokens =
    count(documentsOpen) +
    count(documentsClose) +
    (task === undefined ? MESSAGE_OVERHEAD_TOKENS : count(taskDocumentsSeparator));
  const retrievedTokens = () => {
    const kept = docs.filter((d) => docsKept.has(d.index));
    return kept.length === 0 ? 0 : docsWrapperTokens + sum(kept);
  };
  const dropOrder = [...docs].sort((a, b) => a.doc.score - b.doc.score || b.index - a.index);
  const shrinkRetrieved = (target: number) => {
    for (const d of dropOrder) {
      if (retrievedTokens() <= target) return;
      docsKept.delete(d.index);
    }
  };

  // History and recent, with every tool result capped.
  const historyIn = [...(input.history ?? [])];
  const recentIn = [...(input.recent ?? [])];
  // A tool message needs the assistant turn that called it: move that turn into recent.
  while (recentIn[0]?.role === 'tool' && historyIn.length > 0) {
    const moved = historyIn.pop()!;
    recentIn.unshift(moved);
    if (moved.role === 'assistant') break;
  }
  const measure = (m: Message) => input.measure?.(m) ?? capToolResults(m, maxToolResult, count, prefix);
  const historyGroups = groupTurns(historyIn.map(measure));
  const recent = recentIn.map(measure);
  let firstKeptGroup = 0;
  // A leading orphan tool message never starts the kept history.
  while (historyGroups[firstKeptGroup]?.[0]?.value.role === 'tool') firstKeptGroup += 1;
  const orphanGroups = firstKeptGroup;
  const summaryMessage: Message | undefined =
    input.summary === undefined || input.summary === ''
      ? undefined
      : { role: 'user', content: renderSummary(input.summary) };
  const summaryTokens = summaryMessage ? countMessageTokens(summaryMessage, count) : 0;
  const historyKeptTokens = () => historyGroups.slice(firstKeptGroup).reduce((n, g) => n + sum(g), 0);
  const historyDropped = () => firstKeptGroup > orphanGroups || input.summaryCoversDropped === true;
  let useSummary = summaryMessage !== undefined && historyDropped();
  const historyTokens = () => historyKeptTokens() + (useSummary ? summaryTokens : 0);
  const shrinkHistory = (target: number) => {
    if (historyTokens() <= target) return;
    const withSummary = summaryMessage !== undefined;
    // A running sum: dropping k of n turns costs O(n), not O(k·n).
    let kept = historyKeptTokens();
    while (firstKeptGroup < historyGroups.length && kept + (withSummary ? summaryTokens : 0) > target) {
      kept -= sum(historyGroups[firstKeptGroup]!);
      firstKeptGroup += 1;
    }
    useSummary = withSummary && historyDropped() && kept + summaryTokens <= target;
  };

  const recentTokens = () => sum(recent);
  const shrinkRecent = (target: number) => {
    let excess = recentTokens() - target;
    if (excess <= 0) return;
    // Largest tool results first, each down to no less than the floor.
    const parts = recent.flatMap((m, mi) => m.parts.map((p, ri) => ({ mi, ri, tokens: p.content })));
    parts.sort((a, b) => b.tokens - a.tokens || a.mi - b.mi || a.ri - b.ri);
    for (const part of parts) {
      if (excess <= 0) break;
      if (part.tokens <= minToolResult) continue;
      const cap = Math.max(minToolResult, part.tokens - excess);
      const before = recent[part.mi]!;
      const after = cutToolResult(before, part.ri, cap, count, prefix);
      recent[part.mi] = after;
      excess -= before.tokens - after.tokens;
    }
  };

  const shrink: Record<FlexibleSection, { tokens: () => number; to: (target: number) => void }> = {
    retrieved: { tokens: retrievedTokens, to: shrinkRetrieved },
    history: { tokens: historyTokens, to: shrinkHistory },
    recent: { tokens: recentTokens, to: shrinkRecent },
  };

  // 1. Per-section caps.
  for (const s of flexibleSections) {
    const cap = limit(s).maxTokens;
    if (cap !== undefined) shrink[s].to(cap);
  }
  // 2. The whole request: flexible sections give way in ascending priority.
  const fixedTokens = systemTokens + pinnedTokens + toolsTokens + taskTokens;
  const total = () => fixedTokens + retrievedTokens() + historyTokens() + recentTokens();
  const order = [...flexibleSections].sort((a, b) => limit(a).priority - limit(b).priority);
  for (const s of order) {
    const over = total() - budgetTokens;
    if (over <= 0) break;
    shrink[s].to(Math.max(0, shrink[s].tokens() - over));
  }

  // Assemble.
  const system = input.system + pinnedText;
  const keptDocs = docs.filter((d) => docsKept.has(d.index));
  const docsBlock =
    keptDocs.length === 0 ? '' : documentsOpen + keptDocs.map((d) => renderDocument(d.doc)).join('') + documentsClose;
  const messages: Message[] = [];
  if (task !== undefined) {
    messages.push({ role: 'user', content: docsBlock === '' ? task : task + taskDocumentsSeparator + docsBlock });
  } else if (docsBlock !== '') {
    messages.push({ role: 'user', content: docsBlock });
  }
  if (useSummary && summaryMessage) messages.push(summaryMessage);
  const keptGroups = historyGroups.slice(firstKeptGroup);
  for (const g of keptGroups) for (const m of g) messages.push(m.value);
  for (const m of recent) messages.push(m.value);

  // Record.
  const historyItems = historyIn.length;
  const historyKept = keptGroups.reduce((n, g) => n + g.length, 0);
  const keptHistory = keptGroups.flat();
  const sections: SectionRecord[] = [
    {
      section: 'system',
      policy: 'keep',
      tokens: systemTokens,
      items: input.system === '' ? 0 : 1,
      kept: input.system === '' ? 0 : 1,
      truncated: 0,
      dropped: 0,
    },
    {
      section: 'tools',
      policy: 'keep',
      tokens: toolsTokens,
      items: input.tools.length,
      kept: input.tools.length,
      truncated: 0,
      dropped: 0,
    },
    {
      section: 'pinned',
      policy: 'keep',
      tokens: pinnedTokens,
      items: pinned.length,
      kept: pinned.length,
      truncated: 0,
      dropped: 0,
    },
    {
      section: 'task',
      policy: 'keep',
      tokens: taskTokens,
      items: task === undefined ? 0 : 1,
      kept: task === undefined ? 0 : 1,
      truncated: 0,
      dropped: 0,
    },
    {
      section: 'retrieved',
      policy: 'drop-lowest-ranked',
      tokens: retrievedTokens(),
      items: docs.length,
      kept: keptDocs.length,
      truncated: 0,
      dropped: docs.length - keptDocs.length,
      ids: {
        kept: keptDocs.map((d) => d.doc.id),
        dropped: docs.filter((d) => !docsKept.has(d.index)).map((d) => d.doc.id),
      },
    },
    {
      section: 'history',
      policy: 'drop-oldest',
      tokens: historyTokens(),
      items: historyItems,
      kept: historyKept,
      truncated: keptHistory.reduce((n, m) => n + truncatedCount(m), 0),
      dropped: historyItems - historyKept,
      omittedTokens: keptHistory.reduce((n, m) => n + omittedSum(m), 0),
      summarized: useSummary,
    },
    {
      section: 'recent',
      policy: 'truncate-tool-results',
      tokens: recentTokens(),
      items: recent.length,
      kept: recent.length,
      truncated: recent.reduce((n, m) => n + truncatedCount(m), 0),
      dropped: 0,
      omittedTokens: recent.reduce((n, m) => n + omittedSum(m), 0),
    },
  ];
  const totalTokens = sections.reduce((n, s) => n + s.tokens, 0);
  const stablePrefixTokens = systemTokens + toolsTokens + pinnedTokens;
  const record: ContextRecord = {
    sections,
    totalTokens,
    budgetTokens,
    contextWindow: budget.contextWindow,
    outputReserve: budget.outputReserve,
    overBudgetTokens: Math.max(0, totalTokens - budgetTokens),
    tokenizer: { name: tokenizer.name, exact: tokenizer.exact },
    stablePrefixTokens,
    stablePrefixShare: totalTokens === 0 ? 0 : stablePrefixTokens / totalTokens,
    stablePrefixHash: fnv1a(JSON.stringify([system, input.tools])),
  };
  return { system, messages, tools: input.tools, record };
}
