import { Worker } from '@temporalio/worker';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCallModel } from '../../activities/call-model.ts';
import { createActivities } from '../../activities/index.ts';
import { openSqliteRunStore } from '../../activities/store/run-store.ts';
import { createBosunClient } from '../../client/client.ts';
import type { PrincipalInput } from '../../core/principal.ts';
import { demoPromptsDir } from '../../examples/demo/app.ts';
import { ToolError, type ToolHandlers } from '../../tools/handlers/types.ts';
import { builtInTools, emptyRetriever } from '../../worker/built-in-tools.ts';
import { bundleWorkflows } from '../../worker/bundle.ts';
import { createBosunWorker } from '../../worker/create-worker.ts';
import { createModelAdapters } from '../../worker/providers.ts';
import { chatBody } from '../helpers/chat-body.ts';
import {
  activitiesRun,
  EARLY_TOOL,
  fakeConfig,
  maybeRecordHistory,
  openaiModel,
  testAgent,
  uniqueName,
  useHarness,
  withFakeProviders,
  withWorker,
} from '../helpers/harness.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { startFakeOpenAI, type RecordedRequest } from '../kit/index.ts';
import earlyCatalog from '../fixtures/early/catalog.ts';

/**
 * Early results (docs/tools-and-approvals.md): a step's read calls run inside the model call
 * that asks for them, and the workflow still gates every call. Against a real dev server.
 */
const h = useHarness();

const toolTexts = (req: RecordedRequest) =>
  chatBody(req)
    .messages.filter((m) => m.role === 'tool')
    .map((m) => String(m.content));

const grace: PrincipalInput = {
  tenant: 'acme',
  user: 'grace-desk',
  scopes: ['orders:read', 'orders:write'],
  roles: ['support_agent'],
  attributes: { customer: 'Grace Hopper' },
};

describe('early results', () => {
  it("runs a step's reads inside its model call, for the run's principal; a write still runs as its own activity", () =>
    withFakeProviders(({ openai }) =>
      withWorker(h, { ...fakeConfig({ openai }), BOSUN_STATE_DIR: tempDir('bosun-early-') }, async ({ bosun }) => {
        openai.push(
          {
            kind: 'tool_calls',
            calls: [
              { id: 'c_mine', name: 'lookup_order', args: { orderId: 'ord_101' } },
              { id: 'c_other', name: 'lookup_order', args: { orderId: 'ord_100' } },
              { id: 'c_calc', name: 'calculator', args: { expression: '2 * 9.5' } },
            ],
          },
          {
            kind: 'tool_calls',
            calls: [
              { id: 'c_refund', name: 'refund_order', args: { orderId: 'ord_101', amountCents: 500, reason: 'late' } },
            ],
          },
          { kind: 'text', text: 'Refunded $5.00.' },
        );
        const result = await bosun.run({
          agent: testAgent(openaiModel, { tools: ['lookup_order', 'refund_order', 'calculator'] }),
          task: 'Refund $5 on my order ord_101.',
          principal: grace,
        });
        expect(result.outcome).toMatchObject({ kind: 'answer', text: 'Refunded $5.00.' });
        expect(result.toolCalls).toBe(4);
        // The three reads ran inside the first model call; the refund (a side effect) ran as an
        // activity of its own once the workflow had gated it.
        expect(await activitiesRun(h.temporal, result.runId)).toEqual([
          'callModel',
          EARLY_TOOL,
          EARLY_TOOL,
          EARLY_TOOL,
          'callModel',
          'executeTool',
          'callModel',
        ]);
        // In call order; the handler saw the run's principal: another customer's order is refused.
        const [mine, other, calc] = toolTexts(openai.requests[1]!);
        expect(mine).toContain('Grace Hopper');
        expect(other).toMatch(/^Tool "lookup_order" failed \(tool_failed\): No order ord_100 for this customer/);
        expect(calc).toBe('2 * 9.5 = 19');
        // The audit is the same as before: each call allowed by the workflow's gate.
        expect(result.audit.filter((a) => a.event === 'tool_allowed').map((a) => a.callId)).toEqual([
          'c_mine',
          'c_other',
          'c_calc',
          'c_refund',
        ]);
        const trace = await bosun.getHandle(result.runId).trace();
        const step1 = trace.steps.find((s) => s.step === 1)!;
        const byCall = [...step1.toolCalls].sort((a, b) => a.callId.localeCompare(b.callId));
        expect(byCall.map((t) => [t.callId, t.attempts.map((a) => 'early' in a && a.early)])).toEqual([
          ['c_calc', [true]],
          ['c_mine', [true]],
          ['c_other', [true]],
        ]);
        const step2 = trace.steps.find((s) => s.step === 2)!;
        expect(step2.toolCalls[0]!.attempts.map((a) => 'early' in a && a.early)).toEqual([false]);
        await maybeRecordHistory(h.temporal, result.runId, 'agent-run-early-results');
      }),
    ));

  it('drops an early result its gate does not run: a repeated call stops the run as a loop', () =>
    withFakeProviders(({ openai }) =>
      withWorker(h, fakeConfig({ openai }), async ({ bosun }) => {
        const again = { kind: 'tool_calls' as const, calls: [{ name: 'calculator', args: { expression: '1 + 1' } }] };
        openai.push(structuredClone(again), structuredClone(again), { kind: 'text', text: 'unused' });
        const result = await bosun.run({
          agent: testAgent(openaiModel, { tools: ['calculator'], maxIdenticalToolCalls: 2 }),
          task: 'add',
        });
        expect(result.outcome).toMatchObject({ kind: 'stopped', reason: 'loop_detected' });
        // The second call ran inside its model call, but the gate stopped the run instead:
        // it is not counted, and the model never saw its result.
        expect(result.toolCalls).toBe(1);
        expect(openai.requests).toHaveLength(2);
        const trace = await bosun.getHandle(result.runId).trace();
        const second = trace.steps.find((s) => s.step === 2)!.toolCalls[0]!;
        expect(second.decisions.map((d) => d.event)).toEqual(['loop_detected']);
        expect(
          second.attempts.map((a) => ['early' in a && a.early, a.kind !== 'lost' && a.outcome.status, a.superseded]),
        ).toEqual([[true, 'ok', true]]);
        await maybeRecordHistory(h.temporal, result.runId, 'agent-run-early-dropped');
      }),
    ));

  it('drops an early result when the model call used up the budget, and says so in the audit', () =>
    withFakeProviders(({ openai }) =>
      withWorker(h, fakeConfig({ openai }), async ({ bosun }) => {
        openai.push({
          kind: 'tool_calls',
          calls: [{ id: 'c_late', name: 'calculator', args: { expression: '2 + 2' } }],
          usage: { input: 500, output: 5 },
        });
        const result = await bosun.run({
          agent: testAgent(openaiModel, { tools: ['calculator'], budgets: { maxInputTokens: 400 } }),
          task: 'add',
        });
        expect(result.outcome).toMatchObject({ kind: 'budget_exhausted', budget: 'input_tokens' });
        expect(result.toolCalls).toBe(0);
        expect(result.audit.at(-1)).toMatchObject({
          event: 'budget_refused',
          tool: 'calculator',
          callId: 'c_late',
          by: 'system',
          reason: "the run's input tokens budget is exhausted",
        });
        const trace = await bosun.getHandle(result.runId).trace();
        const late = trace.steps[0]!.toolCalls[0]!;
        expect(late.attempts.map((a) => ['early' in a && a.early, a.superseded])).toEqual([[true, true]]);
      }),
    ));

  it('an activity worker of an earlier version runs nothing early: the workflow runs the calls as before', async () => {
    const fake = await startFakeOpenAI({
      script: [
        { kind: 'tool_calls', calls: [{ name: 'calculator', args: { expression: '6 * 7' } }] },
        { kind: 'text', text: '42' },
      ],
    });
    const config = fakeConfig({ openai: fake }, uniqueName('early-old'));
    const store = openSqliteRunStore(join(tempDir('bosun-early-old-'), 'runs.db'));
    try {
      const models = createModelAdapters(config);
      const deps = {
        models,
        tools: await builtInTools(),
        store,
        promptsDir: demoPromptsDir,
        retriever: emptyRetriever,
      };
      const activities = {
        ...createActivities(deps),
        // What a worker without early results registers: a `callModel` that ignores `early`.
        callModel: createCallModel(models, { store }),
      };
      const worker = await Worker.create({
        connection: h.nativeConnection,
        taskQueue: config.BOSUN_TASK_QUEUE,
        activities,
        workflowBundle: { codePath: h.workflowBundlePath },
      });
      const bosun = createBosunClient({ client: h.temporal, taskQueue: config.BOSUN_TASK_QUEUE });
      const result = await worker.runUntil(
        bosun.run({ agent: testAgent(openaiModel, { tools: ['calculator'] }), task: '6 * 7?' }),
      );
      expect(result.outcome).toMatchObject({ kind: 'answer', text: '42' });
      expect(await activitiesRun(h.temporal, result.runId)).toEqual(['callModel', 'executeTool', 'callModel']);
      expect(toolTexts(fake.requests[1]!)).toEqual(['6 * 7 = 42']);
      // The workflow did ask: the model call's input names the tool.
      const history = await h.temporal.workflow.getHandle(result.runId).fetchHistory();
      const input = history.events!.find((e) => e.activityTaskScheduledEventAttributes)!
        .activityTaskScheduledEventAttributes!.input!.payloads![0]!.data!;
      expect(JSON.parse(Buffer.from(input).toString())).toMatchObject({ early: { tools: ['calculator'] } });
    } finally {
      store.close();
      await fake.close();
    }
  });
});

describe('early results that fail', () => {
  const catalogModule = new URL('../fixtures/early/catalog.ts', import.meta.url);
  let bundle: { code: string };
  beforeAll(async () => {
    bundle = await bundleWorkflows({ catalogModule });
  }, 120_000);

  it('a retryable failure or a timeout hands the call back to the workflow, which runs it as a local activity', async () => {
    const calls: string[] = [];
    const handlers: ToolHandlers<typeof earlyCatalog> = {
      flaky: async ({ key }) => {
        calls.push(`flaky:${key}`);
        if (calls.filter((c) => c === `flaky:${key}`).length === 1) throw new ToolError('busy', { retryable: true });
        return `flaky ok ${key}`;
      },
      slow: async ({ key }, ctx) => {
        calls.push(`slow:${key}`);
        if (calls.filter((c) => c === `slow:${key}`).length === 1)
          await new Promise((resolve) => {
            const t = setTimeout(resolve, 5_000);
            ctx.signal.addEventListener('abort', () => clearTimeout(t));
          });
        return `slow ok ${key}`;
      },
    };
    const fake = await startFakeOpenAI({
      script: [
        {
          kind: 'tool_calls',
          calls: [
            { id: 'c_flaky', name: 'flaky', args: { key: 'a' } },
            { id: 'c_slow', name: 'slow', args: { key: 'b' } },
          ],
        },
        { kind: 'text', text: 'both done' },
      ],
    });
    try {
      const config = fakeConfig({ openai: fake }, uniqueName('early-fail'));
      const worker = await createBosunWorker({
        connection: h.nativeConnection,
        config,
        workflowBundle: bundle,
        catalog: earlyCatalog,
        catalogModule,
        handlers,
      });
      const bosun = createBosunClient({ client: h.temporal, taskQueue: config.BOSUN_TASK_QUEUE });
      const { result, trace } = await worker.runUntil(async () => {
        const result = await bosun.run({ agent: testAgent(openaiModel, { tools: ['flaky', 'slow'] }), task: 'go' });
        return { result, trace: await bosun.getHandle(result.runId).trace() };
      });
      expect(result.outcome).toMatchObject({ kind: 'answer', text: 'both done' });
      expect(toolTexts(fake.requests[1]!)).toEqual(['flaky ok a', 'slow ok b']);
      // Each ran twice: early (failed, timed out), then as the workflow's local activity.
      expect(calls.sort()).toEqual(['flaky:a', 'flaky:a', 'slow:b', 'slow:b']);
      expect(await activitiesRun(h.temporal, result.runId)).toEqual([
        'callModel',
        'executeTool',
        'executeTool',
        'callModel',
      ]);
      const shown = [...trace.steps[0]!.toolCalls]
        .sort((a, b) => a.callId.localeCompare(b.callId))
        .map((t) => [
          t.callId,
          t.attempts.map((a) => [
            'early' in a && a.early,
            a.kind !== 'lost' && (a.outcome.status === 'ok' ? 'ok' : a.outcome.type),
            a.superseded,
          ]),
        ]);
      expect(shown).toEqual([
        [
          'c_flaky',
          [
            [true, 'tool_unavailable', true],
            [false, 'ok', false],
          ],
        ],
        [
          'c_slow',
          [
            [true, 'timeout', true],
            [false, 'ok', false],
          ],
        ],
      ]);
      await maybeRecordHistory(h.temporal, result.runId, 'early/fallback');
    } finally {
      await fake.close();
    }
  });
});
