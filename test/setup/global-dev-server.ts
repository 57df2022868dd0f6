import type { TestProject } from 'vitest/node';
import { resolve } from 'node:path';
import { dynamicConfigArgs, responsiveDevServerConfig, startDevServer } from '../../worker/dev-server.ts';
import { writeWorkflowBundle } from '../../worker/bundle.ts';
import { demoCatalogModule } from '../../examples/demo/app.ts';

/** Temporal suggests continue-as-new after 4,096 events by default; the tests shrink it so
 * a run of a few hundred steps crosses several runs (no other test comes near 400 events). */
export const shrunkLimits = ['limit.historyCount.suggestContinueAsNew=400'];

/**
 * One Temporal dev server and one workflow bundle for the whole integration run; each test
 * uses its own task queue and run ids, so tests stay independent.
 */
export default async function setup(project: TestProject) {
  const stateDir = resolve('.bosun');
  const started = Date.now();
  const [server, bundlePath] = await Promise.all([
    startDevServer({
      stateDir,
      extraArgs: dynamicConfigArgs([...responsiveDevServerConfig, ...shrunkLimits]),
      log: (l) => console.log(`[dev-server] ${l}`),
    }),
    // The demo's catalog (order tools, the support agent) is bundled, as a user's would be.
    writeWorkflowBundle(resolve(stateDir, 'test', `workflow-bundle-${process.pid}.js`), {
      catalogModule: demoCatalogModule,
    }),
  ]);
  console.log(`[dev-server] ${server.address} via ${server.cli.source}; bundle ready in ${Date.now() - started} ms`);
  project.provide('temporalAddress', server.address);
  project.provide('workflowBundlePath', bundlePath);
  return async () => {
    await server.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
  }
}
