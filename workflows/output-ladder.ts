import type { EscalationReason } from '../core/approvals.ts';
import type { Failure } from '../core/failures.ts';
import type { RunOutcome } from '../core/run.ts';
import type { PromptPin } from '../core/activity-contracts.ts';
import type { Conversation } from './conversation.ts';
import { describeModel } from '../core/model.ts';
import {
  checkOutput,
  repairPrompt,
  type OutputContract,
  type ValidationAttempt,
  type ValidationReport,
} from '../core/output.ts';
import type { TaskClass } from '../core/routing.ts';
import type { createModelCaller, UnroutedRequest } from './model-caller.ts';

export type LadderResult =
  | { kind: 'valid'; value: unknown; text: string; report: ValidationReport }
  | { kind: 'escalated'; lastOutput: string; issues: string[]; report: ValidationReport }
  | { kind: 'call_failed'; failure: Failure; escalate: boolean; report: ValidationReport }
  | { kind: 'budget'; reason: string; report: ValidationReport };

/**
 * The failure ladder for structured output: validate → repair with the zod issues (up to
 * `maxRepairs`) → one try on the strong tier → escalate, carrying the last invalid output
 * and its issues. Every rung is recorded in the validation report.
 *
 * `conversation` must end with the assistant answer being checked; repair turns are added.
 */
export async function settleOutput(opts: {
  contract: OutputContract;
  caller: ReturnType<typeof createModelCaller>;
  step: number;
  taskClass: TaskClass;
  request: UnroutedRequest;
  conversation: Conversation;
  prompt: PromptPin;
  first: { text: string; model: string; hadToolCalls?: boolean };
}): Promise<LadderResult> {
  const { contract, caller, conversation } = opts;
  const attempts: ValidationAttempt[] = [];
  const report = (result: ValidationReport['result']): ValidationReport => ({
    schema: contract.name,
    attempts,
    result,
  });

  let text = opts.first.text;
  let model = opts.first.model;
  let check = checkOutput(contract, text);
  attempts.push({ rung: 'initial', model, valid: check.ok, ...(check.ok ? {} : { issues: check.issues }) });
  if (check.ok) return { kind: 'valid', value: check.value, text, report: report('initial') };

  const rungs: ('repair' | 'stronger_model')[] = Array.from({ length: contract.maxRepairs }, () => 'repair' as const);
  const strong = caller.routing.tiers.strong?.chain[0];
  if (contract.escalateToStrongModel && strong && describeModel(strong) !== model) rungs.push('stronger_model');

  for (const rung of rungs) {
    conversation.add({ role: 'user', content: repairPrompt(contract.name, check.ok ? [] : check.issues) });
    const r = await caller.call({
      step: opts.step,
      taskClass: opts.taskClass,
      why: rung === 'repair' ? 'output repair' : 'output repair on a stronger model',
      purpose: rung,
      request: opts.request,
      conversation,
      prompt: opts.prompt,
      ...(rung === 'stronger_model' ? { tier: 'strong' as const } : {}),
    });
    if (r.kind === 'refused_by_budget') return { kind: 'budget', reason: r.reason, report: report('escalated') };
    if (r.kind !== 'ok') {
      return { kind: 'call_failed', failure: r.failure, escalate: r.kind === 'escalate', report: report('escalated') };
    }
    const calls = r.response.message.toolCalls;
    if (calls.length > 0) {
      // Keep the conversation well-formed: every tool call gets a result before the next turn.
      conversation.add({
        role: 'tool',
        results: calls.map((c) => ({
          callId: c.id,
          name: c.name,
          content: 'Tools are not available while fixing the output format.',
          isError: true,
        })),
      });
    }
    text = r.response.message.text;
    model = describeModel(r.model);
    check =
      r.response.message.toolCalls.length > 0
        ? { ok: false, issues: ['(output): answer with the JSON itself, not a tool call'] }
        : checkOutput(contract, text);
    attempts.push({ rung, model, valid: check.ok, ...(check.ok ? {} : { issues: check.issues }) });
    if (check.ok) return { kind: 'valid', value: check.value, text, report: report('repaired') };
  }
  return { kind: 'escalated', lastOutput: text, issues: check.ok ? [] : check.issues, report: report('escalated') };
}

/** What a settled output means for the run: an answer, an escalation (with its reason),
 * a cost-budget stop, or a failure. Shared by `agentRun` (which may park an escalation for a
 * human) and `completeTask` (which returns it). */
export type OutputVerdict =
  | { kind: 'answer'; outcome: Extract<RunOutcome, { kind: 'answer' }> }
  | { kind: 'escalate'; reason: EscalationReason; message: string; extra: { lastOutput?: string; issues?: string[] } }
  | { kind: 'budget'; reason: string }
  | { kind: 'failed'; failure: Failure };

export function judgeOutput(settled: LadderResult, contract: OutputContract): OutputVerdict {
  switch (settled.kind) {
    case 'valid': {
      const confidence = contract.confidence;
      const value = confidence ? (settled.value as Record<string, unknown>)?.[confidence.field] : undefined;
      if (confidence && (typeof value !== 'number' || value < confidence.min)) {
        return {
          kind: 'escalate',
          reason: 'low_confidence',
          message: `${confidence.field} is ${String(value)}, below ${confidence.min}`,
          extra: { lastOutput: settled.text.slice(0, 4_000) },
        };
      }
      return {
        kind: 'answer',
        outcome: { kind: 'answer', text: settled.text, truncated: false, output: settled.value },
      };
    }
    case 'escalated':
      return {
        kind: 'escalate',
        reason: 'invalid_output',
        message: `output did not match "${contract.name}" after ${settled.report.attempts.length} attempts`,
        extra: { lastOutput: settled.lastOutput.slice(0, 4_000), issues: settled.issues },
      };
    case 'budget':
      return { kind: 'budget', reason: settled.reason };
    case 'call_failed':
      return settled.escalate
        ? { kind: 'escalate', reason: 'refused', message: settled.failure.message, extra: {} }
        : { kind: 'failed', failure: settled.failure };
  }
}
