import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateRunInput } from '../../client/client.ts';
import { workflowNames } from '../../workflows/definitions.ts';
import { openSqliteRunStore } from '../../activities/store/run-store.ts';
import type { Message } from '../../core/messages.ts';
import type { RunResult } from '../../core/run.ts';
import { startFakeOpenAI, type FakeReply, type RecordedRequest } from '../kit/index.ts';
import { activitiesRun, openaiModel, testAgent, uniqueName, useHarness } from '../helpers/harness.ts';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.ts';
import { chatBody } from '../helpers/chat-body.ts';

const h = useHarness();

/** What real OpenAI answers a request whose tool results match no tool call before them. */
function unmatchedToolResult(req: RecordedRequest): string | undefined {
  const called = new Set<string>();
  for (const m of chatBody(req).messages) {
    const calls = (m as { tool_calls?: { id: string }[] }).tool_calls ?? [];
    for (const c of calls) called.add(c.id);
    const answers = (m as { tool_call_id?: string }).tool_call_id;
    if (m.role === 'tool' && answers && !called.has(answers)) return answers;
  }
  return undefined;
}

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

const calc = (id: string, expression: string): FakeReply => ({
  kind: 'tool_calls',
  calls: [{ id, name: 'calculator', args: { expression } }],
});

describe('a stale model-call attempt cannot rewrite the conversation', () => {
  it(
    'worker A paused past the heartbeat timeout while B completed the retry: the store keeps what the run acted on',
    { timeout: 180_000 },
    async () => {
      const firstArrived = deferred();
      const releaseFirst = deferred();
      const stepTwoArrived = deferred();
      const staleDone = deferred();
      const rejected: string[] = [];
      const fake = await startFakeOpenAI({
        handler: async (req, index): Promise<FakeReply> => {
          const unmatched = unmatchedToolResult(req);
          if (unmatched) {
            rejected.push(unmatched);
            return { kind: 'error', status: 400, message: `tool_call_id ${unmatched} matches no tool call` };
          }
          if (index === 0) {
            // Attempt 1, on worker A: hangs until A has been paused and the retry has won.
            firstArrived.resolve();
            await releaseFirst.promise;
            return calc('call_stale', '1 + 1');
          }
          if (index === 1) return calc('call_retry', '2 + 2'); // attempt 2, on worker B
          if (index === 2) {
            // Step 2 (B): let worker A wake up and finish its stale attempt before answering.
            stepTwoArrived.resolve();
            await staleDone.promise;
            return calc('call_two', '3 + 3');
          }
          return { kind: 'text', text: 'done' };
        },
      });
      const stateDir = mkdtempSync(join(tmpdir(), 'bosun-stale-'));
      const taskQueue = uniqueName('stale');
      const env = {
        BOSUN_TASK_QUEUE: taskQueue,
        BOSUN_STATE_DIR: stateDir,
        OPENAI_BASE_URL: fake.baseURL,
        OPENAI_API_KEY: 'sk-test-stale',
      };
      const a = await startWorkerProcess(h, env);
      let b: WorkerProcess | undefined;
      try {
        const runId = uniqueName('stale-run');
        // Started as the Bosun client starts runs, but with a short workflow task timeout: the
        // paused worker's open polls swallow tasks sent to it (as a real paused machine does),
        // and each swallowed task costs its timeout. Ten attempts for the model call, so the
        // attempts A swallows cannot exhaust the route.
        const input = validateRunInput({
          agent: {
            ...testAgent(openaiModel, { timeouts: { modelCallMs: 120_000, heartbeatMs: 2_000, toolCallMs: 5_000 } }),
            model: undefined,
            routing: { tiers: { strong: { chain: [openaiModel], attemptsPerModel: 10 } } },
          },
          task: 'Add things up.',
          runId,
        });
        const run = await h.temporal.workflow.start(workflowNames.agentRun, {
          taskQueue,
          workflowId: runId,
          args: [input],
          workflowTaskTimeout: '2s',
        });

        await firstArrived.promise;
        a.child.kill('SIGSTOP'); // a GC pause, a partition: A holds attempt 1 and goes silent
        b = await startWorkerProcess(h, env);
        await stepTwoArrived.promise; // attempt 2 answered on B, its tool ran, step 2 is asking

        releaseFirst.resolve();
        await new Promise((r) => setTimeout(r, 300)); // attempt 1's answer waits in A's socket
        a.child.kill('SIGCONT');
        await a.waitFor(/model answer not stored|"model call"/, 15_000).catch(() => undefined);
        staleDone.resolve();

        const result = (await run.result()) as RunResult;
        expect(result.outcome).toMatchObject({ kind: 'answer', text: 'done' });
        expect(rejected).toEqual([]);

        // What the workflow executed ...
        const executed = (await activitiesRun(h.temporal, runId)).filter((a) => a.startsWith('executeTool'));
        expect(executed).toHaveLength(2);
        expect(result.calls.filter((c) => c.outcome === 'ok')).toHaveLength(3);

        // ... is exactly what the store holds: attempt 2's answer, never attempt 1's.
        const store = openSqliteRunStore(join(stateDir, 'runs.db'));
        let stored: Message[];
        try {
          stored = await store.getMessages(runId, 6);
        } finally {
          store.close();
        }
        const toolCallIds = stored.flatMap((m) => (m.role === 'assistant' ? m.toolCalls.map((c) => c.id) : []));
        const toolResultIds = stored.flatMap((m) => (m.role === 'tool' ? m.results.map((r) => r.callId) : []));
        expect(toolCallIds).toEqual(['call_retry', 'call_two']);
        expect(toolResultIds).toEqual(['call_retry', 'call_two']);
        // Every request after the first hung one that A sent once resumed (the attempts its
        // open polls had swallowed) was refused the position and handed the stored answer.
        expect(a.output()).toMatch(/model answer not stored/);
      } finally {
        releaseFirst.resolve();
        staleDone.resolve();
        a.child.kill('SIGCONT');
        await a.kill('SIGKILL');
        await b?.kill('SIGTERM');
        await fake.close();
        rmSync(stateDir, { recursive: true, force: true });
      }
    },
  );
});
