import { Client, Connection, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { runInputSchema, type RunInput, type RunInputInit, type RunResult, type RunStatus } from '../core/run.ts';
import { statusQuery, workflowNames } from '../workflows/definitions.ts';
import { findTool, toolCatalog } from '../tools/catalog.ts';
import { RunAlreadyExistsError, RunInputError } from './errors.ts';

/** A started run: read its status while it works, await its typed result. */
export interface RunHandle {
  readonly runId: string;
  status(): Promise<RunStatus>;
  /** Resolves with the run's outcome (answer, budget exhausted, or a typed failure). */
  result(): Promise<RunResult>;
}

export interface BosunClient {
  /** Validates the input (throws `RunInputError`, nothing started) and starts the run. */
  start(input: RunInputInit): Promise<RunHandle>;
  /** A handle to an existing run by id. */
  getHandle(runId: string): RunHandle;
  /** Starts a run and waits for its result. */
  run(input: RunInputInit): Promise<RunResult>;
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
  const getHandle = (runId: string): RunHandle => {
    const handle = client.workflow.getHandle(runId);
    return {
      runId,
      status: () => handle.query(statusQuery),
      result: () => handle.result() as Promise<RunResult>,
    };
  };
  const start = async (init: RunInputInit): Promise<RunHandle> => {
    const input = validateRunInput(init);
    const runId = input.runId ?? `run-${randomUUID()}`;
    try {
      await client.workflow.start(workflowNames.agentRun, {
        taskQueue,
        workflowId: runId,
        args: [{ ...input, runId }],
        memo: { agent: input.agent.name },
        // Run ids are unique for good: a finished run's id is not reused either.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw new RunAlreadyExistsError(runId);
      throw err;
    }
    return getHandle(runId);
  };
  return {
    start,
    getHandle,
    run: async (input) => (await start(input)).result(),
    temporal: client,
  };
}

/** Parses and defaults a run input; a `RunInputError` lists every problem. */
export function validateRunInput(init: unknown): RunInput {
  const parsed = runInputSchema.safeParse(init);
  if (!parsed.success) {
    throw new RunInputError(parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(input)', message: i.message })));
  }
  const unknown = parsed.data.agent.tools
    .map((name, i) => ({ name, i }))
    .filter(({ name }) => !findTool(name));
  if (unknown.length > 0) {
    throw new RunInputError(
      unknown.map(({ name, i }) => ({ path: `agent.tools.${i}`, message: `unknown tool "${name}" (known: ${[...toolCatalog.keys()].join(', ')})` })),
    );
  }
  return parsed.data;
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
