import type { Message } from '../../core/messages.ts';
import type { ModelRef, ModelRequest } from '../../core/model.ts';
import { packContext, type ContextRecord, type MeasuredMessage, type TokenCounter } from '../../core/context.ts';
import type { TokenizerFamily } from '../../core/provider-profile.ts';
import { tokenizerFor } from './tokenizer.ts';

/** Context windows (tokens) by model family, when the model ref does not say. Approximate
 * and conservative; set `contextWindow` on the model ref to be exact. */
const windows: [RegExp, number][] = [
  [/^gpt-4\.1/, 1_047_576],
  [/^gpt-5/, 400_000],
  [/^(o1|o3|o4)/, 200_000],
  [/^gpt-4o/, 128_000],
  [/^claude-/, 200_000],
];
export const DEFAULT_CONTEXT_WINDOW = 128_000;

export function contextWindowOf(model: ModelRef): number {
  return model.contextWindow ?? windows.find(([re]) => re.test(model.name))?.[1] ?? DEFAULT_CONTEXT_WINDOW;
}

/** How many trailing messages always go out whole (the latest turn and what answers it). */
const RECENT_MESSAGES = 3;

export interface AssembleOptions {
  /** Counts with this instead of the family's tokenizer (e.g. one that remembers texts). */
  counter?: TokenCounter;
  /** Messages measured before (`ContextInput.measure`). */
  measure?: (message: Message) => MeasuredMessage | undefined;
  /** Pack into this share of the budget (0–1]: where history would have to start for the
   * request to fill only that much of the window. Used to summarize with hysteresis. */
  fill?: number;
}

/**
 * Packs a request into the model's window minus its output reserve, with real token counts:
 * the task (first user message) and the latest turns are kept, older history is dropped
 * oldest-first with tool call/result pairs together, long tool results are truncated with a
 * marker. Returns the request to send and the record of what was kept, cut or dropped.
 * `tokenizer` is the provider's tokenizer family (see `tokenizerFor`).
 */
export function assembleRequest(
  request: ModelRequest,
  summary?: { upTo: number; text: string },
  tokenizer?: TokenizerFamily,
  options: AssembleOptions = {},
): { request: ModelRequest; record: ContextRecord; droppedUpTo: number } {
  const [first, ...rest] = request.messages;
  const task = first?.role === 'user' ? first.content : undefined;
  const offset = task === undefined ? 0 : 1;
  const body: Message[] = task === undefined ? request.messages : rest;
  const split = Math.max(0, body.length - RECENT_MESSAGES);
  // Messages a summary covers are left out; the summary stands in for them.
  const from = summary ? Math.min(split, Math.max(0, summary.upTo - offset)) : 0;
  const history = body.slice(from, split);
  const window = contextWindowOf(request.model);
  const fill = options.fill ?? 1;
  const packed = packContext({
    tokenizer: options.counter ?? tokenizerFor(request.model, tokenizer),
    budget: {
      contextWindow:
        fill >= 1
          ? window
          : request.maxOutputTokens + Math.floor(Math.max(0, window - request.maxOutputTokens) * Math.max(0, fill)) ||
            1,
      outputReserve: request.maxOutputTokens,
    },
    ...(options.measure ? { measure: options.measure } : {}),
    system: request.system,
    tools: request.tools,
    ...(task !== undefined ? { task } : {}),
    history,
    recent: body.slice(split),
    ...(summary && from > 0 ? { summary: summary.text, summaryCoversDropped: true } : {}),
  });
  const historyRecord = packed.record.sections.find((s) => s.section === 'history');
  // Positions (in the whole conversation) before which nothing is sent as is.
  const droppedUpTo = offset + from + (historyRecord?.dropped ?? 0);
  return {
    request: { ...request, system: packed.system, messages: packed.messages, tools: packed.tools },
    record: packed.record,
    droppedUpTo,
  };
}
