import { h, replace } from './dom.js';
import { issuesByField } from './issues.js';

/**
 * An edit form for a tool call's arguments: one labelled field per argument (a number input
 * for a number, a text input for a string, a checkbox for a boolean, JSON for anything else),
 * so a validation issue from the API is shown next to the field it is about. The console
 * does not validate the values itself: the tool's schema lives on the server, and its
 * answer (422 with issues) is the one that counts.
 */
export function argumentEditor(input, { idPrefix }) {
  const original = input !== null && typeof input === 'object' && !Array.isArray(input) ? input : { value: input };
  const names = Object.keys(original);
  const controls = {};
  const errors = {};
  const general = h('div', { class: 'issues', role: 'alert', hidden: true });

  const rows = names.map((name) => {
    const value = original[name];
    const id = `${idPrefix}-${name}`;
    const errorId = `${id}-error`;
    let control;
    if (typeof value === 'number')
      control = h('input', { id, name, type: 'number', step: 'any', value: String(value) });
    else if (typeof value === 'boolean') control = h('input', { id, name, type: 'checkbox', checked: value });
    else if (typeof value === 'string') control = h('input', { id, name, type: 'text', value });
    else control = h('textarea', { id, name, rows: 3, value: JSON.stringify(value, null, 2) });
    control.setAttribute('aria-describedby', errorId);
    controls[name] = { control, kind: typeof value === 'object' ? 'json' : typeof value };
    errors[name] = h('p', { id: errorId, class: 'field-error', role: 'alert' });
    return h('div', { class: 'field' }, h('label', { for: id }, name), control, errors[name]);
  });

  /** The edited arguments, or the fields that are not even readable (bad JSON). */
  function read() {
    const values = {};
    const local = [];
    for (const [name, { control, kind }] of Object.entries(controls)) {
      if (kind === 'number') values[name] = control.value.trim() === '' ? null : Number(control.value);
      else if (kind === 'boolean') values[name] = control.checked;
      else if (kind === 'string') values[name] = control.value;
      else {
        try {
          values[name] = JSON.parse(control.value);
        } catch (err) {
          local.push({ path: [name], message: `not valid JSON (${err.message})` });
        }
      }
    }
    const value = original === input ? values : values.value;
    return local.length ? { issues: local } : { value };
  }

  /** Shows issues next to their fields (and the rest above); none clears them. */
  function showIssues(issues) {
    const sorted = issuesByField(issues, names);
    for (const name of names) {
      const messages = sorted.fields[name] ?? [];
      replace(errors[name], messages.join('; '));
      controls[name].control.setAttribute('aria-invalid', messages.length ? 'true' : 'false');
    }
    replace(
      general,
      sorted.general.map((m) => h('p', {}, m)),
    );
    general.hidden = sorted.general.length === 0;
    const first = names.find((n) => sorted.fields[n]);
    if (first) controls[first].control.focus();
  }

  return { element: h('div', { class: 'argument-editor' }, general, rows), read, showIssues };
}
