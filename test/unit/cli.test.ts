import type { RunEvent } from '../../core/run-events.ts';
import type { McpInventory } from '../../core/mcp.ts';
import { parseCommandLine } from '../../client/cli/parse.ts';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunStats } from '../../client/stats.ts';
import { ServiceError, WorkflowFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import {
  ApplicationFailure,
  CancelledFailure,
  RetryState,
  TerminatedFailure,
  WorkflowNotFoundError,
} from '@temporalio/common';
import {
  contractName,
  describeError,
  formatApprovals,
  formatAudit,
  formatBudgetLimit,
  formatDuration,
  formatModelsUsed,
  formatResult,
  formatStats,
  parseSince,
  formatStatus,
  statusTree,
  main,
  parseCommand,
  parseGroups,
  parseModelRef,
  providersFromEnv,
  resultExitCode,
  summarizeArgs,
  usage,
  commandUsage,
  type CliClient,
  type CliDeps,
  type ConnectOptions,
} from '../../client/cli/index.ts';
import { DecisionRejectedError, RunAlreadyExistsError } from '../../client/errors.ts';
import { RunStillOpenError } from '../../client/forget.ts';
import type { InboxApproval, RunHandle, UnreachableRun } from '../../client/client.ts';
import type {
  ApprovalDecisionInput,
  AuditEntry,
  EscalationResolutionInput,
  PendingApproval,
} from '../../core/approvals.ts';
import { exampleRouting } from '../../client/example-agent.ts';
import { cliEntryStats } from '../helpers/cli-entry-client.ts';
import type { CallRecord } from '../../core/calls.ts';
import type {
  AgentDefinition,
  RunInput,
  RunInputInit,
  RunResult,
  RunStatus,
  TaskInput,
  TaskInputInit,
  TaskResult,
} from '../../core/run.ts';

/** A run input whose agent is a definition (the CLI always sends one). */
type DefinedRunInput = Omit<RunInput, 'agent'> & { agent: AgentDefinition };

const noEnv = {};
const cliEntry = fileURLToPath(new URL('../../client/cli.ts', import.meta.url));
const defaults: ConnectOptions = { address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'bosun' };

const result = (outcome: RunResult['outcome'], extra: Partial<RunResult> = {}): RunResult => ({
  runId: 'run-1',
  agent: 'support-example',
  outcome,
  steps: 3,
  modelCalls: 3,
  toolCalls: 4,
  usage: { input: 1200, output: 300, cachedInput: 0, cacheWrite: 0 },
  costUsd: 0.00096,
  unpricedCalls: 0,
  calls: [],
  audit: [],
  escalations: 0,
  ...extra,
});

const status: RunStatus = {
  runId: 'run-1',
  agent: 'support-example',
  phase: 'running_tools',
  step: 2,
  maxSteps: 6,
  usage: { input: 900, output: 120, cachedInput: 400, cacheWrite: 0 },
  costUsd: 0.0005,
  modelCalls: 2,
  toolCalls: 1,
  lastEvent: 'step 2: model asked for calculator',
  recentEvents: [
    { seq: 1, text: 'run started' },
    { seq: 2, text: 'step 1: calling openai/gpt-4.1-mini' },
    { seq: 3, text: 'step 1: model asked for search_docs' },
    { seq: 4, text: 'step 1: search_docs done' },
    { seq: 5, text: 'step 2: calling openai/gpt-4.1-mini' },
    { seq: 6, text: 'step 2: model asked for calculator' },
  ],
  pending: [{ kind: 'tool_call', step: 2, callId: 'call_7', tool: 'calculator' }],
  pendingApprovals: [],
  escalations: 0,
};

const approval: PendingApproval = {
  id: 'ap-1',
  runId: 'run-1',
  step: 2,
  callId: 'call_8',
  tool: 'refund_order',
  input: { orderId: 'ord_1', amountCents: 5000 },
  reason: 'refunds over $20 need a lead',
  group: 'support-leads',
  requestedAt: '2030-01-01T00:00:00.000Z',
  deadlineAt: '2030-01-01T00:10:00.000Z',
  escalated: false,
};
const alice = { id: 'alice', groups: [] as string[] };

describe('parseCommand', () => {
  it('reads run with every flag, joining the task words', () => {
    expect(
      parseCommand(
        [
          'run',
          '--agent',
          'a.json',
          '--model',
          'anthropic/claude-haiku-4-5',
          '--run-id',
          'r1',
          '--wait',
          '--json',
          'refund',
          '2',
          'mugs',
        ],
        noEnv,
      ),
    ).toEqual({
      kind: 'run',
      connection: defaults,
      agentFile: 'a.json',
      model: { provider: 'anthropic', name: 'claude-haiku-4-5' },
      runId: 'r1',
      task: 'refund 2 mugs',
      wait: true,
      json: true,
    });
  });

  it('reads a bare run with defaults and leaves an absent task empty for validation to reject', () => {
    expect(parseCommand(['run'], noEnv)).toEqual({
      kind: 'run',
      connection: defaults,
      task: '',
      wait: false,
      json: false,
    });
  });

  it('keeps words after -- as task text even when they look like flags', () => {
    expect(parseCommand(['run', '--', 'explain', '--wait'], noEnv)).toMatchObject({
      kind: 'run',
      task: 'explain --wait',
      wait: false,
    });
  });

  it('reads status and result with one run id', () => {
    expect(parseCommand(['status', 'run-1'], noEnv)).toEqual({
      kind: 'status',
      connection: defaults,
      runId: 'run-1',
      json: false,
    });
    expect(parseCommand(['result', '--json', 'run-1'], noEnv)).toEqual({
      kind: 'result',
      connection: defaults,
      runId: 'run-1',
      json: true,
    });
  });

  it('takes connection settings from flags over the environment over defaults', () => {
    const env = { TEMPORAL_ADDRESS: 'env-host:7233', TEMPORAL_NAMESPACE: 'env-ns', BOSUN_TASK_QUEUE: 'env-q' };
    expect(parseCommand(['status', 'r'], env)).toMatchObject({
      connection: { address: 'env-host:7233', namespace: 'env-ns', taskQueue: 'env-q' },
    });
    expect(
      parseCommand(['--address', 'flag-host:1', 'status', 'r', '--namespace', 'ns', '--task-queue', 'q'], env),
    ).toMatchObject({
      connection: { address: 'flag-host:1', namespace: 'ns', taskQueue: 'q' },
    });
    expect(parseCommand(['status', 'r'], { TEMPORAL_ADDRESS: '' })).toMatchObject({ connection: defaults });
  });

  it('treats no command, help, --help and -h as help', () => {
    for (const argv of [[], ['help'], ['--help'], ['run', '-h', 'task']])
      expect(parseCommand(argv, noEnv)).toEqual({ kind: 'help' });
  });

  it('rejects an unknown command, an unknown flag and a flag without its value', () => {
    expect(parseCommand(['frobnicate'], noEnv)).toEqual({ error: 'unknown command "frobnicate"' });
    expect(parseCommand(['run', '--frob', 'x'], noEnv)).toMatchObject({ error: expect.stringContaining('--frob') });
    expect(parseCommand(['run', '--agent'], noEnv)).toMatchObject({ error: expect.stringContaining('--agent') });
  });

  it('rejects run-only flags on status and result', () => {
    expect(parseCommand(['status', '--wait', 'r'], noEnv)).toEqual({ error: '--wait does not apply to "status"' });
    expect(parseCommand(['result', '--agent', 'a.json', 'r'], noEnv)).toEqual({
      error: '--agent does not apply to "result"',
    });
  });

  it('reads result --timeout in seconds, and only on result', () => {
    expect(parseCommand(['result', 'run-1', '--timeout', '2.5'], noEnv)).toEqual({
      kind: 'result',
      connection: defaults,
      runId: 'run-1',
      json: false,
      timeoutMs: 2_500,
    });
    for (const bad of ['0', '-1', 'soon', ''])
      expect(parseCommand(['result', 'run-1', `--timeout=${bad}`], noEnv)).toEqual({
        error: `--timeout takes a number of seconds greater than 0 (got "${bad}")`,
      });
    expect(parseCommand(['status', 'run-1', '--timeout', '5'], noEnv)).toEqual({
      error: '--timeout does not apply to "status"',
    });
  });

  it('requires exactly one run id for status and result', () => {
    expect(parseCommand(['status'], noEnv)).toEqual({ error: '"status" needs a run id' });
    expect(parseCommand(['result', 'a', 'b'], noEnv)).toEqual({ error: '"result" takes one run id, got 2 arguments' });
  });

  it('rejects a model without a known provider or a name', () => {
    for (const bad of ['gpt-4.1', 'acme/model', 'openai/', '/gpt']) {
      expect(parseCommand(['run', '--model', bad, 'task'], noEnv)).toMatchObject({
        error: expect.stringContaining(`"${bad}"`),
      });
    }
  });
});

describe('parseModelRef', () => {
  it('splits at the first slash so model names may contain slashes', () => {
    expect(parseModelRef('openai-compatible/meta-llama/Llama-3.1-8B')).toEqual({
      provider: 'openai-compatible',
      name: 'meta-llama/Llama-3.1-8B',
    });
  });
});

describe('formatStatus', () => {
  it('shows phase, step of max, tokens, calls, pending work and the last five events', () => {
    expect(formatStatus(status)).toBe(
      [
        'run run-1 (agent support-example)',
        'phase: running tools, step 2 of 6',
        'usage: 900 input (400 cached) / 120 output tokens, cost $0.000500; 2 model calls, 1 tool call',
        'pending: tool calculator (call call_7, step 2)',
        'recent events:',
        '  2. step 1: calling openai/gpt-4.1-mini',
        '  3. step 1: model asked for search_docs',
        '  4. step 1: search_docs done',
        '  5. step 2: calling openai/gpt-4.1-mini',
        '  6. step 2: model asked for calculator',
      ].join('\n'),
    );
  });

  it('shows a sub-agent’s parent and a run’s sub-agents as a tree, live ones with their phase', async () => {
    const child: RunStatus = {
      ...status,
      runId: 'run-1:sub1.1',
      agent: 'clerk',
      phase: 'waiting_for_approval',
      step: 1,
      maxSteps: 3,
      costUsd: 0.0001,
      parent: { runId: 'run-1', agent: 'support-example', step: 1, rootRunId: 'run-1', depth: 1 },
      pendingApprovals: [approval],
      children: [],
    };
    const parent: RunStatus = {
      ...status,
      children: [
        { runId: 'run-1:sub1.1', agent: 'clerk', step: 1, callId: 'c1', state: 'running' },
        {
          runId: 'run-1:sub1.2',
          agent: 'kb',
          step: 1,
          callId: 'c2',
          state: 'budget_exhausted',
          costUsd: 0.002,
          steps: 4,
        },
      ],
      delegated: {
        runs: 1,
        steps: 4,
        toolCalls: 3,
        modelCalls: 4,
        usage: { input: 1, output: 1, cachedInput: 0, cacheWrite: 0 },
        costUsd: 0.002,
        unaccounted: 0,
      },
    };
    const tree = await statusTree(async (id) => {
      if (id === child.runId) return child;
      throw new Error('closed long ago');
    }, parent);
    expect([...tree.keys()]).toEqual(['run-1:sub1.1']);
    const text = formatStatus(parent, tree);
    expect(text).toContain(
      [
        'sub-agents: 2 (all the way down: 1 run, 4 steps, 3 tool calls, $0.002000)',
        '  ├ run-1:sub1.1 (agent clerk, step 1): running, waiting for approval, step 1 of 3 · $0.000100 · 1 approval pending',
        '  └ run-1:sub1.2 (agent kb, step 1): budget exhausted · $0.002000',
      ].join('\n'),
    );
    expect(formatStatus(child)).toContain('\nsub-agent of run run-1 (agent support-example, step 1), depth 1\n');
  });

  it('falls back to the last event when the status has no event list', () => {
    expect(formatStatus({ ...status, recentEvents: [] })).toMatch(
      /\npending: [^\n]+\nlast event: step 2: model asked for calculator$/,
    );
    const { recentEvents: _omitted, ...older } = status;
    expect(formatStatus(older as RunStatus)).toMatch(/\nlast event: step 2: model asked for calculator$/);
  });

  it('says which models had no price, when the worker reports them', () => {
    const text = formatStatus({ ...status, unpricedCalls: 1, unpricedModels: ['anthropic/claude-next'] });
    expect(text).toContain(
      "\ncost unknown for 1 call: model anthropic/claude-next has no price (set its price in the agent's `prices`)\npending:",
    );
    expect(formatStatus({ ...status, unpricedCalls: 0 })).not.toContain('cost unknown');
  });

  it('names a pending model call and the outcome of a finished run', () => {
    const waiting = formatStatus({
      ...status,
      phase: 'calling_model',
      pending: [{ kind: 'model_call', step: 3, model: 'openai/gpt-4.1-mini' }],
    });
    expect(waiting).toContain('pending: model call to openai/gpt-4.1-mini (step 3)');
    const done = formatStatus({ ...status, phase: 'completed', pending: [], outcome: 'budget_exhausted' });
    expect(done).toContain('phase: completed, step 2 of 6, outcome: budget exhausted');
    expect(done).toContain('pending: nothing');
  });
});

describe('formatResult', () => {
  it('prints the answer text first, then steps, calls, tokens and cost', () => {
    expect(formatResult(result({ kind: 'answer', text: 'Refund: $33.12', truncated: false }))).toBe(
      [
        'answer:',
        'Refund: $33.12',
        '',
        '3 steps, 3 model calls, 4 tool calls, 1200 input / 300 output tokens, $0.000960',
        'run run-1 (agent support-example)',
      ].join('\n'),
    );
  });

  it('says how many calls had no price, so a cost is never silently low', () => {
    expect(formatResult(result({ kind: 'answer', text: 'x', truncated: false }, { unpricedCalls: 2 }))).toContain(
      '$0.000960 (+2 unpriced calls)',
    );
  });

  it('names the models that had no price beside the cost', () => {
    const call = (model: string, costUsd: number | null) =>
      ({ model, costUsd }) as unknown as NonNullable<RunResult['calls']>[number];
    const text = formatResult(
      result(
        { kind: 'answer', text: 'x', truncated: false },
        {
          unpricedCalls: 2,
          calls: [call('openai/gpt-9', null), call('openai/gpt-4.1', 0.001), call('openai/gpt-9', null)],
        },
      ),
    );
    expect(text).toContain(
      "\ncost unknown for 2 calls: model openai/gpt-9 has no price (set its price in the agent's `prices`)\n",
    );
    expect(formatResult(result({ kind: 'answer', text: 'x', truncated: false }))).not.toContain('cost unknown');
  });

  it('shows an escalation with its issues and the last output, and exits 1', () => {
    const r = result({
      kind: 'escalated',
      reason: 'invalid_output',
      message: 'output did not match "refund"',
      lastOutput: '{"amount":"x"}',
      issues: ['amount: expected number'],
    });
    expect(formatResult(r)).toMatch(
      /^escalated to a human \(invalid output\): output did not match "refund"\nissues:\n  - amount: expected number\nlast output: \{"amount":"x"\}/,
    );
    expect(resultExitCode(r)).toBe(1);
  });

  it('says when an answer was cut at the output token limit', () => {
    expect(formatResult(result({ kind: 'answer', text: 'Refund: $3', truncated: true }))).toMatch(
      /^answer \(truncated at the output token limit\):\nRefund: \$3/,
    );
  });

  it('prints the exhausted budget with its limit in its own unit, and the summary', () => {
    const text = formatResult(
      result({ kind: 'budget_exhausted', budget: 'steps', limit: 6, summary: 'searched refunds twice' }),
    );
    expect(text).toMatch(
      /^budget exhausted \(steps\): the limit of 6 steps was reached\nsummary: searched refunds twice\n/,
    );
    expect(formatResult(result({ kind: 'budget_exhausted', budget: 'cost', limit: 0.5, summary: 's' }))).toMatch(
      /^budget exhausted \(cost\): the limit of \$0\.50 was reached\n/,
    );
    expect(
      formatResult(result({ kind: 'budget_exhausted', budget: 'wall_clock', limit: 90_000, summary: 's' })),
    ).toMatch(/^budget exhausted \(wall clock\): the limit of 1m 30s was reached\n/);
  });

  it('states every budget limit in its unit', () => {
    expect(formatBudgetLimit('steps', 1)).toBe('1 step');
    expect(formatBudgetLimit('tool_calls', 20)).toBe('20 tool calls');
    expect(formatBudgetLimit('input_tokens', 10_000)).toBe('10000 input tokens');
    expect(formatBudgetLimit('output_tokens', 2000)).toBe('2000 output tokens');
    expect(formatBudgetLimit('cost', 2)).toBe('$2.00');
    expect(formatBudgetLimit('cost', 0.0025)).toBe('$0.0025');
    expect(formatBudgetLimit('wall_clock', 5000)).toBe('5s');
  });

  it('formats durations from milliseconds to hours', () => {
    expect([250, 1500, 59_000, 60_000, 3_599_000, 3_600_000, 5_400_000].map(formatDuration)).toEqual([
      '250 ms',
      '1.5s',
      '59s',
      '1m',
      '59m 59s',
      '1h',
      '1h 30m',
    ]);
  });

  it('prints a stopped run with why and what it did; only a detected loop exits 1', () => {
    const loop = result({
      kind: 'stopped',
      reason: 'loop_detected',
      message: 'search_docs was called 3 times with the same arguments',
      summary: 'searched refunds',
    });
    expect(formatResult(loop)).toMatch(
      /^stopped \(loop detected\): search_docs was called 3 times with the same arguments\nsummary: searched refunds\n\n/,
    );
    expect(resultExitCode(loop)).toBe(1);
    const ended = result({
      kind: 'stopped',
      reason: 'ended_by_human',
      message: 'ended by alice: customer withdrew',
      summary: 's',
    });
    expect(formatResult(ended)).toMatch(/^stopped \(ended by human\): ended by alice: customer withdrew\n/);
    expect(resultExitCode(ended)).toBe(0);
    const cancelled = result({ kind: 'stopped', reason: 'cancelled', message: 'the run was cancelled', summary: 's' });
    expect(formatResult(cancelled)).toMatch(/^stopped \(cancelled\): /);
    expect(resultExitCode(cancelled)).toBe(0);
  });

  it('names the human who answered an escalation, and counts escalations in the footer', () => {
    const text = formatResult(
      result(
        { kind: 'answer', text: 'Refund $33.12.', truncated: false, answeredBy: 'human:alice' },
        { escalations: 1 },
      ),
    );
    expect(text).toMatch(
      /^answer \(from alice, a human\):\nRefund \$33\.12\.\n\n3 steps, 3 model calls, 4 tool calls, 1 escalation, 1200 input/,
    );
    expect(formatResult(result({ kind: 'answer', text: 'x', truncated: false, answeredBy: 'model' }))).toMatch(
      /^answer:\nx/,
    );
  });

  it('prints each escalation reason in words', () => {
    for (const [reason, words] of [
      ['refused', 'refused'],
      ['low_confidence', 'low confidence'],
      ['policy_sensitive', 'policy sensitive'],
      ['budget_low', 'budget low'],
    ] as const) {
      const r = result({ kind: 'escalated', reason, message: 'm' });
      expect(formatResult(r)).toMatch(new RegExp(`^escalated to a human \\(${words}\\): m\n`));
      expect(resultExitCode(r)).toBe(1);
    }
  });

  it('prints a failure type, message and provider details', () => {
    const text = formatResult(
      result({
        kind: 'failed',
        failure: {
          type: 'auth',
          message: 'the API key was rejected',
          retryable: false,
          details: { provider: 'openai', status: 401, requestId: 'req_1' },
        },
      }),
    );
    expect(text).toMatch(
      /^failed \(auth\): the API key was rejected\n {2}provider openai, status 401, request req_1\n/,
    );
  });
});

describe('describeError', () => {
  it('says how a run ended when it did not complete', () => {
    const ended = (cause: Error) => new WorkflowFailedError(cause.message, cause, RetryState.NON_RETRYABLE_FAILURE);
    expect(describeError(ended(new TerminatedFailure('operator stop')), 'r1', 'default')).toBe(
      'run r1 was terminated: operator stop',
    );
    expect(describeError(ended(new CancelledFailure('user asked')), 'r1', 'default')).toBe(
      'run r1 was cancelled: user asked',
    );
    expect(describeError(ended(ApplicationFailure.nonRetryable('boom', 'Bug')), 'r1', 'default')).toBe(
      'run r1 failed: boom',
    );
  });

  it("adds the server's explanation to a service error, and a hint when no worker answers a query", () => {
    const grpc = (code: number, details: string) => Object.assign(new Error(`${code} ${details}`), { code, details });
    const query = new ServiceError('Failed to query Workflow', {
      cause: grpc(4, 'query timed out before a worker could process it'),
    });
    expect(describeError(query, 'r1', 'default')).toBe(
      'Failed to query Workflow: query timed out before a worker could process it (no worker answered for this run: is one running?)',
    );
    const start = new ServiceError('Failed to start Workflow', { cause: grpc(14, 'connection refused') });
    expect(describeError(start, 'r1', 'default')).toBe('Failed to start Workflow: connection refused');
  });

  it('keeps other errors to their first line', () => {
    expect(describeError(new Error('first\nsecond'), 'r1', 'default')).toBe('first');
  });
});

const taskResult = (outcome: TaskResult['outcome'], extra: Partial<TaskResult> = {}): TaskResult => ({
  runId: 'task-1',
  task: 'task-classify',
  outcome,
  modelCalls: 1,
  usage: { input: 80, output: 12, cachedInput: 0, cacheWrite: 0 },
  costUsd: 0.000051,
  unpricedCalls: 0,
  calls: [],
  ...extra,
});

interface FakeOptions {
  result?: RunResult;
  taskResult?: TaskResult;
  status?: RunStatus;
  startError?: Error;
  handleError?: Error;
  runId?: string;
  inbox?: InboxApproval[];
  unreachable?: UnreachableRun[];
  /** The run never ends: `result()` never settles. */
  endless?: boolean;
  audit?: AuditEntry[];
  mcpInventory?: McpInventory;
  events?: RunEvent[];
  forgetError?: Error;
}

/** A fake connected client that records what the CLI asks of it. */
function fakeClient(opts: FakeOptions = {}) {
  const calls = {
    connect: [] as ConnectOptions[],
    start: [] as RunInputInit[],
    startTask: [] as TaskInputInit[],
    getHandle: [] as string[],
    closed: 0,
    inbox: [] as ({ limit?: number } | undefined)[],
    decide: [] as { runId: string; decision: ApprovalDecisionInput; async: boolean }[],
    resolve: [] as { runId: string; resolution: EscalationResolutionInput }[],
    cancel: [] as string[],
    stats: [] as { since: Date; agent?: string }[],
    events: [] as { runId: string; from?: number }[],
    forget: [] as { runId: string; by: string }[],
  };
  const guard = () => {
    if (opts.handleError) throw opts.handleError;
  };
  const handle = (runId: string): RunHandle => {
    const decide = async (decision: ApprovalDecisionInput) => {
      calls.decide.push({ runId, decision, async: false });
      guard();
      return { approvalId: decision.approvalId, decision: decision.decision };
    };
    const resolve = async (resolution: EscalationResolutionInput) => {
      calls.resolve.push({ runId, resolution });
      guard();
      return { escalationId: resolution.escalationId, action: resolution.action };
    };
    return {
      runId,
      status: async () => {
        guard();
        return opts.status ?? status;
      },
      result: async () => {
        guard();
        if (opts.endless) return new Promise<never>(() => {});
        return opts.result ?? result({ kind: 'answer', text: 'done', truncated: false }, { runId });
      },
      approve: (approvalId, approver, comment) =>
        decide({ decision: 'approve', approvalId, approver, ...(comment !== undefined ? { comment } : {}) }),
      reject: (approvalId, approver, reason) => decide({ decision: 'reject', approvalId, approver, reason }),
      edit: (approvalId, approver, input, comment) =>
        decide({ decision: 'edit', approvalId, approver, input, ...(comment !== undefined ? { comment } : {}) }),
      decide,
      decideAsync: async (decision) => {
        calls.decide.push({ runId, decision, async: true });
        guard();
      },
      answer: (escalationId, by, text) => resolve({ action: 'answer', escalationId, by, text }),
      redirect: (escalationId, by, instruction) => resolve({ action: 'redirect', escalationId, by, instruction }),
      end: (escalationId, by, reason) => resolve({ action: 'end', escalationId, by, reason }),
      audit: async () => {
        guard();
        return opts.audit ?? [];
      },
      events: async function* (o) {
        calls.events.push({ runId, ...(o?.from !== undefined ? { from: o.from } : {}) });
        guard();
        for (const e of opts.events ?? []) if (e.offset >= (o?.from ?? 0)) yield e;
      },
      trace: async () => ({ runId, steps: [], warnings: [] }),
      cancel: async () => {
        calls.cancel.push(runId);
        guard();
      },
    };
  };
  const client: CliClient = {
    start: async (input) => {
      calls.start.push(input);
      if (opts.startError) throw opts.startError;
      return handle(input.runId ?? opts.runId ?? 'run-generated');
    },
    startTask: async (input) => {
      calls.startTask.push(input);
      if (opts.startError) throw opts.startError;
      const runId = input.runId ?? opts.runId ?? 'task-generated';
      return {
        ...handle(runId),
        result: async () => {
          guard();
          return opts.taskResult ?? taskResult({ kind: 'answer', text: 'shipping', truncated: false }, { runId });
        },
      };
    },
    getHandle: (runId) => {
      calls.getHandle.push(runId);
      return handle(runId);
    },
    inbox: async (o) => {
      calls.inbox.push(o);
      guard();
      return { approvals: opts.inbox ?? [], escalations: [], unreachable: opts.unreachable ?? [] };
    },
    stats: async (o) => {
      calls.stats.push(o);
      return sampleStats;
    },
    mcpInventory: async () => opts.mcpInventory ?? { worker: '1@host', servers: [] },
    forget: async (runId, o) => {
      calls.forget.push({ runId, by: o.by });
      if (opts.forgetError) throw opts.forgetError;
      const counts = { messages: 5, summaries: 1, contents: 2, traceRecords: 7, blobs: 0 };
      return { seq: 1, runId, at: '2026-01-01T00:00:00.000Z', by: o.by, reason: 'forget' as const, counts };
    },
    erasures: async () => [],
    close: async () => {
      calls.closed++;
    },
  };
  return { client, calls };
}

async function runCli(argv: string[], fake = fakeClient(), extra: Partial<CliDeps> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  let written = '';
  const code = await main(argv, {
    connect: async (o) => {
      fake.calls.connect.push(o);
      return fake.client;
    },
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    write: (t) => void (written += t),
    readFile: async (path) => {
      throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    },
    env: {},
    ...extra,
  });
  return { code, out: out.join('\n'), err: err.join('\n'), written, calls: fake.calls };
}

const agentFile = (json: unknown): Partial<CliDeps> => ({ readFile: async () => JSON.stringify(json) });

describe('main', () => {
  it('prints usage for help and exits 0 without connecting', async () => {
    const { code, out, calls } = await runCli(['help']);
    expect(code).toBe(0);
    expect(out).toBe(usage);
    expect(calls.connect).toEqual([]);
  });

  it('starts the example agent with the validated input and prints only the run id', async () => {
    const { code, out, err, calls } = await runCli(['run', '--run-id', 'r-42', 'How', 'much?']);
    expect(code).toBe(0);
    expect(out).toBe('r-42');
    expect(err).toBe('');
    expect(calls.connect).toEqual([defaults]);
    const input = calls.start[0] as DefinedRunInput;
    expect(calls.start).toHaveLength(1);
    expect(input).toMatchObject({
      task: 'How much?',
      runId: 'r-42',
      agent: { name: 'support-example', model: { provider: 'openai', name: 'gpt-4.1-mini' } },
    });
    // Validated: schema defaults are filled in before the client sees the input.
    expect(input.agent.timeouts).toEqual({ modelCallMs: 120_000, heartbeatMs: 10_000, toolCallMs: 30_000 });
    expect(input.agent.temperature).toBeUndefined();
    expect(calls.closed).toBe(1);
  });

  it('runs the example agent on the --model given', async () => {
    const { calls } = await runCli(['run', '--model', 'anthropic/claude-haiku-4-5', 'hi']);
    expect((calls.start[0] as DefinedRunInput | undefined)?.agent.model).toEqual({
      provider: 'anthropic',
      name: 'claude-haiku-4-5',
    });
  });

  it('loads the agent from a JSON file, with --model overriding its model', async () => {
    const agent = { name: 'billing', instructions: 'Be exact.', model: { provider: 'openai', name: 'gpt-4.1' } };
    const plain = await runCli(['run', '--agent', 'billing.json', 'hi'], fakeClient(), agentFile(agent));
    expect(plain.code).toBe(0);
    expect(plain.calls.start[0]?.agent).toMatchObject({ ...agent, tools: [], maxSteps: 10 });
    const overridden = await runCli(
      ['run', '--agent', 'billing.json', '--model', 'openai-compatible/llama3.1', 'hi'],
      fakeClient(),
      agentFile(agent),
    );
    expect((overridden.calls.start[0] as DefinedRunInput | undefined)?.agent.model).toEqual({
      provider: 'openai-compatible',
      name: 'llama3.1',
    });
  });

  it('with --wait prints the outcome and exits 0 for an answer', async () => {
    const { code, out, err } = await runCli(['run', '--wait', '--run-id', 'r-1', 'hi']);
    expect(code).toBe(0);
    expect(out).toMatch(/^answer:\ndone\n/);
    expect(err).toBe('started run r-1; waiting for its result ...');
  });

  it('with --wait --json prints the whole result as JSON and nothing on stderr', async () => {
    const { code, out, err } = await runCli(['run', '--wait', '--json', '--run-id', 'r-1', 'hi']);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ runId: 'r-1', outcome: { kind: 'answer', text: 'done' } });
    expect(err).toBe('');
  });

  it('with --json and no --wait prints the run id as JSON', async () => {
    const { out } = await runCli(['run', '--json', '--run-id', 'r-1', 'hi']);
    expect(JSON.parse(out)).toEqual({ runId: 'r-1' });
  });

  it('exits 1 when the awaited run ended with a failed outcome', async () => {
    const failed = result({ kind: 'failed', failure: { type: 'rate_limited', message: 'slow down', retryable: true } });
    const viaRun = await runCli(['run', '--wait', 'hi'], fakeClient({ result: failed }));
    expect(viaRun.code).toBe(1);
    expect(viaRun.out).toMatch(/^failed \(rate_limited\): slow down/);
    const viaResult = await runCli(['result', 'run-1'], fakeClient({ result: failed }));
    expect(viaResult.code).toBe(1);
  });

  it('exits 0 when the run stopped at its step budget: an outcome, not a failure', async () => {
    const stopped = result({ kind: 'budget_exhausted', budget: 'steps', limit: 6, summary: 's' });
    expect((await runCli(['result', 'run-1'], fakeClient({ result: stopped }))).code).toBe(0);
  });

  it('prints status for a run id, as text or JSON', async () => {
    const text = await runCli(['status', 'run-1']);
    expect(text.code).toBe(0);
    expect(text.out).toBe(formatStatus(status));
    expect(text.calls.getHandle).toEqual(['run-1']);
    const json = await runCli(['status', '--json', 'run-1']);
    expect(JSON.parse(json.out)).toEqual(status);
  });

  it('gives up on result after --timeout with a clear message and exit 3', async () => {
    const started = Date.now();
    const { code, out, err } = await runCli(['result', 'run-1', '--timeout', '0.2'], fakeClient({ endless: true }));
    expect(code).toBe(3);
    expect(out).toBe('');
    expect(err).toBe(
      'error: run run-1 has not ended within 200 ms (--timeout); "status run-1" shows what it is doing, "result run-1" waits again',
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    const done = await runCli(['result', 'run-1', '--timeout', '5']);
    expect(done.code).toBe(0);
    expect(done.out).toContain('answer:\ndone');
  });

  it('prints result for a run id', async () => {
    const { code, out } = await runCli(['result', 'run-9']);
    expect(code).toBe(0);
    expect(out).toContain('run run-9 (agent support-example)');
  });

  it('exits 2 with the error and usage on stderr for bad usage, without connecting', async () => {
    const { code, out, err, calls } = await runCli(['frobnicate']);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err.split('\n')[0]).toBe('error: unknown command "frobnicate"');
    expect(err).toContain(usage);
    expect(calls.connect).toEqual([]);
  });

  it("shows only the command's own usage when its arguments or flags are wrong", async () => {
    const reject = await runCli(['reject', 'run-1', 'ap-1', '--as', 'alice']);
    expect(reject.code).toBe(2);
    expect(reject.err).toBe(`error: "reject" needs --reason "...": the model is told why\n\n${commandUsage('reject')}`);
    expect(commandUsage('reject')).toMatch(
      /^Usage of "reject" .*\n  reject <runId> <approvalId> --as ID .*--reason text/,
    );
    expect(commandUsage('reject')).toContain('decide one; the run checks the decision');
    expect(reject.err).not.toContain('approve <runId>');
    expect(reject.err).not.toContain('Options for every command');
    const cancel = await runCli(['cancel']);
    expect(cancel.err).toBe(`error: "cancel" needs a run id\n\n${commandUsage('cancel')}`);
    expect(commandUsage('cancel').split('\n')).toHaveLength(2);
    const stray = await runCli(['status', '--wait', 'run-1']);
    expect(stray.err).toBe(`error: --wait does not apply to "status"\n\n${commandUsage('status')}`);
    expect(reject.calls.connect).toEqual([]);
  });

  it('exits 2 listing every issue of an invalid agent file, without connecting', async () => {
    const { code, err, calls } = await runCli(
      ['run', '--agent', 'bad.json', 'hi'],
      fakeClient(),
      agentFile({ name: '', instructions: 'x', model: { provider: 'acme', name: 'm' } }),
    );
    expect(code).toBe(2);
    const lines = err.split('\n');
    expect(lines[0]).toBe('error: invalid run input');
    expect(lines.some((l) => l.startsWith('  agent.name: '))).toBe(true);
    expect(lines.some((l) => l.startsWith('  agent.model.provider: '))).toBe(true);
    expect(calls.connect).toEqual([]);
  });

  it('exits 2 for an empty task and a malformed run id', async () => {
    const empty = await runCli(['run']);
    expect(empty.code).toBe(2);
    expect(empty.err).toMatch(/^error: invalid run input\n {2}task: /);
    const badId = await runCli(['run', '--run-id', 'has space', 'hi']);
    expect(badId.code).toBe(2);
    expect(badId.err).toContain('  runId: use letters, digits');
    expect(badId.calls.connect).toEqual([]);
  });

  it('exits 2 when the agent file is missing or not JSON', async () => {
    const missing = await runCli(['run', '--agent', 'nope.json', 'hi']);
    expect(missing.code).toBe(2);
    expect(missing.err).toBe(
      "error: cannot read agent file nope.json: ENOENT: no such file or directory, open 'nope.json'",
    );
    const garbled = await runCli(['run', '--agent', 'a.json', 'hi'], fakeClient(), {
      readFile: async () => '{ name: ',
    });
    expect(garbled.code).toBe(2);
    expect(garbled.err).toMatch(/^error: agent file a\.json is not valid JSON: /);
  });

  it('exits 1 with one line naming the address when Temporal cannot be reached', async () => {
    const { code, err } = await runCli(['--address', 'temporal.internal:7233', 'status', 'run-1'], fakeClient(), {
      connect: async () => {
        throw new Error('Failed to connect before the deadline\n  at grpc internals');
      },
    });
    expect(code).toBe(1);
    expect(err).toBe(
      'error: cannot connect to Temporal at temporal.internal:7233 (namespace default): Failed to connect before the deadline',
    );
  });

  it('exits 1 when the run id is taken, and closes the connection', async () => {
    const fake = fakeClient({ startError: new RunAlreadyExistsError('r-1') });
    const { code, err, calls } = await runCli(['run', '--run-id', 'r-1', 'hi'], fake);
    expect(code).toBe(1);
    expect(err).toBe('error: a run with id "r-1" already exists; read it with "status r-1" or pick another --run-id');
    expect(calls.closed).toBe(1);
  });

  it('exits 1 naming the generated run id when an awaited run is terminated', async () => {
    const terminated = new WorkflowFailedError('stop', new TerminatedFailure('stop'), RetryState.NON_RETRYABLE_FAILURE);
    const { code, out, err } = await runCli(
      ['run', '--wait', 'hi'],
      fakeClient({ handleError: terminated, runId: 'run-abc' }),
    );
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err.split('\n')).toEqual([
      'started run run-abc; waiting for its result ...',
      'error: run run-abc was terminated: stop',
    ]);
  });

  it('exits 1 naming the run when it does not exist', async () => {
    const fake = fakeClient({ handleError: new WorkflowNotFoundError('workflow not found', 'ghost', undefined) });
    const { code, err } = await runCli(['status', 'ghost'], fake);
    expect(code).toBe(1);
    expect(err).toBe('error: no run with id "ghost" in namespace default');
  });
});

describe('parseCommand: approvals, decisions, escalations, cancel, audit', () => {
  it('reads the inbox with an optional --limit and --json', () => {
    expect(parseCommand(['approvals'], noEnv)).toEqual({ kind: 'approvals', connection: defaults, json: false });
    expect(parseCommand(['approvals', '--json', '--limit', '5'], noEnv)).toEqual({
      kind: 'approvals',
      connection: defaults,
      limit: 5,
      json: true,
    });
    for (const bad of ['0', '-1', '2.5', 'ten', '']) {
      expect(parseCommand(['approvals', `--limit=${bad}`], noEnv)).toEqual({
        error: `--limit must be a positive whole number (got "${bad}")`,
      });
    }
    expect(parseCommand(['approvals', 'run-1'], noEnv)).toEqual({ error: '"approvals" takes no arguments, got run-1' });
  });

  it('reads approve with the approver, their groups and a comment', () => {
    expect(
      parseCommand(
        ['approve', 'run-1', 'ap-1', '--as', 'alice', '--groups', 'support-leads, finance,,', '--comment', 'checked'],
        noEnv,
      ),
    ).toEqual({
      kind: 'decide',
      connection: defaults,
      runId: 'run-1',
      decision: {
        decision: 'approve',
        approvalId: 'ap-1',
        approver: { id: 'alice', groups: ['support-leads', 'finance'] },
        comment: 'checked',
      },
      async: false,
      json: false,
    });
  });

  it('reads --async and --json on a decision', () => {
    expect(parseCommand(['approve', 'run-1', 'ap-1', '--as', 'alice', '--async', '--json'], noEnv)).toMatchObject({
      kind: 'decide',
      async: true,
      json: true,
    });
  });

  it('reads reject with its reason, and requires one', () => {
    expect(
      parseCommand(['reject', 'run-1', 'ap-1', '--as', 'bob', '--reason', 'amount looks wrong'], noEnv),
    ).toMatchObject({
      kind: 'decide',
      decision: {
        decision: 'reject',
        approvalId: 'ap-1',
        approver: { id: 'bob', groups: [] },
        reason: 'amount looks wrong',
      },
    });
    expect(parseCommand(['reject', 'run-1', 'ap-1', '--as', 'bob'], noEnv)).toEqual({
      error: '"reject" needs --reason "...": the model is told why',
    });
  });

  it('reads edit with its JSON input, and refuses missing or malformed JSON', () => {
    expect(
      parseCommand(
        [
          'edit',
          'run-1',
          'ap-1',
          '--as',
          'alice',
          '--input',
          '{"orderId":"ord_1","amountCents":2000}',
          '--comment',
          'halved',
        ],
        noEnv,
      ),
    ).toMatchObject({
      kind: 'decide',
      decision: {
        decision: 'edit',
        approvalId: 'ap-1',
        approver: alice,
        input: { orderId: 'ord_1', amountCents: 2000 },
        comment: 'halved',
      },
    });
    expect(parseCommand(['edit', 'run-1', 'ap-1', '--as', 'alice'], noEnv)).toEqual({
      error: `"edit" needs --input '<json>': the replacement arguments`,
    });
    expect(parseCommand(['edit', 'run-1', 'ap-1', '--as', 'alice', '--input', '{orderId: 1}'], noEnv)).toMatchObject({
      error: expect.stringMatching(/^--input is not valid JSON: /),
    });
  });

  it('reads answer and redirect with their text joined, and end with its reason', () => {
    expect(parseCommand(['answer', 'run-1', 'esc-1', '--as', 'alice', 'Refund', '$33.12.'], noEnv)).toEqual({
      kind: 'resolve',
      connection: defaults,
      runId: 'run-1',
      resolution: { action: 'answer', escalationId: 'esc-1', by: alice, text: 'Refund $33.12.' },
      json: false,
    });
    expect(
      parseCommand(['redirect', 'run-1', 'esc-1', '--as', 'alice', '--groups', 'ops', 'Ask for the order id.'], noEnv),
    ).toMatchObject({
      resolution: {
        action: 'redirect',
        escalationId: 'esc-1',
        by: { id: 'alice', groups: ['ops'] },
        instruction: 'Ask for the order id.',
      },
    });
    expect(parseCommand(['end', 'run-1', 'esc-1', '--as', 'alice', '--reason', 'withdrawn'], noEnv)).toMatchObject({
      resolution: { action: 'end', escalationId: 'esc-1', by: alice, reason: 'withdrawn' },
    });
  });

  it('requires the text of answer and redirect and the reason of end', () => {
    expect(parseCommand(['answer', 'run-1', 'esc-1', '--as', 'alice'], noEnv)).toEqual({
      error: '"answer" needs the answer text',
    });
    expect(parseCommand(['redirect', 'run-1', 'esc-1', '--as', 'alice', ' '], noEnv)).toEqual({
      error: '"redirect" needs the new instruction',
    });
    expect(parseCommand(['end', 'run-1', 'esc-1', '--as', 'alice'], noEnv)).toEqual({
      error: '"end" needs --reason "...": why the run is ended',
    });
  });

  it('requires --as and both ids on every decision command', () => {
    for (const name of ['approve', 'reject', 'edit', 'answer', 'redirect', 'end']) {
      expect(
        parseCommand([name, 'run-1', 'x-1', 'text'].slice(0, name === 'answer' || name === 'redirect' ? 4 : 3), noEnv),
      ).toEqual({
        error: `"${name}" needs --as <id>: who is deciding`,
      });
      const target = ['approve', 'reject', 'edit'].includes(name) ? 'approval' : 'escalation';
      expect(parseCommand([name, 'run-1', '--as', 'alice'], noEnv)).toEqual({
        error: `"${name}" needs a run id and an ${target} id`,
      });
    }
  });

  it('refuses stray words and flags that belong to other commands', () => {
    expect(parseCommand(['approve', 'run-1', 'ap-1', 'now', '--as', 'alice'], noEnv)).toEqual({
      error: '"approve" takes a run id and an approval id, got extra arguments: now',
    });
    expect(parseCommand(['approve', 'run-1', 'ap-1', '--as', 'alice', '--reason', 'x'], noEnv)).toEqual({
      error: '--reason does not apply to "approve"',
    });
    expect(parseCommand(['answer', 'run-1', 'esc-1', '--as', 'alice', '--async', 'x'], noEnv)).toEqual({
      error: '--async does not apply to "answer"',
    });
    expect(parseCommand(['cancel', '--json', 'run-1'], noEnv)).toEqual({ error: '--json does not apply to "cancel"' });
    expect(parseCommand(['status', '--as', 'alice', 'run-1'], noEnv)).toEqual({
      error: '--as does not apply to "status"',
    });
  });

  it('reads cancel and audit with one run id', () => {
    expect(parseCommand(['cancel', 'run-1'], noEnv)).toEqual({ kind: 'cancel', connection: defaults, runId: 'run-1' });
    expect(parseCommand(['audit', '--json', 'run-1'], noEnv)).toEqual({
      kind: 'audit',
      connection: defaults,
      runId: 'run-1',
      json: true,
    });
    expect(parseCommand(['cancel'], noEnv)).toEqual({ error: '"cancel" needs a run id' });
    expect(parseCommand(['audit', 'a', 'b'], noEnv)).toEqual({ error: '"audit" takes one run id, got 2 arguments' });
  });

  it('keeps connection flags on the new commands', () => {
    expect(
      parseCommand(['approvals', '--address', 'h:1', '--namespace', 'ns', '--task-queue', 'q'], noEnv),
    ).toMatchObject({
      connection: { address: 'h:1', namespace: 'ns', taskQueue: 'q' },
    });
  });

  it('splits --groups at commas and drops blanks', () => {
    expect(parseGroups(' a ,b,,c ')).toEqual(['a', 'b', 'c']);
    expect(parseGroups(undefined)).toEqual([]);
  });

  it('documents every command in the usage text', () => {
    for (const name of [
      'run',
      'task',
      'status',
      'result',
      'audit',
      'cancel',
      'approvals',
      'approve',
      'reject',
      'edit',
      'answer',
      'redirect',
      'end',
    ]) {
      expect(usage).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    }
  });
});

describe('formatting approvals, escalations and the audit trail', () => {
  // Deadlines print relative to now: fix now ten minutes before the sample deadline.
  beforeEach(() => vi.setSystemTime(new Date('2030-01-01T00:00:00.000Z')));
  afterEach(() => vi.useRealTimers());
  it('shows pending approvals and an open escalation in status', () => {
    const text = formatStatus({
      ...status,
      phase: 'waiting_for_approval',
      pending: [],
      pendingApprovals: [
        approval,
        {
          ...approval,
          id: 'ap-2',
          group: undefined,
          escalated: true,
          tool: 'send_email',
          input: { to: 'x@example.com' },
        },
      ],
      escalation: {
        id: 'esc-1',
        reason: 'low_confidence',
        message: 'confidence 0.3 is below 0.6',
        openedAt: '2030-01-01T00:00:00.000Z',
        deadlineAt: '2030-01-02T00:00:00.000Z',
      },
      escalations: 1,
    });
    expect(text.split('\n').slice(0, 9)).toEqual([
      'run run-1 (agent support-example)',
      'phase: waiting for approval, step 2 of 6',
      'usage: 900 input (400 cached) / 120 output tokens, cost $0.000500; 2 model calls, 1 tool call, 1 escalation',
      'pending: nothing',
      'awaiting approval:',
      '  ap-1: refund_order {"orderId":"ord_1","amountCents":5000}; refunds over $20 need a lead; group support-leads; due in 10m (2030-01-01 00:10 UTC)',
      '  ap-2: send_email {"to":"x@example.com"}; refunds over $20 need a lead; group (any approver); due in 10m (2030-01-01 00:10 UTC) (escalated)',
      'needs a human (low confidence): confidence 0.3 is below 0.6',
      '  escalation esc-1; due in 24h (2030-01-02 00:00 UTC); answer, redirect or end it',
    ]);
  });

  it('leaves status as it was for a run with neither, including an older worker without the fields', () => {
    const { pendingApprovals: _a, escalations: _e, ...older } = status;
    expect(formatStatus(older as RunStatus)).toBe(formatStatus(status));
    expect(formatStatus(status)).not.toMatch(/approval|needs a human|escalation/);
  });

  it('prints the inbox oldest first with the ids approve takes, the tool and args, reason, group and deadline', () => {
    const inbox: InboxApproval[] = [
      { ...approval, agent: 'support' },
      {
        ...approval,
        runId: 'run-2',
        id: 'ap-9',
        agent: 'billing',
        tool: 'wire_money',
        input: { note: 'x'.repeat(200) },
        group: undefined,
        escalated: true,
      },
    ];
    const text = formatApprovals(inbox);
    expect(text.split('\n')).toEqual([
      '2 pending approvals, oldest first:',
      'run-1  ap-1  refund_order {"orderId":"ord_1","amountCents":5000}',
      '  agent support; refunds over $20 need a lead; group support-leads; due in 10m (2030-01-01 00:10 UTC)',
      `run-2  ap-9  wire_money ${'{"note":"' + 'x'.repeat(68)}...`,
      '  agent billing; refunds over $20 need a lead; group (any approver); due in 10m (2030-01-01 00:10 UTC) (escalated)',
      '',
      'decide with: approve|reject|edit <runId> <approvalId> --as <you>',
    ]);
    expect(formatApprovals([])).toBe('no pending approvals');
  });

  it('shows the approver the task, who the run acts for and what the tools returned before', () => {
    const withContext = {
      ...approval,
      agent: 'support',
      context: {
        task: 'Refund the   broken\nmugs of ord_1',
        principal: { tenant: 'shop', user: 'sam' },
        earlierResults: [
          { step: 1, tool: 'lookup_order', content: '{"id":"ord_1","totalCents":5000}', isError: false },
        ],
      },
    };
    expect(formatApprovals([withContext]).split('\n').slice(3, 6)).toEqual([
      '  task: Refund the broken mugs of ord_1',
      '  for: sam (tenant shop)',
      '  earlier, step 1 lookup_order: {"id":"ord_1","totalCents":5000}',
    ]);
    vi.setSystemTime(new Date('2030-01-01T00:12:00.000Z'));
    expect(formatApprovals([withContext])).toContain('overdue by 2m (2030-01-01 00:10 UTC)');
  });

  it('summarizes tool arguments on one line, cut to a length', () => {
    expect(summarizeArgs({ a: 1 })).toBe('{"a":1}');
    expect(summarizeArgs(undefined)).toBe('(no arguments)');
    expect(summarizeArgs('abcdefghij', 8)).toBe('"abcd...');
    expect(summarizeArgs('x'.repeat(500))).toHaveLength(80);
  });

  it('prints the audit trail one numbered line per decision, with who and why', () => {
    const entries: AuditEntry[] = [
      {
        seq: 1,
        at: '2030-01-01T00:00:00.000Z',
        step: 1,
        event: 'tool_allowed',
        tool: 'search_docs',
        callId: 'c1',
        by: 'policy',
      },
      {
        seq: 2,
        at: '2030-01-01T00:00:01.000Z',
        step: 2,
        event: 'approval_requested',
        tool: 'refund_order',
        callId: 'c2',
        by: 'policy',
        reason: 'over $20',
      },
      {
        seq: 3,
        at: '2030-01-01T00:03:00.000Z',
        step: 2,
        event: 'rejected',
        tool: 'refund_order',
        callId: 'c2',
        by: 'human:alice',
        reason: 'wrong order',
      },
      { seq: 4, at: '2030-01-01T00:04:00.000Z', step: 3, event: 'cancelled', by: 'system' },
    ];
    expect(formatAudit('run-1', entries).split('\n')).toEqual([
      'audit of run run-1 (4 entries):',
      '  1. 2030-01-01T00:00:00.000Z step 1: tool allowed search_docs (call c1) by policy',
      '  2. 2030-01-01T00:00:01.000Z step 2: approval requested refund_order (call c2) by policy: over $20',
      '  3. 2030-01-01T00:03:00.000Z step 2: rejected refund_order (call c2) by human:alice: wrong order',
      '  4. 2030-01-01T00:04:00.000Z step 3: cancelled by system',
    ]);
    expect(formatAudit('run-1', entries.slice(0, 1))).toMatch(/^audit of run run-1 \(1 entry\):/);
    expect(formatAudit('run-1', [])).toBe('no audit entries for run run-1');
  });
});

describe('describeError for decisions', () => {
  it("prints a refused decision's message, a finished run, and an update nobody took", () => {
    const refused = new DecisionRejectedError({
      runId: 'run-1',
      targetId: 'ap-1',
      reason: 'approval ap-1 was already decided',
    });
    expect(describeError(refused, 'run-1', 'default')).toBe(
      'run run-1 refused the decision on ap-1: approval ap-1 was already decided',
    );
    const finished = new WorkflowNotFoundError('workflow execution already completed', 'run-1', undefined);
    expect(describeError(finished, 'run-1', 'default')).toBe(
      'run run-1 has already ended; read its outcome with "result run-1"',
    );
    const timedOut = new WorkflowUpdateRPCTimeoutOrCancelledError('timeout');
    expect(describeError(timedOut, 'run-1', 'default')).toMatch(
      /^run run-1 did not take the decision in time \(no worker answered/,
    );
  });
});

describe('main: approvals, decisions, escalations, cancel, audit', () => {
  const inbox: InboxApproval[] = [{ ...approval, agent: 'support' }];

  it('prints the inbox, as text or JSON, passing --limit through', async () => {
    const text = await runCli(['approvals'], fakeClient({ inbox }));
    expect(text.code).toBe(0);
    expect(text.out).toBe(formatApprovals(inbox));
    expect(text.calls.inbox).toEqual([undefined]);
    expect(text.calls.closed).toBe(1);
    const json = await runCli(['approvals', '--json', '--limit', '7'], fakeClient({ inbox }));
    expect(JSON.parse(json.out)).toEqual({ approvals: inbox, escalations: [], unreachable: [] });
    expect(json.calls.inbox).toEqual([{ limit: 7 }]);
  });

  it('lists the runs that did not answer apart, and still exits 0', async () => {
    const unreachable: UnreachableRun[] = [
      {
        runId: 'run-9',
        taskQueue: 'billing',
        reason: 'no answer within 3 s: no worker is serving task queue "billing", or it is stuck',
      },
    ];
    const text = await runCli(['approvals'], fakeClient({ inbox, unreachable }));
    expect(text.code).toBe(0);
    expect(text.out).toBe(
      [
        formatApprovals(inbox),
        '',
        '1 run waiting for approval did not answer (not listed above):',
        '  run-9: no answer within 3 s: no worker is serving task queue "billing", or it is stuck',
      ].join('\n'),
    );
    const none = await runCli(['approvals'], fakeClient({ unreachable }));
    expect(none.out).toMatch(/^no pending approvals\n\n1 run waiting for approval did not answer/);
    const json = await runCli(['approvals', '--json'], fakeClient({ inbox, unreachable }));
    expect(JSON.parse(json.out)).toEqual({ approvals: inbox, escalations: [], unreachable });
  });

  it('approves by Update and says so, or prints the ack with --json', async () => {
    const { code, out, calls } = await runCli([
      'approve',
      'run-1',
      'ap-1',
      '--as',
      'alice',
      '--groups',
      'support-leads',
      '--comment',
      'ok',
    ]);
    expect(code).toBe(0);
    expect(out).toBe('ap-1 approved on run run-1');
    expect(calls.getHandle).toEqual(['run-1']);
    expect(calls.decide).toEqual([
      {
        runId: 'run-1',
        async: false,
        decision: {
          decision: 'approve',
          approvalId: 'ap-1',
          approver: { id: 'alice', groups: ['support-leads'] },
          comment: 'ok',
        },
      },
    ]);
    const json = await runCli(['approve', 'run-1', 'ap-1', '--as', 'alice', '--json']);
    expect(JSON.parse(json.out)).toEqual({ approvalId: 'ap-1', decision: 'approve' });
  });

  it('rejects and edits by Update', async () => {
    const rejected = await runCli(['reject', 'run-1', 'ap-1', '--as', 'bob', '--reason', 'wrong order']);
    expect(rejected.out).toBe('ap-1 rejected on run run-1');
    expect(rejected.calls.decide[0]?.decision).toEqual({
      decision: 'reject',
      approvalId: 'ap-1',
      approver: { id: 'bob', groups: [] },
      reason: 'wrong order',
    });
    const edited = await runCli(['edit', 'run-1', 'ap-1', '--as', 'bob', '--input', '{"amountCents":100}']);
    expect(edited.code).toBe(0);
    expect(edited.out).toBe('ap-1 approved with edited arguments on run run-1');
    expect(edited.calls.decide[0]?.decision).toMatchObject({ decision: 'edit', input: { amountCents: 100 } });
  });

  it('with --async sends the decision by Signal and says the run has not confirmed it', async () => {
    const { code, out, calls } = await runCli(['reject', 'run-1', 'ap-1', '--as', 'bob', '--reason', 'no', '--async']);
    expect(code).toBe(0);
    expect(calls.decide).toMatchObject([{ runId: 'run-1', async: true, decision: { decision: 'reject' } }]);
    expect(out).toBe('sent: ap-1 rejected on run run-1 (by signal; "audit run-1" shows whether the run applied it)');
    const json = await runCli(['approve', 'run-1', 'ap-1', '--as', 'bob', '--async', '--json']);
    expect(JSON.parse(json.out)).toEqual({ runId: 'run-1', approvalId: 'ap-1', decision: 'approve', sent: 'signal' });
  });

  it("exits 1 with the run's reason when the workflow refuses the decision", async () => {
    const refused = new DecisionRejectedError({
      runId: 'run-1',
      targetId: 'ap-1',
      reason: 'alice is not in group support-leads',
    });
    const { code, out, err, calls } = await runCli(
      ['approve', 'run-1', 'ap-1', '--as', 'alice'],
      fakeClient({ handleError: refused }),
    );
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toBe('error: run run-1 refused the decision on ap-1: alice is not in group support-leads');
    expect(calls.closed).toBe(1);
  });

  it('exits 1 when the run has already ended or does not exist', async () => {
    const finished = new WorkflowNotFoundError('workflow execution already completed', 'run-1', undefined);
    const ended = await runCli(['approve', 'run-1', 'ap-1', '--as', 'alice'], fakeClient({ handleError: finished }));
    expect(ended.code).toBe(1);
    expect(ended.err).toBe('error: run run-1 has already ended; read its outcome with "result run-1"');
    const ghost = await runCli(
      ['cancel', 'ghost'],
      fakeClient({ handleError: new WorkflowNotFoundError('workflow not found', 'ghost', undefined) }),
    );
    expect(ghost.code).toBe(1);
    expect(ghost.err).toBe('error: no run with id "ghost" in namespace default');
  });

  it('exits 2 without connecting for malformed JSON, a missing --as, or a decision that fails local validation', async () => {
    const badJson = await runCli(['edit', 'run-1', 'ap-1', '--as', 'alice', '--input', '{amount: 1}']);
    expect(badJson.code).toBe(2);
    expect(badJson.err).toMatch(/^error: --input is not valid JSON: /);
    const noActor = await runCli(['approve', 'run-1', 'ap-1']);
    expect(noActor.code).toBe(2);
    expect(noActor.err.split('\n')[0]).toBe('error: "approve" needs --as <id>: who is deciding');
    const emptyActor = await runCli(['approve', 'run-1', 'ap-1', '--as', '']);
    expect(emptyActor.code).toBe(2);
    expect(emptyActor.err).toMatch(/^error: invalid decision\n {2}approver\.id: /);
    const emptyReason = await runCli(['end', 'run-1', 'esc-1', '--as', 'alice', '--reason', '']);
    expect(emptyReason.code).toBe(2);
    expect(emptyReason.err).toMatch(/^error: invalid escalation resolution\n {2}reason: /);
    for (const r of [badJson, noActor, emptyActor, emptyReason]) {
      expect(r.calls.connect).toEqual([]);
      expect(r.calls.decide).toEqual([]);
      expect(r.calls.resolve).toEqual([]);
    }
  });

  it('answers, redirects and ends an escalation', async () => {
    const answered = await runCli(['answer', 'run-1', 'esc-1', '--as', 'alice', 'Refund', '$33.12.']);
    expect(answered.code).toBe(0);
    expect(answered.out).toBe('escalation esc-1: answered for run run-1; it ends with this answer');
    expect(answered.calls.resolve).toEqual([
      { runId: 'run-1', resolution: { action: 'answer', escalationId: 'esc-1', by: alice, text: 'Refund $33.12.' } },
    ]);
    const redirected = await runCli(['redirect', 'run-1', 'esc-1', '--as', 'alice', 'Ask', 'first.']);
    expect(redirected.out).toBe('escalation esc-1: redirected run run-1; it carries on');
    expect(redirected.calls.resolve[0]?.resolution).toMatchObject({ action: 'redirect', instruction: 'Ask first.' });
    const ended = await runCli(['end', 'run-1', 'esc-1', '--as', 'alice', '--reason', 'withdrawn', '--json']);
    expect(JSON.parse(ended.out)).toEqual({ escalationId: 'esc-1', action: 'end' });
    expect(ended.calls.resolve[0]?.resolution).toMatchObject({ action: 'end', reason: 'withdrawn' });
  });

  it('exits 1 when the run refuses a resolution', async () => {
    const refused = new DecisionRejectedError({
      runId: 'run-1',
      targetId: 'esc-1',
      reason: 'escalation esc-1 is not open',
    });
    const { code, err } = await runCli(
      ['answer', 'run-1', 'esc-1', '--as', 'alice', 'x'],
      fakeClient({ handleError: refused }),
    );
    expect(code).toBe(1);
    expect(err).toBe('error: run run-1 refused the decision on esc-1: escalation esc-1 is not open');
  });

  it('cancels a run', async () => {
    const { code, out, calls } = await runCli(['cancel', 'run-1']);
    expect(code).toBe(0);
    expect(calls.cancel).toEqual(['run-1']);
    expect(out).toBe('cancellation requested for run run-1; it stops cleanly with the outcome "stopped (cancelled)"');
  });

  it('prints the audit trail, as text or JSON', async () => {
    const audit: AuditEntry[] = [
      {
        seq: 1,
        at: '2030-01-01T00:00:00.000Z',
        step: 1,
        event: 'approved',
        tool: 'refund_order',
        callId: 'c2',
        by: 'human:alice',
      },
    ];
    const text = await runCli(['audit', 'run-1'], fakeClient({ audit }));
    expect(text.code).toBe(0);
    expect(text.out).toBe(formatAudit('run-1', audit));
    const json = await runCli(['audit', '--json', 'run-1'], fakeClient({ audit }));
    expect(JSON.parse(json.out)).toEqual(audit);
  });

  it('shows approvals waiting in status', async () => {
    const { out } = await runCli(
      ['status', 'run-1'],
      fakeClient({ status: { ...status, pendingApprovals: [approval] } }),
    );
    expect(out).toContain('awaiting approval:\n  ap-1: refund_order');
  });

  it('exits 1 for a result that stopped in a loop, 0 for one a human ended', async () => {
    const loop = result({ kind: 'stopped', reason: 'loop_detected', message: 'm', summary: 's' });
    expect((await runCli(['result', 'run-1'], fakeClient({ result: loop }))).code).toBe(1);
    const ended = result({ kind: 'stopped', reason: 'ended_by_human', message: 'm', summary: 's' });
    expect((await runCli(['result', 'run-1'], fakeClient({ result: ended }))).code).toBe(0);
  });
});

/** A readFile that serves these JSON documents by path, and ENOENT for anything else. */
const files = (docs: Record<string, unknown>): Partial<CliDeps> => ({
  readFile: async (path) => {
    if (!(path in docs)) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    const doc = docs[path];
    return typeof doc === 'string' ? doc : JSON.stringify(doc);
  },
});

const call = (extra: Partial<CallRecord>): CallRecord => ({
  seq: 1,
  step: 1,
  purpose: 'step',
  taskClass: 'plan',
  tier: 'strong',
  routeReason: 'plan → strong (default for plan); first step',
  model: 'openai/gpt-4.1',
  outcome: 'ok',
  usage: { input: 100, output: 10, cachedInput: 0, cacheWrite: 0 },
  costUsd: 0.0003,
  ...extra,
});

const refundSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'refund decision',
  type: 'object',
  properties: { approve: { type: 'boolean' }, amountCents: { type: 'integer', minimum: 0 } },
  required: ['approve', 'amountCents'],
  additionalProperties: false,
};

describe('parseCommand: patterns (task, --rag, --routing, --principal, --output-schema)', () => {
  it('reads task with every flag, joining the input words', () => {
    expect(
      parseCommand(
        [
          'task',
          '--class',
          'classify',
          '--instructions',
          'Label it.',
          '--model',
          'openai/gpt-4.1-nano',
          '--output-schema',
          's.json',
          '--run-id',
          't1',
          '--wait',
          '--json',
          'parcel',
          'lost',
        ],
        noEnv,
      ),
    ).toEqual({
      kind: 'task',
      connection: defaults,
      taskClass: 'classify',
      instructions: 'Label it.',
      model: { provider: 'openai', name: 'gpt-4.1-nano' },
      outputSchemaFile: 's.json',
      runId: 't1',
      input: 'parcel lost',
      wait: true,
      json: true,
    });
  });

  it('reads a bare task as an extract on the default model', () => {
    expect(parseCommand(['task', 'Order ord_1, 2 mugs'], noEnv)).toEqual({
      kind: 'task',
      connection: defaults,
      taskClass: 'extract',
      input: 'Order ord_1, 2 mugs',
      wait: false,
      json: false,
    });
    expect(parseCommand(['task', '--routing', 'example', 'x'], noEnv)).toMatchObject({
      kind: 'task',
      routing: 'example',
    });
  });

  it('refuses an unknown task class, --model with --routing, and an empty --routing', () => {
    expect(parseCommand(['task', '--class', 'summarize', 'x'], noEnv)).toEqual({
      error: '--class must be one of plan, act, synthesize, extract, classify, rewrite (got "summarize")',
    });
    expect(parseCommand(['run', '--model', 'openai/gpt-4.1', '--routing', 'r.json', 'x'], noEnv)).toEqual({
      error: 'give --model or --routing, not both',
    });
    expect(parseCommand(['task', '--model', 'openai/gpt-4.1', '--routing', 'example', 'x'], noEnv)).toEqual({
      error: 'give --model or --routing, not both',
    });
    expect(parseCommand(['run', '--routing=', 'x'], noEnv)).toEqual({
      error: '--routing needs a JSON file or "example"',
    });
  });

  it('reads run --rag with k, min score and the weak-context policy', () => {
    expect(
      parseCommand(
        ['run', '--rag', '--k', '3', '--min-score', '0.5', '--on-weak', 'escalate', 'Can', 'I', 'return', 'it?'],
        noEnv,
      ),
    ).toEqual({
      kind: 'run',
      connection: defaults,
      retrieval: { k: 3, minScore: 0.5, onWeak: 'escalate' },
      task: 'Can I return it?',
      wait: false,
      json: false,
    });
    expect(parseCommand(['run', '--rag', 'x'], noEnv)).toMatchObject({ kind: 'run', retrieval: {} });
  });

  it('requires --rag for its options and checks their values', () => {
    expect(parseCommand(['run', '--k', '3', 'x'], noEnv)).toEqual({ error: '--k needs --rag' });
    expect(parseCommand(['run', '--on-weak', 'degrade', 'x'], noEnv)).toEqual({ error: '--on-weak needs --rag' });
    for (const bad of ['0', '21', '2.5', 'four']) {
      expect(parseCommand(['run', '--rag', '--k', bad, 'x'], noEnv)).toEqual({
        error: `--k must be a whole number from 1 to 20 (got "${bad}")`,
      });
    }
    for (const bad of ['-1', 'high', '']) {
      expect(parseCommand(['run', '--rag', `--min-score=${bad}`, 'x'], noEnv)).toEqual({
        error: `--min-score must be a number >= 0 (got "${bad}")`,
      });
    }
    expect(parseCommand(['run', '--rag', '--on-weak', 'guess', 'x'], noEnv)).toEqual({
      error: '--on-weak must be one of broaden, degrade, escalate (got "guess")',
    });
  });

  it('reads run --routing, --principal and --output-schema as file paths', () => {
    expect(
      parseCommand(['run', '--routing', 'example', '--principal', 'p.json', '--output-schema', 's.json', 'x'], noEnv),
    ).toEqual({
      kind: 'run',
      connection: defaults,
      routing: 'example',
      principalFile: 'p.json',
      outputSchemaFile: 's.json',
      task: 'x',
      wait: false,
      json: false,
    });
  });

  it('keeps run-only and task-only flags apart', () => {
    expect(parseCommand(['task', '--rag', 'x'], noEnv)).toEqual({ error: '--rag does not apply to "task"' });
    expect(parseCommand(['task', '--agent', 'a.json', 'x'], noEnv)).toEqual({
      error: '--agent does not apply to "task"',
    });
    expect(parseCommand(['task', '--principal', 'p.json', 'x'], noEnv)).toEqual({
      error: '--principal does not apply to "task"',
    });
    expect(parseCommand(['run', '--class', 'classify', 'x'], noEnv)).toEqual({
      error: '--class does not apply to "run"',
    });
    expect(parseCommand(['run', '--instructions', 'x', 'y'], noEnv)).toEqual({
      error: '--instructions does not apply to "run"',
    });
    expect(parseCommand(['status', '--routing', 'example', 'r'], noEnv)).toEqual({
      error: '--routing does not apply to "status"',
    });
  });
});

describe('the example routing table', () => {
  it('routes strong work to claude-haiku-4-5 then gpt-4.1, cheap work to gpt-4.1-mini, over the providers given', () => {
    expect(exampleRouting(['openai', 'anthropic'])).toEqual({
      tiers: {
        strong: {
          chain: [
            { provider: 'anthropic', name: 'claude-haiku-4-5' },
            { provider: 'openai', name: 'gpt-4.1' },
          ],
        },
        cheap: {
          chain: [
            { provider: 'openai', name: 'gpt-4.1-mini' },
            { provider: 'anthropic', name: 'claude-haiku-4-5' },
          ],
        },
      },
    });
    expect(exampleRouting(['openai'])).toEqual({
      tiers: {
        strong: { chain: [{ provider: 'openai', name: 'gpt-4.1' }] },
        cheap: { chain: [{ provider: 'openai', name: 'gpt-4.1-mini' }] },
      },
    });
    expect(exampleRouting(['openai-compatible']).tiers.cheap?.chain).toEqual([
      { provider: 'openai-compatible', name: 'llama3.1' },
    ]);
    expect(() => exampleRouting([])).toThrow(/at least one provider/);
  });

  it('takes the providers whose keys or URLs are set, openai when none is', () => {
    expect(providersFromEnv({})).toEqual(['openai']);
    expect(providersFromEnv({ OPENAI_API_KEY: ' ', ANTHROPIC_API_KEY: 'k' })).toEqual(['anthropic']);
    expect(
      providersFromEnv({
        OPENAI_BASE_URL: 'http://fake',
        ANTHROPIC_BASE_URL: 'http://fake',
        OPENAI_COMPATIBLE_BASE_URL: 'http://vllm',
      }),
    ).toEqual(['anthropic', 'openai', 'openai-compatible']);
  });
});

describe('formatResult: models, retrieved chunks, single tasks', () => {
  it('lists the models that served the calls by tier, counting failures apart', () => {
    const calls = [
      call({ seq: 1 }),
      call({ seq: 2, step: 2, taskClass: 'act', tier: 'cheap', model: 'openai/gpt-4.1-mini', outcome: 'rate_limited' }),
      call({ seq: 3, step: 2, taskClass: 'act', tier: 'cheap', model: 'openai/gpt-4.1-mini' }),
      call({ seq: 4, step: 3, taskClass: 'act', tier: 'cheap', model: 'openai/gpt-4.1-mini' }),
    ];
    expect(formatModelsUsed(calls)).toBe('openai/gpt-4.1 (strong) ×1, openai/gpt-4.1-mini (cheap) ×2 (+1 failed)');
    // One model on one tier (a single-model agent): the tier says nothing.
    expect(formatModelsUsed([call({}), call({ seq: 2, outcome: 'timeout' })])).toBe('openai/gpt-4.1 ×1 (+1 failed)');
    // One model serving two tiers: the tiers show.
    expect(formatModelsUsed([call({}), call({ seq: 2, tier: 'cheap' })])).toBe(
      'openai/gpt-4.1 (strong) ×1, openai/gpt-4.1 (cheap) ×1',
    );
    const text = formatResult(result({ kind: 'answer', text: 'x', truncated: false }, { calls }));
    expect(text.split('\n').slice(-2)).toEqual([
      'models: openai/gpt-4.1 (strong) ×1, openai/gpt-4.1-mini (cheap) ×2 (+1 failed)',
      'run run-1 (agent support-example)',
    ]);
  });

  it('says when the knowledge base did not cover the question and no model was asked', () => {
    const degraded = result(
      {
        kind: 'answer',
        text: 'This is not in the knowledge base.',
        truncated: false,
        answeredBy: 'policy:not_in_knowledge_base',
      },
      { steps: 0, modelCalls: 0, toolCalls: 0 },
    );
    expect(formatResult(degraded)).toMatch(
      /^answer \(not in the knowledge base; no model was asked\):\nThis is not in the knowledge base\.\n/,
    );
  });

  it('names the knowledge-base chunks the run was given, each once', () => {
    const retrieved = { indexVersion: 'idx9', ids: ['returns#aa', 'refunds#bb'] };
    const text = formatResult(
      result(
        { kind: 'answer', text: 'x', truncated: false },
        { calls: [call({ retrieved }), call({ seq: 2, retrieved })] },
      ),
    );
    expect(text).toContain('\nretrieved: returns#aa, refunds#bb (index idx9)\nrun run-1');
  });

  it('prints a single task with its calls, tokens and cost, and its own footer', () => {
    const t = taskResult(
      { kind: 'answer', text: 'shipping', truncated: false },
      { calls: [call({ taskClass: 'classify', tier: 'cheap', model: 'openai/gpt-4.1-mini', purpose: 'task' })] },
    );
    expect(formatResult(t)).toBe(
      [
        'answer:',
        'shipping',
        '',
        '1 model call, 80 input / 12 output tokens, $0.000051',
        'models: openai/gpt-4.1-mini ×1',
        'task task-1 (task-classify)',
      ].join('\n'),
    );
    expect(resultExitCode(t)).toBe(0);
    expect(resultExitCode(taskResult({ kind: 'escalated', reason: 'invalid_output', message: 'm' }))).toBe(1);
  });

  it('names an output contract from the schema title or the file name', () => {
    expect(contractName('refund decision', 'x.json')).toBe('refund_decision');
    expect(contractName(undefined, 'schemas/ticket.schema.json')).toBe('ticket_schema');
    expect(contractName('', '/tmp/.json')).toBe('output');
    expect(contractName('x'.repeat(100), 'a.json')).toHaveLength(64);
  });
});

describe('main: patterns', () => {
  it('runs a single task (default instructions for its class, default model) and prints its outcome', async () => {
    const { code, out, err, calls } = await runCli([
      'task',
      '--class',
      'classify',
      '--wait',
      '--run-id',
      'task-1',
      'My',
      'parcel',
      'never',
      'arrived',
    ]);
    expect(code).toBe(0);
    expect(err).toBe('started task task-1; waiting for its result ...');
    expect(out).toBe(formatResult(taskResult({ kind: 'answer', text: 'shipping', truncated: false })));
    expect(calls.start).toEqual([]);
    const input = calls.startTask[0] as TaskInput;
    expect(input).toMatchObject({
      name: 'task-classify',
      taskClass: 'classify',
      input: 'My parcel never arrived',
      model: { provider: 'openai', name: 'gpt-4.1-mini' },
      runId: 'task-1',
      instructions: expect.stringMatching(/^Classify the input/),
    });
    // Validated: defaults and pinned prices are filled in before the client sees it.
    expect(input.maxOutputTokens).toBe(1024);
    expect(input.prices?.['gpt-4.1-mini']).toBeDefined();
    expect(calls.closed).toBe(1);
  });

  it('prints only the task id without --wait, as text or JSON, and the whole result with --wait --json', async () => {
    expect((await runCli(['task', 'x'], fakeClient({ runId: 'task-7' }))).out).toBe('task-7');
    expect(JSON.parse((await runCli(['task', '--json', 'x'], fakeClient({ runId: 'task-7' }))).out)).toEqual({
      runId: 'task-7',
    });
    const json = await runCli(['task', '--wait', '--json', '--run-id', 'task-8', 'x']);
    expect(json.err).toBe('');
    expect(JSON.parse(json.out)).toMatchObject({ runId: 'task-8', task: 'task-classify', outcome: { kind: 'answer' } });
  });

  it('sends a task with its own instructions, the example routing and an output contract from a JSON Schema', async () => {
    const { code, calls } = await runCli(
      [
        'task',
        '--instructions',
        'Pull out the order.',
        '--routing',
        'example',
        '--output-schema',
        'refund.json',
        'Refund',
        'ord_1',
      ],
      fakeClient(),
      { ...files({ 'refund.json': refundSchema }), env: { OPENAI_API_KEY: 'k', ANTHROPIC_API_KEY: 'k' } },
    );
    expect(code).toBe(0);
    const input = calls.startTask[0] as TaskInput;
    expect(input.instructions).toBe('Pull out the order.');
    expect(input.model).toBeUndefined();
    expect(input.routing?.tiers.cheap?.chain).toEqual([
      { provider: 'openai', name: 'gpt-4.1-mini' },
      { provider: 'anthropic', name: 'claude-haiku-4-5' },
    ]);
    const { $schema: _dialect, ...schema } = refundSchema;
    expect(input.output).toMatchObject({ name: 'refund_decision', schema, maxRepairs: 2 });
  });

  it('exits 1 for a task that ended escalated, and prints a task result through "result"', async () => {
    const escalated = taskResult({ kind: 'escalated', reason: 'invalid_output', message: 'no valid JSON' });
    const viaTask = await runCli(['task', '--wait', 'x'], fakeClient({ taskResult: escalated }));
    expect(viaTask.code).toBe(1);
    expect(viaTask.out).toMatch(/^escalated to a human \(invalid output\): no valid JSON\n/);
    const viaResult = await runCli(['result', 'task-1'], fakeClient({ result: escalated as unknown as RunResult }));
    expect(viaResult.code).toBe(1);
    expect(viaResult.out.split('\n').at(-1)).toBe('task task-1 (task-classify)');
  });

  it('exits 2 without connecting for an empty task input, an unreadable schema and a schema Bosun cannot check', async () => {
    const empty = await runCli(['task', '--wait']);
    expect(empty.code).toBe(2);
    expect(empty.err).toMatch(/^error: invalid task input\n {2}input: /);
    const missing = await runCli(['task', '--output-schema', 'nope.json', 'x']);
    expect(missing.code).toBe(2);
    expect(missing.err).toBe(
      "error: cannot read output schema file nope.json: ENOENT: no such file or directory, open 'nope.json'",
    );
    const notObject = await runCli(
      ['task', '--output-schema', 's.json', 'x'],
      fakeClient(),
      files({ 's.json': [1, 2] }),
    );
    expect(notObject.err).toBe('error: output schema file s.json must hold a JSON Schema object');
    const unusable = await runCli(
      ['task', '--output-schema', 's.json', 'x'],
      fakeClient(),
      files({ 's.json': { type: 'widget' } }),
    );
    expect(unusable.code).toBe(2);
    expect(unusable.err).toMatch(/^error: output schema file s\.json is not a JSON Schema Bosun can check: /);
    for (const r of [empty, missing, notObject, unusable]) expect(r.calls.connect).toEqual([]);
  });

  it('with --rag sets the agent retrieval, defaults filled in', async () => {
    const { code, calls } = await runCli([
      'run',
      '--rag',
      '--k',
      '3',
      '--on-weak',
      'escalate',
      'Can I return an opened mug?',
    ]);
    expect(code).toBe(0);
    const input = calls.start[0] as DefinedRunInput;
    expect(input.agent.retrieval).toEqual({
      k: 3,
      onWeak: 'escalate',
      degradeAnswer: expect.stringContaining('not in the knowledge base'),
    });
    expect(input.agent).toMatchObject({ name: 'support-example', tools: ['search_docs', 'read_doc', 'calculator'] });
    const plain = await runCli(['run', '--rag', '--min-score', '1.5', 'x']);
    expect((plain.calls.start[0] as DefinedRunInput).agent.retrieval).toMatchObject({
      k: 4,
      minScore: 1.5,
      onWeak: 'degrade',
    });
  });

  it('merges --rag over an agent file retrieval', async () => {
    const agent = {
      name: 'kb',
      instructions: 'Answer from the documents.',
      model: { provider: 'openai', name: 'gpt-4.1' },
      retrieval: { k: 8, minScore: 2 },
    };
    const { calls } = await runCli(
      ['run', '--agent', 'kb.json', '--rag', '--k', '2', 'x'],
      fakeClient(),
      files({ 'kb.json': agent }),
    );
    expect((calls.start[0] as DefinedRunInput).agent.retrieval).toMatchObject({ k: 2, minScore: 2 });
  });

  it('with --routing example routes the example agent over the providers set in the environment, with no single model', async () => {
    const { code, calls } = await runCli(['run', '--routing', 'example', 'x'], fakeClient(), {
      env: { ANTHROPIC_API_KEY: 'k', OPENAI_API_KEY: 'k' },
    });
    expect(code).toBe(0);
    const agent = (calls.start[0] as DefinedRunInput).agent;
    expect(agent.model).toBeUndefined();
    expect(agent.routing?.tiers.strong?.chain.map((m) => m.name)).toEqual(['claude-haiku-4-5', 'gpt-4.1']);
    expect(agent.routing?.tiers.cheap?.chain.map((m) => m.name)).toEqual(['gpt-4.1-mini', 'claude-haiku-4-5']);
    // Prices of every routed model are pinned at start.
    expect(Object.keys(agent.prices ?? {}).sort()).toEqual(['claude-haiku-4-5', 'gpt-4.1', 'gpt-4.1-mini']);
    const openaiOnly = await runCli(['run', '--routing', 'example', 'x']);
    expect((openaiOnly.calls.start[0] as DefinedRunInput).agent.routing?.tiers.strong?.chain).toEqual([
      { provider: 'openai', name: 'gpt-4.1' },
    ]);
  });

  it('with --routing file.json replaces the model of the example agent or of an agent file', async () => {
    const routing = {
      tiers: { strong: { chain: [{ provider: 'openai', name: 'gpt-4.1' }] } },
      classes: { act: 'strong' },
    };
    const agent = { name: 'billing', instructions: 'Be exact.', model: { provider: 'openai', name: 'gpt-4.1-mini' } };
    const deps = files({ 'r.json': routing, 'a.json': agent });
    const example = await runCli(['run', '--routing', 'r.json', 'x'], fakeClient(), deps);
    expect((example.calls.start[0] as DefinedRunInput).agent).toMatchObject({
      name: 'support-example',
      routing: { ...routing, tiers: { strong: { attemptsPerModel: 3 } } },
    });
    const fromFile = await runCli(['run', '--agent', 'a.json', '--routing', 'r.json', 'x'], fakeClient(), deps);
    const a = (fromFile.calls.start[0] as DefinedRunInput).agent;
    expect(a).toMatchObject({ name: 'billing', routing: { classes: { act: 'strong' } } });
    expect(a.model).toBeUndefined();
  });

  it('exits 2 for a routing file that is missing or invalid, naming the routing fields', async () => {
    const missing = await runCli(['run', '--routing', 'r.json', 'x']);
    expect(missing.code).toBe(2);
    expect(missing.err).toBe(
      "error: cannot read routing file r.json: ENOENT: no such file or directory, open 'r.json'",
    );
    const invalid = await runCli(
      ['run', '--routing', 'r.json', 'x'],
      fakeClient(),
      files({ 'r.json': { tiers: { fast: { chain: [] } } } }),
    );
    expect(invalid.code).toBe(2);
    expect(invalid.err).toMatch(/^error: invalid run input\n {2}agent\.routing\.tiers/);
    expect(invalid.calls.connect).toEqual([]);
  });

  it('runs for the --principal given, and exits 2 for an invalid one', async () => {
    const principal = { tenant: 'acme', user: 'u-7', scopes: ['orders:read'] };
    const ok = await runCli(['run', '--principal', 'p.json', 'x'], fakeClient(), files({ 'p.json': principal }));
    expect((ok.calls.start[0] as DefinedRunInput).principal).toEqual({ ...principal, roles: [], attributes: {} });
    const bad = await runCli(['run', '--principal', 'p.json', 'x'], fakeClient(), files({ 'p.json': { user: '' } }));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^error: invalid run input\n {2}principal\.user: /);
  });

  it('runs with an output contract from --output-schema', async () => {
    const { calls } = await runCli(
      ['run', '--output-schema', 'refund.json', 'x'],
      fakeClient(),
      files({ 'refund.json': refundSchema }),
    );
    expect((calls.start[0] as DefinedRunInput).output).toMatchObject({
      name: 'refund_decision',
      schema: { type: 'object', required: ['approve', 'amountCents'] },
    });
    expect((calls.start[0] as DefinedRunInput).output?.schema).not.toHaveProperty('$schema');
  });
});

const sampleStats: RunStats = {
  window: { since: '2026-11-27T00:00:00.000Z', until: '2026-11-28T00:00:00.000Z', agent: 'support' },
  runs: 10,
  running: 1,
  finished: 9,
  outcomes: { completed: 7, failed: 1, escalated: 1 },
  answeredBy: { model: 5, human: 1, policy: 1, other: 0, unknown: 0 },
  successRate: 0.5556,
  humanAnswerRate: 0.1111,
  policyAnswerRate: 0.1111,
  latencyMs: { runs: 9, p50: 1_500, p95: 4_200 },
  latencyExclHumanMs: { runs: 6, p50: 1_200, p95: 3_100 },
  timeoutRate: 0.1111,
  humanTimeoutRate: 0,
  callTimeoutRate: 0.2222,
  costUsd: 0.0042,
  costPerCompletedUsd: 0.00084,
  costPerRunUsd: 0.000467,
  validation: { runs: 4, successRate: 0.75, firstTryRate: 0.5 },
  escalationRate: 0.2222,
  retrieval: { runs: 3, relevantRate: 0.6667 },
  notes: ['latency without human wait covers 6 of 9 run(s): the others do not record their human wait'],
  unpriced: { calls: 0, runs: 0, models: [] },
};

describe('stats', () => {
  it('reads a window as a duration or a date, and an agent filter', () => {
    const now = new Date('2026-11-28T12:00:00Z');
    expect(parseSince('24h', now)).toEqual(new Date('2026-11-27T12:00:00Z'));
    expect(parseSince('7d', now)).toEqual(new Date('2026-11-21T12:00:00Z'));
    expect(parseSince('90m', now)).toEqual(new Date('2026-11-28T10:30:00Z'));
    expect(parseSince('2026-11-01', now)).toEqual(new Date('2026-11-01T00:00:00Z'));
    expect(parseSince('soon', now)).toBeUndefined();
    const cmd = parseCommand(['stats', '--since', '7d', '--agent', 'support', '--json'], {});
    expect(cmd).toMatchObject({ kind: 'stats', agent: 'support', json: true });
    expect(parseCommand(['stats', '--since', 'soon'], {})).toEqual({ error: expect.stringContaining('--since') });
    expect(parseCommand(['stats', 'extra'], {})).toEqual({ error: '"stats" takes no arguments, got extra' });
  });

  it('prints every business figure, or the report as JSON', async () => {
    const { client, calls } = fakeClient();
    const out: string[] = [];
    const code = await main(['stats', '--agent', 'support'], {
      connect: async () => client,
      out: (t) => out.push(t),
      err: () => {},
      readFile: async () => '',
      env: {},
    });
    expect(code).toBe(0);
    expect(calls.stats[0]!.agent).toBe('support');
    const text = out.join('\n');
    expect(text).toContain(
      'task success rate: 55.6% (5 answered by the model); answered by a human 11.1% (1), by a policy 11.1% (1)',
    );
    expect(text).toContain(
      'latency: p50 1.50 s, p95 4.20 s (9 runs); without human wait p50 1.20 s, p95 3.10 s (6 runs); timeout rate 11.1%, human timeout rate 0.0%, runs with a model-call timeout 22.2%',
    );
    expect(text).toContain('cost: $0.004200 in all, $0.000840 per completed task, $0.000467 per run');
    expect(text).toContain('schema validation: 4 run(s) with a contract, 75.0% valid, 50.0% on the first try');
    expect(text).toContain('human escalation rate: 22.2%');
    expect(text).toContain(
      'retrieval quality: 3 run(s) with retrieval, 66.7% passed the relevance threshold (offline recall@k and MRR: npm run eval-retrieval)',
    );
    expect(text).toContain(
      'note: latency without human wait covers 6 of 9 run(s): the others do not record their human wait',
    );
    expect(formatStats(sampleStats)).toBe(text);
    expect(text).not.toContain('cost unknown');
    expect(
      formatStats({ ...sampleStats, unpriced: { calls: 3, runs: 2, models: ['openai/gpt-9', 'openai/gpt-x'] } }),
    ).toContain(
      "\ncost unknown for 3 calls in 2 runs: models openai/gpt-9, openai/gpt-x have no price (set its price in the agent's `prices`)\n",
    );
  });

  it('runs as the program entry (`node client/cli.ts stats`), as text and as JSON', () => {
    // The entry, not `main`: a fault that only shows when the module starts the command
    // itself (a top-level `await main()` reaching a `const` not yet evaluated) fails here.
    const bosun = (...args: string[]) =>
      spawnSync(
        process.execPath,
        ['--import', fileURLToPath(new URL('../helpers/cli-entry-hook.ts', import.meta.url)), cliEntry, ...args],
        {
          encoding: 'utf8',
          timeout: 15_000,
        },
      );
    const text = bosun('stats');
    expect(text.stderr).toBe('');
    expect(text.status).toBe(0);
    expect(text.stdout).toBe(`${formatStats(cliEntryStats)}\n`);
    const json = bosun('stats', '--json');
    expect(json.stderr).toBe('');
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(cliEntryStats);
  });
});

describe('mcp list', () => {
  const inventory: McpInventory = {
    worker: '42@host',
    servers: [
      {
        server: 'files',
        transport: 'stdio: node server.js /data',
        state: 'connected',
        pid: 4242,
        tools: [
          {
            name: 'files__read_text_file',
            tool: 'read_text_file',
            description: 'Read a file as text.',
            inputSchema: {
              type: 'object',
              properties: { path: { type: 'string' }, head: { type: 'number' } },
              required: ['path'],
            },
            annotations: { readOnlyHint: true },
            schemaHash: '0123456789abcdef',
            policy: {
              effect: 'read',
              scopes: ['files:read'],
              approval: 'never',
              approvalOptions: { timeoutMs: 1000, onTimeout: 'deny' },
              maxAttempts: 3,
              maxResultChars: 8000,
              pathArguments: ['path'],
            },
          },
        ],
        warnings: ['settings for "wirte_file", which the server does not list'],
      },
      {
        server: 'down',
        transport: 'http: http://127.0.0.1:9/mcp (headers Authorization: Bearer $TOKEN)',
        state: 'unreachable',
        error: 'fetch failed (ECONNREFUSED)',
        tools: [],
        warnings: [],
      },
    ],
  };

  it('parses its one subcommand and its flags', () => {
    expect(parseCommand(['mcp', 'list', '--json', '--timeout', '5'], {})).toMatchObject({
      kind: 'mcp',
      json: true,
      timeoutMs: 5000,
    });
    expect(parseCommand(['mcp'], {})).toEqual({ error: '"mcp" takes one subcommand: list' });
    expect(parseCommand(['mcp', 'list', '--timeout', 'soon'], {})).toEqual({
      error: expect.stringContaining('--timeout'),
    });
    expect(parseCommand(['mcp', 'list', '--agent', 'x'], {})).toEqual({ error: '--agent does not apply to "mcp"' });
  });

  it('prints each server, its state, its tools with schema, scopes and policy; exits 1 when one is down', async () => {
    const { code, out } = await runCli(['mcp', 'list'], fakeClient({ mcpInventory: inventory }));
    expect(code).toBe(1);
    expect(out).toContain('files · stdio: node server.js /data · connected (pid 4242)');
    expect(out).toContain(
      '  - files__read_text_file  [read; approval never; scopes files:read; 3 attempt(s); schema 0123456789abcdef]',
    );
    expect(out).toContain('      input: { path: string, head?: number }');
    expect(out).toContain('      annotations: readOnly=true');
    expect(out).toContain('  warning: settings for "wirte_file", which the server does not list');
    expect(out).toContain('down · http: http://127.0.0.1:9/mcp (headers Authorization: Bearer $TOKEN) · UNREACHABLE');
    expect(out).toContain('  error: fetch failed (ECONNREFUSED)');
    const json = await runCli(
      ['mcp', 'list', '--json'],
      fakeClient({ mcpInventory: { ...inventory, servers: [inventory.servers[0]!] } }),
    );
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toEqual({ ...inventory, servers: [inventory.servers[0]] });
  });
});

describe('watch', () => {
  const at = 1_700_000_000_000;
  const events: RunEvent[] = [
    { type: 'run_started', agent: 'support', continuation: 0, offset: 0, at, step: 0 },
    { type: 'step_started', offset: 1, at, step: 1 },
    { type: 'model_started', call: 1, model: 'openai/gpt-4.1', purpose: 'step', offset: 2, at, step: 1 },
    { type: 'model_delta', call: 1, attempt: 1, text: 'Your ord', offset: 3, at, step: 1 },
    { type: 'model_delta', call: 1, attempt: 2, text: 'Your order ', offset: 4, at, step: 1 },
    { type: 'model_delta', call: 1, attempt: 2, text: 'ship', offset: 5, at, step: 1 },
    {
      type: 'model_finished',
      call: 1,
      attempt: 2,
      model: 'openai/gpt-4.1',
      outcome: 'ok',
      text: 'Your order shipped.',
      inputTokens: 120,
      outputTokens: 5,
      costUsd: 0.00028,
      latencyMs: 412,
      offset: 6,
      at,
      step: 1,
    },
    { type: 'step_finished', offset: 7, at, step: 1 },
    { type: 'run_ended', outcome: 'answer', text: 'Your order shipped.', offset: 8, at, step: 1 },
  ];

  it('renders the streamed answer and says that a retried attempt superseded the first', async () => {
    const { code, written, calls } = await runCli(['watch', 'run-1'], fakeClient({ events }));
    expect(code).toBe(0);
    expect(calls.events).toEqual([{ runId: 'run-1' }]);
    expect(written).toContain('run started · agent support');
    expect(written).toContain('│ Your ord\n');
    expect(written).toContain("↻ attempt 2 of call 1 (attempt 1's partial answer superseded)");
    // The tail the stream did not carry comes from model_finished.
    expect(written).toContain('│ Your order shipped.\n');
    expect(written).toContain('✓ 120 in / 5 out · $0.000280 · 412 ms · attempt 2');
    expect(written.trimEnd().endsWith('run ended: answer\nYour order shipped.')).toBe(true);
  });

  it('prints one JSON event per line with --json, and resumes from --from', async () => {
    const { code, out, calls } = await runCli(['watch', 'run-1', '--json', '--from', '6'], fakeClient({ events }));
    expect(code).toBe(0);
    expect(calls.events).toEqual([{ runId: 'run-1', from: 6 }]);
    expect(out.split('\n').map((l) => (JSON.parse(l) as RunEvent).offset)).toEqual([6, 7, 8]);
  });

  it('shows a whole answer that was not streamed, and exits 1 when the run did not answer', async () => {
    const quiet: RunEvent[] = [
      { ...events[2]!, offset: 0 },
      { ...(events[6] as RunEvent), offset: 1 },
      { type: 'run_ended', outcome: 'escalated', reason: 'refused', offset: 2, at, step: 1 },
    ];
    const { code, written } = await runCli(['watch', 'run-1'], fakeClient({ events: quiet }));
    expect(code).toBe(1);
    expect(written).toContain('│ Your order shipped.\n');
    expect(written).toContain('run ended: escalated (refused)');
  });

  it('refuses a bad offset before connecting', async () => {
    const { code, err, calls } = await runCli(['watch', 'run-1', '--from', '1.5']);
    expect(code).toBe(2);
    expect(err).toContain('--from takes an event offset');
    expect(calls.connect).toEqual([]);
  });
});

describe('forget and erasures', () => {
  it('forget needs --as and one run id', async () => {
    expect(parseCommand(['forget', 'r1'])).toEqual({ error: expect.stringContaining('--as') });
    expect(parseCommand(['forget', '--as', 'ops'])).toEqual({ error: expect.stringContaining('one run id') });
    expect(parseCommand(['erasures', '--limit', '0'])).toEqual({ error: expect.stringContaining('--limit') });
  });

  it('forget erases through the client and prints the counts', async () => {
    const fake = fakeClient();
    const { code, out } = await runCli(['forget', 'r1', '--as', 'ops'], fake);
    expect(code).toBe(0);
    expect(fake.calls.forget).toEqual([{ runId: 'r1', by: 'ops' }]);
    expect(out).toContain('forgot r1: 5 message(s), 1 summary(ies), 2 content(s), 7 trace record(s)');
  });

  it('an open run is refused with exit 1 and the reason', async () => {
    const fake = fakeClient({ forgetError: new RunStillOpenError('r1', 'run r1 is still open: only a closed run') });
    const { code, err } = await runCli(['forget', 'r1', '--as', 'ops'], fake);
    expect(code).toBe(1);
    expect(err).toContain('run r1 is still open');
  });
});

describe('a flag without its value', () => {
  it('names the command, so its own usage is shown rather than the whole help', () => {
    expect(parseCommandLine(['trace', 'run-1', '--step'])).toEqual({
      name: 'trace',
      result: { error: expect.stringMatching(/--step <value>' argument missing/) },
    });
    expect(parseCommandLine(['--since']).name).toBeUndefined();
  });
});
