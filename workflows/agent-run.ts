import { log, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { BosunActivities } from '../activities/index.ts';
import { nonRetryableFailureTypes, type Failure } from '../core/failures.ts';
import type { AssistantMessage, Message, ToolCall, ToolResult, ToolSpec } from '../core/messages.ts';
import { describeModel, type ModelResponse } from '../core/model.ts';
import {
  recentEventsLimit,
  runInputSchema,
  type AgentDefinition,
  type RunInputInit,
  type RunOutcome,
  type RunResult,
  type RunStatus,
} from '../core/run.ts';
import { addUsage, zeroUsage } from '../core/usage.ts';
import { checkToolInput, findTool, toolSpec } from '../tools/index.ts';
import { statusQuery } from './definitions.ts';
import { failureFromError, make } from './failures.ts';

/**
 * The agent loop: call the model; if it asks for tools, validate each call here, run the
 * valid ones as activities (in parallel) and feed every result back in call order; repeat
 * until a final answer or the step budget ends the run. Every ending is a typed outcome.
 */
export async function agentRun(rawInput: RunInputInit): Promise<RunResult> {
  const runId = workflowInfo().workflowId;
  const parsed = runInputSchema.safeParse(rawInput);
  const agentName = parsed.success ? parsed.data.agent.name : String((rawInput as any)?.agent?.name ?? 'unknown');
  const status: RunStatus = {
    runId,
    agent: agentName,
    phase: 'starting',
    step: 0,
    maxSteps: parsed.success ? parsed.data.agent.maxSteps : 0,
    usage: { ...zeroUsage },
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
  setHandler(statusQuery, () => status);

  const finish = (outcome: RunOutcome): RunResult => {
    status.phase = 'completed';
    status.pending = [];
    status.outcome = outcome.kind;
    note(`run ended: ${outcome.kind}${outcome.kind === 'failed' ? ` (${outcome.failure.type})` : ''}`);
    log.info('run ended', { runId, outcome: outcome.kind });
    return {
      runId,
      agent: agentName,
      outcome,
      steps: status.step,
      modelCalls: status.modelCalls,
      toolCalls: status.toolCalls,
      usage: status.usage,
    };
  };

  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
    return finish({ kind: 'failed', failure: make('invalid_input', `run input rejected: ${issues}`) });
  }
  const { agent, task } = parsed.data;

  const unknownTools = agent.tools.filter((name) => !findTool(name));
  if (unknownTools.length > 0) {
    return finish({ kind: 'failed', failure: make('invalid_input', `agent offers unknown tools: ${unknownTools.join(', ')}`) });
  }
  const tools: ToolSpec[] = agent.tools.map((name) => toolSpec(findTool(name)!));
  const { callModel, executeTool } = activitiesFor(agent);
  const messages: Message[] = [{ role: 'user', content: task }];
  const model = describeModel(agent.model);

  while (status.step < agent.maxSteps) {
    const step = ++status.step;
    status.phase = 'calling_model';
    status.pending = [{ kind: 'model_call', step, model }];
    note(`step ${step}: calling ${model}`);

    let response: ModelResponse;
    try {
      response = await callModel({
        runId,
        step,
        timeoutMs: agent.timeouts.modelCallMs,
        request: {
          model: agent.model,
          system: agent.instructions,
          messages,
          tools,
          maxOutputTokens: agent.maxOutputTokens,
          ...(agent.temperature !== undefined ? { temperature: agent.temperature } : {}),
        },
      });
    } catch (err) {
      status.modelCalls++;
      return finish({ kind: 'failed', failure: failureFromError(err) });
    }
    status.modelCalls++;
    status.usage = addUsage(status.usage, response.usage);
    messages.push(response.message);

    if (response.stop === 'refusal' || response.stop === 'content_filter') {
      return finish({
        kind: 'failed',
        failure: make('refused', `${model} ${response.stop === 'refusal' ? 'refused to answer' : 'output was blocked by a content filter'}`),
      });
    }
    const calls = response.message.toolCalls;
    if (calls.length === 0) {
      return finish({ kind: 'answer', text: response.message.text, truncated: response.stop === 'length' });
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
    summary: summarize(messages, status),
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

function activitiesFor(agent: AgentDefinition) {
  const retry = {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '60s',
    maximumAttempts: 6,
    nonRetryableErrorTypes: nonRetryableFailureTypes,
  };
  const { callModel } = proxyActivities<BosunActivities>({
    // The SDK enforces the per-call timeout; the activity gets a margin for setup and mapping.
    startToCloseTimeout: agent.timeouts.modelCallMs + 10_000,
    heartbeatTimeout: agent.timeouts.heartbeatMs,
    retry,
  });
  const { executeTool } = proxyActivities<BosunActivities>({
    startToCloseTimeout: agent.timeouts.toolCallMs,
    retry: { ...retry, maximumAttempts: 3 },
  });
  return { callModel, executeTool };
}

/** A short account of what a run did, for whoever picks up an unfinished run. */
function summarize(messages: Message[], status: RunStatus): string {
  const toolNames = messages
    .filter((m): m is AssistantMessage => m.role === 'assistant')
    .flatMap((m) => m.toolCalls.map((c) => c.name));
  const counts = [...new Set(toolNames)].map((n) => `${n}×${toolNames.filter((t) => t === n).length}`);
  const lastText = [...messages].reverse().find((m): m is AssistantMessage => m.role === 'assistant' && m.text.trim() !== '');
  return (
    `Stopped after ${status.step} steps (limit ${status.maxSteps}): ${status.modelCalls} model calls, ` +
    `${status.toolCalls} tool calls${counts.length ? ` (${counts.join(', ')})` : ''}, ` +
    `${status.usage.input} input / ${status.usage.output} output tokens.` +
    (lastText ? ` Last model text: "${lastText.text.slice(0, 300)}"` : '')
  );
}
