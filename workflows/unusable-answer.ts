import type { ModelResponse } from '../core/model.ts';

/** A final answer that must not count as one: empty, or cut at the output token limit. */
export type Unusable = 'empty' | 'truncated';

/** Why a final answer (no tool calls) is unusable, if it is. */
export function unusableAnswer(response: ModelResponse): Unusable | undefined {
  if (response.message.toolCalls.length > 0) return undefined;
  if (!response.message.text.trim()) return 'empty';
  if (response.stop === 'length') return 'truncated';
  return undefined;
}

/** What the model is told before it is asked once more. */
export function askAgain(problem: Unusable): string {
  return problem === 'empty'
    ? 'Your last answer was empty. Answer the task now.'
    : 'Your last answer was cut off at the output limit. Give the complete answer again, as concisely as you can.';
}

/** Why the run goes to a human after the second unusable answer. */
export function unusableMessage(problem: Unusable, maxOutputTokens: number): string {
  return problem === 'empty'
    ? 'the model answered with nothing, twice'
    : `the model's answer was cut at the output token limit, twice (last limit ${maxOutputTokens} tokens)`;
}
