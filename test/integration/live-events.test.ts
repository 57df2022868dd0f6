import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../core/run-events.ts';
import { createBosunClient } from '../../client/client.ts';
import { startFakeAnthropic, startFakeOpenAI, type FakeReply } from '../kit/index.ts';
import {
  anthropicModel,
  fakeConfig,
  openaiModel,
  testAgent,
  uniqueName,
  useHarness,
  withWorker,
} from '../helpers/harness.ts';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const h = useHarness();

const principal = { tenant: 'acme', user: 'alice', scopes: ['orders:read', 'orders:write'], roles: ['support_agent'] };

async function collect(events: AsyncIterable<RunEvent>, until?: (e: RunEvent) => boolean): Promise<RunEvent[]> {
  const seen: RunEvent[] = [];
  for await (const e of events) {
    seen.push(e);
    if (until?.(e)) break;
  }
  return seen;
}

describe('live run events', () => {
  it('follows a run with an approval from start to end: every step, call, decision and the outcome, in order', async () => {
    const fake = await startFakeOpenAI({
      handler: (_req, i) =>
        i === 0
          ? {
              kind: 'tool_calls',
              calls: [
                {
                  id: 'call_r',
                  name: 'refund_order',
                  args: { orderId: 'ord_101', amountCents: 9_000, reason: 'late' },
                },
              ],
            }
          : { kind: 'text', text: 'Refunded $90.00.' },
    });
    try {
      const stateDir = tempDir('bosun-live-');
      await withWorker(h, { ...fakeConfig({ openai: fake }), BOSUN_STATE_DIR: stateDir }, async ({ bosun }) => {
        const run = await bosun.start({
          agent: testAgent(openaiModel, { tools: ['refund_order'] }),
          task: 'refund ord_101',
          principal,
          runId: uniqueName('live'),
        });
        const watching = collect(run.events());
        // Waits for the approval the run asks for, from the events themselves.
        const upToApproval = await collect(
          run.events(),
          (e) => e.type === 'decision' && e.entry.event === 'approval_requested',
        );
        const asked = upToApproval.at(-1)!;
        expect(asked).toMatchObject({ step: 1, entry: { tool: 'refund_order', callId: 'call_r' } });
        const { pendingApprovals } = await run.status();
        await run.approve(pendingApprovals[0]!.id, { id: 'bob', groups: ['support'] });
        const all = await watching;

        expect(all.map((e) => e.offset)).toEqual(all.map((_, i) => i));
        expect(all.map((e) => (e.type === 'decision' ? `decision:${e.entry.event}` : e.type))).toEqual([
          'run_started',
          'step_started',
          'model_started',
          'model_finished',
          'tool_requested',
          'decision:approval_requested',
          'decision:approved',
          'tool_finished',
          'step_finished',
          'step_started',
          'model_started',
          'model_finished',
          'step_finished',
          'run_ended',
        ]);
        expect(all.find((e) => e.type === 'tool_requested')).toMatchObject({
          step: 1,
          tool: 'refund_order',
          args: expect.stringContaining('"amountCents":9000'),
        });
        expect(all.find((e) => e.type === 'decision' && e.entry.event === 'approved')).toMatchObject({
          entry: { by: 'human:bob' },
        });
        expect(all.find((e) => e.type === 'tool_finished')).toMatchObject({ isError: false, tool: 'refund_order' });
        expect(all.filter((e) => e.type === 'model_finished')[1]).toMatchObject({
          call: 2,
          outcome: 'ok',
          text: 'Refunded $90.00.',
          model: 'openai/gpt-4.1-mini',
        });
        expect(all.at(-1)).toMatchObject({ type: 'run_ended', outcome: 'answer', text: 'Refunded $90.00.' });

        // After the end, a reader resuming from any offset gets exactly the rest.
        const rest = await collect(run.events({ from: 7 }));
        expect(rest).toEqual(all.slice(7));
      });
    } finally {
      await fake.close();
    }
  });

  it('keeps counting offsets across continue-as-new, and reads events an earlier execution holds', async () => {
    const STEPS = 18; // at 6 history events a step, past 100 events
    const fake = await startFakeOpenAI({
      handler: (_req, i) =>
        i < STEPS
          ? { kind: 'tool_calls', calls: [{ name: 'calculator', args: { expression: `${i} + 1` } }] }
          : { kind: 'text', text: 'all done' },
    });
    try {
      await withWorker(h, fakeConfig({ openai: fake }), async ({ bosun }) => {
        const runId = uniqueName('live-can');
        const result = await bosun.run({
          agent: testAgent(openaiModel, { maxSteps: STEPS + 1, tools: ['calculator'], continueAsNewAfterEvents: 100 }),
          task: 'count',
          runId,
        });
        expect(result.outcome).toMatchObject({ kind: 'answer', text: 'all done' });
        const executions: string[] = [];
        for await (const w of h.temporal.workflow.list({ query: `WorkflowId = "${runId}"` })) executions.push(w.runId);
        expect(executions.length).toBeGreaterThan(1);

        const all = await collect(bosun.getHandle(runId).events());
        expect(all.map((e) => e.offset)).toEqual(all.map((_, i) => i));
        expect(all.filter((e) => e.type === 'run_started').map((e) => e.continuation)).toEqual(
          executions.map((_, i) => i),
        );
        expect(all.filter((e) => e.type === 'step_started').map((e) => e.step)).toEqual(
          Array.from({ length: STEPS + 1 }, (_, i) => i + 1),
        );
        // Model call numbers go on across executions too.
        expect(all.filter((e) => e.type === 'model_started').map((e) => e.call)).toEqual(
          Array.from({ length: STEPS + 1 }, (_, i) => i + 1),
        );
        expect(all.at(-1)).toMatchObject({ type: 'run_ended', outcome: 'answer' });
      });
    } finally {
      await fake.close();
    }
  });
});

const deltasOf = (events: RunEvent[], attempt: number) =>
  events
    .filter((e): e is Extract<RunEvent, { type: 'model_delta' }> => e.type === 'model_delta' && e.attempt === attempt)
    .map((e) => e.text ?? '')
    .join('');

describe('streamed answers', () => {
  it("a worker SIGKILLed mid-stream: the follower sees attempt 1 superseded, attempt 2 complete, and the answer is attempt 2's", async () => {
    const FIRST = 'Attempt one starts to explain the refund, slowly, word by word, and never gets to finish it.';
    const SECOND = 'Attempt two: your refund of $33.12 is on its way.';
    let killNow!: () => void;
    const firstStreaming = new Promise<void>((r) => (killNow = r));
    const fake = await startFakeOpenAI({
      handler: (_req, i): FakeReply =>
        i === 0
          ? { kind: 'text', text: FIRST, stream: { chunkChars: 4, chunkDelayMs: 100 } }
          : { kind: 'text', text: SECOND, stream: { chunkChars: 4, firstChunkDelayMs: 200, chunkDelayMs: 40 } },
    });
    const taskQueue = uniqueName('live-kill');
    const env = { BOSUN_TASK_QUEUE: taskQueue, OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: 'sk-test-live' };
    const first = await startWorkerProcess(h, env);
    let second: WorkerProcess | undefined;
    try {
      const bosun = createBosunClient({ client: h.temporal, taskQueue });
      const run = await bosun.start({ agent: testAgent(openaiModel), task: 'refund?', runId: uniqueName('live-kill') });
      const seen: RunEvent[] = [];
      const following = (async () => {
        for await (const e of run.events()) {
          seen.push(e);
          if (e.type === 'model_delta' && e.attempt === 1) killNow();
        }
      })();
      await firstStreaming;
      await first.kill('SIGKILL');
      second = await startWorkerProcess(h, env);
      const result = await run.result();
      await following;

      expect(result.outcome).toMatchObject({ kind: 'answer', text: SECOND });
      const attempt1 = deltasOf(seen, 1);
      const attempt2 = deltasOf(seen, 2);
      expect(attempt1.length).toBeGreaterThan(0);
      expect(FIRST.startsWith(attempt1)).toBe(true);
      expect(attempt1).not.toBe(FIRST);
      expect(attempt2.length).toBeGreaterThan(0);
      expect(SECOND.startsWith(attempt2)).toBe(true);
      // Every delta of attempt 1 comes before any of attempt 2: superseded, not interleaved.
      const lastOf1 = seen.findLastIndex((e) => e.type === 'model_delta' && e.attempt === 1);
      const firstOf2 = seen.findIndex((e) => e.type === 'model_delta' && e.attempt === 2);
      expect(lastOf1).toBeLessThan(firstOf2);
      expect(seen.find((e) => e.type === 'model_finished')).toMatchObject({ attempt: 2, outcome: 'ok', text: SECOND });
      expect(seen.at(-1)).toMatchObject({ type: 'run_ended', outcome: 'answer', text: SECOND });
      expect(seen.map((e) => e.offset)).toEqual(seen.map((_, i) => i));
    } finally {
      await first.kill('SIGKILL');
      await second?.kill('SIGTERM');
      await fake.close();
    }
  });

  it('a follower that disconnects mid-stream and resumes from its offset misses nothing and sees nothing twice', async () => {
    const ANSWER = 'A streamed answer, long enough to arrive in several batches while the follower comes and goes.';
    const fake = await startFakeOpenAI({
      handler: () => ({ kind: 'text', text: ANSWER, stream: { chunkChars: 3, chunkDelayMs: 40 } }),
    });
    try {
      await withWorker(h, fakeConfig({ openai: fake }), async ({ bosun }) => {
        const run = await bosun.start({
          agent: testAgent(openaiModel),
          task: 'talk',
          runId: uniqueName('live-resume'),
        });
        const before = await collect(run.events(), (e) => e.type === 'model_delta');
        // Disconnected for a while: more batches arrive meanwhile.
        await new Promise((r) => setTimeout(r, 800));
        const after = await collect(run.events({ from: before.at(-1)!.offset + 1 }));
        const whole = await collect(run.events());
        expect([...before, ...after]).toEqual(whole);
        expect(whole.filter((e) => e.type === 'model_delta').length).toBeGreaterThan(1);
        expect(ANSWER.startsWith(deltasOf(whole, 1))).toBe(true);
        expect(whole.at(-1)).toMatchObject({ type: 'run_ended', text: ANSWER });
      });
    } finally {
      await fake.close();
    }
  });

  for (const wire of ['openai', 'anthropic'] as const) {
    it(`a stream error event mid-answer (${wire}) is typed and retried; the partial answer is never taken`, async () => {
      const fake = await (wire === 'openai' ? startFakeOpenAI : startFakeAnthropic)({
        handler: (_req, i): FakeReply =>
          i === 0
            ? {
                kind: 'text',
                text: 'This answer breaks off',
                stream: { chunkChars: 4, chunkDelayMs: 60, fault: { kind: 'error', afterChunks: 4 } },
              }
            : { kind: 'text', text: 'The whole answer.', stream: { chunkChars: 4, chunkDelayMs: 10 } },
      });
      try {
        await withWorker(h, fakeConfig({ [wire]: fake }), async ({ bosun, temporal }) => {
          const model = wire === 'openai' ? openaiModel : anthropicModel;
          const run = await bosun.start({
            agent: testAgent(model),
            task: 'talk',
            runId: uniqueName(`live-err-${wire}`),
          });
          const seen = await collect(run.events());
          const result = await run.result();
          expect(result.outcome).toMatchObject({ kind: 'answer', text: 'The whole answer.' });
          expect(fake.requests).toHaveLength(2);
          // Attempt 1 streamed part of its answer before the error event; the run did not take it.
          const partial = deltasOf(seen, 1);
          expect(partial.length).toBeGreaterThan(0);
          expect('This answer breaks off'.startsWith(partial)).toBe(true);
          expect(seen.find((e) => e.type === 'model_finished')).toMatchObject({
            attempt: 2,
            text: 'The whole answer.',
          });
          const history = await temporal.workflow.getHandle(run.runId).fetchHistory();
          const started = (history.events ?? []).find((e) => e.activityTaskStartedEventAttributes)!;
          expect(started.activityTaskStartedEventAttributes!.attempt).toBe(2);
          expect(started.activityTaskStartedEventAttributes!.lastFailure?.applicationFailureInfo?.type).toBe(
            'provider_unavailable',
          );
        });
      } finally {
        await fake.close();
      }
    });
  }
});
