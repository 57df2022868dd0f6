import { h, replace } from './dom.js';

/**
 * A place for what happened after an action: a success (`role=status`, read politely) or an
 * error (`role=alert`, read at once). A 403 says plainly that the signed-in person may not do
 * this, with the API's reason.
 */
export function notice() {
  const el = h('div', { class: 'notice', hidden: true });
  return {
    element: el,
    ok(text) {
      el.hidden = false;
      el.className = 'notice ok';
      el.setAttribute('role', 'status');
      replace(el, text);
    },
    error(err) {
      el.hidden = false;
      el.className = 'notice error';
      el.setAttribute('role', 'alert');
      const forbidden = err?.status === 403 ? 'Not allowed — ' : '';
      replace(el, `${forbidden}${err?.message ?? String(err)}`);
    },
    clear() {
      el.hidden = true;
      replace(el);
    },
  };
}
