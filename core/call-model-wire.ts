import type { CallModelInput } from './activity-contracts.ts';
import type { Message, ToolMessage, ToolResult } from './messages.ts';
import type { ModelRef } from './model.ts';

/**
 * The `callModel` argument as history carries it (every step schedules one).
 *
 * What workflows leave out today (`packCallModelInput`): the start of a tool result kept in
 * the run store (`ref`) among the appended messages — the activity reads the whole content
 * from the store and never uses the start (history keeps it once, in the tool call's own
 * result). Activities of every earlier version read such a message the same way.
 *
 * What activities also accept (`unpackCallModelInput`), for a later release to send: the
 * fields whose value the activity can tell on its own —
 * - `conversation.id` equal to the run's id (a run's own conversation);
 * - `summarizer` equal to the call's model: `'model'`;
 * - an empty `request.system`, `request.tools` or `request.messages` (a run sends them by
 *   reference: `prompt`, `toolsRef`, `conversation`).
 * Workflows do not send that form yet: an activity of an earlier version, still polling the
 * task queue during a rolling deploy, would read the missing fields as empty (about 120 B of
 * history a step). Once every worker runs a version that unpacks, workflows may send it.
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

const withoutContent = ({ content: _content, ...r }: ToolResult) => r;

const withoutStoredContent = (m: Message): WireMessage =>
  m.role === 'tool' && m.results.some((r) => r.ref !== undefined)
    ? { ...m, results: m.results.map((r) => (r.ref !== undefined ? withoutContent(r) : r)) }
    : m;

/** A stored result's content is read from the store by the activity (`withContent`), so
 * an empty start stands in for the one left out: never read `content` of a result with a
 * `ref` before that. Results that kept their content are passed on as they came. */
const withContentField = (m: WireMessage): Message =>
  m.role === 'tool'
    ? { ...m, results: m.results.map((r) => (r.content === undefined ? { ...r, content: '' } : (r as ToolResult))) }
    : m;

/** `input` as history carries it: stored tool results without their start (see above). */
export function packCallModelInput(input: CallModelInput): CallModelWireInput {
  const { conversation } = input;
  return conversation
    ? { ...input, conversation: { ...conversation, append: conversation.append.map(withoutStoredContent) } }
    : input;
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
