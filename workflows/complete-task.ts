import { setHandler, workflowInfo } from '@temporalio/workflow';
import type { ValidationReport } from '../core/output.ts';
import { taskInputSchema, type RunOutcome, type RunStatus, type TaskInputInit, type TaskResult } from '../core/run.ts';
import { formatIssues } from '../core/zod-issues.ts';
import { statusQuery } from './definitions.ts';
import { endRun, memoOutcome } from './ending.ts';
import { make } from './failures.ts';
import { createModelCaller, emptyTotals } from './model-caller.ts';
import { judgeOutput, settleOutput } from './output-ladder.ts';
import { newConversation } from './conversation.ts';
import { pinPrompt } from './prompts.ts';

/**
 * A single request/response task — extract, classify, rewrite — with the agent loop's
 * routing, fallback chains and output ladder, and none of its tools or steps. One model call
 * when all goes well.
 */
export async function completeTask(rawInput: TaskInputInit): Promise<TaskResult> {
  const runId = workflowInfo().workflowId;
  const parsed = taskInputSchema.safeParse(rawInput);
  const name = parsed.success
    ? parsed.data.name
    : String((rawInput as { name?: unknown } | undefined)?.name ?? 'unknown');
  const totals = emptyTotals();
  let validation: ValidationReport | undefined = undefined;
  let phase: RunStatus['phase'] = 'starting';
  let lastEvent = 'task started';
  setHandler(statusQuery, () => ({
    runId,
    agent: name,
    phase,
    step: totals.calls.length ? 1 : 0,
    maxSteps: 1,
    usage: totals.usage,
    costUsd: totals.costUsd,
    modelCalls: totals.calls.length,
    toolCalls: 0,
    lastEvent,
    recentEvents: [{ seq: 1, text: lastEvent }],
    pending: [],
    pendingApprovals: [],
    escalations: 0,
  }));
  const finish = (outcome: RunOutcome): TaskResult => {
    phase = 'completed';
    lastEvent = `task ended: ${outcome.kind}`;
    memoOutcome(outcome);
    return endRun({
      runId,
      task: name,
      outcome,
      modelCalls: totals.calls.length,
      usage: totals.usage,
      costUsd: totals.costUsd,
      unpricedCalls: totals.unpricedCalls,
      calls: totals.calls,
      ...(validation ? { validation } : {}),
    });
  };
  if (!parsed.success)
    return finish({
      kind: 'failed',
      failure: make('invalid_input', `task input rejected: ${formatIssues(parsed.error)}`),
    });
  const task = parsed.data;
  const caller = createModelCaller({
    runId,
    config: task,
    totals,
    onCall: ({ model }) => {
      phase = 'calling_model';
      lastEvent = `calling ${model}`;
    },
  });
  const contract = task.output;
  // The prompt is pinned by content hash and the conversation kept in the run store.
  const { pin: prompt, content } = await pinPrompt(task.name, task.instructions);
  if (content !== undefined) caller.knowPrompt(prompt, content);
  const conversation = newConversation(runId, { role: 'user', content: task.input });
  const request = {
    system: '',
    tools: [],
    maxOutputTokens: task.maxOutputTokens,
    ...(task.temperature !== undefined ? { temperature: task.temperature } : {}),
    ...(contract ? { output: { name: contract.name, schema: contract.schema } } : {}),
  };
  const r = await caller.call({
    step: 1,
    taskClass: task.taskClass,
    why: 'single task',
    purpose: 'task',
    request,
    conversation,
    prompt,
  });
  if (r.kind === 'failed') return finish({ kind: 'failed', failure: r.failure });
  if (r.kind === 'refused_by_budget') return finish({ kind: 'failed', failure: make('internal', r.reason) });
  if (r.kind === 'escalate')
    return finish({ kind: 'escalated', reason: 'refused', message: `${r.reason}: ${r.failure.message}` });
  if (!contract)
    return finish({ kind: 'answer', text: r.response.message.text, truncated: r.response.stop === 'length' });

  phase = 'validating_output';
  const settled = await settleOutput({
    contract,
    caller,
    step: 1,
    taskClass: task.taskClass,
    request,
    conversation,
    prompt,
    first: { text: r.response.message.text, model: r.record.model },
  });
  validation = settled.report;
  const verdict = judgeOutput(settled, contract);
  switch (verdict.kind) {
    case 'answer':
      return finish(verdict.outcome);
    case 'escalate':
      return finish({ kind: 'escalated', reason: verdict.reason, message: verdict.message, ...verdict.extra });
    case 'budget':
      return finish({ kind: 'failed', failure: make('internal', verdict.reason) });
    case 'failed':
      return finish({ kind: 'failed', failure: verdict.failure });
  }
}
