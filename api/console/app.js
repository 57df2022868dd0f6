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

/** The signed-in person (`/me`) and the API as they call it; both unset when signed out. */
let me;
let api;
/** Why the sign-in page is shown (a refused token, a session that ended), once. */
let signInMessage;

const connect = (token) =>
  createApi(token, {
    // A token that expires while the console is open: back to sign-in, saying why.
    onUnauthorized: (err) => signOut(`Signed out: ${err.message}`),
  });

function signOut(message) {
  session.signOut();
  me = undefined;
  api = undefined;
  signInMessage = message;
  if (location.hash === '#/sign-in') void route();
  else location.hash = '#/sign-in';
}

/** Signs in with `token` if the API accepts it; otherwise leaves a message saying why not. */
async function trySignIn(token, refusal) {
  try {
    const who = await createApi(token).me();
    session.signIn(token);
    me = who;
    api = connect(token);
    return true;
  } catch (err) {
    if (err.status === 401) session.signOut();
    signInMessage = `${refusal}${err.message}`;
    return false;
  }
}

async function ensureSignedIn() {
  if (api && me) return true;
  const token = session.token();
  return token ? trySignIn(token, 'Signed out: ') : false;
}

function showWho() {
  nav.hidden = !me;
  if (!me) return replace(who);
  replace(
    who,
    h(
      'span',
      { id: 'signed-in-as', title: 'Signed in as' },
      `${me.user} · ${me.tenant}${me.groups?.length ? ` · ${me.groups.join(', ')}` : ''}`,
    ),
    ' ',
    h('button', { type: 'button', onclick: () => signOut() }, 'Sign out'),
  );
}

async function route() {
  const hash = location.hash || '#/inbox';
  const [path, query = ''] = hash.slice(1).split('?');
  // A sign-in link (`#/sign-in?token=…`, which `npm start` prints for development users):
  // the token is taken out of the address at once, so it stays in neither history nor view.
  const linked = path === '/sign-in' ? new URLSearchParams(query).get('token') : null;
  if (linked) {
    history.replaceState(null, '', '#/sign-in');
    if (await trySignIn(linked, 'That sign-in link was refused: ')) {
      history.replaceState(null, '', '#/inbox');
      return route();
    }
  }
  if (!(await ensureSignedIn())) return showSignIn();
  if (path === '/sign-in') {
    history.replaceState(null, '', '#/inbox');
    return route();
  }
  showWho();
  for (const a of nav.querySelectorAll('a'))
    a.setAttribute('aria-current', path.startsWith(a.getAttribute('href').slice(1)) ? 'page' : 'false');
  const run = /^\/runs\/(.+)$/.exec(path);
  if (run) {
    const runId = decodeURIComponent(run[1]);
    replace(main, runPage({ api, runId }).element);
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

function showSignIn() {
  showWho();
  const message = signInMessage;
  signInMessage = undefined;
  replace(
    main,
    signInView({
      message,
      onSignedIn: (token, person) => {
        session.signIn(token);
        me = person;
        api = connect(token);
        location.hash = '#/inbox';
      },
    }),
  );
  document.title = 'Sign in · Bosun console';
}

window.addEventListener('hashchange', () => void route());
await route();
