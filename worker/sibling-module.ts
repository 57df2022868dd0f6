import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The absolute path of a Bosun module named relative to `base` (an `import.meta.url`),
 * with the extension `base` itself has: `.ts` when Bosun runs from source (Node strips the
 * types), `.js` when it runs from the compiled package (`dist/`). The compiler rewrites
 * import specifiers, not paths in strings, so a path handed to the bundler is built here.
 *
 * @example siblingModule('../workflows/index', import.meta.url) // → /…/workflows/index.ts or /…/dist/workflows/index.js
 */
export function siblingModule(relativeWithoutExtension: string, base: string): string {
  return fileURLToPath(new URL(`${relativeWithoutExtension}${extname(new URL(base).pathname)}`, base));
}
