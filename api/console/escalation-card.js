import { deadline } from './deadline.js';
import { h, replace } from './dom.js';
import { notice } from './notice.js';

/** What each way of resolving an escalation asks for, and what the API calls its text. */
const actionsOf = [
  {
    action: 'answer',
    open: 'Answer…',
    label: "Your answer (sent as the run's answer)",
    field: 'text',
    submit: 'Send answer',
  },
  {
    action: 'redirect',
    open: 'Redirect…',
    label: 'Instruction for the agent (the run continues)',
    field: 'instruction',
    submit: 'Send instruction',
  },
  { action: 'end', open: 'End run…', label: 'Why the run ends', field: 'reason', submit: 'End the run' },
];

/**
 * A run waiting for a human: why it escalated, the model's last output and what was wrong
 * with it, the deadline; answer for it, redirect it with a new instruction, or end it.
 */
export function escalationCard(escalation, { api, onResolved }) {
  const id = `escalation-${escalation.runId}-${escalation.id}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const result = notice();
  const canDecide = escalation.canDecide !== false;
  const panel = h('div', { class: 'panel' });

  const open = (spec) => {
    const textId = `${id}-${spec.action}`;
    const text = h('textarea', { id: textId, rows: 3, required: true });
    const submit = h('button', { type: 'submit', class: spec.action === 'end' ? 'danger' : 'primary' }, spec.submit);
    const form = h(
      'form',
      {
        'aria-label': spec.open.replace('…', ''),
        onsubmit: async (e) => {
          e.preventDefault();
          if (!text.value.trim()) return text.reportValidity();
          submit.disabled = true;
          result.clear();
          try {
            await api.resolve(escalation.runId, escalation.id, {
              action: spec.action,
              [spec.field]: text.value.trim(),
            });
            result.ok(
              { answer: 'Answered.', redirect: 'Redirected: the run continues.', end: 'The run ends.' }[spec.action],
            );
            actions.hidden = true;
            replace(panel);
            onResolved?.(escalation);
          } catch (err) {
            submit.disabled = false;
            result.error(err);
          }
        },
      },
      h('label', { for: textId }, spec.label),
      text,
      h('div', { class: 'actions' }, submit, h('button', { type: 'button', onclick: () => replace(panel) }, 'Cancel')),
    );
    replace(panel, form);
    text.focus();
  };

  const actions = h(
    'div',
    { class: 'actions' },
    actionsOf.map((spec) =>
      h('button', { type: 'button', disabled: !canDecide, onclick: () => open(spec) }, spec.open),
    ),
  );

  return h(
    'article',
    {
      class: 'card escalation',
      'aria-label': `Escalation for run ${escalation.runId}`,
      'data-escalation': escalation.id,
    },
    h('h3', {}, `Needs a human: ${escalation.reason.replaceAll('_', ' ')}`),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Message'),
      h('dd', {}, escalation.message),
      escalation.task ? [h('dt', {}, 'Task'), h('dd', {}, escalation.task)] : null,
      h('dt', {}, 'Agent'),
      h('dd', {}, escalation.agent ?? '—'),
      h('dt', {}, 'Deadline'),
      h('dd', {}, escalation.deadlineAt ? deadline(escalation.deadlineAt) : '—'),
      h('dt', {}, 'Run'),
      h('dd', {}, h('a', { href: `#/runs/${encodeURIComponent(escalation.runId)}` }, escalation.runId)),
      escalation.parent
        ? [
            h('dt', {}, 'Delegated by'),
            h(
              'dd',
              {},
              h('a', { href: `#/runs/${encodeURIComponent(escalation.parent.runId)}` }, escalation.parent.runId),
              ` (agent ${escalation.parent.agent}, step ${escalation.parent.step})`,
            ),
          ]
        : null,
    ),
    escalation.lastOutput ? [h('h4', {}, "The model's last output"), h('pre', {}, escalation.lastOutput)] : null,
    escalation.issues?.length
      ? [
          h('h4', {}, 'What was wrong with it'),
          h(
            'ul',
            {},
            escalation.issues.map((i) => h('li', {}, i)),
          ),
        ]
      : null,
    canDecide
      ? null
      : h('p', { class: 'why-not' }, escalation.cannotDecideReason ?? 'You cannot resolve this escalation.'),
    actions,
    panel,
    result.element,
  );
}
