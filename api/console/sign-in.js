import { createApi } from './api.js';
import { h } from './dom.js';
import { notice } from './notice.js';

/**
 * Sign in with a bearer token (pasted: the console never sees a password). The token is
 * checked by asking the API who it names (`/me`); a refused one (expired, tampered, another
 * issuer) shows the API's 401 message. In development, `npm start` prints a sign-in link per
 * development user (`#/sign-in?token=…`), and the tokens file.
 */
export function signInView({ onSignedIn, message }) {
  const problems = notice();
  if (message) problems.error(message);
  const token = h('textarea', {
    id: 'token',
    name: 'token',
    rows: 4,
    required: true,
    spellcheck: false,
    autocomplete: 'off',
  });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');

  async function tryToken(value) {
    problems.clear();
    submit.disabled = true;
    try {
      const me = await createApi(value).me();
      onSignedIn(value, me);
    } catch (err) {
      problems.error(err);
    } finally {
      submit.disabled = false;
    }
  }

  return h(
    'section',
    { 'aria-labelledby': 'sign-in-title', class: 'sign-in' },
    h('h2', { id: 'sign-in-title' }, 'Sign in'),
    h(
      'form',
      {
        'aria-label': 'Sign in',
        onsubmit: (e) => {
          e.preventDefault();
          const value = token.value.trim().replace(/^Bearer\s+/i, '');
          if (!value) return token.reportValidity();
          void tryToken(value);
        },
      },
      h('label', { for: 'token' }, 'Bearer token'),
      h(
        'p',
        { class: 'hint', id: 'token-hint' },
        'Paste the token your identity provider issued you (in development: one that npm start printed).',
      ),
      token,
      h('div', { class: 'actions' }, submit),
    ),
    problems.element,
  );
}
