import { approvalCard } from './approval-card.js';
import { h } from './dom.js';
import { escalationCard } from './escalation-card.js';
import { notice } from './notice.js';

/** How often the inbox looks for new approvals and escalations. */
const refreshMs = 5_000;

/**
 * The approver's inbox: their tenant's pending approvals and open escalations. It refreshes
 * itself, adding new items and dropping decided ones, but never replaces a card someone is
 * working in (an open edit form keeps what was typed).
 */
export function inboxView({ api, me }) {
  const problems = notice();
  const approvals = h('div', { class: 'cards', role: 'list', 'aria-label': 'Pending approvals' });
  const escalations = h('div', { class: 'cards', role: 'list', 'aria-label': 'Open escalations' });
  const noApprovals = h('p', { class: 'empty' }, 'No approvals are waiting.');
  const unreachableNote = h('p', { class: 'notice error', role: 'status', hidden: true });
  const noEscalations = h('p', { class: 'empty' }, 'No runs are waiting for a human.');
  /** Cards on the page by key, and whether they were decided here (kept until the next refresh). */
  const cards = new Map();

  const sync = (container, empty, items, keyOf, make) => {
    const keys = new Set(items.map(keyOf));
    for (const [key, card] of cards)
      if (card.parentElement === container && !keys.has(key)) {
        card.remove();
        cards.delete(key);
      }
    for (const item of items) {
      const key = keyOf(item);
      if (cards.has(key)) continue;
      const card = h('div', { role: 'listitem' }, make(item));
      cards.set(key, card);
      container.append(card);
    }
    empty.hidden = container.childElementCount > 0;
  };

  async function refresh() {
    try {
      const [a, e] = await Promise.all([api.approvals(), api.escalations()]);
      problems.clear();
      // Runs whose worker did not answer in time: their approvals cannot be listed now.
      const unreachable = a?.unreachable ?? [];
      unreachableNote.hidden = unreachable.length === 0;
      unreachableNote.textContent = unreachable.length
        ? `${unreachable.length} run(s) waiting for a human did not answer (is their worker up?): ${unreachable.map((u) => u.runId).join(', ')}`
        : '';
      sync(
        approvals,
        noApprovals,
        listOf(a, 'approvals'),
        (x) => `a:${x.runId}/${x.id}`,
        (x) => approvalCard(x, { api, me }),
      );
      sync(
        escalations,
        noEscalations,
        listOf(e, 'escalations'),
        (x) => `e:${x.runId}/${x.id}`,
        (x) => escalationCard(x, { api }),
      );
    } catch (err) {
      problems.error(err);
    }
  }

  const element = h(
    'section',
    { 'aria-labelledby': 'inbox-title' },
    h('h2', { id: 'inbox-title' }, 'Inbox'),
    h('div', { class: 'toolbar' }, h('button', { type: 'button', onclick: () => void refresh() }, 'Refresh')),
    problems.element,
    h('h3', {}, 'Approvals'),
    unreachableNote,
    noApprovals,
    approvals,
    h('h3', {}, 'Escalations'),
    noEscalations,
    escalations,
  );
  noApprovals.hidden = true;
  noEscalations.hidden = true;
  const loaded = refresh();
  const timer = setInterval(() => (element.isConnected ? void refresh() : clearInterval(timer)), refreshMs);
  return { element, loaded };
}

/** The API answers a list as an array or as `{ <name>: [...] }`. */
export function listOf(body, name) {
  if (Array.isArray(body)) return body;
  if (Array.isArray(body?.[name])) return body[name];
  if (Array.isArray(body?.items)) return body.items;
  return [];
}
