import { parseWorkflowCode } from '@temporalio/worker/lib/worker.js';
import { ReusableVMWorkflowCreator } from '@temporalio/worker/lib/workflow/reusable-vm.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleWorkflowCode } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { bosunBundlerOptions, bundleWorkflows, workflowsPath } from '../../worker/bundle.ts';
import { isSharedModule } from '../../workflows/shared-modules.ts';

/**
 * Runs share Bosun's stateless modules (workflows/shared-modules.ts), in the SDK's own reusable
 * V8 context: the first run evaluates them, the runs after it adopt them, and each run still
 * evaluates its own workflow modules. No server: the context is created as the worker creates
 * it, and each "run" is the SDK's `createWorkflow`, which imports the workflow modules.
 */
type Cache = Map<string, { exports: Record<string, unknown> }>;
let creator: ReusableVMWorkflowCreator;
let code: string;

const catalogModule = new URL('../../bench/bench-catalog.ts', import.meta.url);

async function startRun(
  n: number,
  on: ReusableVMWorkflowCreator = creator,
): Promise<{ cache: Cache; dispose: () => Promise<void> }> {
  const runId = `run-${n}`;
  const wf = await on.createWorkflow({
    info: { workflowType: 'agentRun', runId, workflowId: `wf-${n}`, unsafe: {} } as never,
    randomnessSeed: [n],
    now: Date.now(),
    showStackTraceSources: false,
  } as never);
  const context = (on as unknown as { context: { __TEMPORAL_ACTIVATOR__: { moduleCache: Cache } } }).context;
  const cache = context.__TEMPORAL_ACTIVATOR__.moduleCache;
  return { cache, dispose: () => wf.dispose() };
}

describe('modules shared across runs in the reusable V8 context', () => {
  beforeAll(async () => {
    const bundle = await bundleWorkflows({ catalogModule });
    code = bundle.code;
    // As the worker loads a bundle (its source map, a file name) and creates its context.
    creator = await ReusableVMWorkflowCreator.create(parseWorkflowCode(code), 5_000, new Set(), undefined);
  });

  it('evaluates core/, tools/ and zod once; each run still gets its own workflow modules', async () => {
    const first = await startRun(1);
    const firstRecords = new Map(first.cache);
    await first.dispose();
    const second = await startRun(2);
    const third = await startRun(3);

    const ids = [...firstRecords.keys()];
    const shared = ids.filter((id) => isSharedModule(id, './'));
    expect(shared).toContain('./core/run.ts');
    expect(shared).toContain('./tools/define-tool.ts');
    expect(shared.some((id) => id.startsWith('./node_modules/zod/'))).toBe(true);
    for (const id of shared) {
      expect(second.cache.get(id), id).toBe(firstRecords.get(id));
      expect(third.cache.get(id), id).toBe(firstRecords.get(id));
    }
    // The run's own module state (installed catalog, activity proxies) is evaluated per run.
    for (const id of ['./workflows/agent-run.ts', './workflows/catalog.ts', './bench/bench-catalog.ts']) {
      expect(firstRecords.get(id), id).toBeDefined();
      expect(second.cache.get(id), id).not.toBe(firstRecords.get(id));
      expect(third.cache.get(id), id).not.toBe(second.cache.get(id));
    }
    await second.dispose();
    await third.dispose();
  });

  it('freezes the plain data Bosun’s shared modules export, not zod’s schemas', async () => {
    const run = await startRun(4);
    const principal = run.cache.get('./core/principal.ts')!.exports;
    expect(Object.isFrozen(principal.anonymousPrincipal)).toBe(true);
    expect(Object.isFrozen((principal.anonymousPrincipal as { scopes: unknown }).scopes)).toBe(true);
    expect(Object.isFrozen(principal.principalSchema)).toBe(false);
    await run.dispose();
  });

  it('shares a closed set: no shared module imports a module that is evaluated per run', () => {
    // Module factories in the development-mode bundle: `/***/ "id"` then its body.
    const starts = [...code.matchAll(/\n\/\*\*\*\/ "([^"]+)"\n/g)].map((m) => [m[1]!, m.index] as const);
    expect(starts.length).toBeGreaterThan(100);
    const leaks: string[] = [];
    starts.forEach(([id, start], i) => {
      if (!isSharedModule(id, './')) return;
      const body = code.slice(start, starts[i + 1]?.[1] ?? code.length);
      for (const [, dep] of body.matchAll(/__webpack_require__\(\/\*! [^*]* \*\/ "([^"]+)"\)/g)) {
        if (!isSharedModule(dep!, './')) leaks.push(`${id} -> ${dep}`);
      }
    });
    expect(leaks).toEqual([]);
  });

  it('keeps a run on its own copies when it evaluated a shared module before it could adopt it', async () => {
    // An interceptor module importing zod: the SDK evaluates it before the workflows.
    const bundle = await bundleWorkflowCode({
      workflowsPath,
      ...bosunBundlerOptions,
      workflowInterceptorModules: [fileURLToPath(new URL('../fixtures/zod-interceptor.ts', import.meta.url))],
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
    const mixed = await ReusableVMWorkflowCreator.create(parseWorkflowCode(bundle.code), 5_000, new Set(), undefined);
    const first = await startRun(11, mixed);
    const firstRecords = new Map(first.cache);
    await first.dispose();
    const second = await startRun(12, mixed);
    const shared = [...firstRecords.keys()].filter((id) => isSharedModule(id, './'));
    expect(shared).toContain('./core/run.ts');
    // Nothing adopted: every shared module of the second run is its own, none the first's.
    for (const id of shared) expect(second.cache.get(id), id).not.toBe(firstRecords.get(id));
    await second.dispose();
    await mixed.destroy();
  });
});
