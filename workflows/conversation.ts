import type { ConversationRef } from '../core/activity-contracts.ts';
import type { ConversationState } from '../core/carried-state.ts';
import type { AssistantMessage, Message } from '../core/messages.ts';

/**
 * The run's conversation as the workflow sees it. The messages live in the run store; the
 * workflow keeps only what has not been stored yet, and each model call sends those few
 * messages by value and the rest by reference, so history grows with the new content of
 * each step, not with the whole conversation.
 */
export function createConversation(state: ConversationState) {
  const s = state;
  return {
    /** A copy to carry across continue-as-new. */
    state: (): ConversationState => ({ ...s, pending: [...s.pending], toolCounts: { ...s.toolCounts } }),
    /** `storedChars`: content of `m` kept in the run store by reference (tool results),
     * counted so the conversation's size — and worst-case cost estimates — stay right. */
    add(m: Message, storedChars = 0) {
      s.pending.push(m);
      s.chars += JSON.stringify(m).length + storedChars;
    },
    /** What the next model call sends. */
    forCall(): ConversationRef {
      return { id: s.id, storedLength: s.storedLength, append: [...s.pending] };
    },
    /** Records the model's answer, which the activity stored after the pending messages. */
    commit(answer: AssistantMessage, conversationLength?: number) {
      s.chars += JSON.stringify(answer).length;
      for (const c of answer.toolCalls) s.toolCounts[c.name] = (s.toolCounts[c.name] ?? 0) + 1;
      // Only the start is ever shown (summaries, escalations): keep carried state small.
      if (answer.text.trim()) s.lastText = answer.text.slice(0, 4000);
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

/** An empty conversation stored under `id` (the run id). */
export function newConversation(id: string, first?: Message): Conversation {
  const c = createConversation({ id, storedLength: 0, pending: [], chars: 0, toolCounts: {}, lastText: '' });
  if (first) c.add(first);
  return c;
}
