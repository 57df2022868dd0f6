import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  ParentClosePolicy,
  isCancellation,
  startChild,
} from '@temporalio/workflow';
import {
  addEffects,
  carveBudget,
  childRunId,
  delegateInput,
  delegateToolName,
  effectsAdded,
  holdUnaccounted,
  narrowPrincipal,
  rollUp,
  type CarvedBudget,
  type ChildRun,
  type Delegate,
  type DelegateToolInput,
  type DelegationRefusal,
  type ParentLink,
  type Remaining,
  type SubAgentReport,
} from '../core/delegation.ts';
import type { ToolCall, ToolResult } from '../core/messages.ts';
import type { AgentDefinition, RunInputInit, RunOutcome, RunResult } from '../core/run.ts';
import { addUsage } from '../core/usage.ts';
import { defineTool, toolSpec, type ToolContract } from '../tools/index.ts';
import { sha256Hex, toolFingerprint } from '../tools/fingerprint.ts';
import { catalog } from './catalog.ts';
import { searchAttributes, workflowNames } from './definitions.ts';
import { make } from './failures.ts';
import type { HumanDesk } from './human.ts';
import type { UnroutedRequest } from './model-caller.ts';
import { KEEP_CHILDREN, spent, type RunState } from './run-state.ts';

/** A child of a parent whose wall-clock budget is carved also has it as a Temporal timeout,
 * with this slack: a child stuck in failing workflow tasks cannot hold its parent forever. */
const WALL_CLOCK_SLACK_MS = 60_000;

/**
 * Sub-agents on the workflow side. Each agent the run may delegate to is offered to the model
 * as a tool; a call the gate allows starts that agent as a child workflow — deterministic id,
 * the parent's principal narrowed to the delegate's scopes, a budget carved from what the
 * parent has left — and the child's typed outcome is the tool result. What the child used is
 * rolled up from its result into the parent's totals; cancelling the parent cancels it.
 */
interface Delegates {
  byTool: Map<string, { spec: Delegate; contract: ToolContract; agent: AgentDefinition }>;
  pins: Record<string, string>;
}

// Keyed by the run's state object: nothing is shared between runs.
const byRun = new WeakMap<RunState, Delegates>();

/** Longest sub-agent answer handed to the parent's model (the whole one is in the child's
 * result); the parent keeps room in its cost budget to read this much per child. */
const ANSWER_CHARS = 8_000;

/**
 * Offers the agent's delegates as tools (a new run pins their versions with the other
 * tools'). Returns the outcome that ends the run when one cannot be offered: an agent the
 * catalog does not define, or a tool name another tool has.
 */
export function openDelegates(run: RunState, request: UnroutedRequest, taken: (name: string) => boolean) {
  const specs = run.agent.delegates.map((d): Delegate => (typeof d === 'string' ? { agent: d } : d));
  if (specs.length === 0) return undefined;
  const byTool: Delegates['byTool'] = new Map();
  const pins: Record<string, string> = {};
  for (const spec of specs) {
    const agent = catalog().agent(spec.agent);
    if (!agent) {
      const known = catalog().agents.map((a) => a.name);
      const message = `agent "${run.agent.name}" delegates to "${spec.agent}", which this worker's catalog does not define (defined: ${known.join(', ') || 'none'})`;
      return failedOpen(message);
    }
    const name = delegateToolName(spec);
    if (taken(name) || byTool.has(name))
      return failedOpen(
        `agent "${run.agent.name}" offers sub-agent "${spec.agent}" as the tool "${name}", a name another tool has; set the delegate's \`tool\``,
      );
    const contract = defineTool({
      name,
      description:
        spec.description ??
        agent.description ??
        `Hand a task to the "${agent.name}" agent. It works on it alone and returns its answer.`,
      input: delegateInput,
      effect: 'side-effect',
      approval: 'never',
    });
    byTool.set(name, { spec, contract, agent });
    run.offered.push(name);
    request.tools.push(toolSpec(contract));
    pins[name] = toolFingerprint(contract);
  }
  if (!run.input.resume) run.tools = { ...run.tools, ...pins };
  byRun.set(run, { byTool, pins });
  run.note(`sub-agents offered: ${specs.map((s) => s.agent).join(', ')}`);
  return undefined;
}

const failedOpen = (message: string): RunOutcome => ({ kind: 'failed', failure: make('invalid_input', message) });

/** The contract of a delegate tool by the name the model used, if it is one. */
export function delegateContract(run: RunState, name: string): ToolContract | undefined {
  return byRun.get(run)?.byTool.get(name)?.contract;
}

/** The pins of a run without any: one object, so an unchanged offer keeps its identity. */
const noPins: Readonly<Record<string, string>> = Object.freeze({});

/** The delegate tools' versions, for the tool set a model call records. */
export function delegatePins(run: RunState): Readonly<Record<string, string>> {
  return byRun.get(run)?.pins ?? noPins;
}

/** How one step's delegations are planned: each call's position among them, and what the
 * run had left when the step's tools started (each gets an even share of it). */
export interface StepDelegations {
  positions: Map<ToolCall, number>;
  ways: number;
  remaining: Remaining;
}

/** Plans a step's delegations before its tool calls run (undefined when it has none). */
export function planDelegations(run: RunState, calls: ToolCall[]): StepDelegations | undefined {
  const delegations = calls.filter((c) => byRun.get(run)?.byTool.has(c.name));
  if (delegations.length === 0) return undefined;
  const ways = Math.min(delegations.length, run.agent.delegation.maxParallel);
  return {
    positions: new Map(delegations.map((c) => [c, calls.indexOf(c) + 1])),
    ways,
    remaining: remainingFor(run, calls.length, ways),
  };
}

/** What the run may still spend on children: this step's tool calls are its own, and the
 * worst case of its next model call (which reads the children's answers) stays its own. */
function remainingFor(run: RunState, callsInStep: number, ways: number): Remaining {
  const s = spent(run);
  const b = run.agent.budgets;
  const left = (max: number | undefined, used: number) => (max === undefined ? undefined : max - used);
  const r: Remaining = { steps: run.agent.maxSteps - s.steps };
  const toolCalls = left(b.maxToolCalls, s.toolCalls + callsInStep);
  const inputTokens = left(b.maxInputTokens, s.usage.input);
  const outputTokens = left(b.maxOutputTokens, s.usage.output);
  const nextCall = b.maxCostUsd === undefined ? 0 : (run.nextCallUsd?.(ways * ANSWER_CHARS) ?? 0);
  const costUsd = left(b.maxCostUsd, s.costUsd + nextCall);
  const wallClockMs = left(b.maxWallClockMs, s.elapsedMs);
  return {
    ...r,
    ...(toolCalls !== undefined ? { toolCalls } : {}),
    ...(inputTokens !== undefined ? { inputTokens } : {}),
    ...(outputTokens !== undefined ? { outputTokens } : {}),
    ...(costUsd !== undefined ? { costUsd } : {}),
    ...(wallClockMs !== undefined ? { wallClockMs } : {}),
  };
}

/**
 * Runs an allowed delegation: refuses it (typed) past the depth or fan-out limits or when
 * no budget is left to carve, else starts the child and waits for its outcome. The parent's
 * cancellation propagates to the child (which records it and stops); the parent rethrows it.
 */
export async function delegate(
  run: RunState,
  desk: HumanDesk,
  call: ToolCall,
  step: number,
  input: unknown,
  plan: StepDelegations,
): Promise<{ result: ToolResult }> {
  const entry = byRun.get(run)!.byTool.get(call.name)!;
  const { spec, agent } = entry;
  const position = plan.positions.get(call)!;
  const order = [...plan.positions.values()].indexOf(position);
  const refuse = (reason: DelegationRefusal, message: string) => {
    desk.record({ event: 'sub_agent_refused', tool: call.name, callId: call.id, by: 'system', reason: message });
    run.note(`step ${step}: delegation to ${spec.agent} refused (${reason})`);
    return report(call, { status: 'refused', agent: spec.agent, reason, message });
  };
  if (run.depthLeft <= 0)
    return refuse('depth_limit', `no deeper delegation: this run is at its depth limit (${depthOf(run)} level(s))`);
  if (order >= run.agent.delegation.maxParallel)
    return refuse(
      'fan_out_limit',
      `at most ${run.agent.delegation.maxParallel} delegation(s) run in one step; ask for this one in a later step`,
    );
  if (run.childrenStarted >= run.agent.delegation.maxChildren)
    return refuse('fan_out_limit', `this run has started its ${run.agent.delegation.maxChildren} sub-agents`);
  const carved = carveBudget(plan.remaining, plan.ways, spec.budget);
  if ('short' in carved) return refuse('budget', carved.short);

  const { task, input: structured } = input as DelegateToolInput;
  const childId = childRunId(run.id, step, position, sha256Hex);
  const child: ChildRun = { runId: childId, agent: spec.agent, step, callId: call.id, state: 'running' };
  run.children.push(child);
  run.children.splice(0, Math.max(0, run.children.length - KEEP_CHILDREN));
  run.childrenStarted++;
  const pending = { kind: 'sub_agent' as const, step, callId: call.id, agent: spec.agent, runId: childId };
  run.status.pending.push(pending);
  run.status.toolCalls++;
  const start = async (): Promise<{ result: ToolResult }> => {
    // Taken now (after any earlier delegation of the step that tallies, see `inTurn`), so
    // the child's policies see all the tree has done.
    const inherited = JSON.parse(JSON.stringify(run.effects)) as typeof run.effects;
    const link: ParentLink = {
      runId: run.id,
      agent: run.agent.name,
      step,
      callId: call.id,
      rootRunId: run.input.parent?.rootRunId ?? run.id,
      depth: depthOf(run) + 1,
      depthLeft: Math.min(run.depthLeft - 1, agent.delegation.maxDepth),
      budget: carved.budget,
      ...(Object.keys(inherited).length ? { effects: inherited } : {}),
    };
    const childInput: RunInputInit = {
      agent: spec.agent,
      task: structured ? `${task}\n\nInput (JSON):\n${JSON.stringify(structured, null, 2)}` : task,
      principal: narrowPrincipal(run.principal, spec.scopes),
      ...(spec.output ? { output: spec.output } : {}),
      ...(run.input.stream === false ? { stream: false } : {}),
      parent: link,
    };
    desk.record({
      event: 'sub_agent_started',
      tool: call.name,
      callId: call.id,
      by: 'system',
      reason: `run ${childId} (agent ${spec.agent}, scopes ${childInput.principal!.scopes!.join(', ') || 'none'}, budget ${describeBudget(carved.budget)})`,
    });
    run.note(`step ${step}: delegated to ${spec.agent} (${childId})`);
    const wallClock = carved.budget.maxWallClockMs;
    try {
      const handle = await startChild(workflowNames.agentRun, {
        workflowId: childId,
        args: [childInput],
        // An operator who terminates the parent still lets its children record a cancellation.
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        ...(wallClock !== undefined ? { workflowExecutionTimeout: wallClock + WALL_CLOCK_SLACK_MS } : {}),
        typedSearchAttributes: [
          { key: searchAttributes.tenant, value: run.principal.tenant },
          { key: searchAttributes.agent, value: spec.agent },
          { key: searchAttributes.status, value: 'running' },
          { key: searchAttributes.pendingApprovals, value: 0 },
        ],
      });
      const result = (await handle.result()) as RunResult;
      return settle(run, call, child, result, inherited);
    } catch (err) {
      if (isCancellation(err) && CancellationScope.current().consideredCancelled) {
        // The parent was cancelled: its children were told and have stopped; what they spent
        // is in their own results.
        child.state = 'cancelled';
        run.delegated = holdUnaccounted(run.delegated, carved.budget);
        throw err;
      }
      const result = resultIn(err);
      if (result) return settle(run, call, child, result, inherited);
      if ((err as { name?: string })?.name === 'WorkflowExecutionAlreadyStartedError') {
        // Nothing of ours ran: the id is taken by a run this one did not start.
        child.state = 'not_started';
        return report(call, {
          status: 'failed',
          agent: spec.agent,
          runId: childId,
          failure: 'child_id_taken',
          message: `a run with the sub-agent's id ${childId} exists already; the delegation did not start`,
        });
      }
      // Cancelled by someone else, terminated, timed out: no result to roll up; the budget
      // carved for it is held against this run's.
      const cancelled = isCancellation(err);
      child.state = cancelled ? 'cancelled' : 'lost';
      run.delegated = holdUnaccounted(run.delegated, carved.budget);
      const message = cancelled
        ? 'the sub-agent run was cancelled'
        : `the sub-agent run ended without a result (${err instanceof Error ? err.message : String(err)})`;
      return report(call, {
        status: cancelled ? 'stopped' : 'failed',
        agent: spec.agent,
        runId: childId,
        ...(cancelled ? { reason: 'cancelled' } : { failure: 'child_lost' }),
        message,
      } as SubAgentReport);
    }
  };
  try {
    return await (tallies(spec.agent) ? inTurn(run, start) : start());
  } finally {
    run.status.pending = run.status.pending.filter((p) => p !== pending);
  }
}

// Delegations whose agents can use tools with a `tally`, one at a time per run.
const turns = new WeakMap<RunState, Promise<unknown>>();

/** Runs `fn` after the run's earlier tallying delegations have ended: siblings started
 * side by side would each see the same prior effects and could split a threshold. */
function inTurn<T>(run: RunState, fn: () => Promise<T>): Promise<T> {
  const previous = turns.get(run) ?? Promise.resolve();
  const next = previous.then(fn, fn);
  turns.set(
    run,
    next.catch(() => undefined),
  );
  return next;
}

/** Whether an agent (or any agent it may delegate to) offers a tool whose calls add to a
 * tally that policies read. */
function tallies(name: string, seen = new Set<string>()): boolean {
  if (seen.has(name)) return false;
  seen.add(name);
  const agent = catalog().agent(name);
  if (!agent) return false;
  if (agent.tools.some((t) => catalog().tool(t)?.tally !== undefined)) return true;
  return agent.delegates.some((d) => tallies(typeof d === 'string' ? d : d.agent, seen));
}

/** A child's typed result: its return value, or carried in the failure it ended with (a
 * run that failed or escalated ends Failed with its result as the failure's details). */
function resultIn(err: unknown): RunResult | undefined {
  if (!(err instanceof ChildWorkflowFailure) || !(err.cause instanceof ApplicationFailure)) return undefined;
  const d = err.cause.details?.[0] as Partial<RunResult> | undefined;
  return d && typeof d === 'object' && d.outcome && typeof d.runId === 'string' ? (d as RunResult) : undefined;
}

/** Rolls the child's use into the run's totals and tells the model its outcome. */
function settle(
  run: RunState,
  call: ToolCall,
  child: ChildRun,
  r: RunResult,
  inherited: Record<string, { calls: number; totals: Record<string, number> }>,
): { result: ToolResult } {
  run.delegated = rollUp(run.delegated, r);
  run.totals.usage = addUsage(run.totals.usage, r.usage);
  run.totals.costUsd = Math.round((run.totals.costUsd + r.costUsd) * 1e9) / 1e9;
  run.totals.unpricedCalls += r.unpricedCalls;
  // What the child's tree did with each tool counts for this run's policies too.
  if (r.effects) run.effects = addEffects(run.effects, effectsAdded(inherited, r.effects));
  child.state = r.outcome.kind;
  child.costUsd = r.costUsd;
  child.steps = r.steps;
  run.note(`sub-agent ${child.agent} (${child.runId}) ended: ${r.outcome.kind}, $${r.costUsd.toFixed(6)}`);
  const base = { agent: child.agent, runId: child.runId };
  const o = r.outcome;
  switch (o.kind) {
    case 'answer': {
      const answer = o.text.length > ANSWER_CHARS ? `${o.text.slice(0, ANSWER_CHARS)}… (cut)` : o.text;
      return report(call, {
        status: 'answer',
        ...base,
        answer,
        ...(o.output !== undefined ? { output: o.output } : {}),
      });
    }
    case 'escalated':
      return report(call, { status: 'escalated', ...base, reason: o.reason, message: o.message });
    case 'budget_exhausted':
      return report(call, {
        status: 'budget_exhausted',
        ...base,
        budget: o.budget,
        limit: o.limit,
        summary: o.summary,
      });
    case 'failed':
      return report(call, { status: 'failed', ...base, failure: o.failure.type, message: o.failure.message });
    case 'stopped':
      return report(call, { status: 'stopped', ...base, reason: o.reason, message: o.message });
  }
}

function report(call: ToolCall, r: SubAgentReport): { result: ToolResult } {
  return {
    result: { callId: call.id, name: call.name, content: JSON.stringify(r), isError: r.status !== 'answer' },
  };
}

function depthOf(run: RunState): number {
  return run.input.parent?.depth ?? 0;
}

function describeBudget(b: CarvedBudget): string {
  const parts = [`${b.maxSteps} steps`];
  if (b.maxToolCalls !== undefined) parts.push(`${b.maxToolCalls} tool calls`);
  if (b.maxInputTokens !== undefined) parts.push(`${b.maxInputTokens} input tokens`);
  if (b.maxOutputTokens !== undefined) parts.push(`${b.maxOutputTokens} output tokens`);
  if (b.maxCostUsd !== undefined) parts.push(`$${b.maxCostUsd.toFixed(6)}`);
  if (b.maxWallClockMs !== undefined) parts.push(`${Math.round(b.maxWallClockMs / 1000)} s`);
  return parts.join(', ');
}
