import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RunHandle } from '../../client/client.ts';
import { chatBody } from '../helpers/chat-body.ts';
import {
  fakeConfig,
  openaiModel,
  testAgent,
  uniqueName,
  useHarness,
  withFakeProviders,
  withWorker,
} from '../helpers/harness.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const h = useHarness();
const cliEntry = fileURLToPath(new URL('../../client/cli.ts', import.meta.url));

const principal = { user: 'alice', scopes: ['orders:read', 'orders:write'], roles: ['support_agent'] };
const agent = testAgent(openaiModel, { tools: ['lookup_order', 'refund_order'] });

/** Runs the real CLI program against the test server; resolves with its exit code and output. */
function bosunCli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliEntry, ...args], {
      env: { ...process.env, TEMPORAL_ADDRESS: h.address },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

async function untilApprovalPending(run: RunHandle): Promise<string> {
  let id = '';
  await expect
    .poll(async () => (id = (await run.status()).pendingApprovals[0]?.id ?? ''), { timeout: 15_000 })
    .not.toBe('');
  return id;
}

describe('the approvals inbox with one task queue whose worker is stopped', () => {
  it('lists what answers, marks the other run unreachable with its task queue, and the CLI exits 0', () =>
    withFakeProviders(async ({ openai }) => {
      // Every run asks to refund $50 (over the $20 threshold: it waits for a human).
      openai.setHandler((req) =>
        chatBody(req).messages.some((m) => m.role === 'tool')
          ? { kind: 'text', text: 'refunded' }
          : {
              kind: 'tool_calls',
              calls: [{ name: 'refund_order', args: { orderId: 'ord_101', amountCents: 5_000, reason: 'damaged' } }],
            },
      );
      const stateDir = tempDir('bosun-inbox-');
      const live = { ...fakeConfig({ openai }, uniqueName('tq-live')), BOSUN_STATE_DIR: stateDir };
      const dead = { ...fakeConfig({ openai }, uniqueName('tq-dead')), BOSUN_STATE_DIR: stateDir };

      // A run on the queue whose worker then stops, waiting for approval.
      const orphan = await withWorker(h, dead, async ({ bosun }) => {
        const run = await bosun.start({ agent, task: 'refund ord_101', principal });
        await untilApprovalPending(run);
        return run;
      });

      await withWorker(h, live, async ({ bosun }) => {
        const run = await bosun.start({ agent, task: 'refund ord_101', principal });
        const approvalId = await untilApprovalPending(run);
        try {
          // Both are listed by visibility once it catches up; only one can answer.
          const started = Date.now();
          let inbox = await bosun.inbox();
          await expect
            .poll(
              async () => {
                inbox = await bosun.inbox();
                return [
                  inbox.approvals.some((a) => a.runId === run.runId),
                  inbox.unreachable.some((u) => u.runId === orphan.runId),
                ];
              },
              { timeout: 20_000 },
            )
            .toEqual([true, true]);
          expect(inbox.approvals.find((a) => a.runId === run.runId)).toMatchObject({
            id: approvalId,
            tool: 'refund_order',
          });
          expect(inbox.approvals.some((a) => a.runId === orphan.runId)).toBe(false);
          expect(inbox.unreachable.find((u) => u.runId === orphan.runId)).toEqual({
            runId: orphan.runId,
            taskQueue: dead.BOSUN_TASK_QUEUE,
            reason: `no answer within 3 s: no worker is serving task queue "${dead.BOSUN_TASK_QUEUE}", or it is stuck`,
          });
          // One dead run costs the inbox its query timeout, not Temporal's 30 s RPC timeout.
          expect(Date.now() - started).toBeLessThan(25_000);

          const cli = await bosunCli('approvals');
          expect(cli.stderr).toBe('');
          expect(cli.code).toBe(0);
          expect(cli.stdout).toContain(`${run.runId}  ${approvalId}  refund_order`);
          expect(cli.stdout).toMatch(/run(s)? waiting for approval did not answer \(not listed above\):/);
          expect(cli.stdout).toContain(
            `  ${orphan.runId}: no answer within 3 s: no worker is serving task queue "${dead.BOSUN_TASK_QUEUE}"`,
          );
          expect(cli.stdout.indexOf(orphan.runId)).toBeGreaterThan(cli.stdout.indexOf('did not answer'));
          expect(cli.ms).toBeLessThan(15_000);
        } finally {
          await h.temporal.workflow.getHandle(run.runId).terminate('test over');
          await h.temporal.workflow.getHandle(orphan.runId).terminate('test over');
        }
      });
    }));
});
