import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { AuditEntry } from '../core/approvals.ts';
import type { CallRecord } from '../core/calls.ts';
import { describeModel } from '../core/model.ts';
import type {
  ModelAttempt,
  ReadTraceInput,
  RunTrace,
  StoredTraceRecord,
  ToolAttempt,
  TraceErasure,
  TracePage,
  TraceRoute,
} from '../core/trace.ts';
import type { ChildRun } from '../core/delegation.ts';
import { auditQuery, callsQuery, statusQuery, workflowNames } from '../workflows/definitions.ts';
import { NoWorkerAnsweredError } from './mcp-inventory.ts';
import { isEncryptedPayloadError } from './encrypted-payload.ts';

export interface TraceOptions {
  /** Only this step. */
  step?: number;
  /** Also resolve the messages each model attempt was sent (bigger pages). */
  detail?: boolean;
  /** How long one page may take to come back from a worker (default 30 s). */
  timeoutMs?: number;
  /** Levels of sub-agents whose traces are read into their delegations (default 3; 0: none). */
  subAgents?: number;
}

/** At most this many pages are read (a page holds up to 200 records, 512 KiB). */
const MAX_PAGES = 100;

/**
 * A run's trace: every attempt of every model and tool call, read from the run store by a
 * worker of the run's task queue (`traceReader` workflow, one per page, so the content goes
 * through the workers' payload codec and only a client with the keys reads it), merged with
 * the run's `calls` (routes) and `audit` (authorizations, approvals) queries.
 */
export async function readRunTrace(
  client: Client,
  runId: string,
  opts: TraceOptions = {},
  parentOf?: string,
): Promise<RunTrace> {
  const handle = client.workflow.getHandle(runId);
  // The description decodes the run's memo: a client without the codec keys fails here.
  const { taskQueue, parentExecution } = await handle.describe().catch((err: unknown) => {
    throw isEncryptedPayloadError(err) ? new TraceEncryptedError(runId) : err;
  });
  // A sub-agent's trace is read into its parent's only if Temporal knows it as that child.
  if (parentOf !== undefined && parentExecution?.workflowId !== parentOf)
    throw new Error(`run ${runId} is not a sub-agent of ${parentOf}`);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const warnings: string[] = [];
  const facts = Promise.all([
    handle.query(callsQuery).catch((err: unknown) => {
      warnings.push(`routes not merged: the run's calls query failed (${(err as Error)?.message})`);
      return [] as CallRecord[];
    }),
    handle.query(auditQuery).catch((err: unknown) => {
      warnings.push(`decisions not merged: the run's audit query failed (${(err as Error)?.message})`);
      return [] as AuditEntry[];
    }),
  ]);
  // The run's sub-agents (from its status: running ones too), for the tree.
  const childrenOf = handle
    .query(statusQuery)
    .then((s) => s.children ?? [])
    .catch(() => [] as ChildRun[]);
  const records: StoredTraceRecord[] = [];
  let after: number | undefined;
  let erased: TraceErasure | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const input: ReadTraceInput = {
      runId,
      ...(opts.step !== undefined ? { step: opts.step } : {}),
      ...(after !== undefined ? { after } : {}),
      ...(opts.detail ? { detail: true } : {}),
    };
    const read = await readPage(client, taskQueue, input, timeoutMs);
    if (read.erased) erased = read.erased;
    records.push(...read.records);
    if (read.next === undefined) break;
    after = read.next;
    if (page === MAX_PAGES - 1) warnings.push(`trace cut after ${MAX_PAGES} pages (${records.length} records)`);
  }
  const [calls, audit, children] = await Promise.all([...(await facts), childrenOf]);
  const trace = assembleTrace(runId, records, calls, audit, opts.step, warnings);
  await attachSubAgents(client, trace, children, opts);
  if (!erased) return trace;
  warnings.push(
    `the run's stored content was erased (${erased.reason === 'forget' ? `forgotten by ${erased.by}` : 'retention'}, ${erased.at}): no attempts to show`,
  );
  return { ...trace, erased };
}

/** Puts each sub-agent under the tool call that delegated to it, with its own trace (read
 * the same way, `subAgents` levels deep). A child whose trace cannot be read is shown
 * without one, and a warning says why. */
async function attachSubAgents(client: Client, trace: RunTrace, children: ChildRun[], opts: TraceOptions) {
  const levels = opts.subAgents ?? 3;
  const shown = children.filter((c) => opts.step === undefined || c.step === opts.step);
  await Promise.all(
    shown.map(async (c) => {
      let step = trace.steps.find((s) => s.step === c.step);
      if (!step) trace.steps.push((step = { step: c.step, modelCalls: [], toolCalls: [], decisions: [] }));
      let call = step.toolCalls.find((t) => t.callId === c.callId);
      if (!call)
        step.toolCalls.push((call = { callId: c.callId, tool: `(sub-agent ${c.agent})`, decisions: [], attempts: [] }));
      call.subAgent = { runId: c.runId, agent: c.agent, state: c.state };
      if (levels <= 0) return;
      try {
        const { step: _only, ...rest } = opts;
        call.subAgent.trace = await readRunTrace(client, c.runId, { ...rest, subAgents: levels - 1 }, trace.runId);
      } catch (err) {
        trace.warnings.push(`sub-agent ${c.runId}: trace not read (${(err as Error)?.message ?? String(err)})`);
      }
    }),
  );
  trace.steps.sort((a, b) => a.step - b.step);
}

async function readPage(client: Client, taskQueue: string, input: ReadTraceInput, timeoutMs: number) {
  try {
    return (await client.workflow.execute(workflowNames.traceReader, {
      taskQueue,
      workflowId: `bosun-trace-${input.runId}-${randomUUID()}`,
      workflowExecutionTimeout: timeoutMs,
      args: [input],
    })) as TracePage;
  } catch (err) {
    if (err instanceof WorkflowFailedError && (err.cause as { name?: string } | undefined)?.name === 'TimeoutFailure')
      throw new NoWorkerAnsweredError(taskQueue, timeoutMs);
    if (isEncryptedPayloadError(err)) throw new TraceEncryptedError(input.runId);
    throw err;
  }
}

/** A payload this client could not decode: encrypted by a codec it does not have. */

/** The workers encrypt payloads and this client has not their keys: the trace came back
 * encrypted (which is the point: content is readable only where the keys are). */
export class TraceEncryptedError extends Error {
  constructor(runId: string) {
    super(
      `the trace of ${runId} is encrypted by the workers' payload codec and this client has no keys: connect with the workers' data converter (dataConverterFromConfig)`,
    );
    this.name = 'TraceEncryptedError';
  }
}

type Step = RunTrace['steps'][number];
type ToolCallTrace = Step['toolCalls'][number];

/**
 * The records grouped into steps → calls → attempts (each attempt marked `superseded` when a
 * later one of the same call followed; a missing attempt number shows as `lost`), routes
 * taken from the `calls` query where a record carries none, and the audit trail's entries
 * attached to their tool calls. Pure: the same records give the same trace.
 */
export function assembleTrace(
  runId: string,
  records: readonly StoredTraceRecord[],
  calls: readonly CallRecord[],
  audit: readonly AuditEntry[],
  onlyStep?: number,
  warnings: string[] = [],
): RunTrace {
  const steps = new Map<number, Step>();
  const stepOf = (n: number): Step => {
    let s = steps.get(n);
    if (!s) steps.set(n, (s = { step: n, modelCalls: [], toolCalls: [], decisions: [] }));
    return s;
  };
  const keep = (n: number) => onlyStep === undefined || n === onlyStep;
  const sorted = [...records].sort((a, b) => a.seq - b.seq);
  const modelGroups = new Map<string, (ModelAttempt & { seq: number })[]>();
  for (const r of sorted) {
    if (!keep(r.step)) continue;
    const s = stepOf(r.step);
    if (r.kind === 'model') {
      let group = modelGroups.get(r.call);
      if (!group) {
        modelGroups.set(r.call, (group = []));
        s.modelCalls.push({ call: r.call, model: describeModel(r.model), attempts: [] });
      }
      group.push(r);
    } else {
      toolCallOf(s, r.call, r.tool.name).attempts.push({ ...r, superseded: false });
    }
  }
  for (const s of steps.values()) for (const c of s.modelCalls) c.attempts = withAttempts(modelGroups.get(c.call)!);
  mergeRoutes(steps, calls);
  for (const entry of audit) {
    if (!keep(entry.step)) continue;
    const s = stepOf(entry.step);
    if (entry.callId) toolCallOf(s, entry.callId, entry.tool ?? '(unknown)').decisions.push(entry);
    else s.decisions.push(entry);
  }
  // After the decisions: whether an early attempt counted depends on them too.
  for (const s of steps.values()) {
    for (const t of s.toolCalls) t.attempts = toolAttempts(t.attempts as ToolAttempt[], t.decisions);
  }
  return { runId, steps: [...steps.values()].sort((a, b) => a.step - b.step), warnings };
}

function toolCallOf(s: Step, callId: string, tool: string): ToolCallTrace {
  let t = s.toolCalls.find((c) => c.callId === callId);
  if (!t) s.toolCalls.push((t = { callId, tool, decisions: [], attempts: [] }));
  return t;
}

/** An attempt as shown: the record without its paging `seq`, or a lost attempt. */
type Shown<A> =
  (Omit<A, 'superseded' | 'seq'> & { superseded: boolean }) | { kind: 'lost'; attempt: number; superseded: true };

/** Attempts in order, the earlier ones superseded, missing numbers as lost attempts. */
function withAttempts<A extends { attempt: number; seq?: number }>(records: readonly A[]): Shown<A>[] {
  const byAttempt = new Map(records.map((r) => [r.attempt, r]));
  const last = Math.max(...records.map((r) => r.attempt));
  const out: Shown<A>[] = [];
  for (let n = 1; n <= last; n++) {
    const r = byAttempt.get(n);
    if (!r) {
      out.push({ kind: 'lost', attempt: n, superseded: true });
      continue;
    }
    // `seq` is the store's paging position, not part of the trace.
    const { seq: _seq, ...record } = r;
    out.push({ ...(record as Omit<A, 'superseded' | 'seq'>), superseded: n < last });
  }
  return out;
}

/** A tool call's attempts: an early one (run inside the model call) first, then the
 * activity's. The early one did not count (superseded) when the call ran again as an
 * activity of its own, or when the gate stopped the call (a loop, an exhausted budget). */
function toolAttempts<A extends ToolAttempt & { seq?: number }>(
  records: readonly A[],
  decisions: readonly AuditEntry[],
): Shown<A>[] {
  const own = withAttempts(records.filter((r) => !r.early));
  const stopped = decisions.some((d) => d.event === 'loop_detected' || d.event === 'budget_refused');
  const early = records
    .filter((r) => r.early)
    .map(({ seq: _seq, ...r }) => ({ ...r, superseded: own.length > 0 || stopped }));
  return [...(early as Shown<A>[]), ...own];
}

/** Routes from the `calls` query: a step's model calls (summaries aside) in order, matched
 * by model, to the records' calls of that step in order. */
function mergeRoutes(steps: Map<number, Step>, calls: readonly CallRecord[]): void {
  for (const s of steps.values()) {
    const records = calls.filter((c) => c.step === s.step && c.purpose !== 'summary').sort((a, b) => a.seq - b.seq);
    let from = 0;
    for (const mc of s.modelCalls) {
      const carried = mc.attempts.find((a): a is ModelAttempt & { superseded: boolean } => 'route' in a && !!a.route);
      if (carried?.route) {
        mc.route = carried.route;
        continue;
      }
      const i = records.findIndex((c, j) => j >= from && c.model === mc.model);
      if (i < 0) continue;
      from = i + 1;
      mc.route = routeOf(records[i]!);
    }
  }
}

const routeOf = (c: CallRecord): TraceRoute => ({
  purpose: c.purpose,
  taskClass: c.taskClass,
  tier: c.tier,
  reason: c.routeReason,
  ...(c.fallbackFrom ? { fallbackFrom: c.fallbackFrom } : {}),
  ...(c.fallbackReason ? { fallbackReason: c.fallbackReason } : {}),
});
