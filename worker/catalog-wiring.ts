import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { Catalog } from '../tools/catalog.ts';
import { toolFingerprint } from '../tools/fingerprint.ts';
import type { RegisteredTool, ToolHandler } from '../tools/handlers/types.ts';
import { catalogOf } from '../workflows/catalog.ts';

/** A worker that cannot serve what it was given: every problem is listed, each naming the
 * tool, agent or module and the fix; the worker does not start. */
export class WorkerSetupError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`the worker cannot start:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'WorkerSetupError';
    this.problems = problems;
  }
}

/** A module path or URL as an absolute file path. */
export function modulePath(module: string | URL): string {
  if (module instanceof URL) return fileURLToPath(module);
  return module.startsWith('file:') ? fileURLToPath(module) : resolve(module);
}

/**
 * Checks what a worker is given before anything starts: the catalog module (which is
 * bundled into the workflow code) exports the same catalog the worker serves, every tool has
 * exactly one handler, and no handler is left without a tool. Returns the registered tools
 * (built-in ones first) for the activities.
 */
export async function wireTools(opts: {
  catalog: Catalog;
  catalogModule?: string | URL;
  /** The user's handlers by tool name. */
  handlers?: Readonly<Record<string, ToolHandler>>;
  /** Replaces the built-in handlers and `handlers` at once (tests, advanced wiring). */
  tools?: readonly RegisteredTool[];
  builtIn: readonly RegisteredTool[];
}): Promise<RegisteredTool[]> {
  const problems: string[] = [];
  const { catalog } = opts;
  if (opts.catalogModule !== undefined) {
    const path = modulePath(opts.catalogModule);
    let bundled: Catalog | undefined;
    try {
      bundled = catalogOf((await import(pathToFileURL(path).href)) as Record<string, unknown>, path);
    } catch (err) {
      problems.push(`catalogModule ${path} could not be loaded: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (bundled) problems.push(...differences(bundled, catalog, path));
  }
  const handlers = new Map<string, RegisteredTool>();
  if (opts.tools) {
    for (const t of opts.tools) handlers.set(t.contract.name, t);
  } else {
    for (const t of opts.builtIn) handlers.set(t.contract.name, t);
    for (const [name, handler] of Object.entries(opts.handlers ?? {})) {
      const contract = catalog.tool(name);
      if (!contract) {
        problems.push(
          `handler "${name}" has no tool contract in the catalog: add its contract to defineCatalog({ tools }) or remove the handler`,
        );
        continue;
      }
      if (handlers.has(name)) {
        problems.push(`handler "${name}" would replace the built-in tool of that name: rename the tool`);
        continue;
      }
      handlers.set(name, { contract, handler } as RegisteredTool);
    }
  }
  for (const name of catalog.toolNames()) {
    if (!handlers.has(name)) problems.push(`tool "${name}" has a contract but no handler: add handlers.${name}`);
  }
  if (problems.length) throw new WorkerSetupError(problems);
  return catalog.toolNames().map((name) => handlers.get(name)!);
}

/** What differs between the catalog a module exports and the one the worker serves. */
function differences(bundled: Catalog, served: Catalog, path: string): string[] {
  const print = (c: Catalog) => new Map(c.toolNames().map((n) => [n, toolFingerprint(c.tool(n)!)]));
  const [a, b] = [print(bundled), print(served)];
  const names = new Set([...a.keys(), ...b.keys()]);
  const toolsDiffer = [...names].filter((n) => a.get(n) !== b.get(n));
  const agentsDiffer =
    JSON.stringify(bundled.agents.map((x) => x.name).sort()) !==
    JSON.stringify(served.agents.map((x) => x.name).sort());
  if (!toolsDiffer.length && !agentsDiffer) return [];
  const what = [
    ...(toolsDiffer.length ? [`tools ${toolsDiffer.join(', ')}`] : []),
    ...(agentsDiffer ? ['agents'] : []),
  ];
  return [
    `catalogModule ${path} exports a different catalog from the one given as \`catalog\` (${what.join('; ')} differ): pass the module's own export`,
  ];
}
