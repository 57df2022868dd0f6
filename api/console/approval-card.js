import { argumentEditor } from './argument-editor.js';
import { conversationView } from './conversation.js';
import { deadline } from './deadline.js';
import { h, replace } from './dom.js';
import { pretty } from './format.js';
import { notice } from './notice.js';

/**
 * One pending approval with what the approver needs to decide: the task, who the run acts
 * for, the conversation so far, the tool call with its arguments and why it is asked, the
 * deadline. Approve is one click; reject asks for a reason; edit opens the arguments in a
 * form and shows the API's validation issues next to their fields. When the signed-in person
 * may not decide (another group), the buttons are disabled and say why.
 */
export function approvalCard(approval, { api, me, onDecided }) {
  const ctx = approval.context ?? {};
  const task = ctx.task ?? approval.task;
  const principal = ctx.principal ?? approval.principal;
  const earlier = ctx.earlierResults ?? approval.earlierResults ?? [];
  const id = `approval-${approval.runId}-${approval.id}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const title = `${approval.tool} — approval for run ${approval.runId}`;
  const result = notice();
  const canDecide = approval.canDecide !== false;
  const whyNot = canDecide ? undefined : cannotDecideReason(approval, me);
  const whyNotId = `${id}-why-not`;

  const decide = async (decision, buttons) => {
    result.clear();
    buttons.forEach((b) => (b.disabled = true));
    try {
      await api.decide(approval.runId, approval.id, decision);
      const done = { approve: 'Approved', reject: 'Rejected', edit: 'Approved with your edit' }[decision.decision];
      result.ok(`${done}. The run continues.`);
      actions.hidden = true;
      replace(panel);
      onDecided?.(approval);
      return true;
    } catch (err) {
      buttons.forEach((b) => (b.disabled = false));
      if (err.status === 422 && err.issues.length && decision.decision === 'edit') {
        editor?.showIssues(err.issues);
        result.error(err);
      } else result.error(err);
      return false;
    }
  };

  const button = (label, onclick, extra = {}) =>
    h(
      'button',
      {
        type: 'button',
        onclick,
        disabled: !canDecide,
        ...(whyNot ? { 'aria-describedby': whyNotId } : {}),
        ...extra,
      },
      label,
    );

  const approveButton = button('Approve', () => decide({ decision: 'approve' }, [approveButton]), { class: 'primary' });
  const rejectButton = button('Reject…', () => showReject());
  const editButton = button('Edit arguments…', () => showEdit());
  const actions = h('div', { class: 'actions' }, approveButton, rejectButton, editButton);
  const panel = h('div', { class: 'panel' });
  let editor;

  function showReject() {
    editor = undefined;
    const reasonId = `${id}-reject-reason`;
    const reason = h('textarea', { id: reasonId, rows: 2, required: true });
    const confirm = h('button', { type: 'submit', class: 'danger' }, 'Confirm reject');
    const form = h(
      'form',
      {
        'aria-label': 'Reject',
        onsubmit: (e) => {
          e.preventDefault();
          if (!reason.value.trim()) return reason.reportValidity();
          void decide({ decision: 'reject', reason: reason.value.trim() }, [confirm]);
        },
      },
      h('label', { for: reasonId }, 'Reason for rejecting'),
      reason,
      h('div', { class: 'actions' }, confirm, h('button', { type: 'button', onclick: () => replace(panel) }, 'Cancel')),
    );
    replace(panel, form);
    reason.focus();
  }

  function showEdit() {
    editor = argumentEditor(approval.input, { idPrefix: `${id}-arg` });
    const commentId = `${id}-edit-comment`;
    const comment = h('input', { id: commentId, type: 'text' });
    const submit = h('button', { type: 'submit', class: 'primary' }, 'Approve with these arguments');
    const form = h(
      'form',
      {
        'aria-label': 'Edit arguments',
        novalidate: true,
        onsubmit: (e) => {
          e.preventDefault();
          const read = editor.read();
          if (read.issues) return editor.showIssues(read.issues);
          editor.showIssues([]);
          const c = comment.value.trim();
          void decide({ decision: 'edit', input: read.value, ...(c ? { comment: c } : {}) }, [submit]);
        },
      },
      editor.element,
      h('div', { class: 'field' }, h('label', { for: commentId }, 'Comment (optional)'), comment),
      h('div', { class: 'actions' }, submit, h('button', { type: 'button', onclick: () => replace(panel) }, 'Cancel')),
    );
    replace(panel, form);
  }

  const conversation = h('div', { class: 'loading' }, 'Loading the conversation …');
  api
    .trace(approval.runId)
    .then((trace) => replace(conversation, conversationView(task ?? '(unknown)', trace)))
    .catch((err) => replace(conversation, `The conversation could not be read (${err.message}).`));

  return h(
    'article',
    { class: 'card approval', 'aria-label': title, 'data-approval': approval.id },
    h('h3', {}, 'Approve ', h('code', {}, approval.tool), '?'),
    h(
      'dl',
      { class: 'facts' },
      fact('Why it is asked', approval.reason),
      fact('Task', task ?? '—'),
      fact('Acting for', principal ? `${principal.user} (tenant ${principal.tenant})` : '—'),
      fact('Agent', approval.agent ?? '—'),
      fact('Decided by group', approval.group ?? 'any approver'),
      fact(
        'Deadline',
        approval.deadlineAt ? deadline(approval.deadlineAt) : '—',
        approval.escalated ? ' (escalated)' : '',
      ),
      fact(
        'Run',
        h('a', { href: `#/runs/${encodeURIComponent(approval.runId)}` }, approval.runId),
        ` · step ${approval.step}`,
      ),
      ctx.parent
        ? fact(
            'Delegated by',
            h('a', { href: `#/runs/${encodeURIComponent(ctx.parent.runId)}` }, ctx.parent.runId),
            ` (agent ${ctx.parent.agent}, step ${ctx.parent.step})`,
          )
        : null,
    ),
    h('h4', {}, 'Arguments'),
    h('pre', { class: 'arguments', 'aria-label': 'Arguments' }, pretty(approval.input)),
    earlier.length
      ? [
          h('h4', {}, 'Earlier tool results'),
          h(
            'ul',
            { class: 'earlier' },
            earlier.map((r) =>
              h('li', {}, h('strong', {}, `${r.tool}${r.isError ? ' (error)' : ''}: `), h('code', {}, r.content)),
            ),
          ),
        ]
      : null,
    h('details', { open: true }, h('summary', {}, 'Conversation so far'), conversation),
    whyNot ? h('p', { id: whyNotId, class: 'why-not' }, whyNot) : null,
    actions,
    panel,
    result.element,
  );
}

function fact(term, ...value) {
  return [h('dt', {}, term), h('dd', {}, ...value)];
}

/** Why the buttons are disabled: the API's own reason when it gives one. */
function cannotDecideReason(approval, me) {
  if (approval.cannotDecideReason) return approval.cannotDecideReason;
  const yours = me?.groups?.length ? me.groups.join(', ') : 'no group';
  return approval.group
    ? `You cannot decide this: only members of group "${approval.group}" may, and you are in ${yours}.`
    : 'You cannot decide this approval.';
}
