import { describe, expect, it } from 'vitest';
import { ServiceError, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, RetryState, TerminatedFailure, WorkflowNotFoundError } from '@temporalio/common';
import { describeError, formatResult, formatStatus, main, parseCommand, parseModelRef, resultExitCode, usage, type CliClient, type CliDeps, type ConnectOptions } from '../../client/cli.ts';
import { RunAlreadyExistsError } from '../../client/errors.ts';
import type { RunHandle } from '../../client/client.ts';
import type { RunInput, RunInputInit, RunResult, RunStatus } from '../../core/run.ts';

const noEnv = {};
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
};

describe('parseCommand', () => {
  it('reads run with every flag, joining the task words', () => {
    expect(
      parseCommand(['run', '--agent', 'a.json', '--model', 'anthropic/claude-haiku-4-5', '--run-id', 'r1', '--wait', '--json', 'refund', '2', 'mugs'], noEnv),
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
    expect(parseCommand(['run'], noEnv)).toEqual({ kind: 'run', connection: defaults, task: '', wait: false, json: false });
  });

  it('keeps words after -- as task text even when they look like flags', () => {
    expect(parseCommand(['run', '--', 'explain', '--wait'], noEnv)).toMatchObject({ kind: 'run', task: 'explain --wait', wait: false });
  });

  it('reads status and result with one run id', () => {
    expect(parseCommand(['status', 'run-1'], noEnv)).toEqual({ kind: 'status', connection: defaults, runId: 'run-1', json: false });
    expect(parseCommand(['result', '--json', 'run-1'], noEnv)).toEqual({ kind: 'result', connection: defaults, runId: 'run-1', json: true });
  });

  it('takes connection settings from flags over the environment over defaults', () => {
    const env = { TEMPORAL_ADDRESS: 'env-host:7233', TEMPORAL_NAMESPACE: 'env-ns', BOSUN_TASK_QUEUE: 'env-q' };
    expect(parseCommand(['status', 'r'], env)).toMatchObject({ connection: { address: 'env-host:7233', namespace: 'env-ns', taskQueue: 'env-q' } });
    expect(parseCommand(['--address', 'flag-host:1', 'status', 'r', '--namespace', 'ns', '--task-queue', 'q'], env)).toMatchObject({
      connection: { address: 'flag-host:1', namespace: 'ns', taskQueue: 'q' },
    });
    expect(parseCommand(['status', 'r'], { TEMPORAL_ADDRESS: '' })).toMatchObject({ connection: defaults });
  });

  it('treats no command, help, --help and -h as help', () => {
    for (const argv of [[], ['help'], ['--help'], ['run', '-h', 'task']]) expect(parseCommand(argv, noEnv)).toEqual({ kind: 'help' });
  });

  it('rejects an unknown command, an unknown flag and a flag without its value', () => {
    expect(parseCommand(['frobnicate'], noEnv)).toEqual({ error: 'unknown command "frobnicate"' });
    expect(parseCommand(['run', '--frob', 'x'], noEnv)).toMatchObject({ error: expect.stringContaining('--frob') });
    expect(parseCommand(['run', '--agent'], noEnv)).toMatchObject({ error: expect.stringContaining('--agent') });
  });

  it('rejects run-only flags on status and result', () => {
    expect(parseCommand(['status', '--wait', 'r'], noEnv)).toEqual({ error: '--wait does not apply to "status"' });
    expect(parseCommand(['result', '--agent', 'a.json', 'r'], noEnv)).toEqual({ error: '--agent does not apply to "result"' });
  });

  it('requires exactly one run id for status and result', () => {
    expect(parseCommand(['status'], noEnv)).toEqual({ error: '"status" needs a run id' });
    expect(parseCommand(['result', 'a', 'b'], noEnv)).toEqual({ error: '"result" takes one run id, got 2 arguments' });
  });

  it('rejects a model without a known provider or a name', () => {
    for (const bad of ['gpt-4.1', 'acme/model', 'openai/', '/gpt']) {
      expect(parseCommand(['run', '--model', bad, 'task'], noEnv)).toMatchObject({ error: expect.stringContaining(`"${bad}"`) });
    }
  });
});

describe('parseModelRef', () => {
  it('splits at the first slash so model names may contain slashes', () => {
    expect(parseModelRef('openai-compatible/meta-llama/Llama-3.1-8B')).toEqual({ provider: 'openai-compatible', name: 'meta-llama/Llama-3.1-8B' });
  });
});

describe('formatStatus', () => {
  it('shows phase, step of max, tokens, calls, pending work and the last five events', () => {
    expect(formatStatus(status)).toBe(
      [
        'run run-1 (agent support-example)',
        'phase: running tools, step 2 of 6',
        'usage: 900 input (400 cached) / 120 output tokens; 2 model calls, 1 tool call',
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

  it('falls back to the last event when the status has no event list', () => {
    expect(formatStatus({ ...status, recentEvents: [] })).toMatch(/\npending: [^\n]+\nlast event: step 2: model asked for calculator$/);
    const { recentEvents: _omitted, ...older } = status;
    expect(formatStatus(older as RunStatus)).toMatch(/\nlast event: step 2: model asked for calculator$/);
  });

  it('names a pending model call and the outcome of a finished run', () => {
    const waiting = formatStatus({ ...status, phase: 'calling_model', pending: [{ kind: 'model_call', step: 3, model: 'openai/gpt-4.1-mini' }] });
    expect(waiting).toContain('pending: model call to openai/gpt-4.1-mini (step 3)');
    const done = formatStatus({ ...status, phase: 'completed', pending: [], outcome: 'budget_exhausted' });
    expect(done).toContain('phase: completed, step 2 of 6, outcome: budget exhausted');
    expect(done).toContain('pending: nothing');
  });
});

describe('formatResult', () => {
  it('prints the answer text first, then steps, calls, tokens and cost', () => {
    expect(formatResult(result({ kind: 'answer', text: 'Refund: $33.12', truncated: false }))).toBe(
      ['answer:', 'Refund: $33.12', '', '3 steps, 3 model calls, 4 tool calls, 1200 input / 300 output tokens, $0.000960', 'run run-1 (agent support-example)'].join('\n'),
    );
  });

  it('says how many calls had no price, so a cost is never silently low', () => {
    expect(formatResult(result({ kind: 'answer', text: 'x', truncated: false }, { unpricedCalls: 2 }))).toContain('$0.000960 (+2 unpriced calls)');
  });

  it('shows an escalation with its issues and the last output, and exits 1', () => {
    const r = result({ kind: 'escalated', reason: 'invalid_output', message: 'output did not match "refund"', lastOutput: '{"amount":"x"}', issues: ['amount: expected number'] });
    expect(formatResult(r)).toMatch(/^escalated to a human \(invalid output\): output did not match "refund"\nissues:\n  - amount: expected number\nlast output: \{"amount":"x"\}/);
    expect(resultExitCode(r)).toBe(1);
  });

  it('says when an answer was cut at the output token limit', () => {
    expect(formatResult(result({ kind: 'answer', text: 'Refund: $3', truncated: true }))).toMatch(/^answer \(truncated at the output token limit\):\nRefund: \$3/);
  });

  it('prints the exhausted budget with its limit and summary', () => {
    const text = formatResult(result({ kind: 'budget_exhausted', budget: 'steps', limit: 6, summary: 'searched refunds twice' }));
    expect(text).toMatch(/^budget exhausted: the steps limit of 6 was reached\nsummary: searched refunds twice\n/);
  });

  it('prints a failure type, message and provider details', () => {
    const text = formatResult(
      result({
        kind: 'failed',
        failure: { type: 'auth', message: 'the API key was rejected', retryable: false, details: { provider: 'openai', status: 401, requestId: 'req_1' } },
      }),
    );
    expect(text).toMatch(/^failed \(auth\): the API key was rejected\n {2}provider openai, status 401, request req_1\n/);
  });
});

describe('describeError', () => {
  it('says how a run ended when it did not complete', () => {
    const ended = (cause: Error) => new WorkflowFailedError(cause.message, cause, RetryState.NON_RETRYABLE_FAILURE);
    expect(describeError(ended(new TerminatedFailure('operator stop')), 'r1', 'default')).toBe('run r1 was terminated: operator stop');
    expect(describeError(ended(new CancelledFailure('user asked')), 'r1', 'default')).toBe('run r1 was cancelled: user asked');
    expect(describeError(ended(ApplicationFailure.nonRetryable('boom', 'Bug')), 'r1', 'default')).toBe('run r1 failed: boom');
  });

  it("adds the server's explanation to a service error, and a hint when no worker answers a query", () => {
    const grpc = (code: number, details: string) => Object.assign(new Error(`${code} ${details}`), { code, details });
    const query = new ServiceError('Failed to query Workflow', { cause: grpc(4, 'query timed out before a worker could process it') });
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

/** A fake connected client that records what the CLI asks of it. */
function fakeClient(opts: { result?: RunResult; status?: RunStatus; startError?: Error; handleError?: Error; runId?: string } = {}) {
  const calls = { connect: [] as ConnectOptions[], start: [] as RunInputInit[], getHandle: [] as string[], closed: 0 };
  const handle = (runId: string): RunHandle => ({
    runId,
    status: async () => {
      if (opts.handleError) throw opts.handleError;
      return opts.status ?? status;
    },
    result: async () => {
      if (opts.handleError) throw opts.handleError;
      return opts.result ?? result({ kind: 'answer', text: 'done', truncated: false }, { runId });
    },
  });
  const client: CliClient = {
    start: async (input) => {
      calls.start.push(input);
      if (opts.startError) throw opts.startError;
      return handle(input.runId ?? opts.runId ?? 'run-generated');
    },
    getHandle: (runId) => {
      calls.getHandle.push(runId);
      return handle(runId);
    },
    close: async () => {
      calls.closed++;
    },
  };
  return { client, calls };
}

async function runCli(argv: string[], fake = fakeClient(), extra: Partial<CliDeps> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    connect: async (o) => {
      fake.calls.connect.push(o);
      return fake.client;
    },
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    readFile: async (path) => {
      throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    },
    env: {},
    ...extra,
  });
  return { code, out: out.join('\n'), err: err.join('\n'), calls: fake.calls };
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
    const input = calls.start[0] as RunInput;
    expect(calls.start).toHaveLength(1);
    expect(input).toMatchObject({ task: 'How much?', runId: 'r-42', agent: { name: 'support-example', model: { provider: 'openai', name: 'gpt-4.1-mini' } } });
    // Validated: schema defaults are filled in before the client sees the input.
    expect(input.agent.timeouts).toEqual({ modelCallMs: 120_000, heartbeatMs: 10_000, toolCallMs: 30_000 });
    expect(input.agent.temperature).toBeUndefined();
    expect(calls.closed).toBe(1);
  });

  it('runs the example agent on the --model given', async () => {
    const { calls } = await runCli(['run', '--model', 'anthropic/claude-haiku-4-5', 'hi']);
    expect(calls.start[0]?.agent.model).toEqual({ provider: 'anthropic', name: 'claude-haiku-4-5' });
  });

  it('loads the agent from a JSON file, with --model overriding its model', async () => {
    const agent = { name: 'billing', instructions: 'Be exact.', model: { provider: 'openai', name: 'gpt-4.1' } };
    const plain = await runCli(['run', '--agent', 'billing.json', 'hi'], fakeClient(), agentFile(agent));
    expect(plain.code).toBe(0);
    expect(plain.calls.start[0]?.agent).toMatchObject({ ...agent, tools: [], maxSteps: 10 });
    const overridden = await runCli(['run', '--agent', 'billing.json', '--model', 'openai-compatible/llama3.1', 'hi'], fakeClient(), agentFile(agent));
    expect(overridden.calls.start[0]?.agent.model).toEqual({ provider: 'openai-compatible', name: 'llama3.1' });
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
    expect(missing.err).toBe("error: cannot read agent file nope.json: ENOENT: no such file or directory, open 'nope.json'");
    const garbled = await runCli(['run', '--agent', 'a.json', 'hi'], fakeClient(), { readFile: async () => '{ name: ' });
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
    expect(err).toBe('error: cannot connect to Temporal at temporal.internal:7233 (namespace default): Failed to connect before the deadline');
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
    const { code, out, err } = await runCli(['run', '--wait', 'hi'], fakeClient({ handleError: terminated, runId: 'run-abc' }));
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err.split('\n')).toEqual(['started run run-abc; waiting for its result ...', 'error: run run-abc was terminated: stop']);
  });

  it('exits 1 naming the run when it does not exist', async () => {
    const fake = fakeClient({ handleError: new WorkflowNotFoundError('workflow not found', 'ghost', undefined) });
    const { code, err } = await runCli(['status', 'ghost'], fake);
    expect(code).toBe(1);
    expect(err).toBe('error: no run with id "ghost" in namespace default');
  });
});
