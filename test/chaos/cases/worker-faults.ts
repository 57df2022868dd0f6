/**
 * Worker faults mid-run. Worker A takes the runs; once every run is at the fault point, A is
 * SIGKILLed (a crashed machine; worker B is started after, as a replacement) or SIGSTOPped
 * (a GC pause or a partition longer than the heartbeat timeout; B runs beside it) and later
 * SIGCONTed. Both workers share the task queue and state folder (run store, order store) and
 * each calls a pair of fakes of its own, so the script knows which worker sent a request.
 * Every run must answer, with exactly one refund applied.
 *
 * The SIGSTOP cases hold A's late work back until B has taken every run over, then let A
 * finish it. Mid-model-call, that is the stale-attempt repro of issue 11 item 2: A's
 * attempt answers after B's retry has; if A's answer overwrites the stored conversation,
 * the next request carries a tool result whose id matches no tool call, which the fakes
 * refuse as the real APIs do (400 → `bad_request`).
 *
 * The last case pauses A for 60 s on a dev server with the stock long-poll expiry (60 s): a
 * stopped worker keeps its connections, so its pending polls keep taking retries of the
 * runs' activities, each of which then waits out the heartbeat timeout.
 */
import { Connection } from '@temporalio/client';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunHandle } from '../../../client/client.ts';
import type { FakeReply } from '../../kit/index.ts';
import {
  awaitRun,
  countDuplicates,
  startRun,
  until,
  type CaseContext,
  type ChaosCase,
  type RunRecord,
} from '../campaign.ts';
import { freePort, spawnDevServer, type DevServerProcess } from '../dev-server-process.ts';
import type { ChaosWorker } from '../rig.ts';
import type { RunScript, Turn } from '../scripted-model.ts';
import { answer, chaosAgent, modelOn, runInput, toolCall } from '../scripts.ts';

/** A promise and the function that settles it. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

const refund = (ctx: CaseContext, turn: Turn): FakeReply =>
  toolCall(ctx.rig.model, turn, 'refund_order', { orderId: 'ord_103', amountCents: 500, reason: 'chaos: damaged' });

const done = (): FakeReply => answer('Refunded $5.00 on ord_103.');

interface Plan {
  label: string;
  fault: 'SIGKILL' | 'SIGSTOP';
  /** Worker A's extra variables. */
  envA?: Record<string, string>;
  /**
   * The runs' script. `a` is A's fakes label; `reached` collects runs at the fault point;
   * `lateA` holds A's late answers, `afterFault` holds the runs' next step on B.
   */
  script(ctx: CaseContext, a: string, reached: Set<string>, lateA: Promise<void>, afterFault: Promise<void>): RunScript;
  /** Resolves once every run is at the fault point. */
  atFault(a: ChaosWorker, runIds: string[], reached: Set<string>): Promise<void>;
  /** How long to leave A stopped (SIGSTOP), at most: B must take over meanwhile. */
  pauseMs?: number;
  /** Dev server with the stock long-poll expiry (the pause case). */
  stockServer?: boolean;
}

const everyRun = (what: string, runIds: string[], reached: Set<string>) =>
  until(what, () => runIds.every((id) => reached.has(id)), 60_000);

const plans: Plan[] = [
  {
    // A's runs refund, then hang on the next model call; B retries it.
    label: 'kill-model',
    fault: 'SIGKILL',
    script: (ctx, a, reached, _late, afterFault) => async (turn) => {
      if (turn.toolResults === 0) return refund(ctx, turn);
      if (turn.via === a) {
        reached.add(turn.runKey);
        return { kind: 'delay', ms: 60_000, then: answer('never delivered') };
      }
      await afterFault;
      return done();
    },
    atFault: (_a, runIds, reached) => everyRun('every run to wait on its second model call', runIds, reached),
  },
  {
    // A applies each refund and pauses before completing the activity; B retries the tool.
    label: 'kill-tool',
    fault: 'SIGKILL',
    envA: { BOSUN_TEST_PAUSE_AFTER_EFFECT_MS: '60000' },
    script: (ctx, a, _reached, _late, afterFault) => async (turn) => {
      if (turn.toolResults === 0) return refund(ctx, turn);
      if (turn.via !== a) await afterFault;
      return done();
    },
    atFault: (a, runIds) => refundsApplied(a, runIds),
  },
  {
    // A's first answer is held; B's retry answers with another tool call id; A's answer is
    // let go (late) once B has moved on, and B's runs go on only after A has woken up.
    label: 'stop-model',
    fault: 'SIGSTOP',
    script: (ctx, a, reached, lateA, afterFault) => async (turn) => {
      if (turn.toolResults === 0) {
        if (turn.via === a && turn.n === 0) {
          reached.add(turn.runKey);
          await lateA;
        }
        return refund(ctx, turn);
      }
      if (turn.toolResults === 1) {
        await afterFault;
        return toolCall(ctx.rig.model, turn, 'lookup_order', { orderId: 'ord_103' });
      }
      return done();
    },
    atFault: (_a, runIds, reached) => everyRun('every run to wait on its first model call', runIds, reached),
    pauseMs: 45_000,
  },
  {
    // A applies each refund and pauses; while A is stopped B retries the tool (the store
    // answers with the refund already applied) and moves on; then A wakes up.
    label: 'stop-tool',
    fault: 'SIGSTOP',
    envA: { BOSUN_TEST_PAUSE_AFTER_EFFECT_MS: '60000' },
    script: (ctx, a, _reached, _late, afterFault) => async (turn) => {
      if (turn.toolResults === 0) return refund(ctx, turn);
      if (turn.via !== a) await afterFault;
      return done();
    },
    atFault: (a, runIds) => refundsApplied(a, runIds),
    pauseMs: 45_000,
  },
  {
    // A 60 s pause with the runs' model calls in flight on A, on a stock dev server.
    label: 'pause-stock',
    fault: 'SIGSTOP',
    stockServer: true,
    script: (ctx, a, reached, lateA) => async (turn) => {
      if (turn.toolResults === 0) return refund(ctx, turn);
      if (turn.via === a && !reached.has(turn.runKey)) {
        reached.add(turn.runKey);
        await lateA;
      }
      return done();
    },
    atFault: (_a, runIds, reached) => everyRun('every run to wait on its second model call', runIds, reached),
    pauseMs: 60_000,
  },
];

function refundsApplied(a: ChaosWorker, runIds: string[]): Promise<void> {
  return until(
    'every refund to be applied on worker A',
    () => runIds.every((id) => a.process.output().includes(`refund applied ${id}:`)),
    60_000,
  );
}

const names: Record<string, string> = {
  'kill-model': 'worker SIGKILL mid-model-call',
  'kill-tool': 'worker SIGKILL mid-tool (refund applied, not completed)',
  'stop-model': 'worker SIGSTOP/SIGCONT mid-model-call (stale attempt)',
  'stop-tool': 'worker SIGSTOP/SIGCONT mid-tool (refund applied, not completed)',
  'pause-stock': 'worker SIGSTOP 60 s mid-model-call, stock dev server',
};

function workerFault(plan: Plan, inShort: boolean): ChaosCase {
  return {
    name: names[plan.label]!,
    group: 'worker faults',
    inShort,
    runs: { full: 10, short: 2 },
    timeoutMs: 180_000,
    async run(ctx) {
      const { rig } = ctx;
      const taskQueue = rig.unique(`chaos-${plan.label}`);
      const stateDir = rig.stateDir(plan.label);
      let server: DevServerProcess | undefined;
      if (plan.stockServer) {
        server = await spawnDevServer({
          stateDir: '.bosun',
          dbFilename: join(stateDir, 'temporal.db'),
          port: await freePort(),
        });
      }
      const address = server ? { address: server.address } : {};
      const [fakesA, fakesB] = await Promise.all([
        rig.model.fakes(`${plan.label}-A`),
        rig.model.fakes(`${plan.label}-B`),
      ]);
      const reached = new Set<string>();
      const lateA = gate();
      const afterFault = gate();
      const script = plan.script(ctx, fakesA.via, reached, lateA.opened, afterFault.opened);
      const spec = (name: string) => ({ name: `${plan.label}-${name}`, taskQueue, stateDir, ...address });
      const a = await rig.startWorker({ ...spec('A'), fakes: fakesA, ...(plan.envA ? { env: plan.envA } : {}) });
      let b: ChaosWorker | undefined;
      let connection: Connection | undefined;
      try {
        connection = server ? await Connection.connect({ address: server.address }) : undefined;
        const bosun = rig.client(taskQueue, connection ? { connection } : {});
        const agent = chaosAgent(modelOn('openai', `chaos-${plan.label}`), {
          timeouts: { modelCallMs: 60_000, heartbeatMs: 2_000, toolCallMs: 5_000 },
        });
        const runIds = Array.from({ length: ctx.runs }, () => ctx.runId(plan.label));
        const task = 'Refund $5.00 on ord_103: it arrived damaged.';
        const handles = await Promise.all(
          runIds.map((runId) => {
            rig.model.script(runId, script);
            return startRun(bosun, runInput(runId, agent, task), {}, ctx.deadline);
          }),
        );
        await plan.atFault(a, runIds, reached);
        if (plan.fault === 'SIGKILL') {
          await a.kill('SIGKILL');
          ctx.log(`SIGKILL worker A (pid ${a.pid}); starting worker B`);
          b = await rig.startWorker({ ...spec('B'), fakes: fakesB });
        } else {
          b = await rig.startWorker({ ...spec('B'), fakes: fakesB });
          a.signal('SIGSTOP');
          const stoppedAt = Date.now();
          ctx.log(`SIGSTOP worker A (pid ${a.pid}); worker B runs beside it`);
          const tookOver = () =>
            runIds.every((id) => rig.model.log.some((r) => r.runKey === id && r.via === fakesB.via));
          if (plan.label === 'pause-stock') await sleep(plan.pauseMs!);
          else
            await until('worker B to take every run over', tookOver, plan.pauseMs!).catch((e: Error) =>
              ctx.log(e.message),
            );
          ctx.log(`SIGCONT worker A after ${Math.round((Date.now() - stoppedAt) / 1000)} s`);
          lateA.open();
          await sleep(200);
          a.signal('SIGCONT');
          await sleep(2_000);
        }
        afterFault.open();
        const records = await Promise.all(
          handles.map(async (h, i): Promise<RunRecord> => {
            const runId = runIds[i]!;
            if ('verdict' in h) return { runId, duplicates: 0, ...h };
            return { runId, duplicates: 0, ...(await awaitRun(rig, h as RunHandle, {}, ctx.deadline)) };
          }),
        );
        return countDuplicates(records, stateDir);
      } finally {
        lateA.open();
        afterFault.open();
        await a.kill();
        await b?.kill();
        await connection?.close();
        await server?.kill();
      }
    },
  };
}

/** In `--short`: the kills and the stale-attempt repro (the others take longer). */
const short = new Set(['kill-model', 'kill-tool', 'stop-model']);

export const workerFaultCases: ChaosCase[] = plans.map((p) => workerFault(p, short.has(p.label)));
