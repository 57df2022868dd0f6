/**
 * The trace of real runs on the dev server: every attempt of every model and tool call,
 * read back through `run.trace()` and `bosun trace`, and unreadable without the codec keys
 * when payloads are encrypted.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { PendingApproval } from '../../core/approvals.ts';
import type { PrincipalInput } from '../../core/principal.ts';
import type { RunTrace } from '../../core/trace.ts';
import { createBosunClient } from '../../client/client.ts';
import { TraceEncryptedError } from '../../client/trace.ts';
import { encryptedEncoding } from '../../worker/codec/index.ts';
import { statusQuery, workflowNames } from '../../workflows/definitions.ts';
import type { FakeProviderServer, FakeReply } from '../kit/index.ts';
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

const principal: PrincipalInput = {
  tenant: 'acme',
  user: 'alice',
  scopes: ['orders:read', 'orders:write'],
  roles: ['support_agent'],
};
const bob = { id: 'bob', groups: ['support'] };
const refund: FakeReply = {
  kind: 'tool_calls',
  calls: [
    { id: 'call_refund', name: 'refund_order', args: { orderId: 'ord_101', amountCents: 5_000, reason: 'broken' } },
  ],
};
const agent = () => testAgent(openaiModel, { tools: ['search_docs', 'lookup_order', 'refund_order'] });

async function withSetup<T>(
  fn: (ctx: { fake: FakeProviderServer; run: Parameters<Parameters<typeof withWorker>[2]>[0] }) => Promise<T>,
  env: Record<string, string> = {},
) {
  const stateDir = tempDir('bosun-trace-');
  const knowledgeDir = tempDir('bosun-trace-kb-');
  writeFileSync(join(knowledgeDir, 'faq.md'), '# FAQ\n\nRefunds take 5 days.');
  return withFakeProviders(({ openai: fake }) =>
    withWorker(
      h,
      {
        ...fakeConfig({ openai: fake }, uniqueName('trace'), env),
        BOSUN_STATE_DIR: stateDir,
        BOSUN_KNOWLEDGE_DIR: knowledgeDir,
      },
      (run) => fn({ fake, run }),
    ),
  );
}

async function pendingOf(temporal: Client, runId: string): Promise<PendingApproval[]> {
  let pending: PendingApproval[] = [];
  await expect
    .poll(
      async () => (pending = (await temporal.workflow.getHandle(runId).query(statusQuery)).pendingApprovals).length,
      {
        timeout: 15_000,
      },
    )
    .toBeGreaterThan(0);
  return pending;
}

function cli(taskQueue: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliEntry, ...args], {
      env: { PATH: process.env.PATH ?? '', TEMPORAL_ADDRESS: h.address, BOSUN_TASK_QUEUE: taskQueue },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout: stdout.trimEnd(), stderr: stderr.trimEnd() }));
  });
}

const attemptsOf = (trace: RunTrace, step: number) => trace.steps.find((s) => s.step === step)!;

describe('the trace of a run', () => {
  it('shows every attempt: a retried model call, an approved tool call and its result', () =>
    withSetup(async ({ fake, run: { bosun, temporal, taskQueue } }) => {
      fake.push({ kind: 'error', status: 500, message: 'upstream exploded' }, refund, {
        kind: 'text',
        text: 'Refunded $50 for ord_101.',
      });
      const run = await bosun.start({
        agent: agent(),
        task: 'refund ord_101 ($50)',
        principal,
        runId: uniqueName('trace'),
      });
      const [ask] = await pendingOf(temporal, run.runId);
      await run.approve(ask!.id, bob, 'checked');
      const result = await run.result();
      expect(result.outcome.kind).toBe('answer');

      const trace = await run.trace();
      expect(trace.warnings).toEqual([]);
      const step1 = attemptsOf(trace, 1);
      // The model call of step 1: attempt 1 failed (500, retried by Temporal), attempt 2 ok.
      expect(step1.modelCalls).toHaveLength(1);
      const call = step1.modelCalls[0]!;
      expect(call.model).toBe('openai/gpt-4.1-mini');
      expect(call.route).toMatchObject({ purpose: 'step', tier: expect.any(String), reason: expect.any(String) });
      expect(call.attempts).toHaveLength(2);
      expect(call.attempts[0]).toMatchObject({
        kind: 'model',
        attempt: 1,
        superseded: true,
        outcome: { status: 'failed', type: 'provider_unavailable', retryable: true },
      });
      expect(call.attempts[1]).toMatchObject({
        kind: 'model',
        attempt: 2,
        superseded: false,
        outcome: { status: 'ok' },
        prompt: { name: expect.any(String), hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
        messages: { conversationId: expect.any(String), length: 1, appended: 1 },
        tools: { offered: expect.arrayContaining([expect.objectContaining({ name: 'refund_order' })]) },
        parameters: { maxOutputTokens: 256 },
        answer: { toolCalls: [{ id: 'call_refund', name: 'refund_order' }], stop: 'tool_calls' },
        usage: { input: expect.any(Number), output: expect.any(Number) },
        costUsd: expect.any(Number),
      });
      // The tool call: its arguments, the approval (who decided), the authorization it ran
      // with and its result.
      expect(step1.toolCalls).toHaveLength(1);
      const tool = step1.toolCalls[0]!;
      expect(tool).toMatchObject({ callId: 'call_refund', tool: 'refund_order' });
      expect(tool.decisions.map((d) => [d.event, d.by])).toEqual([
        ['approval_requested', 'policy'],
        ['approved', 'human:bob'],
      ]);
      expect(tool.attempts).toHaveLength(1);
      expect(tool.attempts[0]).toMatchObject({
        kind: 'tool',
        attempt: 1,
        superseded: false,
        outcome: { status: 'ok' },
        tool: { name: 'refund_order', version: expect.stringMatching(/^[0-9a-f]{16}$/) },
        arguments: { orderId: 'ord_101', amountCents: 5_000, reason: 'broken' },
        authorization: { principal: { user: 'alice', tenant: 'acme' }, approvedBy: 'human:bob' },
        result: { content: expect.any(String) },
      });
      // Step 2: the answer.
      const step2 = attemptsOf(trace, 2);
      expect(step2.modelCalls[0]!.attempts).toMatchObject([
        {
          attempt: 1,
          outcome: { status: 'ok' },
          answer: { text: 'Refunded $50 for ord_101.' },
          messages: { length: 3 },
        },
      ]);

      // --step filters; detail resolves the messages sent.
      const only2 = await run.trace({ step: 2, detail: true });
      expect(only2.steps.map((s) => s.step)).toEqual([2]);
      const sent = (only2.steps[0]!.modelCalls[0]!.attempts[0] as { sent?: { role: string }[] }).sent;
      expect(sent?.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);

      // The CLI prints it.
      const printed = await cli(taskQueue, 'trace', run.runId);
      expect(printed.stderr).toBe('');
      expect(printed.code).toBe(0);
      expect(printed.stdout).toContain(`run ${run.runId}`);
      expect(printed.stdout).toMatch(
        /attempt 1 {2}FAILED provider_unavailable \(retryable\).* — superseded by attempt 2/,
      );
      expect(printed.stdout).toMatch(/attempt 2 {2}ok · prompt /);
      expect(printed.stdout).toContain('approved by human:bob');
      expect(printed.stdout).toContain('arguments: {"orderId":"ord_101","amountCents":5000,"reason":"broken"}');
      expect(printed.stdout).toContain('answer: Refunded $50 for ord_101.');
      const step = await cli(taskQueue, 'trace', run.runId, '--step', '2', '--json');
      expect(step.code).toBe(0);
      const json = JSON.parse(step.stdout) as RunTrace;
      expect(json.steps.map((s) => s.step)).toEqual([2]);
    }));
});

describe('the trace with payload encryption', () => {
  const k1 = randomBytes(32);
  const codecEnv = { BOSUN_CODEC_KEYS: JSON.stringify({ k1: k1.toString('base64') }), BOSUN_CODEC_ACTIVE_KEY: 'k1' };

  it('is encrypted in the reader workflow history and readable only with the keys', () =>
    withSetup(async ({ fake, run: { bosun, temporal, taskQueue } }) => {
      const secret = 'SECRET-ANSWER-TEXT-7f3a';
      fake.push({ kind: 'text', text: secret });
      const result = await bosun.run({ agent: agent(), task: 'say it', principal, runId: uniqueName('trace-enc') });
      expect(result.outcome.kind).toBe('answer');

      const trace = await bosun.getHandle(result.runId).trace();
      expect(trace.steps[0]!.modelCalls[0]!.attempts[0]).toMatchObject({ answer: { text: secret } });

      // The reader's history: every payload encrypted, the answer nowhere in plain text.
      let readerId: string | undefined;
      await expect
        .poll(
          async () => {
            for await (const w of temporal.workflow.list({
              query: `WorkflowType = "${workflowNames.traceReader}" AND TaskQueue = "${taskQueue}"`,
            }))
              readerId = w.workflowId;
            return readerId;
          },
          { timeout: 15_000 },
        )
        .toBeDefined();
      const history = await h.temporal.workflow.getHandle(readerId!).fetchHistory();
      const payloads = (history.events ?? []).flatMap((e) => [
        ...(e.activityTaskCompletedEventAttributes?.result?.payloads ?? []),
        ...(e.workflowExecutionCompletedEventAttributes?.result?.payloads ?? []),
      ]);
      expect(payloads.length).toBe(2);
      for (const p of payloads) {
        expect(Buffer.from(p.metadata!.encoding!).toString()).toBe(encryptedEncoding);
        expect(Buffer.from(p.data!).includes(Buffer.from(secret))).toBe(false);
      }

      // A client without the keys cannot read the trace.
      const keyless = createBosunClient({ client: h.temporal, taskQueue });
      await expect(keyless.getHandle(result.runId).trace()).rejects.toThrow(TraceEncryptedError);
    }, codecEnv));
});
