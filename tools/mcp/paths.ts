/**
 * Path confinement for tools from MCP servers, in plain string logic (no `node:path`: it runs
 * in the workflow sandbox too). An agent's `paths` are the folders its calls may touch; every
 * path argument must be absolute and, once `.` and `..` are resolved, inside one of them.
 * Bosun cannot see symbolic links from the workflow: the server's own allowed folders stay
 * the last line of defence (the reference filesystem server resolves links before checking).
 */

/** `/a/./b/../c/` → `/a/c`; undefined for a relative path or one that climbs above `/`. */
export function normalizeAbsolutePath(path: string): string | undefined {
  if (!path.startsWith('/') || path.includes('\0')) return undefined;
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

/** True when `path` is `folder` or below it (both normalized). */
export function isWithin(path: string, folder: string): boolean {
  const root = folder === '/' ? '/' : folder.replace(/\/+$/, '');
  return root === '/' || path === root || path.startsWith(`${root}/`);
}

/**
 * Why a call's path arguments break the confinement, or undefined when they do not: each
 * argument named in `pathArguments` that is present must be a string (or a list of strings)
 * naming an absolute path inside one of `allowed`.
 */
export function pathViolation(
  input: unknown,
  pathArguments: readonly string[],
  allowed: readonly string[],
): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const folders = allowed.map((f) => normalizeAbsolutePath(f) ?? f);
  for (const arg of pathArguments) {
    const value = (input as Record<string, unknown>)[arg];
    if (value === undefined) continue;
    const values = Array.isArray(value) ? (value as unknown[]) : [value];
    for (const v of values) {
      if (typeof v !== 'string') return `argument "${arg}" must be a path`;
      const path = normalizeAbsolutePath(v);
      if (!path)
        return `argument "${arg}" must be an absolute path without climbing above / (got ${JSON.stringify(v)})`;
      if (!folders.some((f) => isWithin(path, f)))
        return `path ${JSON.stringify(v)} is outside the folders this agent may use (${folders.join(', ')})`;
    }
  }
  return undefined;
}
