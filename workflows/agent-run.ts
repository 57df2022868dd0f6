import { log, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { BosunActivities } from '../activities/index.ts';
import { nonRetryableFailureTypes, type Failure } from '../core/failures.ts';
import type { AssistantMessage, Message, ToolCall, ToolResult, ToolSpec } from '../core/messages.ts';
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
import type { ValidationReport } from '../core/output.ts';
import { checkToolInput, findTool, toolSpec } from '../tools/index.ts';
import { statusQuery } from './definitions.ts';
import { failureFromError, make } from './failures.ts';
import { createModelCaller, emptyTotals } from './model-caller.ts';
import { settleOutput } from './output-ladder.ts';

/**
 * The agent loop: call the model (routed by task class, with fallbacks); if it asks for
 * tools, validate each call here, run the valid ones as activities (in parallel) and feed
 * every result back in call order; repeat until a final answer — checked against the
 * output contract when there is one — or the step budget ends the run. Every ending is a
 * typed outcome.
 */
export async function agentRun(rawInput: RunInputInit): Promise<RunResult> {
  const runId = workflowInfo().workflowId;
  const parsed = runInputSchema.safeParse(rawInput);
  const agentName = parsed.success ? parsed.data.agent.name : String((rawInput as any)?.agent?.name ?? 'unknown');
  const totals = emptyTotals();
  const status: RunStatus = {
    runId,
    agent: agentName,
    phase: 'starting',
    step: 0,
    maxSteps: parsed.success ? parsed.data.agent.maxSteps : 0,
    usage: totals.usage,
    costUsd: 0,
    modelCalls: 0,
    toolCalls: 0,
    lastEvent: '',
    recentEvents: [],
    pending: [],
  };
  let eventSeq = 0;
  const note = (text: string) => {
    status.lastEvent = text;
    status.recentEvents = [...status.recentEvents.slice(-(recentEventsLimit - 1)), { seq: ++eventSeq, text }];
  };
  note('run started');
  setHandler(statusQuery, () => ({ ...status, usage: totals.usage, costUsd: totals.costUsd, modelCalls: totals.calls.length }));
  let validation: ValidationReport | undefined;

  const finish = (outcome: RunOutcome): RunResult => {
    status.phase = 'completed';
    status.pending = [];
    status.outcome = outcome.kind;
    const detail = outcome.kind === 'failed' ? ` (${outcome.failure.type})` : outcome.kind === 'escalated' ? ` (${outcome.reason})` : '';
    note(`run ended: ${outcome.kind}${detail}`);
    log.info('run ended', { runId, outcome: outcome.kind, costUsd: totals.costUsd });
    return {
      runId,
      agent: agentName,
      outcome,
      steps: status.step,
      modelCalls: totals.calls.length,
      toolCalls: status.toolCalls,
      usage: totals.usage,
      costUsd: totals.costUsd,
      unpricedCalls: totals.unpricedCalls,
      calls: totals.calls,
      ...(validation ? { validation } : {}),
    };
  };

  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
    return finish({ kind: 'failed', failure: make('invalid_input', `run input rejected: ${issues}`) });
  }
  const { agent, task, output: contract } = parsed.data;

  const unknownTools = agent.tools.filter((name) => !findTool(name));
  if (unknownTools.length > 0) {
    return finish({ kind: 'failed', failure: make('invalid_input', `agent offers unknown tools: ${unknownTools.join(', ')}`) });
  }
  const tools: ToolSpec[] = agent.tools.map((name) => toolSpec(findTool(name)!));
  const { executeTool } = toolActivities(agent);
  const messages: Message[] = [{ role: 'user', content: task }];
  const caller = createModelCaller({
    runId,
    config: agent,
    totals,
    onCall: ({ phase, model, record }) => {
      status.model = model;
      if (phase === 'start') {
        status.pending = [{ kind: 'model_call', step: status.step, model }];
        note(`step ${status.step}: calling ${model}${record?.fallbackFrom ? ` (fallback)` : ''}`);
      } else if (record && record.outcome !== 'ok') {
        note(`step ${status.step}: ${model} failed (${record.outcome})`);
      }
    },
  });
  const request = {
    system: agent.instructions,
    tools,
    maxOutputTokens: agent.maxOutputTokens,
    ...(agent.temperature !== undefined ? { temperature: agent.temperature } : {}),
    ...(contract ? { output: { name: contract.name, schema: contract.schema } } : {}),
  };

  while (status.step < agent.maxSteps) {
    const step = ++status.step;
    status.phase = 'calling_model';
    const { taskClass, why } = classifyAgentStep(step, agent.maxSteps);
    const r = await caller.call({ step, taskClass, why, purpose: 'step', request: { ...request, messages: [...messages] } });
    status.pending = [];
    if (r.kind === 'failed') return finish({ kind: 'failed', failure: r.failure });
    if (r.kind === 'escalate') return finish({ kind: 'escalated', reason: 'refused', message: `${r.reason}: ${r.failure.message}` });
    const { response } = r;
    messages.push(response.message);

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
        messages,
        first: { text: response.message.text, model: r.record.model },
      });
      validation = settled.report;
      note(`step ${step}: output ${settled.report.result === 'escalated' ? 'never matched' : 'matched'} "${contract.name}" (${settled.report.attempts.length} attempt(s))`);
      if (settled.kind === 'valid') return finish({ kind: 'answer', text: settled.text, truncated: false, output: settled.value });
      if (settled.kind === 'escalated') {
        return finish({
          kind: 'escalated',
          reason: 'invalid_output',
          message: `output did not match "${contract.name}" after ${settled.report.attempts.length} attempts`,
          lastOutput: settled.lastOutput.slice(0, 4_000),
          issues: settled.issues,
        });
      }
      if (settled.escalate) return finish({ kind: 'escalated', reason: 'refused', message: settled.failure.message });
      return finish({ kind: 'failed', failure: settled.failure });
    }

    status.phase = 'running_tools';
    note(`step ${step}: model asked for ${calls.map((c) => c.name).join(', ')}`);
    const results = await Promise.all(calls.map((call) => runToolCall(call, step)));
    messages.push({ role: 'tool', results });
    status.pending = [];
    note(`step ${step}: ${results.length} tool result(s), ${results.filter((r) => r.isError).length} error(s)`);
  }

  return finish({
    kind: 'budget_exhausted',
    budget: 'steps',
    limit: agent.maxSteps,
    summary: summarize(messages, status, totals.calls.length, totals.usage),
  });

  async function runToolCall(call: ToolCall, step: number): Promise<ToolResult> {
    const errorResult = (content: string): ToolResult => ({ callId: call.id, name: call.name, content, isError: true });
    if (!agent.tools.includes(call.name)) {
      note(`step ${step}: refused unknown tool ${call.name}`);
      return errorResult(`Unknown tool "${call.name}". Available tools: ${agent.tools.join(', ') || 'none'}.`);
    }
    const check = checkToolInput(findTool(call.name)!, call.input);
    if (!check.ok) {
      note(`step ${step}: refused invalid arguments for ${call.name}`);
      return errorResult(check.message);
    }

    const pending = { kind: 'tool_call' as const, step, callId: call.id, tool: call.name };
    status.pending.push(pending);
    status.toolCalls++;
    try {
      const { content } = await executeTool({ runId, step, callId: call.id, name: call.name, input: check.value });
      return { callId: call.id, name: call.name, content, isError: false };
    } catch (err) {
      const failure: Failure = failureFromError(err);
      return errorResult(`Tool "${call.name}" failed (${failure.type}): ${failure.message}`);
    } finally {
      status.pending = status.pending.filter((p) => p !== pending);
    }
  }
}

function toolActivities(agent: AgentDefinition) {
  return proxyActivities<BosunActivities>({
    startToCloseTimeout: agent.timeouts.toolCallMs,
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      maximumAttempts: 3,
      nonRetryableErrorTypes: nonRetryableFailureTypes,
    },
  });
}

/** A short account of what a run did, for whoever picks up an unfinished run. */
function summarize(messages: Message[], status: RunStatus, modelCalls: number, usage: RunStatus['usage']): string {
  const toolNames = messages
    .filter((m): m is AssistantMessage => m.role === 'assistant')
    .flatMap((m) => m.toolCalls.map((c) => c.name));
  const counts = [...new Set(toolNames)].map((n) => `${n}×${toolNames.filter((t) => t === n).length}`);
  const lastText = [...messages].reverse().find((m): m is AssistantMessage => m.role === 'assistant' && m.text.trim() !== '');
  return (
    `Stopped after ${status.step} steps (limit ${status.maxSteps}): ${modelCalls} model calls, ` +
    `${status.toolCalls} tool calls${counts.length ? ` (${counts.join(', ')})` : ''}, ` +
    `${usage.input} input / ${usage.output} output tokens.` +
    (lastText ? ` Last model text: "${lastText.text.slice(0, 300)}"` : '')
  );
}
