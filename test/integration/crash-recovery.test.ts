import { describe, expect, it } from 'vitest';
import { createBosunClient } from '../../client/client.ts';
import { startFakeOpenAI, type FakeProviderServer } from '../kit/index.ts';
import { activitiesRun, EARLY_TOOL, useHarness, openaiModel, testAgent, uniqueName } from '../helpers/harness.ts';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.ts';
import { chatBody } from '../helpers/chat-body.ts';

const h = useHarness();

describe('crash recovery', () => {
  it('resumes a run on a new worker after SIGKILL without repeating completed model calls or tools', async () => {
    let killRequested!: () => void;
    const atSecondModelCall = new Promise<void>((r) => (killRequested = r));
    const fake: FakeProviderServer = await startFakeOpenAI({
      handler: (_req, index) => {
        if (index === 0)
          return { kind: 'tool_calls', calls: [{ name: 'search_docs', args: { query: 'refund opened' } }] };
        if (index === 1) {
          killRequested();
          return { kind: 'delay', ms: 60_000, then: { kind: 'text', text: 'never delivered' } };
        }
        return { kind: 'text', text: 'recovered answer' };
      },
    });
    const taskQueue = uniqueName('crash');
    const env = {
      BOSUN_TASK_QUEUE: taskQueue,
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: 'sk-test-crash',
    };
    const first = await startWorkerProcess(h, env);
    let second: WorkerProcess | undefined;
    try {
      const bosun = createBosunClient({ client: h.temporal, taskQueue });
      const run = await bosun.start({
        agent: testAgent(openaiModel),
        task: 'How much is refunded?',
        runId: uniqueName('crash-run'),
      });

      await atSecondModelCall;
      await first.kill('SIGKILL');

      second = await startWorkerProcess(h, env);
      const result = await run.result();

      expect(result.outcome).toMatchObject({ kind: 'answer', text: 'recovered answer' });
      // Call 1 completed before the crash and was never sent again; call 2 was in flight and retried.
      expect(fake.requests).toHaveLength(3);
      const firstCallBodies = fake.requests.filter((r) => chatBody(r).messages.length === 2);
      expect(firstCallBodies).toHaveLength(1);
      expect(fake.requests[2]!.body).toEqual(fake.requests[1]!.body);

      // The (read) tool ran once, inside the first model call; inline instructions need no activity.
      expect(await activitiesRun(h.temporal, run.runId)).toEqual(['callModel', EARLY_TOOL, 'callModel']);
      const history = await h.temporal.workflow.getHandle(run.runId).fetchHistory();
      const attempts = (history.events ?? [])
        .map((e) => e.activityTaskStartedEventAttributes?.attempt)
        .filter((a) => a != null);
      expect(attempts).toEqual([1, 2]);
    } finally {
      await first.kill('SIGKILL');
      await second?.kill('SIGTERM');
      await fake.close();
    }
  });
});
