import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { failureConverterPath } from './codec/data-converter.ts';
import { workflowTracingModules } from './telemetry/tracing.ts';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface BundleOptions {
  /** Include the encrypting failure converter (workers with BOSUN_CODEC_KEYS): failures
   * raised inside workflow code are then encrypted too. */
  encryptFailures?: boolean;
  /** Include the OpenTelemetry workflow interceptors (workers with tracing on). */
  tracing?: boolean;
}

/** Bundles the workflow code once (seconds); workers then start from the bundle in
 * milliseconds. A worker that bundles at start gets both options from its data converter
 * and tracing; a prebuilt bundle must be built with the options its workers use. */
export async function bundleWorkflows(opts: BundleOptions = {}): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath,
    logger: quietLogger,
    ...(opts.encryptFailures ? { failureConverterPath } : {}),
    ...(opts.tracing ? { workflowInterceptorModules: workflowTracingModules } : {}),
  });
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
