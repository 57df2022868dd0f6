/**
 * `run`: start an agent run (the agentic loop) — the example agent or one from a file, on a
 * model or a routing table, optionally looking the task up in the knowledge base first.
 */
import { weakContextPolicySchema } from '../../core/retrieval.ts';
import type { ModelRef } from '../../core/model.ts';
import type { RoutingTableInput } from '../../core/routing.ts';
import type { RunInput } from '../../core/run.ts';
import { validateRunInput } from '../client.ts';
import { exampleAgent } from '../example-agent.ts';
import type { CommandOf, ParseResult, RagOptions } from './command.ts';
import type { CommandArgs, FlagValues } from './flags.ts';
import { isRecord, loadOutputContract, loadRouting, readJson, type InputDeps } from './input-files.ts';
import type { Job } from './job.ts';
import { startJob } from './start-job.ts';
import { defaultModel, parseStartOptions } from './start-options.ts';

/** `--rag [--k N] [--min-score X] [--on-weak policy]`; the three need `--rag`. */
function parseRag(values: FlagValues): { rag?: RagOptions } | { error: string } {
  const given = (['k', 'min-score', 'on-weak'] as const).filter((f) => values[f] !== undefined);
  if (!values.rag) return given.length ? { error: `--${given[0]} needs --rag` } : {};
  const rag: RagOptions = {};
  if (values.k !== undefined) {
    const k = Number(values.k);
    if (!/^\d+$/.test(values.k) || k < 1 || k > 20)
      return { error: `--k must be a whole number from 1 to 20 (got "${values.k}")` };
    rag.k = k;
  }
  const min = values['min-score'];
  if (min !== undefined) {
    const minScore = Number(min);
    if (min.trim() === '' || !Number.isFinite(minScore) || minScore < 0)
      return { error: `--min-score must be a number >= 0 (got "${min}")` };
    rag.minScore = minScore;
  }
  const onWeak = values['on-weak'];
  if (onWeak !== undefined) {
    const policy = weakContextPolicySchema.safeParse(onWeak);
    if (!policy.success)
      return { error: `--on-weak must be one of ${weakContextPolicySchema.options.join(', ')} (got "${onWeak}")` };
    rag.onWeak = policy.data;
  }
  return { rag };
}

export function parseRun(args: CommandArgs<'run'>): ParseResult {
  const common = parseStartOptions(args);
  if ('error' in common) return common;
  const { values, rest } = args;
  const retrieval = parseRag(values);
  if ('error' in retrieval) return retrieval;
  return {
    kind: 'run',
    ...common,
    ...(values.agent !== undefined ? { agentFile: values.agent } : {}),
    ...(values.principal !== undefined ? { principalFile: values.principal } : {}),
    ...(retrieval.rag ? { retrieval: retrieval.rag } : {}),
    task: rest.join(' ').trim(),
  };
}

/** An agent with its models replaced: `model` and `routing` are exclusive. */
function withModels(
  agent: Record<string, unknown>,
  models: { model: ModelRef } | { routing: RoutingTableInput },
): Record<string, unknown> {
  const { model: _model, routing: _routing, ...rest } = agent;
  return { ...rest, ...models };
}

/** Builds and validates the run input locally, so bad input fails before any connection. */
async function buildRunInput(cmd: CommandOf<'run'>, d: InputDeps): Promise<RunInput> {
  const routing = cmd.routing !== undefined ? await loadRouting(cmd.routing, d) : undefined;
  const models = routing ? { routing } : cmd.model ? { model: cmd.model } : undefined;
  let agent: unknown =
    cmd.agentFile === undefined
      ? exampleAgent(cmd.model ?? defaultModel)
      : await readJson(d.readFile, cmd.agentFile, 'agent file');
  // Anything but an object is left for validation to reject with its own message.
  if (isRecord(agent)) {
    const base = models ? withModels(agent, models) : agent;
    agent = cmd.retrieval
      ? { ...base, retrieval: { ...(isRecord(base.retrieval) ? base.retrieval : {}), ...cmd.retrieval } }
      : base;
  }
  const principal =
    cmd.principalFile !== undefined ? await readJson(d.readFile, cmd.principalFile, 'principal file') : undefined;
  const output =
    cmd.outputSchemaFile !== undefined ? await loadOutputContract(cmd.outputSchemaFile, d.readFile) : undefined;
  return validateRunInput({
    agent,
    task: cmd.task,
    ...(cmd.runId !== undefined ? { runId: cmd.runId } : {}),
    ...(principal !== undefined ? { principal } : {}),
    ...(output ? { output } : {}),
  });
}

/** Starts the run; prints its id, or with `--wait` its outcome. */
export async function runJob(cmd: CommandOf<'run'>, d: InputDeps): Promise<Job> {
  const input = await buildRunInput(cmd, d);
  return startJob('run', { runId: input.runId, wait: cmd.wait, json: cmd.json }, (client) => client.start(input));
}
