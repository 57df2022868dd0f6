import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  setCurrentDetails,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
  ActivityCancellationType,
} from '@temporalio/workflow';
import type { BosunActivities } from '../activities/index.ts';
import type { PromptPin } from '../core/activity-contracts.ts';
import type { AuditEntry, EscalationReason } from '../core/approvals.ts';
import { exhaustedBudget, type BudgetKind } from '../core/budgets.ts';
import { nonRetryableFailureTypes, type Failure } from '../core/failures.ts';
import type { ToolCall, ToolResult, ToolSpec } from '../core/messages.ts';
import type { ValidationReport } from '../core/output.ts';
import type { RetrievalResult } from '../core/retrieval.ts';
import { classifyAgentStep } from '../core/routing.ts';
import {
  recentEventsLimit,
  runInputSchema,
  type AgentDefinition,
  type RunInputInit,
  type RunOutcome,
  type RunResult,
  type RunStatus,
} from '../core/run.ts';
import { authorizeToolCall, checkToolInput, findTool, offeredTools, toolSpec, type ToolContract } from '../tools/index.ts';
import { callsQuery, searchAttributes, statusQuery } from './definitions.ts';
import { failureFromError, make } from './failures.ts';
import { createHumanDesk } from './human.ts';
import { countEscalation, countToolDenial, countValidation } from './metrics.ts';
import { createConversation, newConversation, type Conversation, type ConversationState } from './conversation.ts';
import { createModelCaller, emptyTotals, type CallTotals } from './model-caller.ts';
import { judgeOutput, settleOutput } from './output-ladder.ts';
import { pinPrompt } from './prompts.ts';

/** Marks executions with the v2 behaviour (search attributes, loop detection); histories
 * recorded before it replay with the old behaviour. */
const V2_PATCH = 'bosun-v2';
/** v3: conversation and prompt by reference in the run store, pinned prompt versions,
 * continue-as-new. */
const V3_PATCH = 'bosun-v3';
/** v4: progress in search attributes every step (model, steps, tokens, cost, failure type,
 * validation) and a one-line memo summary. */
const V4_PATCH = 'bosun-v4';
/** Call records and audit entries a run keeps, the most recent (older calls are counted,
 * not kept). Fewer are carried across continue-as-new: the carried state is written twice
 * into each run's history (continued-as-new and started events), so it bounds the history
 * of every run. Totals (tokens, cost, counts) are always carried exactly. */
const KEEP_CALLS = 100;
const KEEP_AUDIT = 200;
const CARRY_CALLS = 20;
const CARRY_AUDIT = 50;
/** Distinct tool calls remembered for loop detection. */
const KEEP_CALL_KEYS = 200;

/** What a run carries into its continuation (`input.resume`). */
interface ResumeState {
  startedAt: number;
  runs: number;
  step: number;
  toolCalls: number;
  totals: CallTotals;
  droppedCalls: number;
  audit: AuditEntry[];
  escalations: number;
  conversation: ConversationState;
  prompt: PromptPin;
  identicalCalls: [string, number][];
  budgetLowEscalated: boolean;
  validation?: ValidationReport;
  retrieved?: RetrievedSet;
}

type RetrievedSet = { indexVersion: string; ids: string[] };

/**
 * The agent loop: call the model (routed by task class, with fallbacks, within budget); if
 * it asks for tools, authorize each call here — schema, scopes, constraints, approval policy
 * — wait for a human where the policy asks, run the allowed ones as activities (in parallel)
 * and feed every result back in call order; repeat until a final answer — checked against
 * the output contract when there is one — a budget, a stop condition, or a human ends it.
 * Escalations park the run for a human (answer, redirect, end). Every ending is a typed
 * outcome; cancellation included.
 */
export async function agentRun(rawInput: RunInputInit): Promise<RunResult> {
  const runId = workflowInfo().workflowId;
  const parsed = runInputSchema.safeParse(rawInput);
  const resume = (parsed.success ? parsed.data.resume : undefined) as ResumeState | undefined;
  const startedAt = resume?.startedAt ?? Date.now();
  const agentName = parsed.success ? parsed.data.agent.name : String((rawInput as any)?.agent?.name ?? 'unknown');
  const totals: CallTotals = resume?.totals ?? emptyTotals();
  let droppedCalls = resume?.droppedCalls ?? 0;
  const status: RunStatus = {
    runId,
    agent: agentName,
    phase: 'starting',
    step: resume?.step ?? 0,
    maxSteps: parsed.success ? parsed.data.agent.maxSteps : 0,
    usage: totals.usage,
    costUsd: 0,
    modelCalls: 0,
    toolCalls: resume?.toolCalls ?? 0,
    lastEvent: '',
    recentEvents: [],
    pending: [],
    pendingApprovals: [],
    escalations: 0,
  };
  let eventSeq = 0;
  const note = (text: string) => {
    status.lastEvent = text;
    status.recentEvents = [...status.recentEvents.slice(-(recentEventsLimit - 1)), { seq: ++eventSeq, text }];
  };
  note(resume ? `run continued as new (part ${resume.runs + 1})` : 'run started');
  const principal = parsed.success ? parsed.data.principal : { tenant: 'default', user: 'anonymous', scopes: [], roles: [] };
  const desk = createHumanDesk({
    principal,
    step: () => status.step,
    onChange: () => publish(),
    ...(resume ? { restore: { audit: resume.audit, escalations: resume.escalations } } : {}),
  });
  setHandler(statusQuery, () => ({
    ...status,
    usage: totals.usage,
    costUsd: totals.costUsd,
    modelCalls: totals.calls.length,
    pendingApprovals: desk.pendingApprovals(),
    escalations: desk.escalations(),
    ...(desk.openEscalation() ? { escalation: desk.openEscalation() } : {}),
  }));

  const v2 = patched(V2_PATCH);
  const v3 = patched(V3_PATCH);
  const v4 = patched(V4_PATCH);
  const keepsSearchAttributes = v2;
  setHandler(callsQuery, () => totals.calls);
  let published = '';
  /** Keeps the search attributes in step with the run, so operators can filter on them. */
  function publish(statusWord?: string, failureType?: string) {
    if (!keepsSearchAttributes) return;
    const word =
      statusWord ?? (desk.openEscalation() ? 'needs_human' : desk.pendingApprovals().length > 0 ? 'waiting_for_approval' : 'running');
    const pending = desk.pendingApprovals().length;
    // Earlier runs published on status changes only; v4 runs also publish progress every
    // step, so an operator filters on cost, tokens and model without opening a payload.
    const key = v4 ? `${word}:${pending}:${status.step}:${totals.calls.length}` : `${word}:${pending}`;
    if (key === published) return;
    published = key;
    const base = [
      { key: searchAttributes.status, value: word },
      { key: searchAttributes.agent, value: agentName },
      { key: searchAttributes.pendingApprovals, value: pending },
    ];
    if (!v4) return upsertSearchAttributes(base);
    const tokens = totals.usage.input + totals.usage.output;
    upsertSearchAttributes([
      ...base,
      { key: searchAttributes.steps, value: status.step },
      { key: searchAttributes.tokens, value: tokens },
      { key: searchAttributes.costUsd, value: totals.costUsd },
      ...(status.model ? [{ key: searchAttributes.model, value: status.model }] : []),
      ...(failureType ? [{ key: searchAttributes.failureType, value: failureType }] : []),
      ...(validation ? [{ key: searchAttributes.validation, value: validation.result }] : []),
    ]);
    const pendingNote = `${pending ? ` · ${pending} approval(s) pending` : ''}${desk.escalations() ? ` · ${desk.escalations()} escalation(s)` : ''}`;
    // Shown on the run's page in the Temporal UI (no history event, no payload to open).
    const approvals = desk.pendingApprovals().map((a) => `- approval \`${a.id}\`: **${a.tool}** — ${a.reason} (group ${a.group ?? 'any'}, until ${a.deadlineAt})`);
    const open = desk.openEscalation();
    setCurrentDetails(
      [
        `**Bosun run** · agent \`${agentName}\` · status **${word.replaceAll('_', ' ')}**`,
        `step ${status.step}/${status.maxSteps} · ${tokens} tokens · cost **$${totals.costUsd.toFixed(6)}**${status.model ? ` · model \`${status.model}\`` : ''}`,
        ...(approvals.length ? ['**Pending approvals**', ...approvals] : []),
        ...(open ? [`**Needs a human**: ${open.reason} — ${open.message} (escalation \`${open.id}\`)`] : []),
      ].join('\n'),
    );
    upsertMemo({
      summary: `${agentName} · ${word.replaceAll('_', ' ')} · step ${status.step}/${status.maxSteps} · ${tokens} tokens · $${totals.costUsd.toFixed(4)}${status.model ? ` · ${status.model}` : ''}${pendingNote}`,
      // Structured facts the `stats` report reads from the run list without opening payloads.
      stats: {
        escalations: desk.escalations(),
        modelCalls: totals.calls.length + droppedCalls,
        timeouts: totals.calls.filter((c) => c.outcome === 'timeout').length,
        ...(retrievalFacts ? { retrieval: retrievalFacts } : {}),
        ...(answeredBy ? { answeredBy } : {}),
      },
    });
  }

  let validation: ValidationReport | undefined = resume?.validation;
  /** For the memo: what retrieval found (chunks, weak, best score) and who answered. */
  let retrievalFacts: { chunks: number; weak: boolean; topScore: number } | undefined;
  let answeredBy: string | undefined;
  const finish = (outcome: RunOutcome): RunResult => {
    status.phase = 'completed';
    status.pending = [];
    status.outcome = outcome.kind;
    const detail =
      outcome.kind === 'failed'
        ? ` (${outcome.failure.type})`
        : outcome.kind === 'escalated' || outcome.kind === 'stopped'
          ? ` (${outcome.reason})`
          : outcome.kind === 'budget_exhausted'
            ? ` (${outcome.budget})`
            : '';
    note(`run ended: ${outcome.kind}${detail}`);
    if (outcome.kind === 'answer') answeredBy = outcome.answeredBy ?? 'model';
    publish(outcome.kind === 'answer' ? 'completed' : outcome.kind, outcome.kind === 'failed' ? outcome.failure.type : undefined);
    log.info('run ended', { runId, outcome: outcome.kind, costUsd: totals.costUsd });
    return {
      runId,
      agent: agentName,
      outcome,
      steps: status.step,
      modelCalls: totals.calls.length + droppedCalls,
      toolCalls: status.toolCalls,
      usage: totals.usage,
      costUsd: totals.costUsd,
      unpricedCalls: totals.unpricedCalls,
      calls: totals.calls,
      ...(validation ? { validation } : {}),
      audit: desk.audit,
      escalations: desk.escalations(),
    };
  };

  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
    return finish({ kind: 'failed', failure: make('invalid_input', `run input rejected: ${issues}`) });
  }
  const { agent, task, output: contract } = parsed.data;
  publish();

  const unknownTools = agent.tools.filter((name) => !findTool(name));
  if (unknownTools.length > 0) {
    return finish({ kind: 'failed', failure: make('invalid_input', `agent offers unknown tools: ${unknownTools.join(', ')}`) });
  }
  // Offer only what the agent allows AND the principal may use.
  const { offered, hidden } = offeredTools(agent.tools, principal, findTool);
  if (hidden.length) note(`tools not offered to ${principal.user}: ${hidden.map((h) => `${h.name} (${h.reason})`).join(', ')}`);
  const tools: ToolSpec[] = offered.map((name) => toolSpec(findTool(name)!));
  const executeTool = toolActivities(agent);
  const prompt: PromptPin | undefined = v3 ? (resume?.prompt ?? (await pinPrompt(agent.name, agent.instructions))) : undefined;
  let retrieved: RetrievedSet | undefined = resume?.retrieved;
  let firstMessage = task;
  let missingContext: string | undefined;
  if (v3 && agent.retrieval && !resume) {
    const found = await lookUp(agent.retrieval, task);
    retrievalFacts = { chunks: found.chunks.length, weak: found.weak, topScore: found.chunks[0]?.score ?? 0 };
    note(`retrieval: ${found.chunks.length} chunk(s) from index ${found.indexVersion}${found.weak ? ' — weak' : ''}`);
    if (!found.weak) {
      retrieved = { indexVersion: found.indexVersion, ids: found.chunks.map((c) => c.id) };
      firstMessage = withDocuments(found.chunks, task);
    } else if (agent.retrieval.onWeak === 'escalate') {
      missingContext = `nothing in the knowledge base matches well enough (index ${found.indexVersion})`;
    } else {
      return finish({ kind: 'answer', text: agent.retrieval.degradeAnswer, truncated: false, answeredBy: 'policy:not_in_knowledge_base' });
    }
  }
  const conv: Conversation = resume
    ? createConversation(resume.conversation)
    : newConversation(v3 ? 'stored' : 'inline', runId, { role: 'user', content: firstMessage });
  const identicalCalls = new Map<string, number>(resume?.identicalCalls ?? []);
  let budgetLowEscalated = resume?.budgetLowEscalated ?? false;

  const spent = () => ({
    steps: status.step,
    toolCalls: status.toolCalls,
    usage: totals.usage,
    costUsd: totals.costUsd,
    elapsedMs: Date.now() - startedAt,
  });
  const limits = { maxSteps: agent.maxSteps, ...agent.budgets };
  const budgetOutcome = (budget: BudgetKind, limit: number): RunOutcome => ({
    kind: 'budget_exhausted',
    budget,
    limit,
    summary: summarize(conv, status, totals),
  });

  const caller = createModelCaller({
    runId,
    config: agent,
    totals,
    onCall: ({ phase, model, record }) => {
      status.model = model;
      if (phase === 'start') {
        status.pending = [{ kind: 'model_call', step: status.step, model }];
        note(`step ${status.step}: calling ${model}`);
      } else if (record && record.outcome !== 'ok') {
        note(`step ${status.step}: ${model} failed (${record.outcome})`);
      }
    },
    retrieved: () => retrieved,
    reserve: (worstCase, model) => {
      const max = agent.budgets.maxCostUsd;
      if (max === undefined || worstCase === undefined) return undefined;
      if (totals.costUsd + worstCase <= max) return undefined;
      const reason = `a call to ${model.provider}/${model.name} could cost up to $${worstCase.toFixed(6)}; $${(max - totals.costUsd).toFixed(6)} of the $${max} budget is left`;
      desk.record({ event: 'budget_refused', by: 'system', reason });
      return reason;
    },
  });
  const request = {
    system: typeof agent.instructions === 'string' ? agent.instructions : '',
    tools,
    maxOutputTokens: agent.maxOutputTokens,
    ...(agent.temperature !== undefined ? { temperature: agent.temperature } : {}),
    ...(contract ? { output: { name: contract.name, schema: contract.schema } } : {}),
  };

  /**
   * Hands the run to a human (mode `park`) or ends it as escalated (mode `return`).
   * Returns an outcome that ends the run, or `continue` after a redirect.
   */
  async function escalate(reason: EscalationReason, message: string, extra: { lastOutput?: string; issues?: string[] } = {}): Promise<RunOutcome | 'continue'> {
    countEscalation(reason);
    const escalated: RunOutcome = { kind: 'escalated', reason, message, ...extra };
    if (agent.escalation.mode === 'return') {
      desk.noteImmediateEscalation(reason, message);
      return escalated;
    }
    status.phase = 'needs_human';
    note(`needs a human: ${reason} — ${message}`);
    const resolution = await desk.escalate(reason, message, agent.escalation.timeoutMs);
    if (!resolution) return { ...escalated, message: `${message}; no human resolved it in time` };
    note(`human ${resolution.by.id} chose to ${resolution.action}`);
    switch (resolution.action) {
      case 'answer':
        return { kind: 'answer', text: resolution.text, truncated: false, answeredBy: `human:${resolution.by.id}` };
      case 'end':
        return { kind: 'stopped', reason: 'ended_by_human', message: `ended by ${resolution.by.id}: ${resolution.reason}`, summary: summarize(conv, status, totals) };
      case 'redirect':
        conv.add({ role: 'user', content: resolution.instruction });
        return 'continue';
    }
  }

  try {
    // Policy-sensitive requests go to a human before any model sees them.
    const rule = agent.policy.sensitive.find((r) => new RegExp(r.pattern, r.flags).test(task));
    if (rule && !resume) {
      const next = await escalate('policy_sensitive', rule.reason);
      if (next !== 'continue') return finish(next);
    }
    if (missingContext) {
      const next = await escalate('missing_context', missingContext);
      if (next !== 'continue') return finish(next);
    }

    for (;;) {
      const over = exhaustedBudget(limits, spent());
      if (over) return finish(budgetOutcome(over.budget, over.limit));
      if (v3 && shouldContinueAsNew(agent.continueAsNewAfterEvents)) {
        // At a step boundary nothing is pending: no approval, escalation or activity.
        await condition(allHandlersFinished);
        trimRecords(CARRY_CALLS, CARRY_AUDIT);
        const carried: ResumeState = {
          startedAt,
          runs: (resume?.runs ?? 0) + 1,
          step: status.step,
          toolCalls: status.toolCalls,
          // Carried calls without their context records: those are the bulk of a call record,
          // and the carried state is written twice into every run's history.
          totals: { ...totals, calls: totals.calls.map(({ context: _context, ...call }) => call) },
          droppedCalls,
          audit: desk.audit,
          escalations: desk.escalations(),
          conversation: conv.state(),
          prompt: prompt!,
          identicalCalls: [...identicalCalls].slice(-KEEP_CALL_KEYS),
          budgetLowEscalated,
          ...(validation ? { validation } : {}),
          ...(retrieved ? { retrieved } : {}),
        };
        log.info('continuing as new', { runId, step: status.step, historyLength: workflowInfo().historyLength });
        await continueAsNew<typeof agentRun>({ ...(rawInput as RunInputInit), resume: carried as unknown as Record<string, unknown> });
      }
      const step = ++status.step;
      status.phase = 'calling_model';
      const { taskClass, why } = classifyAgentStep(step, agent.maxSteps);
      const r = await caller.call({ step, taskClass, why, purpose: 'step', request, conversation: conv, ...(prompt ? { prompt } : {}) });
      trimRecords();
      publish();
      status.pending = [];
      if (r.kind === 'refused_by_budget') return finish(budgetOutcome('cost', agent.budgets.maxCostUsd!));
      if (r.kind === 'failed') return finish({ kind: 'failed', failure: r.failure });
      if (r.kind === 'escalate') {
        const next = await escalate('refused', `${r.reason}: ${r.failure.message}`);
        if (next === 'continue') continue;
        return finish(next);
      }
      const { response } = r;

      const lowBudget = agent.budgets.escalateWhenCostLeft;
      if (lowBudget !== undefined && agent.budgets.maxCostUsd !== undefined && !budgetLowEscalated) {
        const left = agent.budgets.maxCostUsd - totals.costUsd;
        if (left <= lowBudget * agent.budgets.maxCostUsd) {
          budgetLowEscalated = true;
          const next = await escalate('budget_low', `$${left.toFixed(6)} of the $${agent.budgets.maxCostUsd} budget is left`);
          if (next !== 'continue') return finish(next);
        }
      }

      const calls = response.message.toolCalls;
      if (calls.length === 0) {
        if (!contract) return finish({ kind: 'answer', text: response.message.text, truncated: response.stop === 'length' });
        status.phase = 'validating_output';
        const settled = await settleOutput({
          contract,
          caller,
          step,
          taskClass,
          request,
          conversation: conv,
          ...(prompt ? { prompt } : {}),
          first: { text: response.message.text, model: r.record.model },
        });
        validation = settled.report;
        countValidation(contract.name, settled.report.result);
        note(`step ${step}: output ${settled.report.result === 'escalated' ? 'never matched' : 'matched'} "${contract.name}" (${settled.report.attempts.length} attempt(s))`);
        const verdict = judgeOutput(settled, contract);
        if (verdict.kind === 'answer') return finish(verdict.outcome);
        if (verdict.kind === 'budget') return finish(budgetOutcome('cost', agent.budgets.maxCostUsd!));
        if (verdict.kind === 'failed') return finish({ kind: 'failed', failure: verdict.failure });
        const next = await escalate(verdict.reason, verdict.message, verdict.extra);
        if (next === 'continue') continue;
        return finish(next);
      }

      status.phase = 'running_tools';
      note(`step ${step}: model asked for ${calls.map((c) => c.name).join(', ')}`);
      const stops: RunOutcome[] = [];
      const results = await Promise.all(calls.map((call) => runToolCall(call, step, stops)));
      conv.add({ role: 'tool', results });
      status.pending = [];
      note(`step ${step}: ${results.length} tool result(s), ${results.filter((x) => x.isError).length} error(s)`);
      if (stops.length > 0) return finish(stops[0]!);
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancelled: in-flight activities were told (through their heartbeats) and have stopped.
    return CancellationScope.nonCancellable(async () => {
      desk.record({ event: 'cancelled', by: 'system', reason: 'the run was cancelled' });
      return finish({ kind: 'stopped', reason: 'cancelled', message: 'the run was cancelled', summary: summarize(conv, status, totals) });
    });
  }

  /** Keeps the run's records bounded: the most recent calls and audit entries. */
  function trimRecords(calls = KEEP_CALLS, audit = KEEP_AUDIT) {
    if (totals.calls.length > calls) {
      droppedCalls += totals.calls.length - calls;
      totals.calls.splice(0, totals.calls.length - calls);
    }
    if (desk.audit.length > audit) desk.audit.splice(0, desk.audit.length - audit);
  }

  async function runToolCall(call: ToolCall, step: number, stops: RunOutcome[]): Promise<ToolResult> {
    const errorResult = (content: string): ToolResult => ({ callId: call.id, name: call.name, content, isError: true });
    const deny = (reason: string, content: string) => {
      countToolDenial(offered.includes(call.name) ? call.name : '(unknown)');
      desk.record({ event: 'tool_denied', tool: call.name, callId: call.id, by: 'policy', reason });
      note(`step ${step}: denied ${call.name} (${reason})`);
      return errorResult(content);
    };
    if (!offered.includes(call.name)) {
      return deny('not offered to this run', `Unknown tool "${call.name}". Available tools: ${offered.join(', ') || 'none'}.`);
    }
    const contract: ToolContract = findTool(call.name)!;
    const check = checkToolInput(contract, call.input);
    if (!check.ok) {
      note(`step ${step}: refused invalid arguments for ${call.name}`);
      return errorResult(check.message);
    }

    const key = `${call.name}:${stableJson(check.value)}`;
    const seen = (identicalCalls.get(key) ?? 0) + 1;
    identicalCalls.set(key, seen);
    if (v2 && seen >= agent.maxIdenticalToolCalls) {
      desk.record({ event: 'loop_detected', tool: call.name, callId: call.id, by: 'system', reason: `same call ${seen} times` });
      stops.push({ kind: 'stopped', reason: 'loop_detected', message: `${call.name} called ${seen} times with the same arguments`, summary: summarize(conv, status, totals) });
      return errorResult('Stopped: this exact call was already made; repeating it will not help.');
    }
    const over = exhaustedBudget({ ...limits, maxSteps: Number.MAX_SAFE_INTEGER }, spent());
    if (over) {
      stops.push(budgetOutcome(over.budget, over.limit));
      return errorResult(`Not executed: the run's ${over.budget.replace('_', ' ')} budget is exhausted.`);
    }

    const auth = authorizeToolCall(contract, check.value, principal);
    if (auth.kind === 'deny') return deny(auth.reason, `Permission denied for "${call.name}": ${auth.reason}.`);
    let input = check.value;
    let approvedBy: string | undefined;
    if (auth.kind === 'ask') {
      status.phase = 'waiting_for_approval';
      note(`step ${step}: ${call.name} waits for approval (${auth.reason})`);
      const options = { ...auth.options, ...agent.approvals[call.name] };
      const decision = await desk.requestApproval({ step, callId: call.id, contract, input, reason: auth.reason, options });
      status.phase = 'running_tools';
      if (decision.kind === 'rejected') {
        countToolDenial(call.name);
        return errorResult(`A human (${decision.by}) rejected this call: ${decision.reason}`);
      }
      if (decision.kind === 'timed_out') {
        countToolDenial(call.name);
        return errorResult(`Not executed: ${decision.reason}.`);
      }
      input = decision.input;
      approvedBy = decision.by;
    } else {
      desk.record({ event: 'tool_allowed', tool: call.name, callId: call.id, by: 'policy', reason: auth.reason });
    }

    const pending = { kind: 'tool_call' as const, step, callId: call.id, tool: call.name };
    status.pending.push(pending);
    status.toolCalls++;
    try {
      const { content } = await executeTool(contract)({
        runId,
        step,
        callId: call.id,
        name: call.name,
        input,
        principal,
        ...(approvedBy ? { approvedBy } : {}),
      });
      return { callId: call.id, name: call.name, content, isError: false };
    } catch (err) {
      if (isCancellation(err)) throw err;
      const failure: Failure = failureFromError(err);
      return errorResult(`Tool "${call.name}" failed (${failure.type}): ${failure.message}`);
    } finally {
      status.pending = status.pending.filter((p) => p !== pending);
    }
  }
}

/** Runs a tool call with the tool's own timeout and attempts, heartbeats so a
 * cancellation reaches the handler, a cancellation that waits for the handler to stop, and
 * a summary that reads well in the UI (`refund_order · step 2 · approved by bob`). */
function toolActivities(agent: AgentDefinition) {
  const { executeTool } = proxyActivities<BosunActivities>({ startToCloseTimeout: agent.timeouts.toolCallMs });
  return (contract: ToolContract) => (input: Parameters<typeof executeTool>[0]) => {
    const timeout = contract.timeoutMs ?? agent.timeouts.toolCallMs;
    return executeTool.executeWithOptions(
      {
        startToCloseTimeout: timeout,
        heartbeatTimeout: Math.min(timeout, agent.timeouts.heartbeatMs),
        cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        retry: {
          initialInterval: '1s',
          backoffCoefficient: 2,
          maximumInterval: '30s',
          maximumAttempts: contract.maxAttempts,
          nonRetryableErrorTypes: nonRetryableFailureTypes,
        },
        summary: `${contract.name} · step ${input.step}${input.approvedBy ? ` · approved by ${input.approvedBy.replace('human:', '')}` : ''}`,
      },
      [input],
    );
  };
}

/** Canonical JSON (sorted keys) so `{a,b}` and `{b,a}` count as the same call. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A short account of what a run did, for whoever picks up an unfinished run. */
function summarize(conv: Conversation, status: RunStatus, totals: { calls: unknown[]; usage: RunStatus['usage']; costUsd: number }): string {
  const counts = Object.entries(conv.toolCounts).map(([n, c]) => `${n}×${c}`);
  return (
    `Stopped after ${status.step} steps (limit ${status.maxSteps}): ${totals.calls.length} model calls, ` +
    `${status.toolCalls} tool calls${counts.length ? ` (${counts.join(', ')})` : ''}, ` +
    `${totals.usage.input} input / ${totals.usage.output} output tokens, $${totals.costUsd.toFixed(6)}.` +
    (conv.lastText ? ` Last model text: "${conv.lastText.slice(0, 300)}"` : '')
  );
}

/** Continue-as-new before Temporal's limits: when the server suggests it, or past the
 * agent's own event budget. */
function shouldContinueAsNew(maxEvents: number): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength >= maxEvents;
}

/** Retrieval for a RAG run: the task as the query; `broaden` retries once with twice the
 * chunks and half the score threshold. */
async function lookUp(opts: NonNullable<AgentDefinition['retrieval']>, query: string): Promise<RetrievalResult> {
  const { retrieve } = proxyActivities<BosunActivities>({
    startToCloseTimeout: '30s',
    retry: { maximumAttempts: 5, nonRetryableErrorTypes: nonRetryableFailureTypes },
  });
  const first = await retrieve({ query, k: opts.k, ...(opts.minScore !== undefined ? { minScore: opts.minScore } : {}) });
  if (!first.weak || opts.onWeak !== 'broaden') return first;
  return retrieve({ query, k: Math.min(50, opts.k * 2), ...(opts.minScore !== undefined ? { minScore: opts.minScore / 2 } : {}) });
}

/** The first user message of a RAG run: the documents, each with its id, then the task. */
function withDocuments(chunks: RetrievalResult['chunks'], task: string): string {
  const docs = chunks
    .map((c) => `<document id="${c.id}" source="${c.source}" score="${c.score.toFixed(3)}">\n${c.text}\n</document>`)
    .join('\n');
  return `Answer from these knowledge-base documents; cite their ids.\n<documents>\n${docs}\n</documents>\n\n${task}`;
}

