import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { bundleWorkflows } from '../../worker/bundle.ts';
import { quietRuntime } from '../helpers/harness.ts';

const dir = fileURLToPath(new URL('./histories/', import.meta.url));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();
const load = (file: string) => JSON.parse(readFileSync(dir + file, 'utf8'));
const bundle = () => ({ workflowBundle: { codePath: inject('workflowBundlePath') } });

/** Histories of runs whose agents come from another catalog than the demo's, by folder:
 * they replay against a bundle of that catalog, as their worker ran them. */
const catalogs = {
  'sub-agents': new URL('../fixtures/sub-agents/catalog.ts', import.meta.url),
  early: new URL('../fixtures/early/catalog.ts', import.meta.url),
} as const;
const foldered = Object.keys(catalogs).flatMap((folder) =>
  readdirSync(dir + folder)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ folder: folder as keyof typeof catalogs, file: `${folder}/${f}` })),
);
/** A parent's workflow id, as its children's ids (`<parent>:sub<step>.<n>`) recorded it: the
 * child ids it computes on replay must be the same. */
function recordedWorkflowId(json: {
  events: { startChildWorkflowExecutionInitiatedEventAttributes?: { workflowId: string } }[];
}): string | undefined {
  const child = json.events.find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes);
  return child?.startChildWorkflowExecutionInitiatedEventAttributes!.workflowId.replace(/:sub\d+\.\d+$/, '');
}
const bundles = new Map<string, Promise<{ code: string }>>();
const bundleOf = (folder: keyof typeof catalogs) => {
  if (!bundles.has(folder)) bundles.set(folder, bundleWorkflows({ catalogModule: catalogs[folder] }));
  return bundles.get(folder)!;
};

/**
 * Recorded histories (made with `BOSUN_RECORD_HISTORIES=1 npm test`) must replay against the
 * current workflow code: a change that would break runs already in flight fails here.
 */
describe('replay of recorded histories', () => {
  beforeAll(quietRuntime);

  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  it.each(files)('replays %s deterministically', async (file) => {
    await Worker.runReplayHistory(bundle(), historyFromJSON(load(file)), file);
  });

  it.each(foldered)(
    'replays $file against its catalog deterministically',
    async ({ folder, file }) => {
      const workflowBundle = await bundleOf(folder);
      const json = load(file);
      await Worker.runReplayHistory({ workflowBundle }, historyFromJSON(json), recordedWorkflowId(json) ?? file);
    },
    120_000,
  );

  it('detects a parent-with-children history that no longer matches the code', async () => {
    const json = load('sub-agents/parent-with-children.json') as {
      events: { startChildWorkflowExecutionInitiatedEventAttributes?: { workflowId: string } }[];
    };
    const started = json.events.find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)!;
    started.startChildWorkflowExecutionInitiatedEventAttributes!.workflowId += '-renamed';
    const original = recordedWorkflowId(load('sub-agents/parent-with-children.json'))!;
    await expect(
      Worker.runReplayHistory({ workflowBundle: await bundleOf('sub-agents') }, historyFromJSON(json), original),
    ).rejects.toThrow(/[Nn]ondetermin/);
  }, 120_000);

  it('detects a history that no longer matches the code', async () => {
    const json = load(files[0]!) as {
      events: { activityTaskScheduledEventAttributes?: { activityType: { name: string } } }[];
    };
    const scheduled = json.events.find((e) => e.activityTaskScheduledEventAttributes)!;
    scheduled.activityTaskScheduledEventAttributes!.activityType.name = 'renamedActivity';
    await expect(Worker.runReplayHistory(bundle(), historyFromJSON(json), 'tampered')).rejects.toThrow(
      /[Nn]ondetermin/,
    );
  });
});
