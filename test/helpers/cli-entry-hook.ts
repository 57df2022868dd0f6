/**
 * `node --import ./test/helpers/cli-entry-hook.ts client/cli.ts ...`: the CLI's modules get
 * `cli-entry-client.ts` where they import `client/client.ts`, so the real entry runs
 * against a fake client without a Temporal server.
 */
import { registerHooks } from 'node:module';

const fakeClient = new URL('./cli-entry-client.ts', import.meta.url).href;

registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    const fromCli = /\/client\/cli(\.ts$|\/)/.test(context.parentURL ?? '');
    return fromCli && resolved.url.endsWith('/client/client.ts') ? { ...resolved, url: fakeClient } : resolved;
  },
});
