/**
 * Every CLI command as a user types it: the real program (`node client/cli.ts ...`) in a
 * child process, against the test dev server, on real runs served by one worker in this
 * process (fake OpenAI provider). Asserts exit codes and what the user reads.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PendingApproval } from '../../core/approvals.ts';
import type { RunResult, RunStatus } from '../../core/run.ts';
import type { RunStats } from '../../client/stats.ts';
import { startFakeOpenAI, type FakeProviderServer, type FakeReply } from '../kit/index.ts';
import { chatBody } from '../helpers/chat-body.ts';
import { statusQuery } from '../../workflows/definitions.ts';
import { fakeConfig, uniqueName, useHarness, withWorker } from '../helpers/harness.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const h = useHarness();
const cliEntry = fileURLToPath(new URL('../../client/cli.ts', import.meta.url));
const dir = tempDir('bosun-cli-e2e-');
const file = (name: string, json: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(json));
  return path;
};

/** The agent name every run of this file carries (the example agent aside), for `stats`. */
const agentName = uniqueName('cli-e2e');
const model = { provider: 'openai', name: 'gpt-4.1-mini' };
const timeouts = { modelCallMs: 10_000, heartbeatMs: 2_000, toolCallMs: 5_000 };
let taskQueue = '';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run bosun -- <args>`: the program itself, connected by TEMPORAL_ADDRESS and
 * BOSUN_TASK_QUEUE (or by `--address`, when a test passes it). */
function bosun(...args: string[]): Promise<CliRun> {
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

/** What the fake model answers, by what the run is about (runs share the fake). */
function reply(req: Parameters<Parameters<FakeProviderServer['setHandler']>[0] & object>[0]): FakeReply {
  const { messages } = chatBody(req);
  const said = messages
    .filter((m) => m.role === 'user')
    .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)))
    .join('\n');
  if (messages.some((m) => m.role === 'tool')) return { kind: 'text', text: 'Refunds handled as decided.' };
  if (said.includes('REFUND'))
    return {
      kind: 'tool_calls',
      calls: [
        { name: 'refund_order', args: { orderId: 'ord_101', amountCents: 5_000, reason: 'damaged' } },
        { name: 'refund_order', args: { orderId: 'ord_102', amountCents: 3_000, reason: 'late' } },
        { name: 'refund_order', args: { orderId: 'ord_103', amountCents: 4_000, reason: 'scratched' } },
      ],
    };
  if (said.includes('REDIRECTED')) return { kind: 'text', text: 'Briefly: we will call you back.' };
  if (said.includes('CLASSIFY')) return { kind: 'text', text: 'shipping' };
  return { kind: 'text', text: 'Hello back.' };
}

let fake: FakeProviderServer;
let stopWorker: () => void = () => {};
let workerDone: Promise<unknown> = Promise.resolve();

beforeAll(async () => {
  fake = await startFakeOpenAI({ handler: reply });
  const config = { ...fakeConfig({ openai: fake }, uniqueName('cli-e2e')), BOSUN_STATE_DIR: dir };
  taskQueue = config.BOSUN_TASK_QUEUE;
  let ready!: () => void;
  const started = new Promise<void>((r) => (ready = r));
  workerDone = withWorker(h, config, () => {
    ready();
    return new Promise<void>((r) => (stopWorker = r));
  });
  await Promise.race([started, workerDone]);
});

afterAll(async () => {
  stopWorker();
  await workerDone;
  await fake?.close();
});

/** A run's status once `ready` holds (polled in process: the CLI's own `status` is
 * asserted where it matters, and a program start per poll would only cost time). */
async function statusWhen(runId: string, ready: (s: RunStatus) => boolean): Promise<RunStatus> {
  let status: RunStatus | undefined;
  await expect
    .poll(
      async () => {
        status = await h.temporal.workflow
          .getHandle(runId)
          .query(statusQuery)
          .catch(() => undefined);
        return status !== undefined && ready(status);
      },
      { timeout: 20_000, interval: 100 },
    )
    .toBe(true);
  return status!;
}

const approvalAgent = () =>
  file('refund-agent.json', {
    name: agentName,
    instructions: 'Refund what the customer asks; use the order tools.',
    model,
    tools: ['lookup_order', 'refund_order'],
    maxSteps: 4,
    timeouts,
  });
const principal = () =>
  file('principal.json', {
    tenant: 'acme',
    user: 'alice',
    scopes: ['orders:read', 'orders:write'],
    roles: ['support_agent'],
  });
/** An agent that asks a human before any model call when a lawyer is mentioned. */
const carefulAgent = () =>
  file('careful-agent.json', {
    name: agentName,
    instructions: 'Answer briefly.',
    model,
    maxSteps: 3,
    timeouts,
    policy: { sensitive: [{ pattern: 'lawyer', reason: 'legal matters go to a person' }] },
  });

describe('the bosun CLI against a real dev server', () => {
  it('run --wait prints the answer; --json the whole result; result names an unpriced model', async () => {
    const plain = await bosun('run', '--model', 'openai/gpt-4.1-mini', '--wait', 'Say hello');
    expect(plain.code).toBe(0);
    expect(plain.stderr).toMatch(/^started run run-\S+; waiting for its result \.\.\.$/);
    expect(plain.stdout).toMatch(
      /^answer:\nHello back\.\n\n1 step, 1 model call, 0 tool calls, \d+ input \/ \d+ output tokens, \$0\.\d{6}\nmodels: openai\/gpt-4\.1-mini ×1\nrun run-\S+ \(agent support-example\)$/,
    );

    const runId = uniqueName('cli-unpriced');
    const json = await bosun('run', '--model', 'openai/gpt-unpriced-9', '--run-id', runId, '--wait', '--json', 'Hi');
    expect(json.code).toBe(0);
    expect(json.stderr).toBe('');
    const result = JSON.parse(json.stdout) as RunResult;
    expect(result).toMatchObject({ runId, outcome: { kind: 'answer', text: 'Hello back.' }, unpricedCalls: 1 });

    const again = await bosun('result', runId);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(
      "\ncost unknown for 1 call: model openai/gpt-unpriced-9 has no price (set its price in the agent's `prices`)\n",
    );
    const status = await bosun('status', runId, '--address', h.address);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(
      new RegExp(`^run ${runId} \\(agent support-example\\)\\nphase: completed, step 1 of \\d+, outcome: answer`),
    );

    // The run's events, replayed from its log after the end: as text and as NDJSON.
    const watched = await bosun('watch', runId);
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(
      /^run started · agent support-example\nstep 1\n {2}openai\/gpt-unpriced-9 · step \(call 1\)\n {2}│ Hello back\.\n {2}✓ \d+ in \/ \d+ out · unpriced/,
    );
    expect(watched.stdout.trimEnd().endsWith('run ended: answer\nHello back.')).toBe(true);
    const lines = (await bosun('watch', runId, '--json', '--from', '2')).stdout.trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { offset: number }).offset)[0]).toBe(2);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ type: 'run_ended', outcome: 'answer', text: 'Hello back.' });
  });

  it('task --wait runs a single call of a task class', async () => {
    const task = await bosun(
      'task',
      '--class',
      'classify',
      '--model',
      'openai/gpt-4.1-mini',
      '--wait',
      'CLASSIFY: my parcel never arrived',
    );
    expect(task.code).toBe(0);
    expect(task.stdout).toMatch(
      /^answer:\nshipping\n\n1 model call, [^\n]+\nmodels: openai\/gpt-4\.1-mini ×1\ntask task-\S+ \(task-classify\)$/,
    );
  });

  it('status, result --timeout, approvals, approve, reject, edit, result and audit on a run with three approvals', async () => {
    const runId = uniqueName('cli-approvals');
    const started = await bosun(
      'run',
      '--agent',
      approvalAgent(),
      '--principal',
      principal(),
      '--run-id',
      runId,
      'REFUND three orders',
    );
    expect(started).toEqual({ code: 0, stdout: runId, stderr: '' });

    const status = await statusWhen(runId, (s) => s.pendingApprovals.length === 3);
    const ids = Object.fromEntries(
      status.pendingApprovals.map((a: PendingApproval) => [(a.input as { orderId: string }).orderId, a.id]),
    ) as Record<'ord_101' | 'ord_102' | 'ord_103', string>;

    const text = await bosun('status', runId);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('\nawaiting approval:\n');
    expect(text.stdout).toContain(
      `  ${ids.ord_101}: refund_order {"orderId":"ord_101","amountCents":5000,"reason":"damaged"}; refund over $20.00; group support`,
    );

    const waited = await bosun('result', runId, '--timeout', '1');
    expect(waited.code).toBe(3);
    expect(waited.stdout).toBe('');
    expect(waited.stderr).toBe(
      `error: run ${runId} has not ended within 1s (--timeout); "status ${runId}" shows what it is doing, "result ${runId}" waits again`,
    );

    const inbox = await bosun('approvals');
    expect(inbox.code).toBe(0);
    for (const id of Object.values(ids)) expect(inbox.stdout).toContain(`${runId}  ${id}  refund_order `);
    const inboxJson = await bosun('approvals', '--json');
    expect(inboxJson.code).toBe(0);
    const listed = (JSON.parse(inboxJson.stdout) as { approvals: PendingApproval[] }).approvals;
    expect(listed.filter((a) => a.runId === runId)).toHaveLength(3);

    // A decision the run refuses (an approver outside the group) exits 1 with the run's reason.
    const outsider = await bosun('approve', runId, ids.ord_101, '--as', 'mallory', '--groups', 'sales');
    expect(outsider.code).toBe(1);
    expect(outsider.stdout).toBe('');
    expect(outsider.stderr).toMatch(
      new RegExp(`^error: run ${runId} refused the decision on ${ids.ord_101}: .*support`),
    );

    const as = ['--as', 'bob', '--groups', 'support'];
    const [approve, reject, edit] = await Promise.all([
      bosun('approve', runId, ids.ord_101, ...as, '--comment', 'checked'),
      bosun('reject', runId, ids.ord_102, ...as, '--reason', 'not late by our policy'),
      bosun(
        'edit',
        runId,
        ids.ord_103,
        ...as,
        '--input',
        '{"orderId":"ord_103","amountCents":1500,"reason":"partial"}',
        '--json',
      ),
    ]);
    expect(approve).toEqual({ code: 0, stdout: `${ids.ord_101} approved on run ${runId}`, stderr: '' });
    expect(reject).toEqual({ code: 0, stdout: `${ids.ord_102} rejected on run ${runId}`, stderr: '' });
    expect(edit.code).toBe(0);
    expect(JSON.parse(edit.stdout)).toMatchObject({ approvalId: ids.ord_103 });

    const result = await bosun('result', runId);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^answer:\nRefunds handled as decided\.\n\n2 steps, 2 model calls, 2 tool calls, /);

    const audit = await bosun('audit', runId);
    expect(audit.code).toBe(0);
    expect(audit.stdout).toMatch(new RegExp(`^audit of run ${runId} \\(\\d+ entries\\):`));
    expect(audit.stdout).toMatch(/: approved refund_order \(call \S+\) by human:bob/);
    expect(audit.stdout).toMatch(/: rejected refund_order \(call \S+\) by human:bob: not late by our policy/);
    expect(audit.stdout).toMatch(/: edited refund_order \(call \S+\) by human:bob/);
    const auditJson = await bosun('audit', runId, '--json');
    expect((JSON.parse(auditJson.stdout) as { event: string }[]).map((e) => e.event)).toEqual(
      expect.arrayContaining(['approval_requested', 'approved', 'rejected', 'edited']),
    );
  });

  it('answer, redirect and end resolve escalated runs; cancel stops one', async () => {
    const agent = carefulAgent();
    const ids = ['answer', 'redirect', 'end', 'cancel'].map((k) => uniqueName(`cli-${k}`));
    const starts = await Promise.all(
      ids.map((id) => bosun('run', '--agent', agent, '--run-id', id, 'My lawyer wants to know about refunds')),
    );
    for (const [i, s] of starts.entries()) expect(s).toEqual({ code: 0, stdout: ids[i], stderr: '' });
    const [answerRun, redirectRun, endRun, cancelRun] = ids as [string, string, string, string];
    const escalations = await Promise.all(
      ids.slice(0, 3).map((id) => statusWhen(id, (s) => s.escalation !== undefined)),
    );
    const [e1, e2, e3] = escalations.map((s) => s.escalation!.id) as [string, string, string];

    const text = await bosun('status', answerRun);
    expect(text.stdout).toContain('\nneeds a human (policy sensitive): legal matters go to a person\n');

    const as = ['--as', 'carol', '--groups', 'legal'];
    const [answered, redirected, ended] = await Promise.all([
      bosun('answer', answerRun, e1, ...as, 'We will call you today.'),
      bosun('redirect', redirectRun, e2, ...as, 'REDIRECTED: answer in one line'),
      bosun('end', endRun, e3, ...as, '--reason', 'not a support question'),
    ]);
    for (const r of [answered, redirected, ended]) expect(r.code, r.stderr).toBe(0);
    expect(answered.stdout).toContain(`answered for run ${answerRun}`);

    const [r1, r2, r3] = await Promise.all([
      bosun('result', answerRun),
      bosun('result', redirectRun, '--json'),
      bosun('result', endRun),
    ]);
    expect(r1.code).toBe(0);
    expect(r1.stdout).toMatch(/^answer \(from carol, a human\):\nWe will call you today\.\n/);
    expect(r2.code).toBe(0);
    expect((JSON.parse(r2.stdout) as RunResult).outcome).toMatchObject({
      kind: 'answer',
      text: 'Briefly: we will call you back.',
    });
    expect(r3.code).toBe(0);
    expect(r3.stdout).toMatch(/^stopped \(ended by human\): ended by carol: not a support question\n/);

    await statusWhen(cancelRun, (s) => s.escalation !== undefined);
    const cancel = await bosun('cancel', cancelRun);
    expect(cancel).toEqual({
      code: 0,
      stdout: `cancellation requested for run ${cancelRun}; it stops cleanly with the outcome "stopped (cancelled)"`,
      stderr: '',
    });
    const cancelled = await bosun('result', cancelRun);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toMatch(/^stopped \(cancelled\): /);
    const again = await bosun('cancel', cancelRun);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`error: run ${cancelRun} has already ended; read its outcome with "result ${cancelRun}"`);
  });

  it('stats reports over the runs, as text and as JSON', async () => {
    let report: RunStats | undefined;
    await expect
      .poll(
        async () => {
          const json = await bosun('stats', '--since', '15m', '--agent', agentName, '--json');
          expect(json.code, json.stderr).toBe(0);
          report = JSON.parse(json.stdout) as RunStats;
          return report.runs - report.running;
        },
        { timeout: 20_000, interval: 500 },
      )
      .toBe(5);
    expect(report!.window.agent).toBe(agentName);
    expect(report!.outcomes).toMatchObject({ completed: 3, stopped: 2 });
    const text = await bosun('stats', '--since', '15m', '--agent', agentName);
    expect(text.code).toBe(0);
    expect(text.stderr).toBe('');
    expect(text.stdout).toMatch(
      new RegExp(`^runs started .* \\(agent ${agentName}\\): 5 \\(0 still running, 5 finished\\)\\n`),
    );
    expect(text.stdout).toContain('\nhuman escalation rate: ');
  });

  it('says what is wrong: an unknown run exits 1, a missing argument or a typo in a file 2', async () => {
    const missing = await bosun('status', 'no-such-run');
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toBe('error: no run with id "no-such-run" in namespace default');
    const usage = await bosun('result');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^error: "result" needs a run id\n\nUsage of "result"/);
    // A typo in an input file is refused with the key named, before anything starts.
    const typo = file('typo-principal.json', { user: 'alice', scope: ['orders:write'] });
    const refused = await bosun('run', '--principal', typo, 'REFUND ord_101');
    expect(refused).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: invalid run input\n  principal: Unrecognized key: "scope"',
    });
  });
});
