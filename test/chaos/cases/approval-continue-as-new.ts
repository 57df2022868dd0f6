/**
 * Continue-as-new falls due while a refund waits for a human. The agent continues as new
 * after 100 history events (its `continueAsNewAfterEvents`); the model takes calculator
 * steps until the history is near that, then asks for a $25 refund (over the $20 threshold:
 * it waits for approval). While it waits, decisions for approvals that do not exist (signals
 * the run records and ignores) push the history past 100 events. Then the refund is approved.
 *
 * The run must keep the pending approval (the decision reaches it), refund once, continue as
 * new at its next step boundary with its state carried, and answer in the new execution.
 */
import type { RunHandle } from '../../../client/client.ts';
import {
  awaitRun,
  countDuplicates,
  describeError,
  startRun,
  until,
  type ChaosCase,
  type RunRecord,
} from '../campaign.ts';
import type { Rig } from '../rig.ts';
import { answer, approver, chaosAgent, modelOn, runInput, toolCall } from '../scripts.ts';

const continueAfter = 100;

const historyLength = async (rig: Rig, runId: string) =>
  (await rig.temporal.workflow.getHandle(runId).describe()).historyLength;

export const approvalContinueAsNewCase: ChaosCase = {
  name: 'continue-as-new due during a pending approval',
  group: 'long runs',
  inShort: true,
  runs: { full: 5, short: 1 },
  timeoutMs: 120_000,
  parallel: true,
  async run(ctx) {
    const { rig } = ctx;
    const shared = await rig.sharedWorkers();
    const agent = chaosAgent(modelOn('anthropic', 'chaos-can-approval'), {
      tools: ['calculator', 'refund_order'],
      maxSteps: 30,
      continueAsNewAfterEvents: continueAfter,
    });
    const records = await Promise.all(
      Array.from({ length: ctx.runs }, async (): Promise<RunRecord> => {
        const runId = ctx.runId('can-approval');
        let refundAskedAt: number | undefined;
        rig.model.script(runId, async (turn) => {
          if (refundAskedAt !== undefined) return answer('Refunded $25.00 on ord_103 after approval.');
          if ((await historyLength(rig, runId)) < continueAfter - 30) {
            return toolCall(rig.model, turn, 'calculator', { expression: `${turn.toolResults} + 1` });
          }
          refundAskedAt = turn.toolResults;
          return toolCall(rig.model, turn, 'refund_order', { orderId: 'ord_103', amountCents: 2_500, reason: 'chaos' });
        });
        const started = await startRun(
          shared.bosun,
          runInput(runId, agent, 'Refund $25.00 on ord_103.'),
          {},
          ctx.deadline,
        );
        if ('verdict' in started) return { runId, duplicates: 0, ...started };
        const handle = started as RunHandle;
        const firstExecution = (await rig.temporal.workflow.getHandle(runId).describe()).runId;
        let approvalId = '';
        await until(
          'the refund to wait for approval',
          async () => {
            // A query can fail while the run is between tasks: ask again.
            approvalId = (await handle.status().catch(() => undefined))?.pendingApprovals[0]?.id ?? '';
            return approvalId !== '';
          },
          60_000,
          250,
        );
        let ignored = 0;
        while ((await historyLength(rig, runId)) <= continueAfter + 4) {
          await handle.decideAsync({ decision: 'approve', approvalId: `no-such-${++ignored}`, approver });
        }
        const approved = await handle.approve(approvalId, approver, 'checked').then(
          () => 'approved',
          (e: unknown) => `approval refused: ${describeError(e)}`,
        );
        const end = await awaitRun(rig, handle, {}, ctx.deadline);
        const lastExecution = (await rig.temporal.workflow.getHandle(runId).describe()).runId;
        const continued = lastExecution !== firstExecution;
        const detail = `${approved} after ${ignored} ignored signals; ${continued ? 'continued as new' : 'did NOT continue as new'}; ${end.detail}`;
        if (end.verdict === 'answered' && (!continued || approved !== 'approved')) {
          const outcome = continued ? 'answer, approval lost' : 'answer without continue-as-new';
          return { runId, duplicates: 0, verdict: 'unexpected', outcome, detail };
        }
        return { runId, duplicates: 0, ...end, detail };
      }),
    );
    return countDuplicates(records, shared.stateDir);
  },
};
