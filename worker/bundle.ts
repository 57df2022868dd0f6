import { bundleWorkflowCode, type WorkerOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

type Configuration = Parameters<NonNullable<NonNullable<WorkerOptions['bundlerOptions']>['webpackConfigHook']>>[0];
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { failureConverterPath } from './codec/data-converter.ts';
import { siblingModule } from './sibling-module.ts';
import { workflowTracingModules } from './telemetry/tracing.ts';

export const workflowsPath = siblingModule('../workflows/index', import.meta.url);
/** The node_modules folder Bosun's `@temporalio/workflow` is in. */
const sdkModulesDir = resolve(createRequire(import.meta.url).resolve('@temporalio/workflow/package.json'), '../../..');
const catalogModulePath = siblingModule('../workflows/catalog', import.meta.url);
const adoptSharedModulesPath = siblingModule('../workflows/adopt-shared-modules', import.meta.url);
/** Preloaded into every workflow context: it keeps the modules runs share
 * (workflows/shared-modules.ts), so each run does not evaluate `core/`, `tools/` and zod again. */
export const sharedModulesPath = siblingModule('../workflows/shared-modules', import.meta.url);

/**
 * The SDK compiles a bundle's TypeScript for ES2017, so object spread, optional chaining and
 * the like become helper calls — run on every step in the sandbox, whose V8 has them all
 * natively. Bosun's sources are compiled for ES2022 instead, close to how `tsc` compiles the
 * package (ES2023, `tsconfig.json`), whose bundles are made of JavaScript the SDK leaves as is.
 */
export const modernSyntax = (config: Configuration): Configuration => ({
  ...config,
  module: {
    ...config.module,
    rules: config.module?.rules?.map((rule) => {
      const use = rule && typeof rule === 'object' ? rule.use : undefined;
      if (!use || typeof use !== 'object' || Array.isArray(use) || !String(use.loader).includes('swc-loader'))
        return rule;
      const options = (use.options ?? {}) as { jsc?: Record<string, unknown> };
      return {
        ...(rule as object),
        use: { ...use, options: { ...options, jsc: { ...options.jsc, target: 'es2022' } } },
      };
    }),
  },
});

/** The generated entry lives outside any project: webpack finds the SDK where Bosun does. */
export const findSdkModules = (config: Configuration): Configuration => ({
  ...config,
  resolve: { ...config.resolve, modules: [...(config.resolve?.modules ?? []), sdkModulesDir] },
});

/** Bundler options every Bosun bundle uses (with a worker's `bundlerOptions` or here). */
export const bosunBundlerOptions = {
  preloadModules: [sharedModulesPath],
  webpackConfigHook: (config: Configuration) => modernSyntax(findSdkModules(config)),
};

export interface BundleOptions {
  /** Include the encrypting failure converter (workers with BOSUN_CODEC_KEYS): failures
   * raised inside workflow code are then encrypted too. */
  encryptFailures?: boolean;
  /** Include the OpenTelemetry workflow interceptors (workers with tracing on). */
  tracing?: boolean;
  /** The module that exports the user's catalog (`defineCatalog`): bundled with the
   * workflow code, so runs validate and authorize calls against its contracts. */
  catalogModule?: string | URL;
}

/** Bundles the workflow code once (seconds); workers then start from the bundle in
 * milliseconds. A worker that bundles at start gets both options from its data converter
 * and tracing; a prebuilt bundle must be built with the options its workers use. */
export async function bundleWorkflows(opts: BundleOptions = {}): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: opts.catalogModule ? await writeBundleEntry(opts.catalogModule) : workflowsPath,
    logger: quietLogger,
    ...bosunBundlerOptions,
    ...(opts.encryptFailures ? { failureConverterPath } : {}),
    ...(opts.tracing ? { workflowInterceptorModules: workflowTracingModules } : {}),
  });
}

/**
 * The bundle's entry for a worker with a catalog: Bosun's workflows, and the user's catalog
 * module installed when the bundle loads. Written next to nothing the user owns (a folder
 * under the system temp dir named by its content).
 */
export async function writeBundleEntry(catalogModule: string | URL): Promise<string> {
  const modulePath =
    catalogModule instanceof URL
      ? fileURLToPath(catalogModule)
      : resolve(catalogModule.startsWith('file:') ? fileURLToPath(catalogModule) : catalogModule);
  const code = [
    // First: a run adopts the modules shared across runs before any import evaluates them.
    `import ${JSON.stringify(adoptSharedModulesPath)};`,
    `import * as userCatalog from ${JSON.stringify(modulePath)};`,
    `import { catalogOf, installCatalog } from ${JSON.stringify(catalogModulePath)};`,
    `installCatalog(catalogOf(userCatalog, ${JSON.stringify(modulePath)}));`,
    `export * from ${JSON.stringify(workflowsPath)};`,
    '',
  ].join('\n');
  const dir = join(tmpdir(), `bosun-bundle-${createHash('sha256').update(code).digest('hex').slice(0, 16)}`);
  await mkdir(dir, { recursive: true });
  const entry = join(dir, 'workflows.js');
  await writeFile(entry, code);
  return entry;
}

/** Writes the bundle to a file that `BOSUN_WORKFLOW_BUNDLE` (or `{ codePath }`) can name. */
export async function writeWorkflowBundle(path: string, opts: BundleOptions = {}): Promise<string> {
  const bundle = await bundleWorkflows(opts);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bundle.code);
  return path;
}

export async function readWorkflowBundle(path: string): Promise<{ code: string }> {
  return { code: await readFile(path, 'utf8') };
}

const noop = () => {};
const quietLogger = {
  log: noop,
  trace: noop,
  debug: noop,
  info: noop,
  warn: (message: string, meta?: unknown) => console.warn(message, meta ?? ''),
  error: (message: string, meta?: unknown) => console.error(message, meta ?? ''),
};
