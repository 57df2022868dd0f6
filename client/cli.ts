/**
 * `npm run bosun -- <command>`: start a run, read its status, await its result. A thin shell
 * over the typed client (`client.ts`): parsing and formatting are pure functions, and `main`
 * takes its client factory and writers as arguments so all of it is testable without a server.
 *
 * @example
 * npm run bosun -- run --wait "How much is refunded for 2 opened mugs at $18.40?"
 * npm run bosun -- status run-6f1c...
 * npm run bosun -- result --json run-6f1c...
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ServiceError, WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure, TerminatedFailure, TimeoutFailure, WorkflowNotFoundError } from '@temporalio/common';
import { providerNameSchema, type ModelRef } from '../core/model.ts';
import type { RunInput, RunResult, RunStatus } from '../core/run.ts';
import { connectBosunClient, validateRunInput, type BosunClient } from './client.ts';
import { RunAlreadyExistsError, RunInputError } from './errors.ts';
import { exampleAgent } from './example-agent.ts';

export const defaultModel: ModelRef = { provider: 'openai', name: 'gpt-4.1-mini' };

export const usage = `Usage: npm run bosun -- <command> [options]

Commands:
  run [--agent agent.json] [--model provider/name] [--run-id ID] [--wait] [--json] <task...>
                       start a run; prints its run id (with --wait, then its outcome)
  status <runId> [--json]
                       what a run is doing now: phase, step, tokens, pending work
  result <runId> [--json]
                       wait for a run to end and print its outcome
  help                 this text

Options for every command:
  --address host:port  Temporal frontend (env TEMPORAL_ADDRESS, default 127.0.0.1:7233)
  --namespace name     Temporal namespace (env TEMPORAL_NAMESPACE, default default)
  --task-queue name    the workers' task queue (env BOSUN_TASK_QUEUE, default bosun)

Without --agent the example support agent runs on --model (default ${defaultModel.provider}/${defaultModel.name});
with --agent, --model overrides the file's model. Providers: ${providerNameSchema.options.join(', ')}.

Exit codes: 0 done, 1 the run failed or Temporal could not be reached, 2 bad usage or input.`;

/** Where the CLI finds Temporal and the workers. */
export interface ConnectOptions {
  address: string;
  namespace: string;
  taskQueue: string;
}

export type Command =
  | { kind: 'help' }
  | {
      kind: 'run';
      connection: ConnectOptions;
      /** Path of a JSON `AgentDefinitionInput`; the example agent when absent. */
      agentFile?: string;
      model?: ModelRef;
      runId?: string;
      task: string;
      wait: boolean;
      json: boolean;
    }
  | { kind: 'status' | 'result'; connection: ConnectOptions; runId: string; json: boolean };

export type ParseResult = Command | { error: string };

const options = {
  address: { type: 'string' },
  namespace: { type: 'string' },
  'task-queue': { type: 'string' },
  agent: { type: 'string' },
  model: { type: 'string' },
  'run-id': { type: 'string' },
  wait: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const connectionFlags = ['address', 'namespace', 'task-queue'];
const allowedFlags: Record<'run' | 'status' | 'result', string[]> = {
  run: [...connectionFlags, 'agent', 'model', 'run-id', 'wait', 'json'],
  status: [...connectionFlags, 'json'],
  result: [...connectionFlags, 'json'],
};

/** Parses a `provider/name` model reference; the name may itself contain slashes. */
export function parseModelRef(text: string): ModelRef | { error: string } {
  const slash = text.indexOf('/');
  const provider = providerNameSchema.safeParse(slash > 0 ? text.slice(0, slash) : '');
  const name = slash > 0 ? text.slice(slash + 1) : '';
  if (!provider.success || !name) {
    return { error: `--model must be provider/name with provider one of ${providerNameSchema.options.join(', ')} (got "${text}")` };
  }
  return { provider: provider.data, name };
}

/**
 * Turns argv (without `node` and the script) into a command, or an error to print above the
 * usage. Connection settings come from flags, then the environment, then defaults.
 */
export function parseCommand(argv: string[], env: Record<string, string | undefined> = process.env): ParseResult {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
  const { values, positionals } = parsed;
  const [name, ...rest] = positionals;
  if (values.help || name === undefined || name === 'help') return { kind: 'help' };
  if (name !== 'run' && name !== 'status' && name !== 'result') return { error: `unknown command "${name}"` };

  const given = Object.keys(values).filter((k) => values[k as keyof typeof values] !== undefined);
  const stray = given.find((flag) => !allowedFlags[name].includes(flag));
  if (stray) return { error: `--${stray} does not apply to "${name}"` };

  const connection: ConnectOptions = {
    address: values.address || env.TEMPORAL_ADDRESS || '127.0.0.1:7233',
    namespace: values.namespace || env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: values['task-queue'] || env.BOSUN_TASK_QUEUE || 'bosun',
  };
  const json = values.json ?? false;

  if (name === 'run') {
    let model: ModelRef | undefined;
    if (values.model !== undefined) {
      const ref = parseModelRef(values.model);
      if ('error' in ref) return ref;
      model = ref;
    }
    return {
      kind: 'run',
      connection,
      ...(values.agent !== undefined ? { agentFile: values.agent } : {}),
      ...(model ? { model } : {}),
      ...(values['run-id'] !== undefined ? { runId: values['run-id'] } : {}),
      task: rest.join(' ').trim(),
      wait: values.wait ?? false,
      json,
    };
  }
  if (rest.length === 0) return { error: `"${name}" needs a run id` };
  if (rest.length > 1) return { error: `"${name}" takes one run id, got ${rest.length} arguments` };
  return { kind: name, connection, runId: rest[0]!, json };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function formatUsage(u: RunStatus['usage']): string {
  return `${u.input} input${u.cachedInput ? ` (${u.cachedInput} cached)` : ''} / ${u.output} output tokens`;
}

/** How many of the run's recent events `status` prints (the query keeps more; `--json` has all). */
export const statusEventLines = 5;

/** The `status` query as a few lines an operator reads at a glance. */
export function formatStatus(s: RunStatus): string {
  const pending = s.pending.map((p) =>
    p.kind === 'model_call' ? `model call to ${p.model} (step ${p.step})` : `tool ${p.tool} (call ${p.callId}, step ${p.step})`,
  );
  // Workers from before `recentEvents` existed answer without it.
  const events = (s.recentEvents ?? []).slice(-statusEventLines);
  return [
    `run ${s.runId} (agent ${s.agent})`,
    `phase: ${s.phase.replaceAll('_', ' ')}, step ${s.step} of ${s.maxSteps}${s.outcome ? `, outcome: ${s.outcome.replaceAll('_', ' ')}` : ''}`,
    `usage: ${formatUsage(s.usage)}; ${plural(s.modelCalls, 'model call')}, ${plural(s.toolCalls, 'tool call')}`,
    `pending: ${pending.length ? pending.join('; ') : 'nothing'}`,
    ...(events.length ? ['recent events:', ...events.map((e) => `  ${e.seq}. ${e.text}`)] : [`last event: ${s.lastEvent}`]),
  ].join('\n');
}

function formatCost(r: Pick<RunResult, 'costUsd' | 'unpricedCalls'>): string {
  const cost = `$${r.costUsd.toFixed(6)}`;
  return r.unpricedCalls ? `${cost} (+${plural(r.unpricedCalls, 'unpriced call')})` : cost;
}

/** A run's outcome first (what a human came for), then what it cost. */
export function formatResult(r: RunResult): string {
  const { outcome } = r;
  let head: string;
  if (outcome.kind === 'answer') {
    head = `answer${outcome.truncated ? ' (truncated at the output token limit)' : ''}:\n${outcome.text}`;
  } else if (outcome.kind === 'budget_exhausted') {
    head = `budget exhausted: the ${outcome.budget} limit of ${outcome.limit} was reached\nsummary: ${outcome.summary}`;
  } else if (outcome.kind === 'escalated') {
    head = `escalated to a human (${outcome.reason.replaceAll('_', ' ')}): ${outcome.message}`;
    if (outcome.issues?.length) head += `\nissues:\n${outcome.issues.map((i) => `  - ${i}`).join('\n')}`;
    if (outcome.lastOutput !== undefined) head += `\nlast output: ${outcome.lastOutput}`;
  } else {
    const { failure } = outcome;
    const d = failure.details;
    const details = d
      ? [d.provider && `provider ${d.provider}`, d.status !== undefined && `status ${d.status}`, d.code && `code ${d.code}`, d.requestId && `request ${d.requestId}`]
          .filter(Boolean)
          .join(', ')
      : '';
    head = `failed (${failure.type}): ${failure.message}${details ? `\n  ${details}` : ''}`;
  }
  return [
    head,
    '',
    `${plural(r.steps, 'step')}, ${plural(r.modelCalls, 'model call')}, ${plural(r.toolCalls, 'tool call')}, ${formatUsage(r.usage)}, ${formatCost(r)}`,
    `run ${r.runId} (agent ${r.agent})`,
  ].join('\n');
}

/** `failed` and `escalated` are the outcomes that makes the CLI exit non-zero. */
export const resultExitCode = (r: RunResult): number => (r.outcome.kind === 'failed' || r.outcome.kind === 'escalated' ? 1 : 0);

/** What `main` needs from a connected client: a subset of `BosunClient`, so tests fake it easily. */
export type CliClient = Pick<BosunClient, 'start' | 'getHandle'> & { close(): Promise<void> };

export interface CliDeps {
  connect: (opts: ConnectOptions) => Promise<CliClient>;
  /** Writes one block of text to stdout / stderr (a newline is added). */
  out: (text: string) => void;
  err: (text: string) => void;
  readFile: (path: string) => Promise<string>;
  env: Record<string, string | undefined>;
}

const defaultDeps: CliDeps = {
  connect: connectBosunClient,
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  readFile: (path) => readFile(path, 'utf8'),
  env: process.env,
};

/** A problem the user fixes by changing the command line or its files (exit 2). */
class UsageProblem extends Error {}

const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();

/** Builds and validates the run input locally, so bad input fails before any connection. */
async function buildRunInput(cmd: Extract<Command, { kind: 'run' }>, read: CliDeps['readFile']): Promise<RunInput> {
  let agent: unknown;
  if (cmd.agentFile === undefined) {
    agent = exampleAgent(cmd.model ?? defaultModel);
  } else {
    let text: string;
    try {
      text = await read(cmd.agentFile);
    } catch (err) {
      throw new UsageProblem(`cannot read agent file ${cmd.agentFile}: ${firstLine(err)}`);
    }
    try {
      agent = JSON.parse(text);
    } catch (err) {
      throw new UsageProblem(`agent file ${cmd.agentFile} is not valid JSON: ${firstLine(err)}`);
    }
    if (cmd.model && typeof agent === 'object' && agent !== null && !Array.isArray(agent)) {
      agent = { ...agent, model: cmd.model };
    }
  }
  return validateRunInput({ agent, task: cmd.task, ...(cmd.runId !== undefined ? { runId: cmd.runId } : {}) });
}

/**
 * Runs one CLI command and resolves with its exit code: 0 done, 1 the run failed or Temporal
 * could not be reached, 2 bad usage or input.
 */
export async function main(argv: string[], deps: Partial<CliDeps> = {}): Promise<number> {
  const d: CliDeps = { ...defaultDeps, ...deps };
  const cmd = parseCommand(argv, d.env);
  if ('error' in cmd) {
    d.err(`error: ${cmd.error}\n\n${usage}`);
    return 2;
  }
  if (cmd.kind === 'help') {
    d.out(usage);
    return 0;
  }

  let input: RunInput | undefined;
  if (cmd.kind === 'run') {
    try {
      input = await buildRunInput(cmd, d.readFile);
    } catch (err) {
      if (err instanceof RunInputError) {
        d.err(['error: invalid run input', ...err.issues.map((i) => `  ${i.path}: ${i.message}`)].join('\n'));
        return 2;
      }
      if (err instanceof UsageProblem) {
        d.err(`error: ${err.message}`);
        return 2;
      }
      throw err;
    }
  }

  const { address, namespace } = cmd.connection;
  let client: CliClient;
  try {
    client = await d.connect(cmd.connection);
  } catch (err) {
    d.err(`error: cannot connect to Temporal at ${address} (namespace ${namespace}): ${firstLine(err)}`);
    return 1;
  }

  // Known once the run has started when the client picks the id.
  let runId = cmd.kind === 'run' ? input?.runId : cmd.runId;
  try {
    const print = (value: unknown, text: string) => d.out(cmd.json ? JSON.stringify(value, null, 2) : text);
    if (cmd.kind === 'run') {
      const run = await client.start(input!);
      runId = run.runId;
      if (!cmd.wait) {
        print({ runId: run.runId }, run.runId);
        return 0;
      }
      if (!cmd.json) d.err(`started run ${run.runId}; waiting for its result ...`);
      const result = await run.result();
      print(result, formatResult(result));
      return resultExitCode(result);
    }
    const handle = client.getHandle(cmd.runId);
    if (cmd.kind === 'status') {
      const status = await handle.status();
      print(status, formatStatus(status));
      return 0;
    }
    const result = await handle.result();
    print(result, formatResult(result));
    return resultExitCode(result);
  } catch (err) {
    d.err(`error: ${describeError(err, runId ?? '(new)', namespace)}`);
    return 1;
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** One line for an error after connecting, saying what happened to which run. */
export function describeError(err: unknown, runId: string, namespace: string): string {
  if (err instanceof RunAlreadyExistsError) return `${err.message}; read it with "status ${err.runId}" or pick another --run-id`;
  if (err instanceof WorkflowNotFoundError) return `no run with id "${runId}" in namespace ${namespace}`;
  if (err instanceof WorkflowFailedError) {
    const how =
      err.cause instanceof TerminatedFailure ? 'was terminated' : err.cause instanceof CancelledFailure ? 'was cancelled' : err.cause instanceof TimeoutFailure ? 'timed out' : 'failed';
    const why = firstLine(err.cause ?? err);
    return `run ${runId} ${how}${why ? `: ${why}` : ''}`;
  }
  if (err instanceof ServiceError) {
    // The gRPC status is on the cause; its `details` is the server's own explanation.
    const cause = err.cause as { code?: unknown; details?: unknown } | undefined;
    const details = typeof cause?.details === 'string' && cause.details ? `: ${cause.details}` : '';
    const hint = cause?.code === grpcDeadlineExceeded && err.message.includes('query') ? ' (no worker answered for this run: is one running?)' : '';
    return `${firstLine(err)}${details}${hint}`;
  }
  return firstLine(err);
}

const grpcDeadlineExceeded = 4;

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
