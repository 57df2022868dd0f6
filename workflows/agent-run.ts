import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { EscalationReason } from '../core/approvals.ts';
import { formatIssues } from '../core/zod-issues.ts';
import { classifyAgentStep, type TaskClass } from '../core/routing.ts';
import { runInputSchema, type RunInputInit, type RunOutcome, type RunResult, type RunStatus } from '../core/run.ts';
import { zeroUsage } from '../core/usage.ts';
import { offeredTools, toolSpec } from '../tools/index.ts';
import { toolFingerprint, toolsetFingerprint } from '../tools/fingerprint.ts';
import { catalog } from './catalog.ts';
import { searchAttributes, statusQuery } from './definitions.ts';
import { endRun } from './ending.ts';
import { escalate } from './escalate.ts';
import { make } from './failures.ts';
import { createHumanDesk, type HumanDesk } from './human.ts';
import { countValidation } from './metrics.ts';
import { createModelCaller, type RoutedResult, type UnroutedRequest } from './model-caller.ts';
import { checkOutput } from '../core/output.ts';
import { judgeOutput, settleOutput } from './output-ladder.ts';
import { createProgress, type Progress } from './progress.ts';
import { pinPrompt } from './prompts.ts';
import { lookUp, withDocuments } from './retrieval.ts';
import { carry, newRunState, rememberResults, resultOf, summarize, trimRecords, type RunState } from './run-state.ts';
import { budgetStop, continueAsNewDue, costReservationRefused, costRunningLow, costStop } from './stops.ts';
import { runToolCalls } from './tool-calls.ts';

/** One agent run as its steps see it: the state, the human desk, what operators see, and
 * the model caller with the request every step shares. */
interface Loop {
  run: RunState;
  desk: HumanDesk;
  progress: Progress;
  caller: ReturnType<typeof createModelCaller>;
  request: UnroutedRequest;
}

/**
 * The agent loop: call the model (routed by task class, with fallbacks, within budget); if
 * it asks for tools, gate each call — schema, scopes, constraints, approval policy, waiting
 * for a human where the policy asks — run the allowed ones as activities (in parallel) and
 * feed every result back in call order; repeat until a final answer — settled against the
 * output contract when there is one — a budget, a stop condition, or a human ends it. Every
 * ending is a typed outcome, cancellation included.
 */
export async function agentRun(rawInput: RunInputInit): Promise<RunResult> {
  const parsed = runInputSchema.safeParse(rawInput);
  if (!parsed.success) return endRun(rejectInput(rawInput, `run input rejected: ${formatIssues(parsed.error)}`));
  const { agent: named } = parsed.data;
  const agent = typeof named === 'string' ? catalog().agent(named) : named;
  if (!agent) {
    const known =
      catalog()
        .agents.map((a) => a.name)
        .join(', ') || 'none';
    return endRun(rejectInput(rawInput, `unknown agent "${named}": this worker's catalog defines ${known}`));
  }
  const loop = startLoop(newRunState(workflowInfo().workflowId, parsed.data, agent));
  try {
    const opened = await openRun(loop);
    if (opened) return endRun(finish(loop, opened));
    for (;;) {
      const over = budgetStop(loop.run);
      if (over) return endRun(finish(loop, over));
      if (continueAsNewDue(loop.run)) await continueRunAsNew(loop, rawInput);
      const ended = await takeStep(loop);
      if (ended) return endRun(finish(loop, ended));
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancelled: in-flight activities were told (through their heartbeats) and have stopped.
    // The result is recorded, then the cancellation ends the execution as Canceled.
    await CancellationScope.nonCancellable(async () => {
      loop.desk.record({ event: 'cancelled', by: 'system', reason: 'the run was cancelled' });
      const summary = summarize(loop.run);
      endRun(finish(loop, { kind: 'stopped', reason: 'cancelled', message: 'the run was cancelled', summary }));
    });
    throw err;
  }
}

/** Wires the run's parts: the human desk and what operators see, the model caller (which
 * reserves each call's worst-case cost against the budget) and the shared request. */
function startLoop(run: RunState): Loop {
  // The desk tells progress of every change; progress reads the desk (only once both exist).
  const progress = createProgress(run, () => desk);
  const resume = run.input.resume;
  const contract = run.input.output;
  const desk = createHumanDesk({
    principal: run.principal,
    // A human's answer to a run with an output contract must match it (refused before history).
    ...(contract
      ? {
          checkAnswer: (text: string) => {
            const c = checkOutput(contract, text);
            return c.ok ? undefined : c.issues;
          },
        }
      : {}),
    step: () => run.status.step,
    onChange: () => progress.publish(),
    ...(resume ? { restore: { audit: resume.audit, escalations: resume.escalations } } : {}),
  });
  const { agent } = run;
  const tools = catalog();
  const { offered, hidden } = offeredTools(agent.tools, run.principal, tools.tool);
  run.offered = offered;
  // Each offered tool's version, pinned at start; every call records the set it offered.
  const pins = Object.fromEntries(offered.map((name) => [name, toolFingerprint(tools.tool(name)!)]));
  run.tools ??= pins;
  if (hidden.length)
    run.note(`tools not offered to ${run.principal.user}: ${hidden.map((h) => `${h.name} (${h.reason})`).join(', ')}`);
  const caller = createModelCaller({
    runId: run.id,
    config: agent,
    totals: run.totals,
    retrieved: () => run.retrieved,
    toolset: toolsetFingerprint(pins),
    onCall: ({ phase, model, record }) => {
      run.status.model = model;
      if (phase === 'start') {
        run.status.pending = [{ kind: 'model_call', step: run.status.step, model }];
        run.note(`step ${run.status.step}: calling ${model}`);
      } else if (record && record.outcome !== 'ok') {
        run.note(`step ${run.status.step}: ${model} failed (${record.outcome})`);
      }
    },
    reserve: (worstCase, model) => {
      const reason = costReservationRefused(run, worstCase, `${model.provider}/${model.name}`);
      if (reason) desk.record({ event: 'budget_refused', by: 'system', reason });
      return reason;
    },
  });
  const request: UnroutedRequest = {
    system: '',
    tools: offered.map((name) => toolSpec(tools.tool(name)!)),
    maxOutputTokens: agent.maxOutputTokens,
    ...(agent.temperature !== undefined ? { temperature: agent.temperature } : {}),
    ...(contract ? { output: { name: contract.name, schema: contract.schema } } : {}),
  };
  progress.publish();
  return { run, desk, progress, caller, request };
}

/**
 * Before the first step: check the agent's tools, pin the prompt version, look the task up
 * in the knowledge base (RAG agents), and send policy-sensitive requests or missing context
 * to a human before any model sees them. A continuation has done all of this already.
 */
async function openRun(loop: Loop): Promise<RunOutcome | undefined> {
  const { run } = loop;
  const { agent } = run;
  const { task } = run.input;
  if (run.input.resume) return undefined;
  const unknownTools = agent.tools.filter((name) => !catalog().tool(name));
  if (unknownTools.length > 0) {
    const message = `agent "${agent.name}" offers tools this worker does not serve: ${unknownTools.join(', ')} (served: ${catalog().toolNames().join(', ')})`;
    return { kind: 'failed', failure: make('invalid_input', message) };
  }
  run.prompt = await pinPrompt(agent.name, agent.instructions);
  let firstMessage = task;
  let missingContext: string | undefined;
  if (agent.retrieval) {
    const found = await lookUp(agent.retrieval, task);
    run.retrievalFacts = { chunks: found.chunks.length, weak: found.weak, topScore: found.chunks[0]?.score ?? 0 };
    run.note(
      `retrieval: ${found.chunks.length} chunk(s) from index ${found.indexVersion}${found.weak ? ' — weak' : ''}`,
    );
    if (!found.weak) {
      run.retrieved = { indexVersion: found.indexVersion, ids: found.chunks.map((c) => c.id) };
      firstMessage = withDocuments(found.chunks, task);
    } else if (agent.retrieval.onWeak === 'escalate') {
      missingContext = `nothing in the knowledge base matches well enough (index ${found.indexVersion})`;
    } else {
      return {
        kind: 'answer',
        text: agent.retrieval.degradeAnswer,
        truncated: false,
        answeredBy: 'policy:not_in_knowledge_base',
      };
    }
  }
  run.conv.add({ role: 'user', content: firstMessage });
  const rule = agent.policy.sensitive.find((r) => new RegExp(r.pattern, r.flags).test(task));
  if (rule) {
    const outcome = await askHuman(loop, 'policy_sensitive', rule.reason);
    if (outcome) return outcome;
  }
  return missingContext ? askHuman(loop, 'missing_context', missingContext) : undefined;
}

/** One step: call the model, then settle its final answer or run the tools it asked for.
 * Returns the outcome that ends the run, or nothing to go on. */
async function takeStep(loop: Loop): Promise<RunOutcome | undefined> {
  const { run } = loop;
  const step = ++run.status.step;
  run.status.phase = 'calling_model';
  const { taskClass, why } = classifyAgentStep(step, run.agent.maxSteps);
  const r = await loop.caller.call({
    step,
    taskClass,
    why,
    purpose: 'step',
    request: loop.request,
    conversation: run.conv,
    prompt: run.prompt!,
  });
  trimRecords(run, loop.desk);
  loop.progress.publish();
  run.status.pending = [];
  if (r.kind === 'refused_by_budget') return costStop(run);
  if (r.kind === 'failed') return { kind: 'failed', failure: r.failure };
  if (r.kind === 'escalate') return askHuman(loop, 'refused', `${r.reason}: ${r.failure.message}`);
  const left = costRunningLow(run);
  if (left !== undefined) {
    const outcome = await askHuman(
      loop,
      'budget_low',
      `$${left.toFixed(6)} of the $${run.agent.budgets.maxCostUsd} budget is left`,
    );
    if (outcome) return outcome;
  }
  const calls = r.response.message.toolCalls;
  if (calls.length === 0) return settleAnswer(loop, step, taskClass, r);
  run.status.phase = 'running_tools';
  run.note(`step ${step}: model asked for ${calls.map((c) => c.name).join(', ')}`);
  const { results, stop } = await runToolCalls(run, loop.desk, calls, step);
  run.conv.add({ role: 'tool', results });
  rememberResults(run, step, results);
  run.status.pending = [];
  run.note(`step ${step}: ${results.length} tool result(s), ${results.filter((x) => x.isError).length} error(s)`);
  return stop;
}

/** A final answer: as it is, or settled against the output contract (repair, a stronger
 * model, a human). */
async function settleAnswer(
  loop: Loop,
  step: number,
  taskClass: TaskClass,
  r: Extract<RoutedResult, { kind: 'ok' }>,
): Promise<RunOutcome | undefined> {
  const { run } = loop;
  const contract = run.input.output;
  const { text } = r.response.message;
  if (!contract) return { kind: 'answer', text, truncated: r.response.stop === 'length' };
  run.status.phase = 'validating_output';
  const settled = await settleOutput({
    contract,
    caller: loop.caller,
    step,
    taskClass,
    request: loop.request,
    conversation: run.conv,
    prompt: run.prompt!,
    first: { text, model: r.record.model },
  });
  run.validation = settled.report;
  countValidation(contract.name, settled.report.result);
  const matched = settled.report.result === 'escalated' ? 'never matched' : 'matched';
  run.note(`step ${step}: output ${matched} "${contract.name}" (${settled.report.attempts.length} attempt(s))`);
  const verdict = judgeOutput(settled, contract);
  if (verdict.kind === 'answer') return verdict.outcome;
  if (verdict.kind === 'budget') return costStop(run);
  if (verdict.kind === 'failed') return { kind: 'failed', failure: verdict.failure };
  return askHuman(loop, verdict.reason, verdict.message, verdict.extra);
}

/** An escalation: the outcome that ends the run, or nothing when a human redirected it. */
async function askHuman(
  loop: Loop,
  reason: EscalationReason,
  message: string,
  extra?: { lastOutput?: string; issues?: string[] },
) {
  const next = await escalate(loop.run, loop.desk, reason, message, extra);
  return next === 'continue' ? undefined : next;
}

/** At a step boundary nothing is pending (no approval, escalation or activity): the run
 * continues as new with its state carried. */
async function continueRunAsNew(loop: Loop, rawInput: RunInputInit): Promise<never> {
  await condition(allHandlersFinished);
  const resume = carry(loop.run, loop.desk);
  log.info('continuing as new', {
    runId: loop.run.id,
    step: loop.run.status.step,
    historyLength: workflowInfo().historyLength,
  });
  return continueAsNew<typeof agentRun>({ ...rawInput, resume });
}

/** Ends the run: the outcome in status, search attributes and memo, and the result. */
function finish(loop: Loop, outcome: RunOutcome): RunResult {
  const { run } = loop;
  run.status.phase = 'completed';
  run.status.pending = [];
  run.status.outcome = outcome.kind;
  run.note(`run ended: ${outcome.kind}${outcomeDetail(outcome)}`);
  if (outcome.kind === 'answer') run.answeredBy = outcome.answeredBy ?? 'model';
  loop.progress.publish(
    outcome.kind === 'answer' ? 'completed' : outcome.kind,
    outcome.kind === 'failed' ? outcome.failure.type : undefined,
  );
  log.info('run ended', { runId: run.id, outcome: outcome.kind, costUsd: run.totals.costUsd });
  return resultOf(run, loop.desk, outcome);
}

function outcomeDetail(outcome: RunOutcome): string {
  if (outcome.kind === 'failed') return ` (${outcome.failure.type})`;
  if (outcome.kind === 'escalated' || outcome.kind === 'stopped') return ` (${outcome.reason})`;
  if (outcome.kind === 'budget_exhausted') return ` (${outcome.budget})`;
  return '';
}

/** Input that fails its schema ends the run at once as `failed (invalid_input)`, with the
 * issues named; nothing else runs. */
function rejectInput(rawInput: unknown, message: string): RunResult {
  const runId = workflowInfo().workflowId;
  const given = (rawInput as { agent?: { name?: unknown } } | undefined)?.agent?.name;
  const agent = typeof given === 'string' ? given : 'unknown';
  const outcome: RunOutcome = { kind: 'failed', failure: make('invalid_input', message) };
  const status: RunStatus = {
    runId,
    agent,
    phase: 'completed',
    step: 0,
    maxSteps: 0,
    usage: zeroUsage,
    costUsd: 0,
    modelCalls: 0,
    toolCalls: 0,
    lastEvent: 'run ended: failed (invalid_input)',
    recentEvents: [],
    pending: [],
    pendingApprovals: [],
    escalations: 0,
    outcome: 'failed',
  };
  setHandler(statusQuery, () => status);
  upsertSearchAttributes([
    { key: searchAttributes.status, value: 'failed' },
    { key: searchAttributes.agent, value: agent },
    { key: searchAttributes.failureType, value: 'invalid_input' },
  ]);
  const none = {
    steps: 0,
    modelCalls: 0,
    toolCalls: 0,
    usage: zeroUsage,
    costUsd: 0,
    unpricedCalls: 0,
    calls: [],
    audit: [],
    escalations: 0,
  };
  return { runId, agent, outcome, ...none };
}
