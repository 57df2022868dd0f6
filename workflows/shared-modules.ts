/**
 * Evaluates Bosun's stateless modules once per workflow context instead of once per run.
 *
 * Why: with the SDK's reusable V8 context every run gets an empty module cache, so its first
 * workflow task evaluated `core/`, `tools/` and the libraries they use (zod, hashing, JSON
 * Schema) again — rebuilding every zod schema: ~19 ms of CPU per run and a copy of every
 * schema held by each cached run (`npx node bench/import-cost.ts`). The SDK's own
 * `preloadModules` shares modules, but it deep-freezes what they export, and zod writes to its
 * schemas when it first uses them (bound methods, its parse memoizer), so preloaded schemas
 * fail.
 *
 * How: this module is preloaded (`sharedModulesPath` in the bundler's `preloadModules`), so it
 * is evaluated once per context and its closure state outlives each run; the SDK freezes its
 * exports, which are functions, not the closure. After the first run has evaluated the whole
 * workflow graph, `rememberSharedModules` keeps that run's module records of the shareable
 * modules; every later run's bundle entry calls `adoptSharedModules` before importing
 * anything, which puts those records into the run's own module cache, so the run's imports
 * find them evaluated.
 *
 * What is shared: `core/` and `tools/` (contracts, schemas and pure functions; their only
 * module state are caches keyed by content or by object, whose answers do not depend on the
 * run) and zod, `@noble/hashes` and `@cfworker/json-schema`; none of them imports anything
 * outside that set (a unit test checks it on a real bundle). Workflow modules (`workflows/`,
 * whose module state is per run: the installed catalog, activity proxies), the user's catalog
 * module and the SDK's per-run modules are evaluated for every run, as before. The plain data
 * that Bosun's shared modules export (defaults, contracts, lists) is frozen, as the SDK would
 * freeze it, so no run can change what another run sees; zod schemas are left as they are.
 *
 * Outside the reusable context (a bundle without this module preloaded, `reuseV8Context:
 * false`, Node itself) both functions do nothing: every run evaluates its modules.
 */

/** A webpack module record: what the bundle's module cache holds per module id. */
interface ModuleRecord {
  exports: unknown;
}
interface Sandbox {
  __webpack_module_cache__?: Record<string, ModuleRecord | undefined>;
  __TEMPORAL_ACTIVATOR__?: { moduleCache?: unknown };
}

declare const __webpack_module__: { id?: unknown } | undefined;

/** This module's id in the bundle: where Bosun's own folders are (`./` in Bosun's bundles,
 * `./node_modules/bosun/` in an application's). Undefined outside webpack. */
const ownId = typeof __webpack_module__ !== 'undefined' ? __webpack_module__?.id : undefined;
const root = typeof ownId === 'string' ? /^(.*)workflows\/shared-modules\.[cm]?[jt]s$/.exec(ownId)?.[1] : undefined;
const sharedLibraries = /\/node_modules\/(zod|@noble\/hashes|@cfworker\/json-schema)\//;

/** Whether the module with this bundle id is one a context shares across runs. */
export function isSharedModule(id: string, bosunRoot: string | undefined = root): boolean {
  if (bosunRoot === undefined) return false;
  return id.startsWith(`${bosunRoot}core/`) || id.startsWith(`${bosunRoot}tools/`) || sharedLibraries.test(id);
}

/** Whether Bosun's own module (as opposed to a library) is where this id points. */
const isBosunModule = (id: string) =>
  root !== undefined && (id.startsWith(`${root}core/`) || id.startsWith(`${root}tools/`));

const remembered = new Map<string, ModuleRecord>();

/** First thing a run's bundle entry does: the modules remembered from an earlier run become
 * this run's, before any import could evaluate them again. */
export function adoptSharedModules(): void {
  const cache = (globalThis as Sandbox).__webpack_module_cache__;
  const own = activatorCache();
  if (remembered.size === 0 || !cache || !own) return;
  // All or nothing: a module that this run already evaluated (an interceptor or converter
  // module the SDK loads before the workflows, importing zod) keeps this run on its own
  // copies, so one run never mixes two instances of a module.
  for (const id of remembered.keys()) if (own.has(id)) return;
  for (const [id, record] of remembered) cache[id] = record;
}

/** Last thing the workflow modules do when they load: the first run whose modules all
 * evaluated lends its shareable ones to the runs after it. */
export function rememberSharedModules(): void {
  if (remembered.size > 0 || root === undefined) return;
  const cache = activatorCache();
  if (!cache) return;
  for (const [id, record] of cache) {
    if (typeof id !== 'string' || !isSharedModule(id) || !isRecord(record)) continue;
    if (isBosunModule(id)) freezeData(record.exports);
    remembered.set(id, record);
  }
}

/** The running workflow's module cache (the SDK's activator keeps one per run), if this is the
 * reusable context. */
function activatorCache(): Map<unknown, unknown> | undefined {
  const cache = (globalThis as Sandbox).__TEMPORAL_ACTIVATOR__?.moduleCache;
  return cache instanceof Map ? cache : undefined;
}

const isRecord = (value: unknown): value is ModuleRecord =>
  typeof value === 'object' && value !== null && 'exports' in value;

/** Freezes plain objects and arrays, deeply; leaves functions, class instances (Map, RegExp…)
 * and zod schemas (which memoize into themselves on first use) as they are. */
function freezeData(value: unknown, seen = new Set<object>()): void {
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  seen.add(value);
  const proto = Object.getPrototypeOf(value) as unknown;
  const plain = proto === Object.prototype || proto === Array.prototype || proto === null;
  const moduleNamespace = (value as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'Module';
  if ((!plain && !moduleNamespace) || '_zod' in value) return;
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    freezeData(
      descriptor && 'value' in descriptor ? descriptor.value : (value as Record<PropertyKey, unknown>)[key],
      seen,
    );
  }
  if (!moduleNamespace) Object.freeze(value);
}
