import type { ConversationRef } from '../core/activity-contracts.ts';
import type { AssistantMessage, Message } from '../core/messages.ts';

/** What a run carries about its conversation across continue-as-new. */
export interface ConversationState {
  mode: 'inline' | 'stored';
  id: string;
  /** Stored mode: messages already in the run store. */
  storedLength: number;
  /** Inline mode: every message; stored mode: the ones not stored yet. */
  pending: Message[];
  /** Serialized size of the whole conversation, for cost reservations. */
  chars: number;
  toolCounts: Record<string, number>;
  lastText: string;
}

/**
 * The run's conversation as the workflow sees it. In `stored` mode (runs started with the
 * run store) the workflow keeps only what has not been stored yet: each model call sends
 * those few messages by value and the rest by reference, so history grows with the new
 * content of each step, not with the whole conversation. `inline` mode is how runs started
 * before the store kept it (every call carries every message); their histories replay with it.
 */
export function createConversation(state: ConversationState) {
  const s = state;
  return {
    state: () => ({ ...s, pending: [...s.pending], toolCounts: { ...s.toolCounts } }),
    add(m: Message) {
      s.pending.push(m);
      s.chars += JSON.stringify(m).length;
    },
    /** What the next model call sends. */
    forCall(): { messages: Message[]; ref?: ConversationRef } {
      if (s.mode === 'inline') return { messages: [...s.pending] };
      return { messages: [], ref: { id: s.id, storedLength: s.storedLength, append: [...s.pending] } };
    },
    /** Records the model's answer (stored by the activity in stored mode). */
    commit(answer: AssistantMessage, conversationLength?: number) {
      s.chars += JSON.stringify(answer).length;
      for (const c of answer.toolCalls) s.toolCounts[c.name] = (s.toolCounts[c.name] ?? 0) + 1;
      if (answer.text.trim()) s.lastText = answer.text;
      if (s.mode === 'inline') {
        s.pending.push(answer);
        return;
      }
      s.storedLength = conversationLength ?? s.storedLength + s.pending.length + 1;
      s.pending = [];
    },
    get chars() {
      return s.chars;
    },
    get toolCounts() {
      return s.toolCounts;
    },
    get lastText() {
      return s.lastText;
    },
  };
}
export type Conversation = ReturnType<typeof createConversation>;

export function newConversation(mode: ConversationState['mode'], id: string, first: Message): Conversation {
  const c = createConversation({ mode, id, storedLength: 0, pending: [], chars: 0, toolCounts: {}, lastText: '' });
  c.add(first);
  return c;
}
