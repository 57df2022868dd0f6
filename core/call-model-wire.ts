import type { CallModelInput } from './activity-contracts.ts';
import type { Message, ToolMessage, ToolResult } from './messages.ts';
import type { ModelRef } from './model.ts';

/**
 * The `callModel` argument as history carries it (every step schedules one): the fields
 * whose value the activity can tell on its own are left out, and `unpackCallModelInput`
 * puts them back before anything reads the input, so the activity works on exactly what
 * the workflow meant.
 * - `conversation.id` equal to the run's id (a run's own conversation);
 * - `summarizer` equal to the call's model: `'model'`;
 * - an empty `request.system`, `request.tools` or `request.messages` (a run sends them by
 *   reference: `prompt`, `toolsRef`, `conversation`);
 * - the start of a tool result kept in the run store (`ref`) among the appended messages:
 *   the activity reads the whole content from the store and never uses the start (history
 *   keeps it once, in the tool call's own result).
 * A whole `CallModelInput` is a valid wire input too (older histories, direct callers).
 */
export type CallModelWireInput = Omit<CallModelInput, 'request' | 'conversation' | 'summarizer'> & {
  request: Omit<CallModelInput['request'], 'system' | 'tools' | 'messages'> &
    Partial<Pick<CallModelInput['request'], 'system' | 'tools' | 'messages'>>;
  conversation?: Omit<NonNullable<CallModelInput['conversation']>, 'id' | 'append'> & {
    id?: string;
    append: WireMessage[];
  };
  summarizer?: ModelRef | 'model';
};

/** A message as the wire input appends it: a tool result with `ref` may leave out `content`. */
type WireMessage =
  Exclude<Message, ToolMessage> | { role: 'tool'; results: (Omit<ToolResult, 'content'> & { content?: string })[] };

const withoutStoredContent = (m: Message): WireMessage =>
  m.role === 'tool' && m.results.some((r) => r.ref !== undefined)
    ? { ...m, results: m.results.map(({ content, ...r }) => (r.ref !== undefined ? r : { ...r, content })) }
    : m;

/** A stored result's content is read from the store by the activity (`withContent`):
 * an empty start stands in for the one left out. */
const withContentField = (m: WireMessage): Message =>
  m.role === 'tool' ? { ...m, results: m.results.map((r) => ({ ...r, content: r.content ?? '' })) } : m;

/** The same model, every field alike (so the model put back is the summarizer as sent). */
const sameModel = (a: ModelRef, b: ModelRef) => a === b || JSON.stringify(a) === JSON.stringify(b);

/** `input` with what the activity can tell on its own left out. */
export function packCallModelInput(input: CallModelInput): CallModelWireInput {
  const { system, tools, messages, ...request } = input.request;
  const conversation = input.conversation;
  return {
    ...input,
    request: {
      ...request,
      ...(system !== '' ? { system } : {}),
      ...(tools.length ? { tools } : {}),
      ...(messages.length ? { messages } : {}),
    },
    ...(conversation
      ? {
          conversation:
            conversation.id === input.runId
              ? { storedLength: conversation.storedLength, append: conversation.append.map(withoutStoredContent) }
              : { ...conversation, append: conversation.append.map(withoutStoredContent) },
        }
      : {}),
    ...(input.summarizer
      ? { summarizer: sameModel(input.summarizer, input.request.model) ? 'model' : input.summarizer }
      : {}),
  };
}

/** The whole input a wire input stands for. */
export function unpackCallModelInput(wire: CallModelWireInput): CallModelInput {
  const { system = '', tools = [], messages = [], ...request } = wire.request;
  const { conversation, summarizer, ...rest } = wire;
  return {
    ...rest,
    request: { ...request, system, tools, messages },
    ...(conversation
      ? {
          conversation: {
            ...conversation,
            id: conversation.id ?? wire.runId,
            append: conversation.append.map(withContentField),
          },
        }
      : {}),
    ...(summarizer ? { summarizer: summarizer === 'model' ? wire.request.model : summarizer } : {}),
  };
}
