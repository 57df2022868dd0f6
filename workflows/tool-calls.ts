import { isCancellation } from '@temporalio/workflow';
import { TOOL_RESULT_INLINE_CHARS, type EarlyTools } from '../core/activity-contracts.ts';
import type { ToolCall, ToolResult } from '../core/messages.ts';
import type { EarlyResult } from '../core/model.ts';
import { anonymousPrincipal, type Principal } from '../core/principal.ts';
import type { RunOutcome } from '../core/run.ts';
import {
  authorizeToolCall,
  checkToolInput,
  noPriorEffects,
  runsEarly,
  type PriorEffects,
  type ToolContract,
} from '../tools/index.ts';
import { canonicalJson, sha256Hex } from '../tools/fingerprint.ts';
import { parentShown } from '../core/delegation.ts';
import { clip } from '../core/run-events.ts';
import { catalog } from './catalog.ts';
import { delegate, delegateContract, planDelegations } from './delegation.ts';
import { mcpContract, toolActivity } from './mcp-tools.ts';
import { failureFromError } from './failures.ts';
import type { HumanDesk } from './human.ts';
import { countToolDenial } from './metrics.ts';
import { countEffects, type RunState } from './run-state.ts';
import { loopStop, toolBudgetStop } from './stops.ts';

/**
 * What a step's model call may run early (`CallModelInput.early`): the offered tools of the
 * worker's catalog that `runsEarly` allows, the run's tool timeout, and the principal unless
 * anonymous. Undefined when no offered tool qualifies. MCP tools and delegates are not in
 * the catalog (a run refuses their names when they clash with it, at start).
 */
export function earlyTools(run: RunState): EarlyTools | undefined {
  const tools = run.offered.filter((name) => {
    const contract = catalog().tool(name);
    return contract !== undefined && runsEarly(contract);
  });
  if (tools.length === 0) return undefined;
  return {
    tools,
    timeoutMs: run.agent.timeouts.toolCallMs,
    ...(isAnonymous(run.principal) ? {} : { principal: run.principal }),
  };
}

const isAnonymous = (p: Principal) =>
  p.tenant === anonymousPrincipal.tenant &&
  p.user === anonymousPrincipal.user &&
  p.scopes.length === 0 &&
  p.roles.length === 0 &&
  Object.keys(p.attributes).length === 0;

/** The step's calls that ran early, by call id. */
type Early = ReadonlyMap<string, EarlyResult>;

/** A gated tool call: run it (with the input a human may have edited), or answer the model
 * without running it — and perhaps stop the run. */
type Gate =
  | { kind: 'run'; contract: ToolContract; input: unknown; prior: PriorEffects; approvedBy?: string }
  | { kind: 'answer'; result: ToolResult; stop?: RunOutcome };

/**
 * The tool calls of one step: each is gated — offered, schema, loop, budget, scopes and
 * constraints, approval policy (waiting for a human where it asks) — and the allowed ones run
 * as activities, all in parallel. Results come back in call order; the first stop, if any,
 * ends the run after the step.
 */
export function runToolCalls(
  run: RunState,
  desk: HumanDesk,
  calls: ToolCall[],
  step: number,
  earlyResults?: readonly EarlyResult[],
) {
  const delegations = planDelegations(run, calls);
  const early: Early | undefined = earlyResults?.length ? new Map(earlyResults.map((e) => [e.callId, e])) : undefined;
  // One call, most steps: run alone, its gate not awaited when it decided at once, and
  // chained with `then` rather than awaited. In the sandbox every promise costs CPU (the SDK
  // records a stack trace for each), and with one call nothing else in the step issues
  // commands, so commands come out in the same order. Several calls keep `Promise.all` and
  // an awaited gate each: their commands interleave by the microtasks between them (an
  // approval's timer against another call's activity).
  return calls.length === 1
    ? runToolCall(run, desk, calls[0]!, step, delegations, early, true).then((done) => stepResults([done]))
    : Promise.all(calls.map((call) => runToolCall(run, desk, call, step, delegations, early, false))).then(stepResults);
}

type Done = { result: ToolResult; stop?: RunOutcome; storedChars?: number };

/** A step's tool results in call order, and the first stop among them. */
function stepResults(settled: Done[]) {
  return {
    results: settled.map((s) => s.result),
    stop: settled.find((s) => s.stop)?.stop,
    /** Characters of results kept in the run store beyond what history carries. */
    storedChars: settled.reduce((sum, s) => sum + (s.storedChars ?? 0), 0),
  };
}

/** One call of a step, gated and run (or answered). `alone`: the step's only call, whose
 * gate is awaited only when it waits for a human (see `runToolCalls`). */
async function runToolCall(
  run: RunState,
  desk: HumanDesk,
  call: ToolCall,
  step: number,
  delegations: ReturnType<typeof planDelegations>,
  early: Early | undefined,
  alone: boolean,
): Promise<Done> {
  const args = clip(canonicalJson(call.input));
  run.events?.publish({
    type: 'tool_requested',
    callId: call.id,
    tool: call.name,
    args: args.text,
    ...(args.cut ? { cut: true } : {}),
  });
  const gated = gateToolCall(run, desk, call, step);
  const gate = alone && !(gated instanceof Promise) ? gated : await gated;
  const done =
    gate.kind === 'answer'
      ? gate
      : delegations?.positions.has(call)
        ? await delegate(run, desk, call, step, gate.input, delegations)
        : await execute(run, call, step, gate, early?.get(call.id));
  const shown = clip(done.result.content);
  run.events?.publish({
    type: 'tool_finished',
    callId: call.id,
    tool: call.name,
    isError: done.result.isError,
    result: shown.text,
    ...(shown.cut || done.result.ref ? { cut: true } : {}),
  });
  return done;
}

/** What makes two tool calls identical, for loop detection: the tool and its arguments —
 * long arguments by their hash, so the keys a run remembers (and carries) stay small. */
function callKey(name: string, input: unknown): string {
  const args = canonicalJson(input);
  return `${name}:${args.length > 64 ? `#${sha256Hex(args).slice(0, 16)}` : args}`;
}

const errorResult = (call: ToolCall, content: string): ToolResult => ({
  callId: call.id,
  name: call.name,
  content,
  isError: true,
});

/** A call's gate: decided at once, or — when a human must approve — once they have. */
function gateToolCall(run: RunState, desk: HumanDesk, call: ToolCall, step: number): Gate | Promise<Gate> {
  const answer = (content: string, stop?: RunOutcome): Gate => ({
    kind: 'answer',
    result: errorResult(call, content),
    ...(stop ? { stop } : {}),
  });
  const deny = (reason: string, content: string) => {
    countToolDenial(run.offered.includes(call.name) ? call.name : '(unknown)');
    desk.record({ event: 'tool_denied', tool: call.name, callId: call.id, by: 'policy', reason });
    run.note(`step ${step}: denied ${call.name} (${reason})`);
    return answer(content);
  };
  if (!run.offered.includes(call.name)) {
    return deny(
      'not offered to this run',
      `Unknown tool "${call.name}". Available tools: ${run.offered.join(', ') || 'none'}.`,
    );
  }
  const contract = mcpContract(run, call.name) ?? delegateContract(run, call.name) ?? catalog().tool(call.name)!;
  const check = checkToolInput(contract, call.input);
  if (!check.ok) {
    run.note(`step ${step}: refused invalid arguments for ${call.name}`);
    desk.record({ event: 'invalid_arguments', tool: call.name, callId: call.id, by: 'policy', reason: check.message });
    return answer(check.message);
  }
  const loop = loopStop(run, call.name, callKey(call.name, check.value));
  if (loop) {
    desk.record({
      event: 'loop_detected',
      tool: call.name,
      callId: call.id,
      by: 'system',
      reason: loop.kind === 'stopped' ? loop.message : '',
    });
    return answer('Stopped: this exact call was already made; repeating it will not help.', loop);
  }
  const over = toolBudgetStop(run);
  if (over?.kind === 'budget_exhausted') {
    const reason = `the run's ${over.budget.replace('_', ' ')} budget is exhausted`;
    desk.record({ event: 'budget_refused', tool: call.name, callId: call.id, by: 'system', reason });
    return answer(`Not executed: ${reason}.`, over);
  }

  // Policies see what the run has already done with this tool (allowed calls count at once,
  // so parallel calls in one step cannot split a threshold either).
  const prior = run.effects[call.name] ?? noPriorEffects;
  const allowed = (input: unknown, approvedBy?: string): Gate => {
    countEffects(run, call.name, contract.tally?.(input), 1);
    return { kind: 'run', contract, input, prior, ...(approvedBy ? { approvedBy } : {}) };
  };
  const auth = authorizeToolCall(contract, check.value, run.principal, prior);
  if (auth.kind === 'deny') return deny(auth.reason, `Permission denied for "${call.name}": ${auth.reason}.`);
  if (auth.kind === 'allow') {
    desk.record({ event: 'tool_allowed', tool: call.name, callId: call.id, by: 'policy', reason: auth.reason });
    return allowed(check.value);
  }
  run.status.phase = 'waiting_for_approval';
  run.note(`step ${step}: ${call.name} waits for approval (${auth.reason})`);
  const options = { ...auth.options, ...run.agent.approvals[call.name] };
  return (async (): Promise<Gate> => {
    const decision = await desk.requestApproval({
      step,
      callId: call.id,
      contract,
      input: check.value,
      reason: auth.reason,
      options,
      context: {
        task: run.input.task.slice(0, 2000),
        principal: { tenant: run.principal.tenant, user: run.principal.user },
        earlierResults: run.toolResults
          .slice(-5)
          .map(({ step, tool, content, isError }) => ({ step, tool, content: content.slice(0, 300), isError })),
        ...(run.input.parent ? { parent: parentShown(run.input.parent) } : {}),
      },
      prior,
    });
    run.status.phase = 'running_tools';
    if (decision.kind === 'approved') return allowed(decision.input, decision.by);
    countToolDenial(call.name);
    return answer(
      decision.kind === 'rejected'
        ? `A human (${decision.by}) rejected this call: ${decision.reason}`
        : `Not executed: ${decision.reason}.`,
    );
  })();
}

/**
 * Runs an allowed call as an activity — or takes its early result, when the model call ran
 * it (`earlyTools`) and the gate allowed it as it ran: no human in between, a tool that may
 * run early. A call the gate answered never gets here: its early result is dropped.
 */
async function execute(
  run: RunState,
  call: ToolCall,
  step: number,
  gate: Extract<Gate, { kind: 'run' }>,
  early: EarlyResult | undefined,
): Promise<{ result: ToolResult; storedChars?: number }> {
  if (early && !gate.approvedBy && runsEarly(gate.contract)) {
    run.status.toolCalls++;
    if ('failed' in early) return { result: errorResult(call, failedMessage(call, 'tool_failed', early.failed)) };
    return resultOf(call, early);
  }
  const pending = { kind: 'tool_call' as const, step, callId: call.id, tool: call.name };
  run.status.pending.push(pending);
  run.status.toolCalls++;
  const summary = `${call.name} · step ${step}${gate.approvedBy ? ` · approved by ${gate.approvedBy.replace('human:', '')}` : ''}`;
  try {
    const { content, ref, chars } = await toolActivity(
      run.agent.timeouts,
      gate.contract,
      summary,
    )({
      runId: run.id,
      step,
      callId: call.id,
      name: call.name,
      input: gate.input,
      principal: run.principal,
      prior: gate.prior,
      inlineMaxChars: TOOL_RESULT_INLINE_CHARS,
      ...(gate.approvedBy ? { approvedBy: gate.approvedBy } : {}),
    });
    return resultOf(call, { content, ref, chars });
  } catch (err) {
    if (isCancellation(err)) throw err;
    countEffects(run, call.name, gate.contract.tally?.(gate.input), -1);
    const failure = failureFromError(err);
    return { result: errorResult(call, failedMessage(call, failure.type, failure.message)) };
  } finally {
    run.status.pending = run.status.pending.filter((p) => p !== pending);
  }
}

/** A tool's result as the conversation carries it, and how much of it stays in the store. */
function resultOf(call: ToolCall, r: { content: string; ref?: string | undefined; chars?: number | undefined }) {
  const { content, ref, chars } = r;
  const result: ToolResult = { callId: call.id, name: call.name, content, isError: false, ...(ref ? { ref } : {}) };
  return { result, storedChars: ref && chars ? chars - content.length : 0 };
}

const failedMessage = (call: ToolCall, type: string, message: string) =>
  `Tool "${call.name}" failed (${type}): ${message}`;
