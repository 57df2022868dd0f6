import { describe, expect, it } from 'vitest';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError, type SearchAttributePair } from '@temporalio/common';
import {
  createBosunClient,
  defaultInboxRunLimit,
  pendingApprovalsQuery,
  validateDecision,
} from '../../client/client.ts';
import { DecisionRejectedError, RunInputError } from '../../client/errors.ts';
import { exampleAgent } from '../../client/example-agent.ts';
import type { AuditEntry, PendingApproval } from '../../core/approvals.ts';
import type { RunStatus } from '../../core/run.ts';
import { rejectionOf } from '../helpers/rejection.ts';

const alice = { id: 'alice', groups: ['support-leads'] };

const approval = (
  runId: string,
  id: string,
  requestedAt: string,
  extra: Partial<PendingApproval> = {},
): PendingApproval => ({
  id,
  runId,
  step: 2,
  callId: `call-${id}`,
  tool: 'refund_order',
  input: { orderId: 'ord_1', amountCents: 5000 },
  reason: 'refunds over $20 need a lead',
  group: 'support-leads',
  requestedAt,
  deadlineAt: '2030-01-01T00:00:00.000Z',
  escalated: false,
  ...extra,
});

const statusOf = (runId: string, agent: string, pendingApprovals: PendingApproval[]): RunStatus => ({
  runId,
  agent,
  phase: 'waiting_for_approval',
  step: 2,
  maxSteps: 6,
  usage: { input: 10, output: 5, cachedInput: 0, cacheWrite: 0 },
  costUsd: 0,
  modelCalls: 2,
  toolCalls: 1,
  lastEvent: 'waiting for approval',
  recentEvents: [],
  pending: [],
  pendingApprovals,
  escalations: 0,
});

/** An Update's or Signal's argument, as the client sent it. */
type MessageArg = Record<string, unknown>;

/** The part of `workflow.start`'s options the Bosun client sets and these tests read. */
interface StartOptions {
  workflowId: string;
  memo?: Record<string, unknown>;
  typedSearchAttributes?: SearchAttributePair[];
}

interface FakeOptions {
  /** What an Update resolves with, or throws. */
  update?: (name: string, arg: MessageArg) => unknown;
  /** The `status` answer per run id (throw to simulate a failing query). */
  status?: (runId: string) => RunStatus;
  audit?: AuditEntry[];
  /** Workflow ids visibility lists. */
  listed?: string[];
  /** Temporal's execution status per run id (default RUNNING). */
  execution?: (runId: string) => string;
}

/**
 * A fake of the slice of the Temporal `Client` the Bosun client touches, recording every
 * call: nothing here talks to a server, so "never reaches Temporal" is checkable.
 */
function fakeTemporal(opts: FakeOptions = {}) {
  const calls = {
    updates: [] as { runId: string; name: string; arg: MessageArg }[],
    signals: [] as { runId: string; name: string; arg: MessageArg }[],
    queries: [] as { runId: string; name: string }[],
    cancels: [] as string[],
    lists: [] as { query?: string; pageSize?: number }[],
    listedRead: 0,
    starts: [] as { workflow: string; options: StartOptions }[],
    deadlines: [] as number[],
  };
  const getHandle = (runId: string) => ({
    executeUpdate: async (def: { name: string }, { args }: { args: unknown[] }) => {
      const arg = args[0] as MessageArg;
      calls.updates.push({ runId, name: def.name, arg });
      return opts.update ? opts.update(def.name, arg) : { approvalId: arg.approvalId, decision: arg.decision };
    },
    signal: async (def: { name: string }, arg: MessageArg) => {
      calls.signals.push({ runId, name: def.name, arg });
    },
    query: async (def: { name: string }) => {
      calls.queries.push({ runId, name: def.name });
      if (def.name === 'audit') return opts.audit ?? [];
      return opts.status ? opts.status(runId) : statusOf(runId, 'support', []);
    },
    cancel: async () => {
      calls.cancels.push(runId);
    },
    describe: async () => ({ status: { name: opts.execution?.(runId) ?? 'RUNNING' } }),
    result: async () => ({}),
  });
  const temporal = {
    options: { namespace: 'default' },
    // The inbox lists raw (no memo decoding): pages of `pageSize`, the offset as the token.
    workflowService: {
      listWorkflowExecutions: async (req: { query?: string; pageSize?: number; nextPageToken?: Uint8Array }) => {
        calls.lists.push({ query: req.query, pageSize: req.pageSize });
        const ids = opts.listed ?? [];
        const from = req.nextPageToken ? Number(new TextDecoder().decode(req.nextPageToken)) : 0;
        const size = req.pageSize ?? 1000;
        const page = ids.slice(from, from + size);
        calls.listedRead += page.length;
        return {
          executions: page.map((workflowId) => ({
            execution: { workflowId, runId: `${workflowId}-exec` },
            taskQueue: `tq-${workflowId}`,
          })),
          nextPageToken: from + size < ids.length ? new TextEncoder().encode(String(from + size)) : new Uint8Array(),
        };
      },
    },
    // The deadline is the server's to enforce; a test simulates it by throwing from `status`.
    withDeadline: async <R>(deadline: number, fn: () => Promise<R>) => {
      calls.deadlines.push(deadline);
      return fn();
    },
    workflow: {
      getHandle,
      start: async (workflow: string, options: StartOptions) => {
        calls.starts.push({ workflow, options });
        return getHandle(options.workflowId);
      },
      list: (options: { query?: string; pageSize?: number }) => {
        calls.lists.push(options);
        const ids = opts.listed ?? [];
        return (async function* () {
          for (const workflowId of ids) {
            calls.listedRead++;
            yield { workflowId, runId: `${workflowId}-exec`, type: 'agentRun', taskQueue: `tq-${workflowId}` };
          }
        })();
      },
    },
  };
  return { temporal: temporal as unknown as Client, calls };
}

const bosunWith = (opts: FakeOptions = {}) => {
  const fake = fakeTemporal(opts);
  return { bosun: createBosunClient({ client: fake.temporal, taskQueue: 'bosun' }), calls: fake.calls };
};

/** The update a validator refuses arrives at the client as this. */
const refusedUpdate = (message: string, type = 'DecisionRejected') =>
  new WorkflowUpdateFailedError(
    'Workflow Update failed',
    ApplicationFailure.create({ message, type, nonRetryable: true }),
  );

describe('approval decisions by Update', () => {
  it('sends approve, reject and edit as the decideApproval Update, with defaults filled in, and returns the ack', async () => {
    const { bosun, calls } = bosunWith();
    const run = bosun.getHandle('run-1');
    await expect(run.approve('ap-1', alice, 'checked the order')).resolves.toEqual({
      approvalId: 'ap-1',
      decision: 'approve',
    });
    await run.reject('ap-2', { id: 'bob' }, 'amount looks wrong');
    await run.edit('ap-3', alice, { orderId: 'ord_1', amountCents: 2000 });
    expect(calls.updates).toEqual([
      {
        runId: 'run-1',
        name: 'decideApproval',
        arg: { decision: 'approve', approvalId: 'ap-1', approver: alice, comment: 'checked the order' },
      },
      {
        runId: 'run-1',
        name: 'decideApproval',
        arg: {
          decision: 'reject',
          approvalId: 'ap-2',
          approver: { id: 'bob', groups: [] },
          reason: 'amount looks wrong',
        },
      },
      {
        runId: 'run-1',
        name: 'decideApproval',
        arg: { decision: 'edit', approvalId: 'ap-3', approver: alice, input: { orderId: 'ord_1', amountCents: 2000 } },
      },
    ]);
    expect(calls.signals).toEqual([]);
  });

  it('leaves an absent comment out of the decision rather than sending undefined', async () => {
    const { bosun, calls } = bosunWith();
    await bosun.getHandle('run-1').approve('ap-1', alice);
    expect(Object.keys(calls.updates[0]!.arg)).toEqual(['decision', 'approvalId', 'approver']);
  });

  it('refuses malformed decisions locally with a RunInputError: nothing reaches Temporal', async () => {
    const { bosun, calls } = bosunWith();
    const run = bosun.getHandle('run-1');
    const cases: [Promise<unknown>, string][] = [
      [run.approve('ap-1', { id: '' }), 'approver.id'],
      [run.approve('', alice), 'approvalId'],
      [run.approve('ap-1', alice, 'x'.repeat(2001)), 'comment'],
      [run.reject('ap-1', alice, ''), 'reason'],
      [run.edit('ap-1', alice, undefined), 'input'],
      [run.approve('ap-1', { id: 'alice', groups: [''] }), 'approver.groups.0'],
      [run.decide({ decision: 'escalate', approvalId: 'ap-1', approver: alice } as never), 'decision'],
    ];
    for (const [attempt, path] of cases) {
      const err = await rejectionOf(attempt);
      expect(err).toBeInstanceOf(RunInputError);
      expect((err as RunInputError).subject).toBe('decision');
      expect((err as RunInputError).issues.map((i) => i.path)).toContain(path);
      expect((err as RunInputError).message).toMatch(/^invalid decision: /);
    }
    expect(calls.updates).toEqual([]);
  });

  it("turns the workflow validator's refusal into a DecisionRejectedError carrying its message", async () => {
    const { bosun, calls } = bosunWith({
      update: () => {
        throw refusedUpdate('approval ap-1 was already decided by bob', 'StaleDecision');
      },
    });
    const err = await rejectionOf(bosun.getHandle('run-1').approve('ap-1', alice));
    expect(err).toBeInstanceOf(DecisionRejectedError);
    expect(err).toMatchObject({
      runId: 'run-1',
      targetId: 'ap-1',
      reason: 'approval ap-1 was already decided by bob',
      failureType: 'StaleDecision',
      message: 'run run-1 refused the decision on ap-1: approval ap-1 was already decided by bob',
    });
    expect(calls.updates).toHaveLength(1);
  });

  it('maps a refused edit the same way: edited arguments failing the tool schema are the run to judge', async () => {
    const { bosun } = bosunWith({
      update: (_name, arg) => {
        throw refusedUpdate(`edited input for ${arg.approvalId} is invalid: amountCents: expected number`);
      },
    });
    const err = await rejectionOf(bosun.getHandle('run-1').edit('ap-7', alice, { amountCents: 'lots' }));
    expect(err).toBeInstanceOf(DecisionRejectedError);
    expect(err).toMatchObject({
      targetId: 'ap-7',
      reason: 'edited input for ap-7 is invalid: amountCents: expected number',
    });
  });

  it('passes other errors through untouched (a finished or unknown run is not a refused decision)', async () => {
    const gone = new WorkflowNotFoundError('workflow execution already completed', 'run-1', undefined);
    const { bosun } = bosunWith({
      update: () => {
        throw gone;
      },
    });
    await expect(bosun.getHandle('run-1').reject('ap-1', alice, 'no')).rejects.toBe(gone);
  });
});

describe('approval decisions by Signal', () => {
  it('validates locally, then sends the parsed decision as the decideApprovalAsync Signal', async () => {
    const { bosun, calls } = bosunWith();
    const run = bosun.getHandle('run-1');
    await run.decideAsync({ decision: 'approve', approvalId: 'ap-1', approver: { id: 'alice' } });
    expect(calls.signals).toEqual([
      {
        runId: 'run-1',
        name: 'decideApprovalAsync',
        arg: { decision: 'approve', approvalId: 'ap-1', approver: { id: 'alice', groups: [] } },
      },
    ]);
    await expect(
      run.decideAsync({ decision: 'reject', approvalId: 'ap-1', approver: alice, reason: '' }),
    ).rejects.toBeInstanceOf(RunInputError);
    expect(calls.signals).toHaveLength(1);
    expect(calls.updates).toEqual([]);
  });
});

describe('escalation resolutions', () => {
  it('sends answer, redirect and end as the resolveEscalation Update', async () => {
    const { bosun, calls } = bosunWith({
      update: (_name, arg) => ({ escalationId: arg.escalationId, action: arg.action }),
    });
    const run = bosun.getHandle('run-2');
    await expect(run.answer('esc-1', alice, 'Refund $33.12.')).resolves.toEqual({
      escalationId: 'esc-1',
      action: 'answer',
    });
    await run.redirect('esc-2', { id: 'bob' }, 'Ask for the order id first.');
    await run.end('esc-3', alice, 'customer withdrew the request');
    expect(calls.updates).toEqual([
      {
        runId: 'run-2',
        name: 'resolveEscalation',
        arg: { action: 'answer', escalationId: 'esc-1', by: alice, text: 'Refund $33.12.' },
      },
      {
        runId: 'run-2',
        name: 'resolveEscalation',
        arg: {
          action: 'redirect',
          escalationId: 'esc-2',
          by: { id: 'bob', groups: [] },
          instruction: 'Ask for the order id first.',
        },
      },
      {
        runId: 'run-2',
        name: 'resolveEscalation',
        arg: { action: 'end', escalationId: 'esc-3', by: alice, reason: 'customer withdrew the request' },
      },
    ]);
  });

  it('refuses empty text, instruction, reason or id locally', async () => {
    const { bosun, calls } = bosunWith();
    const run = bosun.getHandle('run-2');
    for (const attempt of [
      run.answer('esc-1', alice, ''),
      run.redirect('esc-1', alice, ''),
      run.end('esc-1', alice, ''),
      run.answer('', alice, 'x'),
      run.end('esc-1', { id: '' }, 'r'),
    ]) {
      const err = await rejectionOf(attempt);
      expect(err).toBeInstanceOf(RunInputError);
      expect((err as RunInputError).subject).toBe('escalation resolution');
    }
    expect(calls.updates).toEqual([]);
  });

  it('maps a refused resolution (a stale escalation id) to DecisionRejectedError', async () => {
    const { bosun } = bosunWith({
      update: () => {
        throw refusedUpdate('escalation esc-1 is not open');
      },
    });
    await expect(bosun.getHandle('run-2').answer('esc-1', alice, 'x')).rejects.toMatchObject({
      name: 'DecisionRejectedError',
      targetId: 'esc-1',
      reason: 'escalation esc-1 is not open',
    });
  });
});

describe('audit and cancel', () => {
  it('reads the audit trail by query and cancels through Temporal cancellation', async () => {
    const audit: AuditEntry[] = [
      {
        seq: 1,
        at: '2030-01-01T00:00:00.000Z',
        step: 1,
        event: 'approval_requested',
        tool: 'refund_order',
        callId: 'c1',
        by: 'policy',
      },
    ];
    const { bosun, calls } = bosunWith({ audit });
    const run = bosun.getHandle('run-3');
    await expect(run.audit()).resolves.toEqual(audit);
    await run.cancel();
    expect(calls.queries).toEqual([{ runId: 'run-3', name: 'audit' }]);
    expect(calls.cancels).toEqual(['run-3']);
  });

  it('refuses to cancel a run that has already ended instead of reporting a no-op as done', async () => {
    const { bosun, calls } = bosunWith({ execution: () => 'COMPLETED' });
    const err = await rejectionOf(bosun.getHandle('run-3').cancel());
    expect(err).toBeInstanceOf(WorkflowNotFoundError);
    expect(err).toMatchObject({ message: 'workflow execution already completed', workflowId: 'run-3' });
    expect(calls.cancels).toEqual([]);
  });
});

describe('pendingApprovals (the inbox across runs)', () => {
  it('lists running runs with pending approvals by visibility, queries each, and returns them flat, oldest first, with the agent', async () => {
    const statuses: Record<string, RunStatus> = {
      'run-a': statusOf('run-a', 'support', [
        approval('run-a', 'ap-2', '2030-01-01T00:05:00.000Z'),
        approval('run-a', 'ap-1', '2030-01-01T00:01:00.000Z'),
      ]),
      'run-b': statusOf('run-b', 'billing', [
        approval('run-b', 'ap-1', '2030-01-01T00:03:00.000Z', { group: undefined, escalated: true }),
      ]),
      // Visibility lags: this run's approval was decided after the index was written.
      'run-c': statusOf('run-c', 'support', []),
    };
    const { bosun, calls } = bosunWith({ listed: ['run-a', 'run-b', 'run-c'], status: (id) => statuses[id]! });
    const inbox = await bosun.pendingApprovals();
    expect(calls.lists).toEqual([
      {
        query: '(BosunPendingApprovals > 0 OR BosunStatus = "needs_human") AND ExecutionStatus = "Running"',
        pageSize: defaultInboxRunLimit,
      },
    ]);
    expect(pendingApprovalsQuery).toBe(
      '(BosunPendingApprovals > 0 OR BosunStatus = "needs_human") AND ExecutionStatus = "Running"',
    );
    expect(inbox.map((a) => [a.runId, a.id, a.agent])).toEqual([
      ['run-a', 'ap-1', 'support'],
      ['run-b', 'ap-1', 'billing'],
      ['run-a', 'ap-2', 'support'],
    ]);
    expect(inbox[1]).toMatchObject({ tool: 'refund_order', escalated: true, deadlineAt: '2030-01-01T00:00:00.000Z' });
    expect(calls.queries.map((q) => q.name)).toEqual(['status', 'status', 'status']);
  });

  it('skips a run that vanished between listing and querying', async () => {
    const { bosun } = bosunWith({
      listed: ['run-gone', 'run-a'],
      status: (id) => {
        if (id === 'run-gone') throw new WorkflowNotFoundError('not found', id, undefined);
        return statusOf(id, 'support', [approval(id, 'ap-1', '2030-01-01T00:00:00.000Z')]);
      },
    });
    expect((await bosun.pendingApprovals()).map((a) => a.runId)).toEqual(['run-a']);
  });

  it('lists a run that does not answer in time as unreachable, with why, and still returns the others', async () => {
    // What a query to a run whose worker is stopped throws once its deadline passes.
    const deadlineExceeded = Object.assign(new Error('Failed to query Workflow'), {
      cause: Object.assign(new Error('4 DEADLINE_EXCEEDED: Deadline exceeded'), {
        code: 4,
        details: 'Deadline exceeded',
      }),
    });
    const { bosun, calls } = bosunWith({
      listed: ['run-a', 'run-dead', 'run-odd'],
      status: (id) => {
        if (id === 'run-dead') throw deadlineExceeded;
        if (id === 'run-odd') throw new Error('query failed\nwith a long story');
        return statusOf(id, 'support', [approval(id, 'ap-1', '2030-01-01T00:00:00.000Z')]);
      },
    });
    const before = Date.now();
    const inbox = await bosun.inbox({ queryTimeoutMs: 1_500 });
    expect(inbox.approvals.map((a) => a.runId)).toEqual(['run-a']);
    expect(inbox.unreachable).toEqual([
      {
        runId: 'run-dead',
        taskQueue: 'tq-run-dead',
        reason: 'no answer within 1.5 s: no worker is serving task queue "tq-run-dead", or it is stuck',
      },
      { runId: 'run-odd', taskQueue: 'tq-run-odd', reason: 'query failed' },
    ]);
    // Each run's query had its own deadline, the timeout from now.
    expect(calls.deadlines).toHaveLength(3);
    for (const d of calls.deadlines) expect(d - before).toBeGreaterThanOrEqual(1_500);
    for (const d of calls.deadlines) expect(d - before).toBeLessThan(2_500);
    expect((await bosun.pendingApprovals()).map((a) => a.runId)).toEqual(['run-a']);
    await expect(bosun.inbox({ queryTimeoutMs: 0 })).rejects.toBeInstanceOf(RunInputError);
  });

  it('reads at most `limit` runs and stops paging there', async () => {
    const listed = Array.from({ length: 10 }, (_, i) => `run-${i}`);
    const { bosun, calls } = bosunWith({
      listed,
      status: (id) => statusOf(id, 'support', [approval(id, 'ap-1', '2030-01-01T00:00:00.000Z')]),
    });
    const inbox = await bosun.pendingApprovals({ limit: 3 });
    expect(inbox).toHaveLength(3);
    expect(calls.lists[0]?.pageSize).toBe(3);
    expect(calls.listedRead).toBe(3);
    expect(calls.queries).toHaveLength(3);
  });

  it('treats a status without approvals (an older worker) as none, and refuses a bad limit before listing', async () => {
    const { bosun, calls } = bosunWith({
      listed: ['run-old'],
      status: (id) => {
        const { pendingApprovals: _omitted, ...older } = statusOf(id, 'support', []);
        return older as RunStatus;
      },
    });
    await expect(bosun.pendingApprovals()).resolves.toEqual([]);
    await expect(bosun.pendingApprovals({ limit: 0 })).rejects.toBeInstanceOf(RunInputError);
    expect(calls.lists).toHaveLength(1);
  });
});

describe('start', () => {
  it('sets the agent, tenant, status and pending-approval search attributes at start', async () => {
    const { bosun, calls } = bosunWith();
    const run = await bosun.start({
      agent: exampleAgent({ provider: 'openai', name: 'gpt-4.1-mini' }),
      task: 'hi',
      runId: 'run-sa',
      principal: { tenant: 'acme', user: 'alice' },
    });
    expect(run.runId).toBe('run-sa');
    const { options } = calls.starts[0]!;
    expect(calls.starts[0]?.workflow).toBe('agentRun');
    expect(options.memo).toEqual({ agent: 'support-example' });
    expect(options.typedSearchAttributes!.map((p) => [p.key.name, p.key.type, p.value])).toEqual([
      ['BosunAgent', 'KEYWORD', 'support-example'],
      ['BosunTenant', 'KEYWORD', 'acme'],
      ['BosunStatus', 'KEYWORD', 'running'],
      ['BosunPendingApprovals', 'INT', 0],
    ]);
  });
});

describe('validateDecision', () => {
  it('returns the parsed decision with the approver groups defaulted', () => {
    expect(
      validateDecision({ decision: 'edit', approvalId: 'ap-1', approver: { id: 'a' }, input: { x: 1 }, comment: 'c' }),
    ).toEqual({
      decision: 'edit',
      approvalId: 'ap-1',
      approver: { id: 'a', groups: [] },
      input: { x: 1 },
      comment: 'c',
    });
  });
});
