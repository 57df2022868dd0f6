import { h } from './dom.js';
import { pretty, usd } from './format.js';

/**
 * A run's live events as a growing list: steps, model calls with their text appearing as it
 * streams (a retried attempt's partial text stays, marked superseded), tool calls and their
 * results, decisions, the end. `add(event)` takes the events in offset order.
 */
export function liveEvents() {
  const list = h('ol', { class: 'live', 'aria-label': 'Live events', 'aria-live': 'polite' });
  /** The streaming paragraph of each model call's current attempt. */
  const streams = new Map();
  const item = (cls, ...children) => {
    const li = h('li', { class: cls }, ...children);
    list.append(li);
    return li;
  };

  function add(e) {
    switch (e.type) {
      case 'run_started':
        item('meta', e.continuation ? `continued (execution ${e.continuation + 1})` : `run started (agent ${e.agent})`);
        break;
      case 'step_started':
        item('step-start', h('strong', {}, `Step ${e.step}`));
        break;
      case 'model_started': {
        const text = h('p', { class: 'stream', 'data-call': e.call });
        item('model', `model call ${e.call}: `, h('code', {}, e.model), ` (${e.purpose})`, text);
        streams.set(e.call, { attempt: 1, text });
        break;
      }
      case 'model_delta': {
        let s = streams.get(e.call);
        if (s && e.attempt !== s.attempt) {
          s.text.classList.add('superseded');
          s.text.title = `attempt ${s.attempt}'s partial answer, superseded by attempt ${e.attempt}`;
          const text = h('p', { class: 'stream', 'data-call': e.call });
          item('model', `↻ attempt ${e.attempt} of call ${e.call}`, text);
          s = { attempt: e.attempt, text };
          streams.set(e.call, s);
        }
        if (s && e.text) s.text.append(e.text);
        break;
      }
      case 'model_finished': {
        const s = streams.get(e.call);
        if (s && e.text !== undefined) s.text.textContent = e.text + (e.cut ? ' …' : '');
        const asked = e.toolCalls?.length ? `; asks for ${e.toolCalls.join(', ')}` : '';
        item(
          e.outcome === 'ok' ? 'meta' : 'meta error',
          `call ${e.call} ${e.outcome}${asked}: ${e.inputTokens} in / ${e.outputTokens} out tokens, ${usd(e.costUsd)}`,
          e.latencyMs !== undefined ? `, ${Math.round(e.latencyMs)} ms` : '',
        );
        break;
      }
      case 'tool_requested':
        item('tool', 'tool ', h('code', {}, e.tool), ' requested ', h('code', {}, pretty(e.args)));
        break;
      case 'tool_finished':
        item(
          e.isError ? 'tool error' : 'tool',
          h('code', {}, e.tool),
          e.isError ? ' failed: ' : ' returned: ',
          h('code', {}, e.result),
        );
        break;
      case 'decision':
        item(
          'decision',
          `${e.entry.event.replaceAll('_', ' ')}${e.entry.tool ? ` ${e.entry.tool}` : ''} (${e.entry.by})`,
          e.entry.reason ? ` — ${e.entry.reason}` : '',
        );
        break;
      case 'step_finished':
        break;
      case 'run_ended':
        item(
          'end',
          h('strong', {}, `Run ended: ${e.outcome}`),
          e.reason ? ` (${e.reason})` : '',
          e.text ? h('p', {}, e.text) : null,
        );
        break;
    }
  }
  return { element: list, add };
}
