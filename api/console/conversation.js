import { h } from './dom.js';
import { pretty } from './format.js';

/**
 * The conversation so far, as an approver needs it before deciding: the task, then per step
 * what the model said and asked for and what each tool returned, read from the run's trace
 * (the attempts that counted, not the superseded ones).
 */
export function conversationView(task, trace) {
  const turns = [h('li', { class: 'turn user' }, h('strong', {}, 'Task: '), task)];
  for (const step of trace?.steps ?? []) {
    for (const call of step.modelCalls) {
      const answer = call.attempts.filter((a) => a.kind === 'model' && a.answer).at(-1)?.answer;
      if (!answer) continue;
      if (answer.text)
        turns.push(h('li', { class: 'turn model' }, h('strong', {}, `Model (step ${step.step}): `), answer.text));
      for (const tc of answer.toolCalls ?? [])
        turns.push(
          h(
            'li',
            { class: 'turn model' },
            h('strong', {}, `Model asks for ${tc.name}: `),
            h('code', {}, pretty(tc.input ?? {})),
          ),
        );
    }
    for (const tool of step.toolCalls) {
      // The attempt that counted: not an early one the gate did not use.
      const last = tool.attempts.filter((a) => a.kind === 'tool' && !(a.early && a.superseded)).at(-1);
      if (last?.result)
        turns.push(
          h(
            'li',
            { class: 'turn tool' },
            h('strong', {}, `${tool.tool} returned: `),
            h('code', {}, last.result.content),
          ),
        );
      else if (last?.outcome?.status === 'failed')
        turns.push(h('li', { class: 'turn tool' }, h('strong', {}, `${tool.tool} failed: `), last.outcome.message));
    }
  }
  return h('ol', { class: 'conversation', 'aria-label': 'Conversation so far' }, turns);
}
