import { h } from './dom.js';
import { pretty, tokens, usd } from './format.js';

/**
 * A run's trace by step (core/trace.ts `RunTrace`): each model call with every attempt
 * (model, outcome, tokens, cost, latency; a retried one marked superseded), each tool call
 * with its arguments, result and the decisions about it, and the step's other decisions.
 */
export function traceView(trace) {
  if (!trace?.steps?.length) return h('p', { class: 'empty' }, 'No steps recorded yet.');
  return h(
    'div',
    { class: 'trace' },
    trace.warnings?.length ? h('p', { class: 'notice error' }, trace.warnings.join(' ')) : null,
    trace.steps.map((step) =>
      h(
        'section',
        { class: 'step', 'aria-label': `Step ${step.step}` },
        h('h4', {}, `Step ${step.step}`),
        step.modelCalls.map(modelCall),
        step.toolCalls.map(toolCall),
        step.decisions.length ? h('ul', { class: 'decisions' }, step.decisions.map(decision)) : null,
      ),
    ),
  );
}

function modelCall(call) {
  return h(
    'div',
    { class: 'call model-call' },
    h('h5', {}, 'Model call ', h('code', {}, call.model), call.route?.reason ? ` — ${call.route.reason}` : ''),
    h(
      'ol',
      { class: 'attempts' },
      call.attempts.map((a) => {
        if (a.kind === 'lost')
          return h('li', { class: 'superseded' }, `attempt ${a.attempt}: lost (its worker stopped)`);
        const outcome = a.outcome.status === 'ok' ? 'ok' : `failed (${a.outcome.type}: ${a.outcome.message})`;
        return h(
          'li',
          { class: a.superseded ? 'superseded' : '' },
          `attempt ${a.attempt}: ${outcome}${a.superseded ? ' — superseded by a retry' : ''}; `,
          `${tokens(a.usage)} tokens, ${usd(a.costUsd)}, ${Math.round(a.latencyMs)} ms`,
          a.answer?.text ? h('blockquote', {}, a.answer.text) : null,
          a.answer?.toolCalls?.length
            ? h(
                'p',
                {},
                'asked for: ',
                a.answer.toolCalls.map((t) => h('code', {}, `${t.name}(${JSON.stringify(t.input)}) `)),
              )
            : null,
        );
      }),
    ),
  );
}

function toolCall(call) {
  return h(
    'div',
    { class: 'call tool-call' },
    h('h5', {}, 'Tool call ', h('code', {}, call.tool)),
    call.decisions.length ? h('ul', { class: 'decisions' }, call.decisions.map(decision)) : null,
    call.subAgent ? subAgent(call.subAgent) : null,
    h(
      'ol',
      { class: 'attempts' },
      call.attempts.map((a) => {
        if (a.kind === 'lost')
          return h('li', { class: 'superseded' }, `attempt ${a.attempt}: lost (its worker stopped)`);
        const outcome = a.outcome.status === 'ok' ? 'ok' : `failed (${a.outcome.type}: ${a.outcome.message})`;
        // An early attempt ran inside the model call that asked for it (an early result).
        const label = a.early ? 'early, inside the model call' : `attempt ${a.attempt}`;
        return h(
          'li',
          { class: a.superseded ? 'superseded' : '' },
          `${label}: ${outcome}${a.early && a.superseded ? ' (not used)' : ''}, ${Math.round(a.latencyMs)} ms`,
          a.authorization?.approvedBy ? `, approved by ${a.authorization.approvedBy}` : '',
          h('pre', { 'aria-label': 'Arguments' }, pretty(a.arguments)),
          a.result ? h('pre', { 'aria-label': 'Result' }, a.result.content) : null,
        );
      }),
    ),
  );
}

/** A delegation: the sub-agent's run (a link), how it ended, and its own trace, folded. */
function subAgent(sub) {
  return h(
    'div',
    { class: 'sub-agent' },
    h(
      'p',
      {},
      'Sub-agent ',
      h('code', {}, sub.agent),
      ' · run ',
      h('a', { href: `#/runs/${encodeURIComponent(sub.runId)}` }, sub.runId),
      ` · ${sub.state.replaceAll('_', ' ')}`,
    ),
    sub.trace ? h('details', {}, h('summary', {}, 'Its trace'), traceView(sub.trace)) : null,
  );
}

function decision(entry) {
  return h(
    'li',
    {},
    `${entry.event.replaceAll('_', ' ')}${entry.tool ? ` ${entry.tool}` : ''} by ${entry.by}`,
    entry.reason ? ` — ${entry.reason}` : '',
    entry.edit ? ` (edited ${JSON.stringify(entry.edit.from)} → ${JSON.stringify(entry.edit.to)})` : '',
  );
}
