/**
 * Tampered ciphertext: a worker encrypting payloads (BOSUN_CODEC_KEYS), and a client whose
 * codec flips one bit of every ciphertext it sends — as anyone who can write to the
 * Temporal database or sit on its wire could. AES-GCM must refuse what was altered:
 *
 *  - a tampered run input: the worker refuses to decrypt it (its workflow task fails naming
 *    the failed authentication) and the run never reaches a model or a tool → `typed`;
 *  - a tampered approval decision (an Update) while a refund waits for a human: the decision
 *    must not be applied; a genuine approval sent after it must still go through, the run
 *    answer, and the refund happen once. (The worker cannot decrypt the Update's argument
 *    before the run's validator sees it, so the run's workflow tasks fail until the server
 *    drops the Update — about half a minute — and decisions sent meanwhile fail too: the
 *    genuine one is sent again until it is taken, as a client would.)
 */
import { Client } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';
import protoPkg, { type temporal } from '@temporalio/proto';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAesGcmCodec, dataConverterFromConfig } from '../../../worker/codec/index.ts';
import { CodecKeys } from '../../../worker/codec/codec-keys.ts';
import {
  awaitRun,
  countDuplicates,
  describeError,
  startRun,
  until,
  type CaseContext,
  type ChaosCase,
  type RunRecord,
} from '../campaign.ts';
import { DecisionRejectedError } from '../../../client/errors.ts';
import type { Rig } from '../rig.ts';
import { answer, approver, chaosAgent, modelOn, runInput, toolCall } from '../scripts.ts';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const temporalProto = protoPkg.temporal;

const key = randomBytes(32);
const codecEnv = {
  BOSUN_CODEC_KEYS: JSON.stringify({ k1: key.toString('base64') }),
  BOSUN_CODEC_ACTIVE_KEY: 'k1',
};
const codec = createAesGcmCodec({ keys: { k1: key }, activeKeyId: 'k1' });
const honest = dataConverterFromConfig({ BOSUN_CODEC_KEYS: new CodecKeys({ k1: key }), BOSUN_CODEC_ACTIVE_KEY: 'k1' })!;

/** Encrypts, then flips one bit of each ciphertext (in its last byte: the GCM tag). */
const tampering: PayloadCodec = {
  async encode(payloads: Payload[]) {
    return (await codec.encode(payloads)).map((p) => {
      const data = Buffer.from(p.data ?? new Uint8Array());
      if (data.length > 0) data[data.length - 1] = data[data.length - 1]! ^ 0x01;
      return { ...p, data };
    });
  },
  decode: (payloads: Payload[]) => codec.decode(payloads),
};

async function encryptingWorker(ctx: CaseContext, label: string) {
  const taskQueue = ctx.rig.unique(`chaos-${label}`);
  const stateDir = ctx.rig.stateDir(label);
  const worker = await ctx.rig.startWorker({ name: label, taskQueue, stateDir, encrypting: true, env: codecEnv });
  return { taskQueue, stateDir, worker };
}

const clients = (rig: Rig, taskQueue: string) => ({
  honest: rig.client(taskQueue, { dataConverter: honest }),
  tampering: rig.client(taskQueue, { dataConverter: { payloadCodecs: [tampering] } }),
});

/** The first workflow task failure of a run, decrypted (null when there is none yet). */
async function taskFailure(client: Client, runId: string): Promise<string | null> {
  const history = await client.workflow.getHandle(runId).fetchHistory();
  const failed = (history.events ?? []).find((e: HistoryEvent) => e.workflowTaskFailedEventAttributes);
  return failed ? (failed.workflowTaskFailedEventAttributes?.failure?.message ?? '(no message)') : null;
}

const statusName = (status: number | null | undefined) =>
  status === temporalProto.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
    ? 'RUNNING'
    : `status ${status}`;

const tamperedInput: ChaosCase = {
  name: 'tampered ciphertext: run input',
  group: 'tampering',
  inShort: true,
  runs: { full: 5, short: 1 },
  timeoutMs: 60_000,
  async run(ctx) {
    const { rig } = ctx;
    const { taskQueue, worker } = await encryptingWorker(ctx, 'tamper-input');
    try {
      const { tampering: bosun } = clients(rig, taskQueue);
      const reader = new Client({ connection: rig.connection, dataConverter: honest });
      return await Promise.all(
        Array.from({ length: ctx.runs }, async (): Promise<RunRecord> => {
          const runId = ctx.runId('tamper-input');
          rig.model.script(runId, () => answer('read a tampered task'));
          const agent = chaosAgent(modelOn('openai', 'chaos-tamper-input'));
          const started = await startRun(bosun, runInput(runId, agent), {}, ctx.deadline);
          if ('verdict' in started) return { runId, duplicates: 0, ...started };
          let refusal: string | null = null;
          // The run must neither answer nor call a model: it is stopped at its first task.
          while (Date.now() < ctx.deadline && refusal === null) {
            refusal = await taskFailure(reader, runId);
            if (refusal === null) await sleep(250);
          }
          // Raw: its memo is tampered too, so a client could not decode the description.
          const described = await rig.connection.workflowService.describeWorkflowExecution({
            namespace: 'default',
            execution: { workflowId: runId },
          });
          const status = { name: statusName(described.workflowExecutionInfo?.status) };
          const requests = rig.model.requestsOf(runId);
          if (refusal === null) {
            return { runId, duplicates: 0, verdict: 'lost', outcome: 'lost', detail: `no refusal; ${status.name}` };
          }
          const refused = /authentication|tamper|decrypt/i.test(refusal) && requests === 0 && status.name === 'RUNNING';
          return {
            runId,
            duplicates: 0,
            verdict: refused ? 'typed' : 'unexpected',
            outcome: refused ? 'refused by the worker' : 'workflow task failed',
            detail: `workflow task failed: ${refusal.slice(0, 160)}; ${requests} model requests; ${status.name}`,
          };
        }),
      );
    } finally {
      await worker.kill();
    }
  },
};

const tamperedDecision: ChaosCase = {
  name: 'tampered ciphertext: approval decision',
  group: 'tampering',
  inShort: true,
  runs: { full: 5, short: 1 },
  timeoutMs: 150_000,
  async run(ctx) {
    const { rig } = ctx;
    const { taskQueue, stateDir, worker } = await encryptingWorker(ctx, 'tamper-decision');
    try {
      const { honest: good, tampering: bad } = clients(rig, taskQueue);
      const records = await Promise.all(
        Array.from({ length: ctx.runs }, async (): Promise<RunRecord> => {
          const runId = ctx.runId('tamper-decision');
          rig.model.script(runId, (turn) =>
            turn.toolResults === 0
              ? toolCall(rig.model, turn, 'refund_order', { orderId: 'ord_103', amountCents: 2_500, reason: 'chaos' })
              : answer('Refunded $25.00 on ord_103.'),
          );
          const agent = chaosAgent(modelOn('openai', 'chaos-tamper-decision'));
          const started = await startRun(good, runInput(runId, agent, 'Refund $25.00 on ord_103.'), {}, ctx.deadline);
          if ('verdict' in started) return { runId, duplicates: 0, ...started };
          let approvalId = '';
          await until(
            'the refund to wait for approval',
            async () => {
              approvalId = (await started.status().catch(() => undefined))?.pendingApprovals[0]?.id ?? '';
              return approvalId !== '';
            },
            30_000,
            250,
          );
          const t0 = Date.now();
          const forged = await Promise.race([
            bad
              .getHandle(runId)
              .approve(approvalId, approver, 'tampered')
              .then(
                () => 'accepted',
                (e: unknown) =>
                  `refused after ${Math.round((Date.now() - t0) / 1000)} s (${describeError(e).slice(0, 80)})`,
              ),
            sleep(60_000).then(() => 'no answer in 60 s'),
          ]);
          if (forged === 'accepted') {
            const detail = 'a tampered approval was applied';
            return { runId, duplicates: 0, verdict: 'unexpected', outcome: 'tampered decision applied', detail };
          }
          // The genuine decision, as a client would send it: again while the server is busy.
          let genuine = 'not accepted before the deadline';
          while (Date.now() < ctx.deadline - 10_000) {
            const sent = await started.approve(approvalId, approver, 'genuine').then(
              () => 'ok',
              (e: unknown) => (e instanceof DecisionRejectedError ? `refused: ${e.reason}` : undefined),
            );
            if (sent !== undefined) {
              genuine = `${sent} ${Math.round((Date.now() - t0) / 1000)} s after the tampered one`;
              break;
            }
            await sleep(2_000);
          }
          const end = await awaitRun(rig, started, {}, ctx.deadline);
          return {
            runId,
            duplicates: 0,
            ...end,
            detail: `tampered decision ${forged}; genuine approval ${genuine}; ${end.detail}`,
          };
        }),
      );
      return countDuplicates(records, stateDir);
    } finally {
      await worker.kill();
    }
  },
};

export const tamperingCases: ChaosCase[] = [tamperedInput, tamperedDecision];
