import { createApi } from './api.js';
import { h, replace } from './dom.js';
import { inboxView } from './inbox.js';
import { runPage } from './run-page.js';
import { runsList } from './runs-list.js';
import { session } from './session.js';
import { signInView } from './sign-in.js';

/**
 * The console: sign-in, then the inbox (`#/inbox`), the runs list (`#/runs?status=…`) and a
 * run's page (`#/runs/<id>`). Routes live in the address's hash, so the server serves one
 * page and the browser's back button works. Everything is loaded from this server: the
 * console works offline.
 */
const main = document.getElementById('main');
const who = document.getElementById('who');
const nav = document.getElementById('nav');

/** What the server says about itself (Temporal UI address, namespace, dev tokens). */
let serverConfig = {};
let me;
let api;

function signOut(message) {
  session.signOut();
  me = undefined;
  api = undefined;
  if (message) sessionStorage.setItem('bosun.console.signed-out', message);
  location.hash = '#/sign-in';
  void route();
}

async function loadServerConfig() {
  try {
    const res = await fetch('/api/v1/console/config');
    if (res.ok) serverConfig = await res.json();
  } catch {
    // an older server: no config, no dev tokens
  }
}

async function ensureSignedIn() {
  const token = session.token();
  if (!token) return false;
  if (api && me) return true;
  api = createApi(token, { onUnauthorized: (err) => signOut(`Signed out: ${err.message}`) });
  try {
    me = await api.me();
    return true;
  } catch (err) {
    if (err.status !== 401) signOut(`Signed out: ${err.message}`);
    return false;
  }
}

function showWho() {
  nav.hidden = !me;
  if (!me) return replace(who);
  replace(
    who,
    h(
      'span',
      { 'aria-label': 'Signed in as' },
      `${me.user} · ${me.tenant}${me.groups?.length ? ` · ${me.groups.join(', ')}` : ''}`,
    ),
    ' ',
    h('button', { type: 'button', onclick: () => signOut() }, 'Sign out'),
  );
}

async function route() {
  const hash = location.hash || '#/inbox';
  const [path, query = ''] = hash.slice(1).split('?');
  if (!(await ensureSignedIn())) {
    showWho();
    const message = sessionStorage.getItem('bosun.console.signed-out') ?? undefined;
    sessionStorage.removeItem('bosun.console.signed-out');
    replace(
      main,
      signInView({
        message,
        devTokens: serverConfig.devTokens ?? [],
        onSignedIn: (token, who) => {
          session.signIn(token);
          me = who;
          api = createApi(token, { onUnauthorized: (err) => signOut(`Signed out: ${err.message}`) });
          location.hash = '#/inbox';
          void route();
        },
      }),
    );
    document.title = 'Sign in · Bosun console';
    return;
  }
  showWho();
  for (const a of nav.querySelectorAll('a'))
    a.setAttribute('aria-current', path.startsWith(a.getAttribute('href').slice(1)) ? 'page' : 'false');
  const run = /^\/runs\/(.+)$/.exec(path);
  if (run) {
    const runId = decodeURIComponent(run[1]);
    replace(main, runPage({ api, runId, config: serverConfig }).element);
    document.title = `Run ${runId} · Bosun console`;
  } else if (path === '/runs') {
    replace(main, runsList({ api, params: new URLSearchParams(query) }).element);
    document.title = 'Runs · Bosun console';
  } else {
    replace(main, inboxView({ api, me }).element);
    document.title = 'Inbox · Bosun console';
  }
  main.focus();
}

window.addEventListener('hashchange', () => void route());
await loadServerConfig();
await route();
