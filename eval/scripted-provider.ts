import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { requestedModel, type FakeHandler, type FakeReply } from '../testing/index.ts';
import { issueLines } from '../core/zod-issues.ts';
import { judgeInstructions } from './run-case.ts';
import { caseTask, type EvalCase } from './suite.ts';
import {
  CLASSIFIER_FIRST_STEP,
  CLASSIFIER_TASK_HEADING,
  CLASSIFIER_TURN_HEADING,
  STEP_CLASSIFIER_INSTRUCTIONS,
} from '../core/step-classifier.ts';

/**
 * The fake provider's side of a suite, so it runs deterministically in CI: per case, what
 * "the model" answers at each turn (a turn is the number of assistant messages already in
 * the request), optionally different on the cheap tier — a cheaper model that skips a tool
 * or answers worse — and what a judge says. One fake server plays both tiers: the request's
 * model name says which.
 *
 * The requests themselves are real: Bosun's workers send them through the official SDK,
 * tools run, approvals wait for the harness, contracts validate. Only the model is scripted.
 *
 * @example
 * { "tiers": { "strong": "gpt-4.1", "cheap": "gpt-4.1-mini" },
 *   "cases": { "refund-small": { "turns": [
 *       { "kind": "tool_calls", "calls": [{ "name": "lookup_order", "args": { "orderId": "ord_100" } }] },
 *       { "kind": "text", "text": "Refunded $5.00." } ],
 *     "cheap": { "1": { "kind": "text", "text": "Done." } } } } }
 */

const replySchema = z.union([
  z.strictObject({ kind: z.literal('text'), text: z.string() }),
  z.strictObject({
    kind: z.literal('tool_calls'),
    text: z.string().optional(),
    calls: z.array(z.strictObject({ name: z.string().min(1), args: z.unknown().optional() })).min(1),
  }),
]);

const caseScriptSchema = z.strictObject({
  turns: z.array(replySchema).min(1),
  /** Turn index → the cheap tier's reply instead. */
  cheap: z.record(z.string().regex(/^\d+$/), replySchema).optional(),
  /** What a judge answers about this case's answer (first word PASS or FAIL). */
  judge: z.string().min(1).optional(),
  /** Passages the model needs to answer: when the request does not hold every one of them
   * (whitespace aside) — retrieval left them out — the fake answers `notCovered` instead of
   * its turns, as a model that answers only from what it was given. */
  needs: z.array(z.string().min(1)).min(1).optional(),
  /** What the step classifier answers for this case instead of the script's rule (raw text:
   * e.g. an invalid reply, to show the fallback to position). */
  classify: z.string().optional(),
});

/**
 * How the fake step classifier answers (`core/step-classifier.ts`), one rule for every case,
 * on the task and the latest turn as the classification request quotes them — as a cheap
 * model would judge "does this step need reasoning" — never the case's id or expected answer
 * (its reasons are a few words, as the classifier's prompt asks):
 * 1. `plan` at any step when the task matches `ambiguous` (it leaves a choice open: the
 *    agent must work out what is being asked, and keeps weighing it until it answers);
 * 2. at the first step (nothing done yet): `plan` when the task asks for at least
 *    `partsAtLeast` things (matches of `parts`, e.g. action verbs) — several parts to
 *    plan — else `act` (one clear request);
 * 3. later: `plan` when the task matches `plan` and, when `after` is given, the latest turn
 *    matches `after`; else `act`.
 */
const classifierRuleSchema = z.strictObject({
  about: z.string().optional(),
  plan: z.string().min(1),
  after: z.string().min(1).optional(),
  ambiguous: z.string().min(1).optional(),
  parts: z.string().min(1).optional(),
  partsAtLeast: z.number().int().min(1).default(2),
  flags: z
    .string()
    .regex(/^[imsu]*$/)
    .default('i'),
});

export const providerScriptSchema = z.strictObject({
  /** Model names of the tiers the script tells apart. */
  tiers: z.strictObject({ strong: z.string().min(1), cheap: z.string().min(1) }),
  /** What the tiers do differently, in words (documentation only). */
  about: z.string().optional(),
  classifier: classifierRuleSchema.optional(),
  /** The answer of a case whose `needs` the request does not hold. */
  notCovered: z.string().min(1).optional(),
  cases: z.record(z.string(), caseScriptSchema),
});
export type ProviderScript = z.infer<typeof providerScriptSchema>;

export class ScriptError extends Error {
  override readonly name = 'ScriptError';
}

export function loadProviderScript(file: string): ProviderScript {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ScriptError(`${file}: ${(err as Error).message}`);
  }
  const parsed = providerScriptSchema.safeParse(json);
  if (!parsed.success) throw new ScriptError(`${file}: ${issueLines(parsed.error, { root: '(script)' })[0]}`);
  return parsed.data;
}

/** Every case needs a script; a script for no case is a typo. */
export function checkScriptCovers(script: ProviderScript, cases: readonly EvalCase[], file: string): void {
  const ids = new Set(cases.map((c) => c.id));
  const missing = cases.filter((c) => !script.cases[c.id]).map((c) => c.id);
  if (missing.length) throw new ScriptError(`${file}: no script for case(s) ${missing.join(', ')}`);
  const stray = Object.keys(script.cases).filter((id) => !ids.has(id));
  if (stray.length) throw new ScriptError(`${file}: scripts for cases the suite does not have: ${stray.join(', ')}`);
}

/** A fake provider handler that answers each request from its case's script. */
export function scriptedHandler(script: ProviderScript, cases: readonly EvalCase[]): FakeHandler {
  // Longest task first: a task that contains another one's text still finds its own case.
  const byTask = cases.map((c) => ({ task: caseTask(c), c })).sort((a, b) => b.task.length - a.task.length);
  return (req) => {
    const body = req.body as { messages?: { role: string; content?: unknown }[] };
    const messages = body.messages ?? [];
    const text = (m: { content?: unknown } | undefined) =>
      typeof m?.content === 'string' ? m.content : JSON.stringify(m?.content ?? '');
    const system = text(messages.find((m) => m.role === 'system' || m.role === 'developer'));
    const firstUser = text(messages.find((m) => m.role === 'user'));
    if (system.includes(judgeInstructions)) {
      const id = /^Case: (\S+)/m.exec(firstUser)?.[1];
      const verdict = id ? script.cases[id]?.judge : undefined;
      return { kind: 'text', text: verdict ?? 'FAIL: the script gives no verdict for this case.' };
    }
    if (system.includes(STEP_CLASSIFIER_INSTRUCTIONS)) return classifierReply(script, byTask, firstUser);
    const found = byTask.find((t) => firstUser.includes(t.task));
    if (!found) return { kind: 'error', status: 400, message: 'fake provider: no case of the suite has this task' };
    const cs = script.cases[found.c.id]!;
    if (cs.needs) {
      const given = squash(messages.map((m) => text(m)).join('\n'));
      if (!cs.needs.every((n) => given.includes(squash(n))))
        return { kind: 'text', text: script.notCovered ?? notCovered };
    }
    const turn = messages.filter((m) => m.role === 'assistant').length;
    const model = requestedModel(req.body) ?? '';
    const reply = (model === script.tiers.cheap ? cs.cheap?.[String(turn)] : undefined) ?? cs.turns[turn];
    if (!reply)
      return {
        kind: 'error',
        status: 400,
        message: `fake provider: case ${found.c.id} has no turn ${turn} (${cs.turns.length} scripted)`,
      };
    return structuredClone(reply) as FakeReply;
  };
}

const notCovered = 'The documents I was given do not cover this, so I cannot say.';
const squash = (s: string) => s.replace(/(\\n|\s)+/g, ' ');

/** The fake classifier's reply to a classification request: the case's own `classify` text
 * when the script gives one, else the script's rule applied to the quoted task. */
export function classifierReply(
  script: ProviderScript,
  byTask: readonly { task: string; c: EvalCase }[],
  input: string,
): FakeReply {
  const start = input.indexOf(`${CLASSIFIER_TASK_HEADING}\n`);
  const end = input.indexOf(`\n\n${CLASSIFIER_TURN_HEADING}`);
  const task = start >= 0 && end > start ? input.slice(start + CLASSIFIER_TASK_HEADING.length + 1, end) : input;
  const turn = end >= 0 ? input.slice(end + CLASSIFIER_TURN_HEADING.length + 3) : '';
  // A long task is quoted cut short (ending in …): its start still finds its case.
  const cutShort = task.endsWith('…') ? task.slice(0, -1) : undefined;
  const found = byTask.find((t) => task.includes(t.task) || (cutShort !== undefined && t.task.startsWith(cutShort)));
  const own = found ? script.cases[found.c.id]?.classify : undefined;
  if (own !== undefined) return { kind: 'text', text: own };
  const rule = script.classifier;
  if (!rule) return { kind: 'error', status: 400, message: 'fake provider: the script has no classifier rule' };
  return { kind: 'text', text: JSON.stringify(ruleChoice(rule, task, turn.trim() === CLASSIFIER_FIRST_STEP, turn)) };
}

/** The script's classifier rule applied to a quoted task and latest turn (see
 * `classifierRuleSchema`). */
function ruleChoice(
  rule: z.infer<typeof classifierRuleSchema>,
  task: string,
  first: boolean,
  turn: string,
): { choice: 'plan' | 'act'; reason: string } {
  const open = rule.ambiguous === undefined ? null : new RegExp(rule.ambiguous, rule.flags).exec(task);
  if (open) return { choice: 'plan', reason: `ambiguous task ("${open[0]}")` };
  if (first) {
    const asks = rule.parts === undefined ? [] : (task.match(new RegExp(rule.parts, `${rule.flags}g`)) ?? []);
    return asks.length >= rule.partsAtLeast
      ? { choice: 'plan', reason: `a task of ${asks.length} parts` }
      : { choice: 'act', reason: 'one clear request' };
  }
  const hit = new RegExp(rule.plan, rule.flags).exec(task);
  const after = rule.after === undefined || new RegExp(rule.after, rule.flags).test(turn);
  return hit && after
    ? { choice: 'plan', reason: `an amount to work out ("${hit[0]}")` }
    : { choice: 'act', reason: hit ? 'nothing to work out yet' : 'a mechanical step' };
}
