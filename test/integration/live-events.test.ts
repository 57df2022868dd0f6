import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../core/run-events.ts';
import { startFakeOpenAI } from '../kit/index.ts';
import { fakeConfig, openaiModel, testAgent, uniqueName, useHarness, withWorker } from '../helpers/harness.ts';

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
      const stateDir = mkdtempSync(join(tmpdir(), 'bosun-live-'));
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
    const STEPS = 14;
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
