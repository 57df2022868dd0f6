import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBosunClient } from '../../client/client.ts';
import type { PrincipalInput } from '../../core/principal.ts';
import type { Order } from '../../examples/demo/handlers/order-store.ts';
import { openPostgresOrderStore } from '../../examples/demo/handlers/pg-order-store.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../worker/postgres/embedded.ts';
import { startFakeOpenAI, type FakeProviderServer, type FakeReply, type RecordedRequest } from '../kit/index.ts';
import { chatBody } from '../helpers/chat-body.ts';
import { openaiModel, testAgent, uniqueName, useHarness } from '../helpers/harness.ts';
import { freshDatabase } from '../helpers/postgres.ts';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.ts';

/**
 * Workers on several hosts: each worker process has its own state folder (nothing shared on
 * disk) and all share one PostgreSQL (BOSUN_DATABASE_URL) and one Temporal server. Runs must
 * not notice which worker serves which activity, nor a worker dying, nor the database
 * restarting.
 */
const h = useHarness();

const principal: PrincipalInput = {
  tenant: 'acme',
  user: 'alice',
  scopes: ['orders:read', 'orders:write'],
  roles: ['support_agent'],
};
const approver = { id: 'bob', groups: ['support'] };
const agent = testAgent(openaiModel, {
  instructions: 'You are a support agent. Look the order up, then refund it.',
  tools: ['lookup_order', 'refund_order'],
  timeouts: { modelCallMs: 10_000, heartbeatMs: 2_000, toolCallMs: 5_000 },
});

/** The fake model, stateless: look the task's order up, refund $25 of it (over $20: a human
 * approves), then answer. */
function supportModel(req: RecordedRequest): FakeReply {
  const messages = chatBody(req).messages;
  const orderId = /ord_\w+/.exec(messages.find((m) => m.role === 'user')!.content)![0];
  const tools = messages.filter((m) => m.role === 'tool').length;
  if (tools === 0)
    return { kind: 'tool_calls', calls: [{ id: 'call_lookup', name: 'lookup_order', args: { orderId } }] };
  if (tools === 1) {
    return {
      kind: 'tool_calls',
      calls: [{ id: 'call_refund', name: 'refund_order', args: { orderId, amountCents: 2_500, reason: 'damaged' } }],
    };
  }
  return { kind: 'text', text: `Refunded $25.00 on ${orderId}.` };
}

const orders = (n: number, prefix: string): Order[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `ord_${prefix}${String(i).padStart(3, '0')}`,
    customer: `Customer ${i}`,
    items: [{ sku: 'BOX-1', name: 'Box', quantity: 1, unitCents: 10_000 }],
    totalCents: 10_000,
    status: 'paid',
    refundedCents: 0,
  }));

type StartedRun = Awaited<ReturnType<ReturnType<typeof createBosunClient>['start']>>;

/** Approves each of the run's pending refunds as they appear (once `hold` resolves), until
 * the run ends. */
async function approveUntilDone(run: StartedRun, hold: Promise<unknown> = Promise.resolve()): Promise<void> {
  await hold;
  const result = run.result();
  let done = false;
  void result.then(
    () => (done = true),
    () => (done = true),
  );
  const decided = new Set<string>();
  while (!done) {
    try {
      for (const ask of (await run.status()).pendingApprovals) {
        if (decided.has(ask.id)) continue;
        await run.approve(ask.id, approver, 'checked');
        decided.add(ask.id);
      }
    } catch {
      // The worker serving the query died or the run just ended: look again.
    }
    await Promise.race([sleep(250), result.catch(() => {})]);
  }
}

/** The identities of the workers that started the run's activities, from its history. */
async function activityWorkers(runId: string): Promise<string[]> {
  const history = await h.temporal.workflow.getHandle(runId).fetchHistory();
  return (history.events ?? []).flatMap((e) => e.activityTaskStartedEventAttributes?.identity ?? []);
}

describe('two worker processes, one PostgreSQL', () => {
  let fake: FakeProviderServer;
  let url: string;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ handler: supportModel });
    url = await freshDatabase('bosun_multihost');
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('serves 100 runs with tools and approvals on both workers; one SIGKILLed mid-run loses no run and no refund is applied twice', async () => {
    const runs = 100;
    // The orders the runs refund, seeded before the workers start (they find it seeded).
    const seedStore = await openPostgresOrderStore({ url, seed: orders(runs, 'mh') });
    const taskQueue = uniqueName('multihost');
    const dirs = [mkdtempSync(join(tmpdir(), 'bosun-host-a-')), mkdtempSync(join(tmpdir(), 'bosun-host-b-'))];
    const env = (stateDir: string) => ({
      BOSUN_TASK_QUEUE: taskQueue,
      BOSUN_STATE_DIR: stateDir,
      BOSUN_DATABASE_URL: url,
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: 'sk-test-multihost',
    });
    const workers: WorkerProcess[] = await Promise.all(dirs.map((d) => startWorkerProcess(h, env(d))));
    try {
      const bosun = createBosunClient({ client: h.temporal, taskQueue });
      const started = await Promise.all(
        orders(runs, 'mh').map((o, i) =>
          bosun.start({
            agent,
            task: `Refund $25.00 on ${o.id}: it arrived damaged.`,
            principal,
            runId: `${taskQueue}-run-${i}`,
          }),
        ),
      );
      // Half the runs wait for their approval until a worker has died: they are mid-run on
      // it when it does, so the other worker must finish them from the shared state.
      let release!: () => void;
      const killed = new Promise<void>((r) => (release = r));
      const held = (i: number) => i % 2 === 1;
      const approving = started.map((run, i) => approveUntilDone(run, held(i) ? killed : undefined));
      const results = started.map((run) => run.result());
      let finished = 0;
      for (const r of results) void r.then(() => finished++);

      // A quarter of the runs are done and every held run waits for its approval. Kill the
      // worker serving a held run, as a machine dies: no graceful shutdown, its in-flight
      // activities and workflow tasks lost.
      await expect.poll(() => finished, { timeout: 60_000, interval: 100 }).toBeGreaterThanOrEqual(runs / 4);
      const heldRuns = started.filter((_, i) => held(i));
      for (const run of heldRuns) {
        await expect.poll(async () => (await run.status()).pendingApprovals.length, { timeout: 60_000 }).toBe(1);
      }
      const servedBy = (await activityWorkers(heldRuns[0]!.runId)).at(-1);
      // A worker's identity is `<pid>@<host>`.
      const victim = workers.find((w) => servedBy?.startsWith(`${w.child.pid}@`));
      expect(victim, `no worker has identity ${servedBy}`).toBeDefined();
      await victim!.kill();
      release();

      const outcomes = await Promise.all(results);
      await Promise.all(approving);
      expect(outcomes.filter((r) => r.outcome.kind !== 'answer').map((r) => r.outcome)).toEqual([]);

      // Every refund applied exactly once, each under its run's own key.
      const effects = await seedStore.effects();
      expect(effects).toHaveLength(runs);
      expect(new Set(effects.map((e) => e.idempotencyKey))).toEqual(
        new Set(started.map((r) => `${r.runId}:call_refund`)),
      );
      for (const o of orders(runs, 'mh')) {
        expect(await seedStore.lookup(o.id)).toMatchObject({ refundedCents: 2_500, status: 'partially_refunded' });
      }
      // Both workers served activities (each run's activities mostly on the worker that runs
      // its workflow tasks, as Temporal dispatches them eagerly).
      const perRun = await Promise.all(started.map((r) => activityWorkers(r.runId)));
      expect(new Set(perRun.flat()).size).toBe(2);
      // The held runs the dead worker was serving were finished by the other one.
      const movedOver = perRun.filter((ids, i) => held(i) && ids[0] === servedBy && ids.at(-1) !== servedBy);
      expect(movedOver.length).toBeGreaterThan(0);
    } finally {
      await Promise.all(workers.map((w) => w.kill()));
      await seedStore.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  }, 180_000); // ~30 s alone; room for a loaded CI machine
});

describe('PostgreSQL restarting mid-run', () => {
  // A server of its own: restarting the shared one would disturb the other files.
  let server: EmbeddedPostgres;
  beforeAll(async () => {
    server = await startEmbeddedPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('fails the calls that meet it with the retryable store_unavailable, retries them, and the run completes', async () => {
    const url = await server.createDatabase('bosun_restart');
    let restarting: Promise<void> | undefined;
    const fake = await startFakeOpenAI({
      handler: async (req, index) => {
        // The second model call: the database goes down for 2 s while the call is answered,
        // so storing the answer (and the retries' reads) meet it down.
        if (index === 1 && !restarting) {
          restarting = server.restart({ downMs: 2_000 });
          await sleep(300);
        }
        return supportModel(req);
      },
    });
    const stateDir = mkdtempSync(join(tmpdir(), 'bosun-restart-'));
    const taskQueue = uniqueName('pg-restart');
    const worker = await startWorkerProcess(h, {
      BOSUN_TASK_QUEUE: taskQueue,
      BOSUN_STATE_DIR: stateDir,
      BOSUN_DATABASE_URL: url,
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: 'sk-test-restart',
    });
    try {
      const bosun = createBosunClient({ client: h.temporal, taskQueue });
      const run = await bosun.start({
        agent,
        task: 'Refund $25.00 on ord_101.',
        principal,
        runId: uniqueName('restart'),
      });
      await approveUntilDone(run);
      const result = await run.result();
      await restarting;
      expect(result.outcome).toMatchObject({ kind: 'answer', text: 'Refunded $25.00 on ord_101.' });

      // The call that met the database down: failed typed and retryable, then retried.
      const history = await h.temporal.workflow.getHandle(run.runId).fetchHistory();
      const retried = (history.events ?? []).flatMap((e) => {
        const started = e.activityTaskStartedEventAttributes;
        return started && (started.attempt ?? 1) > 1 ? [started] : [];
      });
      expect(retried.length).toBeGreaterThan(0);
      for (const s of retried) {
        expect(s.lastFailure?.applicationFailureInfo).toMatchObject({ type: 'store_unavailable' });
        expect(s.lastFailure?.applicationFailureInfo?.nonRetryable ?? false).toBe(false);
      }
      const orders = await openPostgresOrderStore({ url });
      try {
        expect(await orders.effects()).toMatchObject([{ orderId: 'ord_101', amountCents: 2_500 }]);
      } finally {
        await orders.close();
      }
    } finally {
      await worker.kill();
      await fake.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
