/**
 * The CLI's one entry point as a function: parse, check everything that can be checked
 * locally, connect, run the command, map what went wrong to a message and an exit code. It
 * takes its client factory and writers as arguments, so all of it is testable without a
 * server.
 */
import { readFile } from 'node:fs/promises';
import { connectBosunClient } from '../client.ts';
import { RunInputError } from '../errors.ts';
import { approvalsJob, decisionJob } from './approvals.ts';
import type { Command, ConnectOptions } from './command.ts';
import { describeError, describeInputError } from './describe-error.ts';
import { resolutionJob } from './escalations.ts';
import { firstLine } from './format.ts';
import { UsageProblem, type InputDeps } from './input-files.ts';
import type { CliClient, Job } from './job.ts';
import { parseCommandLine } from './parse.ts';
import { mcpJob } from './mcp.ts';
import { erasuresJob, forgetJob } from './forget.ts';
import { watchJob } from './watch.ts';
import { runByIdJob } from './run-by-id.ts';
import { runJob } from './runs.ts';
import { statsJob } from './stats.ts';
import { taskJob } from './tasks.ts';
import { traceJob } from './trace.ts';
import { commandUsage, usage } from './usage.ts';

export interface CliDeps extends InputDeps {
  connect: (opts: ConnectOptions) => Promise<CliClient>;
  /** Writes one block of text to stdout / stderr (a newline is added). */
  out: (text: string) => void;
  err: (text: string) => void;
  /** Writes text to stdout as it is (no newline added): streamed output. */
  write: (text: string) => void;
}

const defaultDeps: CliDeps = {
  connect: connectBosunClient,
  out: (text) => process.stdout.write(`${text}\n`),
  write: (text) => void process.stdout.write(text),
  err: (text) => process.stderr.write(`${text}\n`),
  readFile: (path) => readFile(path, 'utf8'),
  env: process.env,
};

/** The command's job: its files read and its input validated (throws `UsageProblem`, `RunInputError`). */
async function prepare(cmd: Exclude<Command, { kind: 'help' }>, d: InputDeps): Promise<Job> {
  switch (cmd.kind) {
    case 'run':
      return runJob(cmd, d);
    case 'task':
      return taskJob(cmd, d);
    case 'status':
    case 'result':
    case 'audit':
    case 'cancel':
      return runByIdJob(cmd);
    case 'approvals':
      return approvalsJob(cmd);
    case 'decide':
      return decisionJob(cmd);
    case 'resolve':
      return resolutionJob(cmd);
    case 'stats':
      return statsJob(cmd);
    case 'mcp':
      return mcpJob(cmd);
    case 'watch':
      return watchJob(cmd);
    case 'trace':
      return traceJob(cmd);
    case 'forget':
      return forgetJob(cmd);
    case 'erasures':
      return erasuresJob(cmd);
  }
}

/**
 * Runs one CLI command and resolves with its exit code: 0 done; 1 the run failed, escalated
 * or looped, refused a decision, does not exist, or Temporal could not be reached; 2 bad
 * usage or input; 3 `result --timeout` passed before the run ended.
 */
export async function main(argv: string[], deps: Partial<CliDeps> = {}): Promise<number> {
  const d: CliDeps = { ...defaultDeps, ...deps };
  const { name, result: cmd } = parseCommandLine(argv, d.env);
  if ('error' in cmd) {
    d.err(`error: ${cmd.error}\n\n${name ? commandUsage(name) : usage}`);
    return 2;
  }
  if (cmd.kind === 'help') {
    d.out(usage);
    return 0;
  }

  // Everything that can be checked locally is, before connecting.
  let job: Job;
  try {
    job = await prepare(cmd, d);
  } catch (err) {
    if (err instanceof RunInputError) {
      d.err(describeInputError(err));
      return 2;
    }
    if (err instanceof UsageProblem) {
      d.err(`error: ${err.message}`);
      return 2;
    }
    throw err;
  }

  const { address, namespace } = cmd.connection;
  let client: CliClient;
  try {
    client = await d.connect(cmd.connection);
  } catch (err) {
    d.err(`error: cannot connect to Temporal at ${address} (namespace ${namespace}): ${firstLine(err)}`);
    return 1;
  }

  const json = cmd.kind !== 'cancel' && cmd.json;
  const output = {
    out: d.out,
    err: d.err,
    write: d.write,
    print: (value: unknown, text: string) => d.out(json ? JSON.stringify(value, null, 2) : text),
  };
  try {
    return await job.run(client, output);
  } catch (err) {
    if (err instanceof RunInputError) {
      d.err(describeInputError(err));
      return 2;
    }
    d.err(`error: ${describeError(err, job.runId ?? '(new)', namespace)}`);
    return 1;
  } finally {
    await client.close().catch(() => undefined);
  }
}
