import { z } from 'zod';
import type { Message } from './messages.ts';
import { classifyAgentStep, type TaskClass } from './routing.ts';

/**
 * The step classifier: position alone says a step after tool results only acts (cheap tier),
 * yet that step may have to reason — add up a refund, weigh a policy, write an answer from
 * several results. When an agent turns the classifier on, a small `classify` call (routed,
 * budgeted and recorded like any call, purpose `classify`) reads the task and the latest turn
 * and says `plan` (the plan tier) or `act` (the act tier) for the step's call.
 *
 * Only the steps position would call `act` are classified: the first step plans and the last
 * step of the budget synthesizes whatever a classifier says. A failed call or a reply that is
 * not a valid choice falls back to position, and the step's call record says so.
 *
 * Pure and sandbox-safe: the workflow side is `workflows/step-classifier.ts`.
 */
export const stepClassifierSchema = z.strictObject({
  enabled: z.boolean(),
  /** Characters of the classification's input: the task gets up to half, the latest turn the
   * rest. Small on purpose: the classification must cost far less than the call it routes. */
  maxInputChars: z.number().int().min(200).max(20_000).default(2_000),
  /** Output tokens a classification may use: a choice and a sentence (more for a reasoning
   * model, whose thinking counts here too). */
  maxOutputTokens: z.number().int().min(16).max(4_096).default(100),
});
export type StepClassifierConfig = z.infer<typeof stepClassifierSchema>;

/** The classifier's system prompt. Its text is pinned (and hashed) like any prompt; a fake
 * provider recognises a classification request by it. Terse on purpose: it is sent with every
 * classification, at most steps of a run, so its length is most of what the classifier costs. */
export const STEP_CLASSIFIER_INSTRUCTIONS =
  'Route an AI agent\'s next step. "plan" if it must reason: at the first step (nothing done yet), a task ' +
  'that is ambiguous or has several parts; later, amounts to work out, rules to weigh, results to combine. ' +
  '"act" if it is simple or mechanical: one clear request, the next tool call, relaying a result. ' +
  'JSON only: {"choice": "plan" | "act", "reason": "<at most 8 words>"}';

export const stepChoiceSchema = z.strictObject({
  choice: z.enum(['plan', 'act']),
  reason: z.string().trim().min(1).max(500),
});
export type StepChoice = z.infer<typeof stepChoiceSchema>;

/** The choice as an output contract (structured output where the provider has it). */
export const stepChoiceOutput = {
  name: 'step_choice',
  schema: {
    type: 'object',
    properties: { choice: { type: 'string', enum: ['plan', 'act'] }, reason: { type: 'string' } },
    required: ['choice', 'reason'],
    additionalProperties: false,
  },
} as const;

/** Heading of the task in the classification's input (and how a fake provider finds it). */
export const CLASSIFIER_TASK_HEADING = 'Task:';
export const CLASSIFIER_TURN_HEADING = 'Latest turn:';
/** The latest turn at the first step: nothing has happened yet, the task is all there is. */
export const CLASSIFIER_FIRST_STEP = '(first step: nothing done yet)';

/**
 * The classification's input: the task and the latest turn (the messages the step's call
 * will add to the conversation: tool results, an answer from a person; none at the first
 * step), each cut to its share of `maxChars` — never the whole conversation.
 */
export function classifierInput(task: string, latest: readonly Message[], maxChars: number): string {
  const taskPart = cut(task.trim(), Math.floor(maxChars / 2));
  const turn = cut(
    latest.length ? latest.map(describeMessage).join('\n') || '(nothing new)' : CLASSIFIER_FIRST_STEP,
    maxChars - taskPart.length,
  );
  return `${CLASSIFIER_TASK_HEADING}\n${taskPart}\n\n${CLASSIFIER_TURN_HEADING}\n${turn}`;
}

function describeMessage(m: Message): string {
  switch (m.role) {
    case 'user':
      return `user: ${m.content}`;
    case 'assistant':
      return `agent: ${m.text}${m.toolCalls.length ? ` (calls ${m.toolCalls.map((c) => c.name).join(', ')})` : ''}`;
    case 'tool':
      return m.results.map((r) => `${r.name}${r.isError ? ' (error)' : ''}: ${oneLine(r.content, 300)}`).join('\n');
  }
}

const oneLine = (s: string, n: number) => cut(s.replace(/\s+/g, ' ').trim(), n);
const cut = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, Math.max(0, n - 1))}…`);

export type ParsedChoice = { ok: true; choice: StepChoice } | { ok: false; problem: string };

/**
 * The classifier's reply as a choice: JSON (alone, or in a fenced block, or the first object
 * in the text) matching `stepChoiceSchema`. Anything else is a problem, said in words for
 * the record; the caller then falls back to position.
 */
export function parseStepChoice(text: string): ParsedChoice {
  const trimmed = text.trim();
  if (!trimmed) return { ok: false, problem: 'empty reply' };
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(trimmed)?.[1];
  const start = trimmed.indexOf('{');
  const end = trimmed.lastIndexOf('}');
  const candidate = fenced ?? (start >= 0 && end > start ? trimmed.slice(start, end + 1) : trimmed);
  let json: unknown;
  try {
    json = JSON.parse(candidate);
  } catch {
    return { ok: false, problem: `not JSON: ${oneLine(trimmed, 80)}` };
  }
  const parsed = stepChoiceSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, problem: `invalid choice: ${issue.path.join('.') || '(reply)'}: ${issue.message}` };
  }
  return { ok: true, choice: parsed.data };
}

/** The task class of a step and why, given what the classifier said (or why it could not). */
export function classifiedStep(
  step: number,
  maxSteps: number,
  outcome: ParsedChoice | { ok: false; problem: string },
): { taskClass: TaskClass; why: string } {
  const positional = classifyAgentStep(step, maxSteps);
  if (positional.taskClass === 'synthesize') return positional;
  if (!outcome.ok) return { ...positional, why: `${positional.why}; step classifier failed (${outcome.problem})` };
  return { taskClass: outcome.choice.choice, why: `step classifier: ${outcome.choice.reason}` };
}

/** Whether a step is one the classifier decides: enabled, and not the last step of the
 * budget (which must answer, so it synthesizes). */
export function classifierDecides(config: StepClassifierConfig | undefined, step: number, maxSteps: number): boolean {
  return config?.enabled === true && classifyAgentStep(step, maxSteps).taskClass !== 'synthesize';
}
