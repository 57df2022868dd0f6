import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** Bundles the workflow code once (seconds); workers then start from the bundle in
 * milliseconds. */
export async function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: quietLogger });
}

/** Writes the bundle to a file that `BOSUN_WORKFLOW_BUNDLE` (or `{ codePath }`) can name. */
export async function writeWorkflowBundle(path: string): Promise<string> {
  const bundle = await bundleWorkflows();
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
