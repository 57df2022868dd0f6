import { Client, Connection, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import type { ModelRef } from '../core/model.ts';
import { defaultPrices, type PriceTable } from '../core/pricing.ts';
import {
  runInputSchema,
  taskInputSchema,
  type ModelConfig,
  type RunInput,
  type RunInputInit,
  type RunResult,
  type RunStatus,
  type TaskInput,
  type TaskInputInit,
  type TaskResult,
} from '../core/run.ts';
import { statusQuery, workflowNames } from '../workflows/definitions.ts';
import { findTool, toolCatalog } from '../tools/catalog.ts';
import { RunAlreadyExistsError, RunInputError } from './errors.ts';

/** A started run: read its status while it works, await its typed result. */
export interface RunHandle<R = RunResult> {
  readonly runId: string;
  status(): Promise<RunStatus>;
  /** Resolves with the run's outcome (answer, escalated, budget exhausted, or a typed failure). */
  result(): Promise<R>;
}

export interface BosunClient {
  /** Validates the input (throws `RunInputError`, nothing started) and starts an agent run. */
  start(input: RunInputInit): Promise<RunHandle>;
  /** A handle to an existing run by id. */
  getHandle(runId: string): RunHandle;
  /** Starts a run and waits for its result. */
  run(input: RunInputInit): Promise<RunResult>;
  /** Starts a single request/response task (extract, classify, rewrite, ...). */
  startTask(input: TaskInputInit): Promise<RunHandle<TaskResult>>;
  /** Starts a task and waits for its result. */
  runTask(input: TaskInputInit): Promise<TaskResult>;
  readonly temporal: Client;
}

export interface BosunClientOptions {
  client: Client;
  taskQueue: string;
}

/**
 * The typed entry point for backend services.
 *
 * @example
 * const bosun = createBosunClient({ client: new Client({ connection }), taskQueue: 'bosun' });
 * const run = await bosun.start({ agent, task: 'How much is refunded for 2 opened mugs?' });
 * console.log((await run.status()).step);
 * const { outcome } = await run.result();
 * if (outcome.kind === 'answer') console.log(outcome.text);
 */
export function createBosunClient({ client, taskQueue }: BosunClientOptions): BosunClient {
  const handleOf = <R>(runId: string): RunHandle<R> => {
    const handle = client.workflow.getHandle(runId);
    return {
      runId,
      status: () => handle.query(statusQuery),
      result: () => handle.result() as Promise<R>,
    };
  };
  const launch = async <R>(workflow: string, runId: string, arg: unknown, memo: Record<string, string>): Promise<RunHandle<R>> => {
    try {
      await client.workflow.start(workflow, {
        taskQueue,
        workflowId: runId,
        args: [arg],
        memo,
        // Run ids are unique for good: a finished run's id is not reused either.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw new RunAlreadyExistsError(runId);
      throw err;
    }
    return handleOf<R>(runId);
  };
  const start = async (init: RunInputInit): Promise<RunHandle> => {
    const input = validateRunInput(init);
    const runId = input.runId ?? `run-${randomUUID()}`;
    return launch<RunResult>(workflowNames.agentRun, runId, { ...input, runId }, { agent: input.agent.name });
  };
  const startTask = async (init: TaskInputInit): Promise<RunHandle<TaskResult>> => {
    const input = validateTaskInput(init);
    const runId = input.runId ?? `task-${randomUUID()}`;
    return launch<TaskResult>(workflowNames.completeTask, runId, { ...input, runId }, { task: input.name });
  };
  return {
    start,
    getHandle: (runId) => handleOf<RunResult>(runId),
    run: async (input) => (await start(input)).result(),
    startTask,
    runTask: async (input) => (await startTask(input)).result(),
    temporal: client,
  };
}

type Issue = { path: string; message: string };
const issuesOf = (error: { issues: { path: PropertyKey[]; message: string }[] }): Issue[] =>
  error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(input)', message: i.message }));

/** Parses and defaults a run input, and pins the prices of its models; a `RunInputError`
 * lists every problem. */
export function validateRunInput(init: unknown): RunInput {
  const parsed = runInputSchema.safeParse(init);
  if (!parsed.success) throw new RunInputError(issuesOf(parsed.error));
  const unknown = parsed.data.agent.tools.map((name, i) => ({ name, i })).filter(({ name }) => !findTool(name));
  if (unknown.length > 0) {
    throw new RunInputError(
      unknown.map(({ name, i }) => ({ path: `agent.tools.${i}`, message: `unknown tool "${name}" (known: ${[...toolCatalog.keys()].join(', ')})` })),
    );
  }
  return { ...parsed.data, agent: { ...parsed.data.agent, prices: pinPrices(parsed.data.agent) } };
}

export function validateTaskInput(init: unknown): TaskInput {
  const parsed = taskInputSchema.safeParse(init);
  if (!parsed.success) throw new RunInputError(issuesOf(parsed.error));
  return { ...parsed.data, prices: pinPrices(parsed.data) };
}

/**
 * Copies the price of every model the run may use into its input, so the run's cost is
 * computed from the prices in force when it started, whatever the table says later.
 */
export function pinPrices(config: Pick<ModelConfig, 'model' | 'routing' | 'prices'>): PriceTable {
  const models: ModelRef[] = config.model
    ? [config.model]
    : Object.values(config.routing?.tiers ?? {}).flatMap((route) => route?.chain ?? []);
  const pinned: PriceTable = { ...config.prices };
  for (const m of models) {
    const price = defaultPrices[m.name];
    if (!pinned[m.name] && price) pinned[m.name] = price;
  }
  return pinned;
}

export async function connectBosunClient(opts: {
  address: string;
  namespace?: string;
  taskQueue: string;
}): Promise<BosunClient & { close(): Promise<void> }> {
  const connection = await Connection.connect({ address: opts.address });
  const client = new Client({ connection, namespace: opts.namespace ?? 'default' });
  return { ...createBosunClient({ client, taskQueue: opts.taskQueue }), close: () => connection.close() };
}
