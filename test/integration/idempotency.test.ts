import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBosunClient } from '../../client/client.ts';
import type { PrincipalInput } from '../../core/principal.ts';
import { openOrderStore } from '../../examples/demo/handlers/order-store.ts';
import { startFakeOpenAI, type FakeProviderServer } from '../kit/index.ts';
import { useHarness, openaiModel, testAgent, uniqueName } from '../helpers/harness.ts';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.ts';
import { chatBody } from '../helpers/chat-body.ts';

const h = useHarness();

const principal: PrincipalInput = {
  tenant: 't',
  user: 'u',
  scopes: ['orders:read', 'orders:write'],
  roles: ['support_agent'],
};

describe('idempotent side effects', () => {
  it('applies a refund once when the worker dies after the effect and before the activity completes', async () => {
    const fake: FakeProviderServer = await startFakeOpenAI({
      handler: (_req, index) =>
        index === 0
          ? {
              kind: 'tool_calls',
              calls: [
                {
                  id: 'call_refund_1',
                  name: 'refund_order',
                  args: { orderId: 'ord_101', amountCents: 1_500, reason: 'arrived damaged' },
                },
              ],
            }
          : { kind: 'text', text: 'Refunded $15.00 to Grace Hopper.' },
    });
    const stateDir = mkdtempSync(join(tmpdir(), 'bosun-idem-'));
    const taskQueue = uniqueName('idem');
    const env = {
      BOSUN_TASK_QUEUE: taskQueue,
      BOSUN_STATE_DIR: stateDir,
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: 'sk-test-idem',
    };
    const first = await startWorkerProcess(h, { ...env, BOSUN_TEST_PAUSE_AFTER_EFFECT_MS: '60000' });
    let second: WorkerProcess | undefined;
    try {
      const bosun = createBosunClient({ client: h.temporal, taskQueue });
      const runId = uniqueName('idem-run');
      const run = await bosun.start({
        agent: testAgent(openaiModel, {
          instructions: 'You are a support agent. Refund orders when asked.',
          tools: ['lookup_order', 'refund_order'],
          timeouts: { modelCallMs: 10_000, heartbeatMs: 2_000, toolCallMs: 5_000 },
        }),
        task: 'Refund $15.00 on ord_101: it arrived damaged.',
        runId,
        principal,
      });

      // The refund is committed; the activity has not completed. Crash.
      const [, key] = (await first.waitFor(/refund applied (\S+)/, 30_000)) as [string, string];
      expect(key).toBe(`${runId}:call_refund_1`);
      await first.kill();

      second = await startWorkerProcess(h, env);
      const result = await run.result();

      expect(result.outcome).toMatchObject({ kind: 'answer', text: 'Refunded $15.00 to Grace Hopper.' });
      // The model was offered the tool (the principal has the scope) and, after the retry,
      // saw the refund the crashed attempt applied.
      expect(chatBody(fake.requests[0]!).tools!.map((t) => t.function.name)).toContain('refund_order');
      const toolMessages = chatBody(fake.requests.at(-1)!).messages.filter((m) => m.role === 'tool');
      expect(toolMessages).toHaveLength(1);
      expect(toolMessages[0]!.content).toContain('"refundId": "rf_1"');

      // One executeTool activity, completed by its second attempt on the second worker.
      const history = await h.temporal.workflow.getHandle(runId).fetchHistory();
      const events = history.events ?? [];
      const scheduledIds = events
        .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'executeTool')
        .map((e) => Number(e.eventId));
      expect(scheduledIds).toHaveLength(1);
      const started = events.find(
        (e) => Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === scheduledIds[0],
      );
      expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(2);

      // The effect, read from the store both workers shared: exactly one refund.
      const store = openOrderStore({ path: join(stateDir, 'orders.db') });
      try {
        expect(store.effects()).toMatchObject([{ idempotencyKey: key, orderId: 'ord_101', amountCents: 1_500 }]);
        expect(store.lookup('ord_101')).toMatchObject({ refundedCents: 1_500, status: 'partially_refunded' });
      } finally {
        store.close();
      }
    } finally {
      await first.kill();
      await second?.kill();
      await fake.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
