import { h } from './dom.js';
import { relativeTime } from './relative-time.js';

/** A deadline as relative time ("in 4 min"), its exact time in the tooltip, kept current
 * while the element is on the page. */
export function deadline(iso) {
  const el = h('time', { datetime: iso, title: new Date(iso).toLocaleString() });
  const update = () => (el.textContent = relativeTime(Date.parse(iso)));
  update();
  const timer = setInterval(() => (el.isConnected ? update() : clearInterval(timer)), 15_000);
  return el;
}
