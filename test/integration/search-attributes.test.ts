import { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createBosunClient } from '../../client/client.ts';
import { demoApp } from '../../examples/demo/app.ts';
import { searchAttributes } from '../../workflows/definitions.ts';
import { createBosunWorker } from '../../worker/create-worker.ts';
import { ensureSearchAttributes } from '../../worker/search-attributes.ts';
import { MissingSearchAttributesError, NamespaceNotFoundError } from '../../worker/server-check.ts';
import { findTemporalCli } from '../../worker/temporal-cli.ts';
import { fakeConfig, openaiModel, testAgent, uniqueName, useHarness, withFakeProviders } from '../helpers/harness.ts';

const h = useHarness();
const run = promisify(execFile);

/** A namespace on the shared dev server with none of Bosun's search attributes, usable. */
async function bareNamespace(): Promise<string> {
  const namespace = uniqueName('bare-ns');
  await h.connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs('1 day'),
  });
  // The frontend learns of a new namespace on its next cache refresh.
  await expect
    .poll(
      () =>
        h.connection.operatorService
          .listSearchAttributes({ namespace })
          .then(() => true)
          .catch(() => false),
      { timeout: 20_000, interval: 250 },
    )
    .toBe(true);
  return namespace;
}

const startWorker = (namespace: string, config = fakeConfig({})) =>
  createBosunWorker({
    ...demoApp(),
    connection: h.nativeConnection,
    config: { ...config, TEMPORAL_NAMESPACE: namespace, TEMPORAL_ADDRESS: h.address },
    workflowBundle: { codePath: h.workflowBundlePath },
  });

describe('search attributes: one list, checked before a worker starts', () => {
  it('refuses to start on a namespace without them, naming each and the command that adds them; starts once it ran', () =>
    withFakeProviders(async ({ openai }) => {
      const namespace = await bareNamespace();
      const err = await startWorker(namespace).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MissingSearchAttributesError);
      const missing = err as MissingSearchAttributesError;
      const all = Object.values(searchAttributes).map((k) => k.name);
      expect(missing.missing.map((m) => m.name)).toEqual(all);
      for (const name of all) expect(missing.message).toContain(name);
      expect(missing.message).toContain(missing.command);
      const pairs = Object.values(searchAttributes)
        .map((k) => `--name ${k.name} --type ${{ KEYWORD: 'Keyword', INT: 'Int', DOUBLE: 'Double' }[k.type as string]}`)
        .join(' ');
      expect(missing.command).toBe(
        `temporal operator search-attribute create --address ${h.address} --namespace ${namespace} ${pairs}`,
      );
      expect(missing.command).toContain('--name BosunTokens --type Int');

      // The printed command, run as printed (with this machine's `temporal`), is the fix.
      const cli = findTemporalCli('.bosun')!.path;
      await run('sh', ['-c', missing.command.replaceAll('temporal operator', `'${cli}' operator`)], {
        timeout: 30_000,
      });

      const config = fakeConfig({ openai });
      const worker = await startWorker(namespace, config);
      const bosun = createBosunClient({
        client: new Client({ connection: h.connection, namespace }),
        taskQueue: config.BOSUN_TASK_QUEUE,
      });
      openai.push({ kind: 'text', text: 'hello from a fresh namespace' });
      const result = await worker.runUntil(bosun.run({ agent: testAgent(openaiModel), task: 'hi' }));
      expect(result.outcome).toMatchObject({ kind: 'answer', text: 'hello from a fresh namespace' });
    }));

  it('registers what is missing where it may (a dev server it owns), and the worker then starts', async () => {
    const namespace = await bareNamespace();
    const all = Object.values(searchAttributes).map((k) => k.name);
    expect(await ensureSearchAttributes(h.connection, namespace)).toEqual(all);
    expect(await ensureSearchAttributes(h.connection, namespace)).toEqual([]);
    const worker = await startWorker(namespace);
    expect(worker.getState()).toBe('INITIALIZED');
    await worker.runUntil(Promise.resolve());
  });

  it('refuses to start on a namespace that does not exist, naming it', async () => {
    const err = await startWorker('no-such-namespace').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NamespaceNotFoundError);
    expect((err as Error).message).toBe(
      `namespace "no-such-namespace" does not exist on the Temporal server at ${h.address}: set TEMPORAL_NAMESPACE to an existing one, or create it: temporal operator namespace create --address ${h.address} --namespace no-such-namespace`,
    );
  });
});
