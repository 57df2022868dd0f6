import { createApi } from './api.js';
import { h } from './dom.js';
import { notice } from './notice.js';

/**
 * Sign in with a bearer token (pasted: the console never sees a password). The token is
 * checked by asking the API who it names (`/me`); a refused one (expired, tampered, another
 * issuer) shows the API's 401 message. In development mode the server may offer its dev
 * users' tokens (`devTokens`): one click signs in as one of them.
 */
export function signInView({ onSignedIn, message, devTokens = [] }) {
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
    devTokens.length
      ? h(
          'section',
          { 'aria-labelledby': 'dev-title', class: 'dev-users' },
          h('h3', { id: 'dev-title' }, 'Development users'),
          h('p', { class: 'hint' }, 'This server runs with development tokens: sign in as one of its users.'),
          h(
            'ul',
            {},
            devTokens.map((t) =>
              h(
                'li',
                {},
                h(
                  'button',
                  { type: 'button', onclick: () => void tryToken(t.token) },
                  `Sign in as ${t.user} (${t.tenant}${t.groups?.length ? ` · ${t.groups.join(', ')}` : ''})`,
                ),
              ),
            ),
          ),
        )
      : null,
  );
}
