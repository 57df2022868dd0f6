import type { Erasure, ReadErasuresInput } from '../core/erasure.ts';
import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  type ClientInterceptors,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import {
  ApplicationFailure,
  WorkflowNotFoundError,
  type DataConverter,
  type SearchAttributePair,
  type UpdateDefinition,
} from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import {
  approvalDecisionSchema,
  escalationResolutionSchema,
  type ApprovalDecision,
  type ApprovalDecisionInput,
  type AuditEntry,
  type EscalationResolution,
  type EscalationResolutionInput,
  type OpenEscalation,
  type PendingApproval,
} from '../core/approvals.ts';
import type { ActorInput } from '../core/principal.ts';
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
import {
  auditQuery,
  decideApprovalSignal,
  decideApprovalUpdate,
  resolveEscalationUpdate,
  searchAttributes,
  statusQuery,
  workflowNames,
  type DecisionAck,
} from '../workflows/definitions.ts';
import type { Catalog } from '../tools/catalog.ts';
import { runStats, type RunStats } from './stats.ts';
import { readMcpInventory } from './mcp-inventory.ts';
import { forgetStoredRun, readErasureLog } from './forget.ts';
import { readRunTrace, type TraceOptions } from './trace.ts';
import type { RunTrace } from '../core/trace.ts';
import type { McpInventory } from '../core/mcp.ts';
import { resultOfEndedRun } from './ended-result.ts';
import type { RunResultOf, TaskResultOf, TypedOutputContract } from '../core/output-contract.ts';
import { unknownProviderIssues } from './known-providers.ts';
import { DecisionRejectedError, RunAlreadyExistsError, RunInputError } from './errors.ts';
import { expandUnions, issuePath } from '../core/zod-issues.ts';
import { inputSizeIssues } from './input-size.ts';
import { followRunEvents, type RunEventsOptions } from './run-events.ts';
import type { RunEvent } from '../core/run-events.ts';

export type { DecisionAck } from '../workflows/definitions.ts';

/** What a run says back to an accepted escalation resolution. */
export interface EscalationAck {
  escalationId: string;
  action: string;
}

/** One entry of the approvals inbox: a pending tool call and the agent of its run. */
export type InboxApproval = PendingApproval & { agent: string };

/** A run the inbox lists as waiting for approval but could not read: its worker is down or
 * too slow to answer the `status` query in time. Its approvals are not in the inbox. */
export interface UnreachableRun {
  runId: string;
  /** Its task queue, whose workers did not answer. */
  taskQueue?: string;
  reason: string;
}

/** The approvals inbox: what the runs that answered are waiting for, and the runs that did
 * not answer (one stopped worker does not hide the others' approvals). */
export interface Inbox {
  approvals: InboxApproval[];
  /** Runs parked for a human (answer, redirect or end), oldest first. */
  escalations: InboxEscalation[];
  unreachable: UnreachableRun[];
}

/** One escalation in the inbox: the open escalation and its run. */
export type InboxEscalation = OpenEscalation & {
  runId: string;
  agent: string;
  /** For a sub-agent's escalation: the run that delegated to it. */
  parent?: RunStatus['parent'];
};

export interface InboxOptions {
  /** At most this many runs are read (default `defaultInboxRunLimit`). */
  limit?: number;
  /** How long one run's `status` query may take before the run counts as unreachable
   * (default `defaultInboxQueryTimeoutMs`). */
  queryTimeoutMs?: number;
  /** Only runs acting for this tenant (`BosunTenant`, set at start): what the HTTP API
   * shows an approver. */
  tenant?: string;
}

/**
 * A started run: read its status while it works, decide its approvals, resolve its
 * escalations, await its typed result.
 *
 * Decisions are validated here first (a malformed one throws `RunInputError` and never
 * reaches Temporal), then sent as an Update whose validator runs in the workflow: a decision
 * the run refuses (unknown, stale or duplicate id, approver outside the group, edited
 * arguments that fail the tool's schema or authorization) throws `DecisionRejectedError`.
 *
 * @example
 * const run = bosun.getHandle('run-6f1c');
 * const [ask] = (await run.status()).pendingApprovals;
 * await run.approve(ask.id, { id: 'alice', groups: ['support-leads'] }, 'checked the order');
 */
export interface RunHandle<R = RunResult> {
  readonly runId: string;
  status(): Promise<RunStatus>;
  /** Resolves with the run's outcome (answer, escalated, budget exhausted, stopped, or a
   * typed failure). `signal` stops waiting: the promise rejects and the wait's RPC ends. */
  result(opts?: { signal?: AbortSignal }): Promise<R>;
  /** Lets the pending tool call run with its arguments as asked. */
  approve(approvalId: string, approver: ActorInput, comment?: string): Promise<DecisionAck>;
  /** Refuses the pending tool call; the model gets `reason` as the tool's result. */
  reject(approvalId: string, approver: ActorInput, reason: string): Promise<DecisionAck>;
  /** Lets the tool call run with replacement arguments, re-validated and re-authorized by the run. */
  edit(approvalId: string, approver: ActorInput, input: unknown, comment?: string): Promise<DecisionAck>;
  /** Any of the three decisions as one object, by Update. */
  decide(decision: ApprovalDecisionInput): Promise<DecisionAck>;
  /**
   * The same decision by Signal, for callers that cannot wait: resolves once Temporal has
   * the signal, not when the run accepted it. A decision the run refuses is recorded in the
   * audit trail and otherwise ignored. Still validated locally first.
   */
  decideAsync(decision: ApprovalDecisionInput): Promise<void>;
  /** Answers an escalated run on its behalf; the run ends with this answer. */
  answer(escalationId: string, by: ActorInput, text: string): Promise<EscalationAck>;
  /** Gives an escalated run a new instruction; its loop continues. */
  redirect(escalationId: string, by: ActorInput, instruction: string): Promise<EscalationAck>;
  /** Ends an escalated run (outcome `stopped`, reason `ended_by_human`). */
  end(escalationId: string, by: ActorInput, reason: string): Promise<EscalationAck>;
  /** Every authorization and human decision so far, in order. */
  audit(): Promise<AuditEntry[]>;
  /** Every attempt of every model and tool call, by step (`client/trace.ts`): read by a
   * worker of the run's task queue, so with payload encryption only a client with the keys
   * reads it. */
  trace(opts?: TraceOptions): Promise<RunTrace>;
  /**
   * Follows the run live: its events from `opts.from` (model deltas, steps, tool calls,
   * decisions, the end), each once and in order, until the run ends. Resume after a
   * disconnect with `from` = the last offset seen + 1. See `followRunEvents`.
   */
  events(opts?: RunEventsOptions): AsyncGenerator<RunEvent, void, undefined>;
  /**
   * Asks Temporal to cancel the run. The run stops cleanly — in-flight tool calls are told
   * through their heartbeats, pending approvals are dropped — and ends with the outcome
   * `stopped` (reason `cancelled`). Resolves once the request is recorded; throws
   * `WorkflowNotFoundError` (as an Update or Signal would) when the run has already ended.
   */
  cancel(): Promise<void>;
}

export interface BosunClient {
  /**
   * Validates the input (throws `RunInputError`, nothing started) and starts an agent run.
   * With an `output` made by `outputContract(name, zodSchema)`, the result's answer has
   * `output` typed by the schema.
   */
  start<T>(input: RunInputInit & { output: TypedOutputContract<T> }): Promise<RunHandle<RunResultOf<T>>>;
  start(input: RunInputInit): Promise<RunHandle>;
  /** A handle to an existing run by id. */
  getHandle(runId: string): RunHandle;
  /**
   * Starts a run and waits for its result.
   *
   * @example
   * const result = await bosun.run({ agent, task, output: outputContract('n', z.object({ n: z.number() })) });
   * if (result.outcome.kind === 'answer') result.outcome.output.n; // number
   */
  run<T>(input: RunInputInit & { output: TypedOutputContract<T> }): Promise<RunResultOf<T>>;
  run(input: RunInputInit): Promise<RunResult>;
  /** Starts a single request/response task (extract, classify, rewrite, ...). */
  startTask<T>(input: TaskInputInit & { output: TypedOutputContract<T> }): Promise<RunHandle<TaskResultOf<T>>>;
  startTask(input: TaskInputInit): Promise<RunHandle<TaskResult>>;
  /** Business figures over runs started in a window (see `runStats`). */
  stats(opts: { since: Date; until?: Date; agent?: string; tenant?: string }): Promise<RunStats>;
  /** Starts a task and waits for its result. */
  runTask<T>(input: TaskInputInit & { output: TypedOutputContract<T> }): Promise<TaskResultOf<T>>;
  runTask(input: TaskInputInit): Promise<TaskResult>;
  /**
   * The approvals inbox across runs: every tool call waiting for a human, oldest request
   * first, and the runs that did not answer. Runs are found by visibility
   * (`BosunPendingApprovals > 0`, still running), then each one's `status` query gives its
   * approvals (visibility lags; the query is the truth). A query that takes longer than
   * `queryTimeoutMs` (default 3 s: its worker is stopped or stuck) makes that run
   * `unreachable` instead of failing the inbox. At most `limit` runs are read (default 100);
   * a run that ended in between is skipped.
   *
   * @example
   * const { approvals, unreachable } = await bosun.inbox();
   * for (const u of unreachable) console.warn(`${u.runId}: ${u.reason}`);
   */
  inbox(opts?: InboxOptions): Promise<Inbox>;
  /** The approvals of `inbox()`, without the runs that did not answer. */
  pendingApprovals(opts?: InboxOptions): Promise<InboxApproval[]>;
  /** A worker's MCP servers, their state and tools (`bosun mcp list`); throws
   * `NoWorkerAnsweredError` when no worker of the task queue answers in `timeoutMs` (30 s). */
  mcpInventory(opts?: { timeoutMs?: number }): Promise<McpInventory>;
  /** Erases a closed run's stored content and logs it (`bosun forget`); `by` is who asks.
   * Throws `RunStillOpenError` for an open run (docs/operability.md "Forget"). */
  forget(runId: string, opts: { by: string; timeoutMs?: number }): Promise<Erasure>;
  /** The run store's erasure log, newest first (`bosun erasures`). */
  erasures(opts?: ReadErasuresInput & { timeoutMs?: number }): Promise<Erasure[]>;
  readonly temporal: Client;
}

/** The visibility query behind the approvals inbox. */
export const pendingApprovalsQuery = `(${searchAttributes.pendingApprovals.name} > 0 OR ${searchAttributes.status.name} = "needs_human") AND ExecutionStatus = "Running"`;
/** How many runs the inbox reads when no limit is given. */
export const defaultInboxRunLimit = 100;
/** How long the inbox waits for one run's answer before listing it as unreachable: a
 * healthy worker answers a query in milliseconds. */
export const defaultInboxQueryTimeoutMs = 3_000;
const inboxQueryConcurrency = 8;

export interface BosunClientOptions {
  client: Client;
  taskQueue: string;
  /** The workers' catalog (the module they bundle): with it, an unknown agent name or tool is
   * refused here, before anything starts; without it, the run refuses it (`failed`,
   * `invalid_input`, naming what is unknown). */
  catalog?: Catalog;
  /** Ids of providers of your own that the workers serve (`createBosunWorker({ providers })`),
   * beside the built-in ones: runs naming any other provider are refused before they start. */
  extraProviders?: readonly string[];
  /**
   * Ask the server to hand a new run's first workflow task straight back to a worker in this
   * process (Temporal's eager workflow start): it saves the first round trip of every run.
   * Only when the `client` is built on the worker's `NativeConnection`
   * (`new Client({ connection: worker.connection })`); the client throws otherwise.
   */
  eagerStart?: boolean;
}

/**
 * The typed entry point for backend services. The `client` carries the data converter: when
 * the workers encrypt payloads, build it with theirs
 * (`new Client({ connection, dataConverter: dataConverterFromConfig(config) })`).
 *
 * @example
 * const bosun = createBosunClient({ client: new Client({ connection }), taskQueue: 'bosun' });
 * const run = await bosun.start({ agent, task: 'How much is refunded for 2 opened mugs?' });
 * console.log((await run.status()).step);
 * const { outcome } = await run.result();
 * if (outcome.kind === 'answer') console.log(outcome.text);
 */
export function createBosunClient({
  client,
  taskQueue,
  catalog,
  extraProviders = [],
  eagerStart = false,
}: BosunClientOptions): BosunClient {
  const handleOf = <R>(runId: string): RunHandle<R> => {
    const handle = client.workflow.getHandle(runId);
    /** Sends a human's decision by Update; a refusal becomes a `DecisionRejectedError`. */
    const update = async <Ret, Arg>(def: UpdateDefinition<Ret, [Arg]>, arg: Arg, targetId: string): Promise<Ret> => {
      try {
        return await handle.executeUpdate(def, { args: [arg] });
      } catch (err) {
        throw asRejection(err, runId, targetId);
      }
    };
    const decide = async (init: ApprovalDecisionInput): Promise<DecisionAck> => {
      const decision = validateDecision(init);
      return update(decideApprovalUpdate, decision, decision.approvalId);
    };
    const resolve = async (init: EscalationResolutionInput): Promise<EscalationAck> => {
      const resolution = validateEscalationResolution(init);
      return update(resolveEscalationUpdate, resolution, resolution.escalationId);
    };
    return {
      runId,
      status: () => handle.query(statusQuery),
      result: async (opts) => {
        try {
          return (await (opts?.signal
            ? client.withAbortSignal(opts.signal, () => handle.result())
            : handle.result())) as R;
        } catch (err) {
          // Failed and cancelled runs end their executions Failed / Canceled; their typed
          // result is still the answer here.
          const result = await resultOfEndedRun(err, handle);
          if (result === undefined) throw err;
          return result as R;
        }
      },
      approve: (approvalId, approver, comment) =>
        decide({ decision: 'approve', approvalId, approver, ...(comment !== undefined ? { comment } : {}) }),
      reject: (approvalId, approver, reason) => decide({ decision: 'reject', approvalId, approver, reason }),
      edit: (approvalId, approver, input, comment) =>
        decide({ decision: 'edit', approvalId, approver, input, ...(comment !== undefined ? { comment } : {}) }),
      decide,
      decideAsync: async (init) => {
        await handle.signal(decideApprovalSignal, validateDecision(init));
      },
      answer: (escalationId, by, text) => resolve({ action: 'answer', escalationId, by, text }),
      redirect: (escalationId, by, instruction) => resolve({ action: 'redirect', escalationId, by, instruction }),
      end: (escalationId, by, reason) => resolve({ action: 'end', escalationId, by, reason }),
      audit: () => handle.query(auditQuery),
      events: (opts) => followRunEvents(client, runId, opts),
      trace: (opts) => readRunTrace(client, runId, opts),
      cancel: async () => {
        // Temporal accepts a cancellation of a finished run silently; say it like it says an
        // Update or Signal to a finished run is refused.
        const { status } = await handle.describe();
        if (status.name !== 'RUNNING')
          throw new WorkflowNotFoundError('workflow execution already completed', runId, undefined);
        await handle.cancel();
      },
    };
  };
  const launch = async <R>(
    workflow: string,
    runId: string,
    arg: unknown,
    memo: Record<string, string>,
    typedSearchAttributes?: SearchAttributePair[],
  ): Promise<RunHandle<R>> => {
    try {
      await client.workflow.start(workflow, {
        taskQueue,
        workflowId: runId,
        args: [arg],
        memo,
        ...(typedSearchAttributes ? { typedSearchAttributes } : {}),
        ...(eagerStart ? { requestEagerStart: true } : {}),
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
    const input = validateRunInput(init, { extraProviders, ...(catalog ? { catalog } : {}) });
    const runId = input.runId ?? `run-${randomUUID()}`;
    const agent = typeof input.agent === 'string' ? input.agent : input.agent.name;
    // Set at start so a run is findable by agent and status before its first workflow task.
    return launch<RunResult>(workflowNames.agentRun, runId, { ...input, runId }, { agent }, [
      { key: searchAttributes.agent, value: agent },
      { key: searchAttributes.tenant, value: input.principal.tenant },
      { key: searchAttributes.status, value: 'running' },
      { key: searchAttributes.pendingApprovals, value: 0 },
    ]);
  };
  const startTask = async (init: TaskInputInit): Promise<RunHandle<TaskResult>> => {
    const input = validateTaskInput(init, { extraProviders });
    const runId = input.runId ?? `task-${randomUUID()}`;
    return launch<TaskResult>(workflowNames.completeTask, runId, { ...input, runId }, { task: input.name });
  };
  // One implementation behind each pair of overloads: the typed one differs in type only.
  return {
    start: start as BosunClient['start'],
    getHandle: (runId) => handleOf<RunResult>(runId),
    run: (async (input: RunInputInit) => (await start(input)).result()) as BosunClient['run'],
    startTask: startTask as BosunClient['startTask'],
    runTask: (async (input: TaskInputInit) => (await startTask(input)).result()) as BosunClient['runTask'],
    stats: (opts) => runStats(client, opts),
    inbox: (opts) => readInbox(client, opts),
    pendingApprovals: async (opts) => (await readInbox(client, opts)).approvals,
    mcpInventory: (opts) => readMcpInventory(client, taskQueue, opts?.timeoutMs),
    forget: (runId, { by, timeoutMs }) => forgetStoredRun(client, taskQueue, { runId, by }, timeoutMs),
    erasures: ({ timeoutMs, ...input } = {}) => readErasureLog(client, taskQueue, input, timeoutMs),
    temporal: client,
  };
}

async function readInbox(client: Client, opts: InboxOptions = {}): Promise<Inbox> {
  const { limit = defaultInboxRunLimit, queryTimeoutMs = defaultInboxQueryTimeoutMs } = opts;
  if (!Number.isInteger(limit) || limit < 1)
    throw new RunInputError([{ path: 'limit', message: 'must be a positive integer' }], 'inbox query');
  if (!Number.isFinite(queryTimeoutMs) || queryTimeoutMs <= 0)
    throw new RunInputError([{ path: 'queryTimeoutMs', message: 'must be a positive number' }], 'inbox query');
  const runs = new Map<string, string | undefined>();
  const query =
    opts.tenant === undefined ? pendingApprovalsQuery : `${pendingApprovalsQuery} AND ${tenantClause(opts.tenant)}`;
  // Listed raw: only ids and task queues are needed, and a run whose memo this client
  // cannot decode (encrypted with keys it lacks) must not break everyone's inbox — it is
  // reported unreachable by its status query instead.
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.listWorkflowExecutions({
      namespace: client.options.namespace,
      query,
      pageSize: Math.min(limit, 1000),
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    for (const execution of page.executions ?? []) {
      const workflowId = execution.execution?.workflowId;
      if (!workflowId || runs.has(workflowId)) continue;
      runs.set(workflowId, execution.taskQueue ?? undefined);
      if (runs.size >= limit) break;
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken && runs.size < limit);
  const approvals: InboxApproval[] = [];
  const escalations: InboxEscalation[] = [];
  const unreachable: UnreachableRun[] = [];
  const read = async ([runId, taskQueue]: [string, string | undefined]) => {
    const started = Date.now();
    try {
      const status = await client.withDeadline(Date.now() + queryTimeoutMs, () =>
        client.workflow.getHandle(runId).query(statusQuery),
      );
      // Workers from before approvals existed answer without the field.
      for (const approval of status.pendingApprovals ?? []) approvals.push({ ...approval, agent: status.agent });
      if (status.escalation)
        escalations.push({
          ...status.escalation,
          runId,
          agent: status.agent,
          ...(status.parent ? { parent: status.parent } : {}),
        });
    } catch (err) {
      // Listed, then gone (deleted, or its retention ran out) before we asked.
      if (err instanceof WorkflowNotFoundError) return;
      unreachable.push({
        runId,
        ...(taskQueue !== undefined ? { taskQueue } : {}),
        reason: unreachableReason(err, queryTimeoutMs, taskQueue, Date.now() - started),
      });
    }
  };
  const listed = [...runs];
  for (let i = 0; i < listed.length; i += inboxQueryConcurrency) {
    await Promise.all(listed.slice(i, i + inboxQueryConcurrency).map(read));
  }
  approvals.sort(
    (a, b) =>
      Date.parse(a.requestedAt) - Date.parse(b.requestedAt) ||
      a.runId.localeCompare(b.runId) ||
      a.id.localeCompare(b.id),
  );
  unreachable.sort((a, b) => a.runId.localeCompare(b.runId));
  escalations.sort((a, b) => Date.parse(a.openedAt) - Date.parse(b.openedAt) || a.runId.localeCompare(b.runId));
  return { approvals, escalations, unreachable };
}

/** `BosunTenant = "…"` for a visibility query; a tenant with a quote or backslash in it is
 * refused (`RunInputError`) rather than escaped. */
export function tenantClause(tenant: string): string {
  if (/["\\]/.test(tenant) || tenant.length === 0)
    throw new RunInputError(
      [{ path: 'tenant', message: 'must be non-empty, without quotes or backslashes' }],
      'tenant',
    );
  return `${searchAttributes.tenant.name} = "${tenant}"`;
}

const grpcDeadlineExceeded = 4;
const grpcCancelled = 1;

/** Why a run's query failed, in a line: most often no worker is serving its task queue. */
function unreachableReason(err: unknown, timeoutMs: number, taskQueue: string | undefined, elapsedMs: number): string {
  const cause = (err as { cause?: { code?: unknown; details?: unknown } } | null)?.cause;
  const code = (err as { code?: unknown } | null)?.code ?? cause?.code;
  // The deadline ends the call as DEADLINE_EXCEEDED, or at times as CANCELLED: either way it
  // was the deadline when the call lasted that long.
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
  const cancelled = code === grpcCancelled || /call cancelled/i.test(message);
  const timedOut = code === grpcDeadlineExceeded || (cancelled && elapsedMs >= timeoutMs * 0.9);
  if (timedOut) {
    return `no answer within ${timeoutMs / 1000} s: no worker is serving ${taskQueue ? `task queue "${taskQueue}"` : 'its task queue'}, or it is stuck`;
  }
  const details = typeof cause?.details === 'string' && cause.details ? `: ${cause.details}` : '';
  return `${message}${details}`;
}

/** An Update that failed in the workflow — its validator refused the decision, or its
 * handler threw — becomes a `DecisionRejectedError` with the run's message. */
function asRejection(err: unknown, runId: string, targetId: string): unknown {
  if (!(err instanceof WorkflowUpdateFailedError)) return err;
  const cause = err.cause;
  return new DecisionRejectedError({
    runId,
    targetId,
    reason: cause?.message || err.message,
    ...(cause instanceof ApplicationFailure && cause.type ? { failureType: cause.type } : {}),
  });
}

type Issue = { path: string; message: string };

/** Parses a decision on a pending approval; a `RunInputError` (subject `decision`) lists
 * every problem, so a malformed decision never reaches Temporal. */
export function validateDecision(init: unknown): ApprovalDecision {
  const parsed = approvalDecisionSchema.safeParse(init);
  if (!parsed.success) throw new RunInputError(issuesOf(parsed.error), 'decision');
  if (parsed.data.decision === 'edit' && parsed.data.input === undefined) {
    throw new RunInputError([{ path: 'input', message: 'an edit needs the replacement arguments' }], 'decision');
  }
  return parsed.data;
}

/** Parses an answer, redirect or end of an escalation; a `RunInputError` (subject
 * `escalation resolution`) lists every problem. */
export function validateEscalationResolution(init: unknown): EscalationResolution {
  const parsed = escalationResolutionSchema.safeParse(init);
  if (!parsed.success) throw new RunInputError(issuesOf(parsed.error), 'escalation resolution');
  return parsed.data;
}
const issuesOf = (error: { issues: { path: PropertyKey[]; message: string }[] }): Issue[] =>
  expandUnions(error.issues).map((i) => ({ path: issuePath(i.path), message: i.message }));

/** What the client knows of its workers: provider ids of their own, and their catalog. */
export interface InputCheckOptions {
  extraProviders?: readonly string[];
  catalog?: Catalog;
}

/** Parses and defaults a run input, and pins the prices of its models; a `RunInputError`
 * lists every problem. A task over 1 MiB, or a whole input over 1.5 MiB as JSON, is refused
 * first, naming the field and the limit (`input-size.ts`). Models must name a built-in provider or one of `extraProviders`. With
 * the workers' `catalog`, an unknown agent name or tool is refused too; without it the run
 * checks (a named agent's prices are pinned by the worker). */
export function validateRunInput(init: unknown, opts: InputCheckOptions = {}): RunInput {
  // First, and alone: an oversized input is refused before any parsing of megabytes.
  const tooLarge = inputSizeIssues(init, 'task');
  if (tooLarge.length > 0) throw new RunInputError(tooLarge);
  const parsed = runInputSchema.safeParse(init);
  const providers = unknownProviderIssues(
    (init as { agent?: unknown } | null)?.agent,
    opts.extraProviders ?? [],
    'agent.',
  );
  if (!parsed.success) throw new RunInputError([...issuesOf(parsed.error), ...providers]);
  if (parsed.data.parent || parsed.data.resume)
    throw new RunInputError([
      ...(parsed.data.parent
        ? [{ path: 'parent', message: 'is set by a parent run when it starts a sub-agent, not by callers' }]
        : []),
      ...(parsed.data.resume
        ? [{ path: 'resume', message: 'is set by a run when it continues as new, not by callers' }]
        : []),
    ]);
  const { agent } = parsed.data;
  const { catalog } = opts;
  if (typeof agent === 'string') {
    if (catalog && !catalog.agent(agent)) {
      const known = catalog.agents.map((a) => a.name).join(', ') || 'none';
      throw new RunInputError([{ path: 'agent', message: `unknown agent "${agent}" (the catalog defines: ${known})` }]);
    }
    return parsed.data;
  }
  const unknown = catalog ? agent.tools.map((name, i) => ({ name, i })).filter(({ name }) => !catalog.tool(name)) : [];
  const delegates = catalog
    ? agent.delegates
        .map((d, i) => ({ name: typeof d === 'string' ? d : d.agent, i }))
        .filter(({ name }) => !catalog.agent(name))
    : [];
  if (unknown.length > 0 || delegates.length > 0 || providers.length > 0) {
    const known = catalog?.toolNames().join(', ');
    throw new RunInputError([
      ...unknown.map(({ name, i }) => ({
        path: `agent.tools.${i}`,
        message: `unknown tool "${name}" (known: ${known})`,
      })),
      ...delegates.map(({ name, i }) => ({
        path: `agent.delegates.${i}`,
        message: `unknown agent "${name}" (the catalog defines: ${catalog!.agents.map((a) => a.name).join(', ') || 'none'})`,
      })),
      ...providers,
    ]);
  }
  return { ...parsed.data, agent: { ...agent, prices: pinPrices(agent) } };
}

export function validateTaskInput(init: unknown, opts: InputCheckOptions = {}): TaskInput {
  const tooLarge = inputSizeIssues(init, 'input');
  if (tooLarge.length > 0) throw new RunInputError(tooLarge);
  const parsed = taskInputSchema.safeParse(init);
  const providers = unknownProviderIssues(init, opts.extraProviders ?? [], '');
  if (!parsed.success || providers.length > 0)
    throw new RunInputError([...(parsed.success ? [] : issuesOf(parsed.error)), ...providers]);
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

/**
 * Connects to Temporal and returns a Bosun client that owns the connection.
 *
 * Pass the workers' `dataConverter` when they encrypt payloads (`dataConverterFromConfig`
 * in worker/codec): without it the client cannot read encrypted results, and the inputs it
 * starts runs with reach history in plain text.
 */
export async function connectBosunClient(opts: {
  address: string;
  namespace?: string;
  taskQueue: string;
  dataConverter?: DataConverter;
  /** Client interceptors, e.g. OpenTelemetry (`tracingInterceptors().client`). */
  interceptors?: ClientInterceptors;
  /** Temporal Cloud (or any TLS endpoint): an API key and/or TLS. */
  apiKey?: string;
  tls?: boolean;
  /** See `BosunClientOptions.catalog`. */
  catalog?: Catalog;
  /** Ids of providers of your own the workers serve (see `BosunClientOptions`). */
  extraProviders?: readonly string[];
}): Promise<BosunClient & { close(): Promise<void> }> {
  const connection = await Connection.connect({
    address: opts.address,
    ...(opts.tls || opts.apiKey ? { tls: true } : {}),
    ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
  });
  const client = new Client({
    connection,
    namespace: opts.namespace ?? 'default',
    ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}),
    ...(opts.interceptors ? { interceptors: opts.interceptors } : {}),
  });
  return {
    ...createBosunClient({
      client,
      taskQueue: opts.taskQueue,
      ...(opts.catalog ? { catalog: opts.catalog } : {}),
      ...(opts.extraProviders ? { extraProviders: opts.extraProviders } : {}),
    }),
    close: () => connection.close(),
  };
}
