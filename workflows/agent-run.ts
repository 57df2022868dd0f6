import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  workflowInfo,
} from '@temporalio/workflow';
import { formatIssues } from '../core/zod-issues.ts';
import { classifyAgentStep, type TaskClass } from '../core/routing.ts';
import { runInputSchema, type RunInputInit, type RunOutcome, type RunResult } from '../core/run.ts';
import { withCarvedBudget } from '../core/delegation.ts';
import { catalog } from './catalog.ts';
import { openDelegates } from './delegation.ts';
import { endRun, rejectInput } from './ending.ts';
import { make } from './failures.ts';
import { askHuman, finish, startLoop, type Loop } from './loop.ts';
import { countValidation } from './metrics.ts';
import type { RoutedResult, UnroutedRequest } from './model-caller.ts';
import { judgeOutput, settleOutput } from './output-ladder.ts';
import { carriedMcp, openMcpTools } from './mcp-tools.ts';
import { pinPrompt } from './prompts.ts';
import { lookUp, withDocuments } from './retrieval.ts';
import { carry, newRunState, rememberResults, summarize, trimRecords } from './run-state.ts';
import { chooseStepClass } from './step-classifier.ts';
import { budgetStop, continueAsNewDue, costRunningLow, costStop } from './stops.ts';
import { earlyTools, runToolCalls } from './tool-calls.ts';
import { askAgain, unusableAnswer, unusableMessage, type Unusable } from './unusable-answer.ts';

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
  const { agent: named, parent } = parsed.data;
  // A parent link is what a parent run sets when it starts this one as its child: from
  // anywhere else it could lift depth limits or claim a place in another run's tree.
  if (parent && workflowInfo().parent?.workflowId !== parent.runId)
    return endRun(
      rejectInput(rawInput, `run input rejected: parent: only run ${parent.runId} may start this run as its sub-agent`),
    );
  const defined = typeof named === 'string' ? catalog().agent(named) : named;
  // A sub-agent runs within the budget its parent carved for it.
  const agent = defined && parent ? withCarvedBudget(defined, parent.budget) : defined;
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
      loop.run.events?.publish({ type: 'step_finished' });
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

/**
 * Before the first step: check the agent's tools, pin the prompt version, look the task up
 * in the knowledge base (RAG agents), and send policy-sensitive requests or missing context
 * to a human before any model sees them. A continuation has done all of this already.
 */
async function openRun(loop: Loop): Promise<RunOutcome | undefined> {
  const { run } = loop;
  const { agent } = run;
  const { task } = run.input;
  const taken = (name: string) => catalog().tool(name) !== undefined;
  if (run.input.resume) return openDelegates(run, loop.request, taken) ?? openMcpTools(loop); // restores the pinned MCP tools
  const unknownTools = agent.tools.filter((name) => !catalog().tool(name));
  if (unknownTools.length > 0) {
    const message = `agent "${agent.name}" offers tools this worker does not serve: ${unknownTools.join(', ')} (served: ${catalog().toolNames().join(', ')})`;
    return { kind: 'failed', failure: make('invalid_input', message) };
  }
  const delegateFailure = openDelegates(run, loop.request, taken);
  if (delegateFailure) return delegateFailure;
  const mcpFailure = await openMcpTools(loop);
  if (mcpFailure) return mcpFailure;
  const { pin, content } = await pinPrompt(agent.name, agent.instructions);
  run.prompt = pin;
  if (content !== undefined) loop.caller.knowPrompt(pin, content);
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
    } else if (agent.retrieval.onWeak === 'escalate' || run.input.output) {
      // With an output contract a plain "not covered" answer could not be its output.
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
  run.events?.publish({ type: 'step_started' });
  run.status.phase = 'calling_model';
  // Position decides, or the step classifier when the agent turns it on.
  const { taskClass, why } = run.agent.stepClassifier?.enabled
    ? await chooseStepClass(loop, step)
    : classifyAgentStep(step, run.agent.maxSteps);
  const r = await callModelForStep(loop, step, taskClass, why);
  trimRecords(run, loop.desk);
  loop.progress.publish();
  run.status.pending = [];
  if (r.kind === 'refused_by_budget') return costStop(run);
  if (r.kind === 'failed') return { kind: 'failed', failure: r.failure };
  if (r.kind === 'escalate') return askHuman(loop, 'refused', `${r.reason}: ${r.failure.message}`);
  if (r.kind === 'unusable') return askHuman(loop, 'invalid_output', r.message, { lastOutput: r.text });
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
  const { results, stop, storedChars } = await runToolCalls(run, loop.desk, calls, step, r.response.earlyResults);
  run.conv.add({ role: 'tool', results }, storedChars);
  rememberResults(run, step, results);
  run.status.pending = [];
  run.note(`step ${step}: ${results.length} tool result(s), ${results.filter((x) => x.isError).length} error(s)`);
  return stop;
}

/**
 * Calls the model for a step. An empty or truncated final answer never counts as one: the
 * model is asked once more (with twice the output tokens for a truncated one), recorded as
 * a `repair` call; a second unusable answer goes to a human. Runs with an output contract
 * leave this to the contract's ladder.
 */
function callModelForStep(
  loop: Loop,
  step: number,
  taskClass: TaskClass,
  why: string,
): Promise<RoutedResult | { kind: 'unusable'; message: string; text: string }> {
  const { run } = loop;
  // Read-only calls of the answer run inside the model call, where they may (`earlyTools`).
  const early = earlyTools(run);
  const call = (purpose: 'step' | 'repair', reason: string, request: UnroutedRequest) =>
    loop.caller.call({
      step,
      taskClass,
      why: reason,
      purpose,
      request,
      conversation: run.conv,
      prompt: run.prompt!,
      ...(early ? { early } : {}),
    });
  const askOnceMore = async (problem: Unusable) => {
    run.note(`step ${step}: the answer was ${problem}; asking once more`);
    run.conv.add({ role: 'user', content: askAgain(problem) });
    const tokens = problem === 'truncated' ? loop.request.maxOutputTokens * 2 : loop.request.maxOutputTokens;
    const second = await call('repair', `${problem} answer, asked again`, { ...loop.request, maxOutputTokens: tokens });
    const again = second.kind === 'ok' ? unusableAnswer(second.response) : undefined;
    if (second.kind !== 'ok' || !again) return second;
    return { kind: 'unusable' as const, message: unusableMessage(again, tokens), text: second.response.message.text };
  };
  // `then`, not an async function: one promise fewer per step in the sandbox, where the SDK
  // records a stack trace for each (the model path issues nothing else meanwhile).
  return call('step', why, loop.request).then((first) => {
    const problem = first.kind === 'ok' && !run.input.output ? unusableAnswer(first.response) : undefined;
    return problem ? askOnceMore(problem) : first;
  });
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
  if (!contract) return { kind: 'answer', text, truncated: false };
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

/** At a step boundary nothing is pending (no approval, escalation or activity): the run
 * continues as new with its state carried. */
async function continueRunAsNew(loop: Loop, rawInput: RunInputInit): Promise<never> {
  await condition(allHandlersFinished);
  const resume = { ...carry(loop.run, loop.desk), ...carriedMcp(loop.run) };
  log.info('continuing as new', {
    runId: loop.run.id,
    step: loop.run.status.step,
    historyLength: workflowInfo().historyLength,
  });
  return continueAsNew<typeof agentRun>({ ...rawInput, resume });
}
