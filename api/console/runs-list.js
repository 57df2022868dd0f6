import { h, replace } from './dom.js';
import { usd, when } from './format.js';
import { listOf } from './inbox.js';
import { notice } from './notice.js';

/** `BosunStatus` words a run can have (live ones first). */
export const statusWords = [
  'running',
  'waiting_for_approval',
  'needs_human',
  'completed',
  'failed',
  'escalated',
  'budget_exhausted',
  'stopped',
];

/**
 * The tenant's runs, newest first, filtered by status, agent and cost range (the API turns
 * the filters into a visibility query over Bosun's search attributes). The filters live in
 * the page's address, so a filtered list can be bookmarked and shared.
 */
export function runsList({ api, params = new URLSearchParams() }) {
  const problems = notice();
  const field = (id, label, control) => h('div', { class: 'field' }, h('label', { for: id }, label), control);
  const status = h(
    'select',
    { id: 'filter-status', name: 'status' },
    h('option', { value: '' }, 'any'),
    statusWords.map((w) => h('option', { value: w }, w.replaceAll('_', ' '))),
  );
  const agent = h('input', { id: 'filter-agent', name: 'agent', type: 'text' });
  const minCost = h('input', { id: 'filter-min-cost', name: 'minCostUsd', type: 'number', min: 0, step: 'any' });
  const maxCost = h('input', { id: 'filter-max-cost', name: 'maxCostUsd', type: 'number', min: 0, step: 'any' });
  status.value = params.get('status') ?? '';
  agent.value = params.get('agent') ?? '';
  minCost.value = params.get('minCostUsd') ?? '';
  maxCost.value = params.get('maxCostUsd') ?? '';
  const body = h('tbody');
  const count = h('p', { role: 'status', class: 'count' });

  const filters = () => ({
    status: status.value,
    agent: agent.value.trim(),
    minCostUsd: minCost.value,
    maxCostUsd: maxCost.value,
  });

  async function load() {
    problems.clear();
    try {
      const runs = listOf(await api.runs({ ...filters(), limit: 100 }), 'runs');
      replace(
        body,
        runs.map((r) =>
          h(
            'tr',
            {},
            h('td', {}, h('a', { href: `#/runs/${encodeURIComponent(r.runId)}` }, r.runId)),
            h('td', {}, r.agent ?? '—'),
            h('td', {}, (r.status ?? '—').replaceAll('_', ' ')),
            h('td', { class: 'number' }, usd(r.costUsd)),
            h('td', { class: 'number' }, r.pendingApprovals ? String(r.pendingApprovals) : ''),
            h('td', {}, when(r.startTime ?? r.startedAt)),
          ),
        ),
      );
      count.textContent = `${runs.length} run${runs.length === 1 ? '' : 's'}`;
    } catch (err) {
      problems.error(err);
    }
  }

  const form = h(
    'form',
    {
      class: 'filters',
      'aria-label': 'Filter runs',
      onsubmit: (e) => {
        e.preventDefault();
        const q = new URLSearchParams(Object.entries(filters()).filter(([, v]) => v !== ''));
        const hash = `#/runs${q.size ? `?${q}` : ''}`;
        if (location.hash !== hash) history.replaceState(null, '', hash);
        void load();
      },
    },
    field('filter-status', 'Status', status),
    field('filter-agent', 'Agent', agent),
    field('filter-min-cost', 'Min cost (USD)', minCost),
    field('filter-max-cost', 'Max cost (USD)', maxCost),
    h('button', { type: 'submit', class: 'primary' }, 'Apply filters'),
  );

  const element = h(
    'section',
    { 'aria-labelledby': 'runs-title' },
    h('h2', { id: 'runs-title' }, 'Runs'),
    form,
    problems.element,
    count,
    h(
      'table',
      { 'aria-label': 'Runs' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Run', 'Agent', 'Status', 'Cost', 'Approvals', 'Started'].map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      body,
    ),
  );
  const loaded = load();
  return { element, loaded };
}
