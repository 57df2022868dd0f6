import { h, replace } from './dom.js';
import { tokens, usd } from './format.js';
import { liveEvents } from './live-events.js';
import { notice } from './notice.js';
import { traceView } from './trace-view.js';

/**
 * One run: its status (phase, step, tokens, cost, pending approvals), a link to it in the
 * Temporal UI, its live events as they happen (text streaming in), and its trace by step,
 * re-read when a step ends.
 */
export function runPage({ api, runId }) {
  const problems = notice();
  const summary = h('dl', { class: 'facts', 'aria-label': 'Run status' });
  const live = liveEvents();
  const trace = h('div', {}, h('p', { class: 'loading' }, 'Loading the trace …'));
  const stop = new AbortController();
  const uiLink = h('p', { class: 'ui-link' });

  async function loadStatus() {
    try {
      const status = await api.run(runId);
      showStatus(summary, status);
      if (status.temporalUiUrl && !uiLink.firstChild)
        uiLink.append(
          h('a', { href: status.temporalUiUrl, target: '_blank', rel: 'noopener' }, 'Open in the Temporal UI'),
        );
    } catch (err) {
      problems.error(err);
    }
  }
  let traceTimer;
  const loadTrace = () => {
    clearTimeout(traceTimer);
    traceTimer = setTimeout(async () => {
      try {
        replace(trace, traceView(await api.trace(runId)));
      } catch (err) {
        replace(trace, h('p', { class: 'notice error', role: 'alert' }, `The trace could not be read: ${err.message}`));
      }
    }, 300);
  };

  const element = h(
    'section',
    { 'aria-labelledby': 'run-title', class: 'run-page' },
    h('h2', { id: 'run-title' }, 'Run ', h('code', {}, runId)),
    uiLink,
    problems.element,
    summary,
    h(
      'div',
      { class: 'columns' },
      h('section', { 'aria-labelledby': 'live-title' }, h('h3', { id: 'live-title' }, 'Live'), live.element),
      h('section', { 'aria-labelledby': 'trace-title' }, h('h3', { id: 'trace-title' }, 'Trace by step'), trace),
    ),
  );

  void loadStatus();
  loadTrace();
  api
    .events(runId, {
      signal: stop.signal,
      onEvent: (e) => {
        live.add(e);
        if (e.type === 'model_finished' || e.type === 'decision') void loadStatus();
        if (e.type === 'step_finished' || e.type === 'run_ended') loadTrace();
        if (e.type === 'run_ended') void loadStatus();
      },
    })
    .catch((err) => problems.error(err));
  const timer = setInterval(() => {
    if (!element.isConnected) {
      stop.abort();
      clearInterval(timer);
    }
  }, 1_000);
  return { element, close: () => stop.abort() };
}

function showStatus(dl, s) {
  const row = (term, ...value) => [h('dt', {}, term), h('dd', {}, ...value)];
  const runLink = (id) => h('a', { href: `#/runs/${encodeURIComponent(id)}` }, id);
  replace(
    dl,
    row('Agent', s.agent ?? '—'),
    s.parent ? row('Sub-agent of', runLink(s.parent.runId), ` (agent ${s.parent.agent}, step ${s.parent.step})`) : null,
    s.children?.length
      ? row(
          'Sub-agents',
          h(
            'ul',
            { class: 'children' },
            s.children.map((c) =>
              h(
                'li',
                {},
                runLink(c.runId),
                ` · ${c.agent} · ${c.state.replaceAll('_', ' ')}`,
                c.costUsd !== undefined ? ` · ${usd(c.costUsd)}` : '',
              ),
            ),
          ),
        )
      : null,
    row('Status', (s.phase ?? '—').replaceAll('_', ' '), s.outcome ? ` (${s.outcome})` : ''),
    row('Execution', s.execution ?? '—'),
    row('Step', `${s.step ?? '—'}${s.maxSteps ? ` of ${s.maxSteps}` : ''}`),
    row('Model', s.model ?? '—'),
    row('Tokens', tokens(s.usage)),
    row('Cost', usd(s.costUsd), s.unpricedCalls ? ` (+${s.unpricedCalls} unpriced calls)` : ''),
    row('Calls', `${s.modelCalls ?? 0} model, ${s.toolCalls ?? 0} tool`),
    s.pendingApprovals?.length
      ? row(
          'Waiting for',
          h('a', { href: '#/inbox' }, `${s.pendingApprovals.length} approval(s)`),
          ` (${s.pendingApprovals.map((a) => a.tool).join(', ')})`,
        )
      : null,
    s.escalation ? row('Needs a human', h('a', { href: '#/inbox' }, s.escalation.message)) : null,
  );
}
