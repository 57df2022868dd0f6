import type { RunResult } from '../core/run.ts';
import { formatIssue } from '../core/zod-issues.ts';
import { jsonSchemaIssues } from '../tools/mcp/json-schema.ts';
import { compileRegex, type Expectations } from './suite.ts';

/**
 * Deterministic graders: each expectation of a case becomes one named check with a verdict
 * and, when it fails, what was seen instead. A case passes when every check passes. They read
 * only the run's typed result (outcome, tool results, audit, cost) and what the harness did
 * for it, so a grade can be recomputed from a stored report.
 */

export interface Check {
  /** The expectation's name (`contains`, `toolsCalled`, `judge`, …). */
  name: string;
  pass: boolean;
  /** Why it failed (empty when it passed). */
  detail: string;
}

/** What the harness saw of a run, beside its result. */
export interface Observation {
  result: RunResult;
  /** Approvals the run asked for (the harness decided each). */
  approvalsRequested: number;
  /** The model-graded verdict, when the case has a `judge` expectation. */
  judge?: { verdict: 'pass' | 'fail' | 'unclear'; text: string } | undefined;
}

/** The final answer's text ('' when the run did not end with an answer). */
export function answerText(result: RunResult): string {
  return result.outcome.kind === 'answer' ? result.outcome.text : '';
}

/** Tools a run ran: a tool result whose call was not rejected, denied or timed out before
 * it ran; with `succeeded`, only results that are not errors. */
export function toolsExecuted(result: RunResult, opts: { succeeded?: boolean } = {}): Set<string> {
  const refused = new Set(
    result.audit
      .filter((a) => a.event === 'rejected' || a.event === 'tool_denied' || a.event === 'approval_timed_out')
      .map((a) => a.callId),
  );
  return new Set(
    (result.toolResults ?? [])
      .filter((r) => !refused.has(r.callId) && !(opts.succeeded && r.isError))
      .map((r) => r.tool),
  );
}

export function grade(expect: Expectations, seen: Observation): Check[] {
  const { result } = seen;
  const text = answerText(result).trim();
  const lower = text.toLowerCase();
  const checks: Check[] = [];
  const check = (name: string, pass: boolean, detail: string) =>
    checks.push({ name, pass, detail: pass ? '' : detail });
  const shown = (s: string) => (s.length > 120 ? `${JSON.stringify(s.slice(0, 120))}…` : JSON.stringify(s));

  if (expect.outcome !== undefined)
    check('outcome', result.outcome.kind === expect.outcome, `ended ${describeOutcome(result)}`);
  if (expect.exact !== undefined) check('exact', text === expect.exact.trim(), `answer was ${shown(text)}`);
  if (expect.regex !== undefined)
    check('regex', compileRegex(expect.regex).test(text), `answer ${shown(text)} does not match ${expect.regex}`);
  if (expect.contains !== undefined) {
    const missing = expect.contains.filter((s) => !lower.includes(s.toLowerCase()));
    check('contains', missing.length === 0, `answer ${shown(text)} lacks ${missing.map((m) => `"${m}"`).join(', ')}`);
  }
  if (expect.notContains !== undefined) {
    const present = expect.notContains.filter((s) => lower.includes(s.toLowerCase()));
    check('notContains', present.length === 0, `answer contains ${present.map((m) => `"${m}"`).join(', ')}`);
  }
  if (expect.jsonSchema !== undefined) {
    const value = structuredValue(result);
    if (!value.ok) check('jsonSchema', false, value.why);
    else {
      const issues = jsonSchemaIssues(expect.jsonSchema, value.value);
      check('jsonSchema', issues.length === 0, issues.map((i) => formatIssue(i, '(answer)')).join('; '));
    }
  }
  const executed = toolsExecuted(result);
  if (expect.toolsCalled !== undefined) {
    const succeeded = toolsExecuted(result, { succeeded: true });
    const missing = expect.toolsCalled.filter((t) => !succeeded.has(t));
    check(
      'toolsCalled',
      missing.length === 0,
      `not run successfully: ${missing.join(', ')} (succeeded: ${list(succeeded)})`,
    );
  }
  if (expect.toolsNotCalled !== undefined) {
    const ran = expect.toolsNotCalled.filter((t) => executed.has(t));
    check('toolsNotCalled', ran.length === 0, `executed: ${ran.join(', ')}`);
  }
  if (expect.escalation !== undefined) {
    const escalated = result.escalations > 0 || result.outcome.kind === 'escalated';
    check(
      'escalation',
      escalated === expect.escalation,
      escalated ? `escalated (${describeOutcome(result)})` : 'never handed to a human',
    );
  }
  if (expect.approvalRequested !== undefined) {
    const asked = seen.approvalsRequested > 0;
    check(
      'approvalRequested',
      asked === expect.approvalRequested,
      asked ? `${seen.approvalsRequested} approval(s) asked` : 'no approval asked',
    );
  }
  if (expect.maxCostUsd !== undefined)
    check(
      'maxCostUsd',
      result.costUsd <= expect.maxCostUsd && result.unpricedCalls === 0,
      result.unpricedCalls > 0
        ? `${result.unpricedCalls} call(s) had no price: the cost is unknown`
        : `cost $${result.costUsd.toFixed(6)} > $${expect.maxCostUsd}`,
    );
  if (expect.judge !== undefined) {
    const verdict = seen.judge?.verdict ?? 'unclear';
    check('judge', verdict === 'pass', seen.judge ? `judge said ${shown(seen.judge.text)}` : 'no judge verdict');
  }
  return checks;
}

/** The answer as a JSON value: the contract's validated output, else the text parsed. */
function structuredValue(result: RunResult): { ok: true; value: unknown } | { ok: false; why: string } {
  if (result.outcome.kind !== 'answer') return { ok: false, why: `no answer (${describeOutcome(result)})` };
  if (result.outcome.output !== undefined) return { ok: true, value: result.outcome.output };
  const text = result.outcome.text
    .trim()
    .replace(/^```(?:json)?\s*/i, '')
    .replace(/```$/, '');
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, why: 'the answer is not JSON' };
  }
}

export function describeOutcome(result: RunResult): string {
  const o = result.outcome;
  switch (o.kind) {
    case 'answer':
      return o.answeredBy && o.answeredBy !== 'model' ? `answer (by ${o.answeredBy})` : 'answer';
    case 'failed':
      return `failed ${o.failure.type}`;
    case 'escalated':
    case 'stopped':
      return `${o.kind} ${o.reason}`;
    case 'budget_exhausted':
      return `budget_exhausted ${o.budget}`;
  }
}

const list = (s: Set<string>) => (s.size ? [...s].join(', ') : 'none');

/** Reads a judge's reply: its first word PASS or FAIL (any case), else unclear. */
export function judgeVerdict(text: string): 'pass' | 'fail' | 'unclear' {
  const first = /^[\s*"'`]*([a-z]+)/i.exec(text)?.[1]?.toLowerCase();
  return first === 'pass' ? 'pass' : first === 'fail' ? 'fail' : 'unclear';
}
