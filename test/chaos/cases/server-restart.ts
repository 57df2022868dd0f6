/**
 * The Temporal server dies mid-run: a dev server of the case's own, persisted to a file, is
 * SIGKILLed while every run waits on a model call (after a refund), and started again on the
 * same port and database a few seconds later. The worker and the client reconnect by
 * themselves; every run must answer, with exactly one refund.
 */
import { Connection } from '@temporalio/client';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunHandle } from '../../../client/client.ts';
import { awaitRun, countDuplicates, startRun, until, type ChaosCase, type RunRecord } from '../campaign.ts';
import { freePort, spawnDevServer, type DevServerProcess } from '../dev-server-process.ts';
import { answer, chaosAgent, modelOn, runInput, toolCall } from '../scripts.ts';

export const serverRestartCase: ChaosCase = {
  name: 'dev server SIGKILL + restart mid-run',
  group: 'server faults',
  inShort: false,
  runs: { full: 10, short: 2 },
  timeoutMs: 180_000,
  async run(ctx) {
    const { rig } = ctx;
    const stateDir = rig.stateDir('restart');
    const dbFilename = join(stateDir, 'temporal.db');
    const port = await freePort();
    const serverOpts = { stateDir: '.bosun', dbFilename, port };
    let server: DevServerProcess = await spawnDevServer(serverOpts);
    const connection = await Connection.connect({ address: server.address });
    const taskQueue = rig.unique('chaos-restart');
    const worker = await rig.startWorker({ name: 'restart', taskQueue, stateDir, address: server.address });
    try {
      const bosun = rig.client(taskQueue, { connection });
      const agent = chaosAgent(modelOn('anthropic', 'chaos-restart'), {
        timeouts: { modelCallMs: 20_000, heartbeatMs: 2_000, toolCallMs: 5_000 },
      });
      const waiting = new Set<string>();
      const runIds = Array.from({ length: ctx.runs }, () => ctx.runId('restart'));
      const handles = await Promise.all(
        runIds.map((runId) => {
          rig.model.script(runId, (turn) => {
            if (turn.toolResults === 0) {
              return toolCall(rig.model, turn, 'refund_order', {
                orderId: 'ord_103',
                amountCents: 500,
                reason: 'chaos: arrived damaged',
              });
            }
            if (turn.toolResults === 1) {
              waiting.add(turn.runKey);
              return {
                kind: 'delay',
                ms: 6_000,
                then: toolCall(rig.model, turn, 'lookup_order', { orderId: 'ord_103' }),
              };
            }
            return answer('Refunded $5.00 on ord_103.');
          });
          return startRun(bosun, runInput(runId, agent, 'Refund $5.00 on ord_103, then check it.'), {}, ctx.deadline);
        }),
      );
      await until('every run to wait on its second model call', () => runIds.every((id) => waiting.has(id)), 60_000);
      await server.kill();
      ctx.log('SIGKILL dev server; restarting in 3 s');
      await sleep(3_000);
      server = await spawnDevServer(serverOpts);
      ctx.log(`dev server back on ${server.address}`);
      const records = await Promise.all(
        handles.map(async (h, i): Promise<RunRecord> => {
          const runId = runIds[i]!;
          if ('verdict' in h) return { runId, duplicates: 0, ...h };
          return { runId, duplicates: 0, ...(await awaitRun(rig, h as RunHandle, {}, ctx.deadline)) };
        }),
      );
      return countDuplicates(records, stateDir);
    } finally {
      await worker.kill();
      await connection.close();
      await server.kill();
    }
  },
};
