/**
 * The signed-in token, kept in sessionStorage: it lives as long as the tab, is not shared
 * with other tabs, and is gone when the browser closes. The console never decodes or trusts
 * it: the API verifies it on every request and `/me` says who it names.
 */
const key = 'bosun.console.token';

export const session = {
  token: () => sessionStorage.getItem(key) ?? undefined,
  signIn: (token) => sessionStorage.setItem(key, token),
  signOut: () => sessionStorage.removeItem(key),
};
