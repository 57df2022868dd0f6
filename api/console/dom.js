/**
 * A tiny DOM builder: the console has no view library (no build step, nothing fetched from a
 * CDN), so views are functions that return elements made with `h`.
 *
 * @example h('button', { type: 'button', onclick: save }, 'Save')
 */

/** Properties set as DOM properties rather than attributes (their live value matters). */
const properties = new Set(['value', 'checked', 'disabled', 'hidden', 'open']);

export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (properties.has(key)) el[key] = value;
    else if (value === false) continue;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** Appends children: strings become text (never HTML), arrays are flattened, empties skipped. */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}
