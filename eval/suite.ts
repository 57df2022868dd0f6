import { z } from 'zod';
import { principalSchema } from '../core/principal.ts';
import { outputContractSchema } from '../core/output.ts';
import { issuePath } from '../core/zod-issues.ts';

/**
 * An evaluation suite: one JSON object per line (JSONL), each a case — a task for a named
 * agent of the catalog, optionally who it acts for and an output contract, what the harness
 * does when the run asks a human (approve or reject a tool call, end or answer an
 * escalation), and what a correct run looks like (`expect`). Every line is checked before
 * anything runs, so a typo in line 31 does not surface after 30 paid runs.
 *
 * @example
 * {"id":"refund-small","agent":"support","task":"Refund $5 on ord_100, the mug was chipped.",
 *  "principal":{"scopes":["orders:read","orders:write"],"roles":["support_agent"]},
 *  "expect":{"toolsCalled":["refund_order"],"contains":["$5.00"],"maxCostUsd":0.05}}
 */

/** What a correct run looks like. Every check given must pass for the case to pass. */
export const expectationsSchema = z
  .strictObject({
    /** How the run ends: `answer`, `escalated`, `stopped`, `failed`, `budget_exhausted`. */
    outcome: z.enum(['answer', 'escalated', 'stopped', 'failed', 'budget_exhausted']).optional(),
    /** The final answer's text, exactly (trimmed). */
    exact: z.string().optional(),
    /** A regular expression the answer matches (`/…/flags` or a bare pattern, case-insensitive). */
    regex: z.string().min(1).optional(),
    /** Substrings the answer contains, all of them (case-insensitive). */
    contains: z.array(z.string().min(1)).min(1).optional(),
    /** Substrings the answer must not contain (case-insensitive). */
    notContains: z.array(z.string().min(1)).min(1).optional(),
    /** A JSON Schema the answer (parsed as JSON; the contract's output when there is one) is valid against. */
    jsonSchema: z.record(z.string(), z.unknown()).optional(),
    /** Tools the run ran successfully (not rejected or denied, no error result), each at least once. */
    toolsCalled: z.array(z.string().min(1)).min(1).optional(),
    /** Tools the run never ran (a call rejected or denied before it ran does not count). */
    toolsNotCalled: z.array(z.string().min(1)).min(1).optional(),
    /** Whether the run was handed to a human at least once (an escalation, not an approval). */
    escalation: z.boolean().optional(),
    /** Whether a tool call asked a human for approval. */
    approvalRequested: z.boolean().optional(),
    /** The most the run may cost, in USD at its pinned prices. */
    maxCostUsd: z.number().nonnegative().optional(),
    /** A model-graded check: a `classify` task through Bosun reads the rubric and the answer
     * and says PASS or FAIL (recorded like any call). */
    judge: z.strictObject({ rubric: z.string().min(1) }).optional(),
  })
  .refine((e) => Object.values(e).some((v) => v !== undefined), {
    message: 'give at least one expectation (exact, regex, contains, jsonSchema, toolsCalled, …)',
  });
export type Expectations = z.infer<typeof expectationsSchema>;

export const evalCaseSchema = z.strictObject({
  /** Unique in the suite; names the case in reports and baselines. */
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits and . _ - (start with a letter or digit)'),
  /** An agent of the catalog, by name; the variant may override its models, prompt and context policy. */
  agent: z.string().min(1).max(100),
  task: z.string().trim().min(1),
  /** Extra input appended to the task (e.g. a document to extract from). */
  input: z.string().min(1).optional(),
  principal: principalSchema.optional(),
  output: outputContractSchema.optional(),
  /** What the harness decides for every approval the run asks (through the real approval update). */
  approvals: z.enum(['approve', 'reject']).optional(),
  /** What the harness does with an open escalation: `end` it, or `answer` it as a human. */
  onEscalation: z.enum(['end', 'answer']).default('end'),
  tags: z.array(z.string().min(1)).default([]),
  expect: expectationsSchema,
});
export type EvalCase = z.infer<typeof evalCaseSchema>;
export type EvalCaseInput = z.input<typeof evalCaseSchema>;

/** A suite line that is not a valid case: which file, line and field, and what is wrong. */
export class SuiteError extends Error {
  override readonly name = 'SuiteError';
  readonly file: string;
  readonly line: number;
  readonly field: string;
  readonly problem: string;
  constructor(file: string, line: number, field: string, problem: string) {
    super(`${file}:${line}: ${field}: ${problem}`);
    this.file = file;
    this.line = line;
    this.field = field;
    this.problem = problem;
  }
}

/** The whole prompt a case's run gets: the task, then its input when it has one. */
export function caseTask(c: Pick<EvalCase, 'task' | 'input'>): string {
  return c.input === undefined ? c.task : `${c.task}\n\n${c.input}`;
}

/**
 * Parses a suite. Blank lines and lines starting with `//` are skipped. Throws the first
 * `SuiteError` (line and field named); ids and tasks must be unique (the fake providers
 * tell cases apart by their task).
 */
export function parseSuite(text: string, file = 'suite.jsonl'): EvalCase[] {
  const cases: EvalCase[] = [];
  const ids = new Map<string, number>();
  const tasks = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const lineNo = i + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('//')) continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (err) {
      throw new SuiteError(file, lineNo, '(line)', `not valid JSON (${(err as Error).message})`);
    }
    const parsed = evalCaseSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new SuiteError(file, lineNo, issuePath(issue.path, '(case)'), issue.message);
    }
    const c = parsed.data;
    if (c.expect.regex !== undefined) {
      try {
        compileRegex(c.expect.regex);
      } catch (err) {
        throw new SuiteError(file, lineNo, 'expect.regex', (err as Error).message);
      }
    }
    const seenId = ids.get(c.id);
    if (seenId !== undefined) throw new SuiteError(file, lineNo, 'id', `"${c.id}" is already the id of line ${seenId}`);
    const task = caseTask(c);
    const seenTask = tasks.get(task);
    if (seenTask !== undefined)
      throw new SuiteError(file, lineNo, 'task', `the same task as line ${seenTask}: tasks must be unique`);
    ids.set(c.id, lineNo);
    tasks.set(task, lineNo);
    cases.push(c);
  }
  if (cases.length === 0) throw new SuiteError(file, lines.length, '(suite)', 'no cases');
  return cases;
}

/** `/pattern/flags` as written, or a bare pattern (case-insensitive). */
export function compileRegex(source: string): RegExp {
  const m = /^\/(.*)\/([dgimsuvy]*)$/s.exec(source);
  return m ? new RegExp(m[1]!, m[2]) : new RegExp(source, 'i');
}
