/**
 * The bench's model, shared by every variant through one fake OpenAI server (testing/): a
 * task names its step count (`taskFor`); until that many tool results are in, the model asks
 * for the offered calculator-like tool with the next sum, then answers. How far a run is
 * comes from the last tool result (`k+1=...`), not from counting messages, so it holds
 * when a context manager drops or summarizes older ones.
 */
import type { FakeHandler } from '../testing/index.ts';

export const taskFor = (steps: number): string => `bench: ${steps} steps`;

type ChatMessage = { role?: string; content?: unknown };
type ChatBody = { messages?: ChatMessage[]; tools?: { function?: { name?: string } }[] } | null;

const textOf = (content: unknown): string =>
  typeof content === 'string'
    ? content
    : Array.isArray(content)
      ? content.map((p: { text?: unknown }) => (typeof p?.text === 'string' ? p.text : '')).join('')
      : '';

/** Tool steps done so far: the last tool result reads `k+1=...` after step k+1. */
export function stepsDone(messages: ChatMessage[]): number {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]?.role !== 'tool') continue;
    const m = /(\d+)\+1=/.exec(textOf(messages[i]!.content));
    return m ? Number(m[1]) + 1 : 0;
  }
  return 0;
}

export const benchModel: FakeHandler = (req) => {
  const body = req.body as ChatBody;
  const messages = body?.messages ?? [];
  const task = messages.find((m) => m.role === 'user');
  const wanted = /bench: (\d+) steps/.exec(textOf(task?.content));
  const tool = body?.tools?.map((t) => t.function?.name).find((n) => n?.startsWith('calc'));
  const usage = { input: 10, output: 1 };
  if (!wanted || !tool) return { kind: 'text', text: `not a bench request (task or calc tool missing)`, usage };
  const done = stepsDone(messages);
  return done >= Number(wanted[1])
    ? { kind: 'text', text: 'done', usage }
    : { kind: 'tool_calls', calls: [{ name: tool, args: { expression: `${done}+1` } }], usage };
};
