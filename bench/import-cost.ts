/**
 * What the start of every run costs the workflow thread before any of its code runs: the
 * evaluation of the workflow bundle's module graph (`importWorkflows`), which the SDK's
 * reusable V8 context repeats for every run (each run gets a fresh module cache; only
 * `preloadModules` are shared). Loads a bundle into a `vm` context set up as the SDK's
 * reusable context sets it up (shared cache until the first run, then one cache per run),
 * then imports the workflows `--runs` times, each into a fresh cache, and prints the CPU ms
 * per import (p50, p90), the heap each import keeps alive while its run is cached, and how
 * many modules are preloaded and in each run's cache (evaluated, or adopted from an earlier
 * run: workflows/shared-modules.ts). Preloaded modules are frozen, as the SDK freezes them.
 *
 *   npx node --expose-gc bench/import-cost.ts [--bundle path] [--runs 200] [--keep 50]
 *     [--by-module [--top 30]]
 *
 * Without `--bundle` it bundles the bench's catalog with Bosun's workflows, as the bench's
 * worker does. Less noisy than the end-to-end bench on a loaded machine: it times CPU, not
 * wall clock. `--keep N` holds the last N runs' module caches (the worker's cached runs), so
 * the heap figure is what each cached run holds.
 */
import { readFile } from 'node:fs/promises';
import { cpuUsage, memoryUsage } from 'node:process';
import { parseArgs } from 'node:util';
import vm from 'node:vm';
import { bundleWorkflows } from '../worker/bundle.ts';
import { benchCatalogModule } from './bench-handlers.ts';

const { values } = parseArgs({
  options: {
    bundle: { type: 'string' },
    runs: { type: 'string', default: '200' },
    keep: { type: 'string', default: '50' },
    'by-module': { type: 'boolean', default: false },
    top: { type: 'string', default: '30' },
  },
});
const runs = Number(values.runs);
const keep = Number(values.keep);
const bundled = values.bundle
  ? await readFile(values.bundle, 'utf8')
  : (await bundleWorkflows({ catalogModule: benchCatalogModule })).code;
// --by-module: time each module's own evaluation (its factory, less the modules it requires).
const factoryCall = '__webpack_modules__[moduleId].call(module.exports, module, module.exports, __webpack_require__);';
if (values['by-module'] && !bundled.includes(factoryCall)) throw new Error('bundle layout not recognized');
const code = values['by-module']
  ? bundled.replace(
      factoryCall,
      `globalThis.__enter(moduleId); try { ${factoryCall} } finally { globalThis.__exit(); }`,
    )
  : bundled;
const selfMs = new Map<string, number[]>();
const stack: { id: string; start: number; child: number }[] = [];
const now = () => performance.now();

const shared = new Map<string | symbol, unknown>();
let current: Map<string | symbol, unknown> | undefined;
const context = vm.createContext({}, { microtaskMode: 'afterEvaluate' });
Object.defineProperty(context, '__webpack_module_cache__', {
  value: new Proxy(
    {},
    {
      get: (_, p) => shared.get(p) ?? current?.get(p),
      set: (_, p, v) => {
        (current ?? shared).set(p, v);
        return true;
      },
    },
  ),
});
// What the SDK injects and the bundle's global overrides expect.
Object.assign(context, {
  __enter: (id: string) => stack.push({ id, start: now(), child: 0 }),
  __exit: () => {
    const f = stack.pop()!;
    const total = now() - f.start;
    if (stack.length) stack[stack.length - 1]!.child += total;
    if (current) (selfMs.get(f.id) ?? selfMs.set(f.id, []).get(f.id)!).push(total - f.child);
  },
});
Object.assign(context, { console, TextEncoder, TextDecoder, AbortController, URL, URLSearchParams });
new vm.Script(code).runInContext(context);
vm.runInContext('__TEMPORAL__.preloadModules?.()', context);
const sharedCount = shared.size;
// As the SDK does: what was preloaded is frozen (its exports, deeply).
for (const record of shared.values()) freezeDeep(record);

const importOnce = new vm.Script('__TEMPORAL__.importWorkflows(), undefined');
const kept: Map<string | symbol, unknown>[] = [];
const ms: number[] = [];
let evaluated = 0;
const heapBefore = memoryUsage().heapUsed;
for (let i = 0; i < runs; i++) {
  // A Map of the sandbox's realm, as the SDK's activator makes it.
  current = vm.runInContext('new Map()', context) as Map<string | symbol, unknown>;
  // The run's activator, which holds its module cache (what `rememberSharedModules` reads).
  context.__TEMPORAL_ACTIVATOR__ = { moduleCache: current };
  const t = cpuUsage();
  importOnce.runInContext(context);
  const d = cpuUsage(t);
  ms.push((d.user + d.system) / 1000);
  evaluated = current.size;
  kept.push(current);
  if (kept.length > keep) kept.shift();
}
globalThis.gc?.();
const heapPerRun = (memoryUsage().heapUsed - heapBefore) / Math.min(keep, runs);
ms.sort((a, b) => a - b);
const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!.toFixed(2);
if (values['by-module']) {
  // The median of each module's own time over the runs (GC pauses land on whichever module
  // allocates when they strike; the median leaves them out).
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rows = [...selfMs].map(([id, xs]) => [id, median(xs)] as const).sort((a, b) => b[1] - a[1]);
  const sum = rows.reduce((a, [, t]) => a + t, 0);
  for (const [id, t] of rows.slice(0, Number(values.top))) console.log(`${t.toFixed(3).padStart(8)} ms  ${id}`);
  console.log(`${sum.toFixed(2).padStart(8)} ms  sum of the medians (${rows.length} modules)`);
}
console.log(
  `import per run: p50 ${q(0.5)} ms, p90 ${q(0.9)} ms CPU; ` +
    `modules preloaded ${sharedCount}, in each run's cache ${evaluated}; ` +
    `heap held per cached run ~${(heapPerRun / 1024).toFixed(0)} KB (${keep} kept${globalThis.gc ? '' : ', no --expose-gc'})`,
);

function freezeDeep(value: unknown, seen = new WeakSet<object>()): void {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) return;
  seen.add(value);
  if (typeof value === 'object') {
    for (const key of Reflect.ownKeys(value)) {
      try {
        freezeDeep((value as Record<PropertyKey, unknown>)[key], seen);
      } catch {
        // typed arrays with elements cannot be frozen: the SDK skips them too
      }
    }
  }
  Object.freeze(value);
}
