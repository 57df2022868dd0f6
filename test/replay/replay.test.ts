import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { quietRuntime } from '../helpers/harness.ts';

const dir = fileURLToPath(new URL('./histories/', import.meta.url));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();
const load = (file: string) => JSON.parse(readFileSync(dir + file, 'utf8'));
const bundle = () => ({ workflowBundle: { codePath: inject('workflowBundlePath') } });

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
