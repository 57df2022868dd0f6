import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBosunClient } from '../../client/client.ts';
import { startFakeOpenAI, type FakeProviderServer } from '../kit/index.ts';
import { connectHarness, openaiModel, testAgent, uniqueName, type Harness } from '../helpers/harness.ts';

const workerMain = fileURLToPath(new URL('../../worker/worker-main.ts', import.meta.url));

let h: Harness;
beforeAll(async () => {
  h = await connectHarness();
});
afterAll(async () => {
  await h?.close();
});

/** A real worker in its own process, so it can be SIGKILLed like a crashed machine. */
async function startWorkerProcess(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [workerMain], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output}`)), 30_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('bosun worker: ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before ready:\n${output}`)));
  });
  return child;
}

describe('crash recovery', () => {
  it('resumes a run on a new worker after SIGKILL without repeating completed model calls or tools', async () => {
    let killRequested!: () => void;
    const atSecondModelCall = new Promise<void>((r) => (killRequested = r));
    const fake: FakeProviderServer = await startFakeOpenAI({
      handler: (_req, index) => {
        if (index === 0) return { kind: 'tool_calls', calls: [{ name: 'search_docs', args: { query: 'refund opened' } }] };
        if (index === 1) {
          killRequested();
          return { kind: 'delay', ms: 60_000, then: { kind: 'text', text: 'never delivered' } };
        }
        return { kind: 'text', text: 'recovered answer' };
      },
    });
    const taskQueue = uniqueName('crash');
    const env = {
      TEMPORAL_ADDRESS: h.address,
      BOSUN_TASK_QUEUE: taskQueue,
      BOSUN_WORKFLOW_BUNDLE: h.workflowBundlePath,
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: 'sk-test-crash',
    };
    const first = await startWorkerProcess(env);
    let second: ChildProcess | undefined;
    try {
      const bosun = createBosunClient({ client: h.temporal, taskQueue });
      const run = await bosun.start({ agent: testAgent(openaiModel), task: 'How much is refunded?', runId: uniqueName('crash-run') });

      await atSecondModelCall;
      const exited = new Promise((r) => first.once('exit', r));
      first.kill('SIGKILL');
      await exited;

      second = await startWorkerProcess(env);
      const result = await run.result();

      expect(result.outcome).toMatchObject({ kind: 'answer', text: 'recovered answer' });
      // Call 1 completed before the crash and was never sent again; call 2 was in flight and retried.
      expect(fake.requests).toHaveLength(3);
      const firstCallBodies = fake.requests.filter((r) => r.body.messages.length === 2);
      expect(firstCallBodies).toHaveLength(1);
      expect(fake.requests[2]!.body).toEqual(fake.requests[1]!.body);

      const history = await h.temporal.workflow.getHandle(run.runId).fetchHistory();
      const events = history.events ?? [];
      const scheduled = events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
      expect(scheduled).toEqual(['resolvePrompt', 'callModel', 'executeTool', 'callModel']);
      const attempts = events.map((e) => e.activityTaskStartedEventAttributes?.attempt).filter((a) => a != null);
      expect(attempts).toEqual([1, 1, 1, 2]);
    } finally {
      first.kill('SIGKILL');
      second?.kill('SIGTERM');
      await fake.close();
    }
  });
});
