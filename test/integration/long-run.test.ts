import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { statusQuery } from '../../workflows/definitions.ts';
import { startFakeOpenAI } from '../kit/index.ts';
import {
  maybeRecordHistory,
  useHarness,
  fakeConfig,
  openaiModel,
  testAgent,
  uniqueName,
  withWorker,
} from '../helpers/harness.ts';
import { chatBody } from '../helpers/chat-body.ts';

const h = useHarness();

const STEPS = 300;

describe('long runs', () => {
  it(`completes ${STEPS} tool steps across continue-as-new, with bounded history per run and per step`, async () => {
    const fake = await startFakeOpenAI({
      handler: (_req, i) =>
        i < STEPS
          ? {
              kind: 'tool_calls',
              calls: [{ name: 'calculator', args: { expression: `${i} + 1` } }],
              usage: { input: 100, output: 5 },
            }
          : { kind: 'text', text: 'all done' },
    });
    try {
      await withWorker(h, fakeConfig({ openai: fake }), async ({ bosun }) => {
        const runId = uniqueName('long');
        const result = await bosun.run({
          agent: testAgent(openaiModel, { maxSteps: STEPS + 1, tools: ['calculator'] }),
          task: 'count',
          runId,
        });

        expect(result.outcome).toMatchObject({ kind: 'answer', text: 'all done' });
        expect(result).toMatchObject({ steps: STEPS + 1, toolCalls: STEPS, modelCalls: STEPS + 1 });
        // Calls are numbered through the whole chain, trimmed and carried records or not.
        expect(result.calls.map((c) => c.seq)).toEqual(
          Array.from({ length: result.calls.length }, (_, i) => STEPS + 2 - result.calls.length + i),
        );
        // The provider still saw the whole conversation: system + task + 2 messages per step.
        expect(chatBody(fake.requests.at(-1)!).messages).toHaveLength(2 + 2 * STEPS);

        const runs: { events: number; bytes: number }[] = [];
        for await (const w of h.temporal.workflow.list({ query: `WorkflowId = "${runId}"` })) {
          const history = await h.temporal.workflow.getHandle(runId, w.runId).fetchHistory();
          runs.push({
            events: history.events!.length,
            bytes: temporal.api.history.v1.History.encode(history).finish().length,
          });
          // A run that started from carried state and continued as new itself.
          if (runs.length === 2) await maybeRecordHistory(h.temporal, runId, 'agent-run-continued-as-new', w.runId);
          if (process.env.DEBUG_HISTORY) {
            const by: Record<string, number> = {};
            for (const e of history.events!) {
              const k = String(e.eventType);
              by[k] = (by[k] ?? 0) + temporal.api.history.v1.HistoryEvent.encode(e).finish().length;
            }
            console.log(JSON.stringify(by));
          }
        }
        expect(runs.length).toBeGreaterThanOrEqual(5);
        for (const r of runs) expect(r.events).toBeLessThan(600);
        // Per-step history does not grow with the conversation: once the carried records reach
        // their cap (after the first run), every full run has about the same size.
        const later = runs.slice(1, -1).map((r) => r.bytes / r.events);
        console.log(`runs: ${runs.map((r) => `${r.events} events/${r.bytes} B`).join(', ')}`);
        expect(Math.max(...later) / Math.min(...later)).toBeLessThan(1.3);

        // The state carried across runs answers the status query of the last run.
        const status = await h.temporal.workflow.getHandle(runId).query(statusQuery);
        expect(status).toMatchObject({ step: STEPS + 1, toolCalls: STEPS, phase: 'completed' });
      });
    } finally {
      await fake.close();
    }
  }, 240_000);
});
