import { builtInCatalog, isCatalog, type Catalog } from '../tools/catalog.ts';

let installed: Catalog = builtInCatalog;

/**
 * The catalog runs use: the user's tools and agents, bundled with the workflow code. The
 * worker's generated bundle entry installs it once when the bundle loads (each workflow has
 * its own module state in Temporal's sandbox); without one, the built-in tools only.
 */
export function installCatalog(catalog: Catalog): void {
  installed = catalog;
}

export function catalog(): Catalog {
  return installed;
}

/** The catalog a module exports: its default export, or an export named `catalog`. */
export function catalogOf(mod: Record<string, unknown>, where: string): Catalog {
  const found = isCatalog(mod.default) ? mod.default : isCatalog(mod.catalog) ? mod.catalog : undefined;
  if (!found) throw new TypeError(`${where} must export a catalog (export default defineCatalog({ tools, agents }))`);
  return found;
}
