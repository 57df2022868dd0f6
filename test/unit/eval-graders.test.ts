import { describe, expect, it } from 'vitest';
import { commonPrefixLength, wirePrefixShare } from '../../eval/cache-share.ts';
import { compareToBaseline, parseBaseline, BaselineError } from '../../eval/compare.ts';
import { grade, judgeVerdict, toolsExecuted } from '../../eval/graders.ts';
import { economics, type VariantSummary } from '../../eval/report.ts';
import type { RunResult } from '../../core/run.ts';

function result(over: Partial<RunResult> = {}): RunResult {
  return {
    runId: 'r',
    agent: 'support',
    outcome: { kind: 'answer', text: 'Refunded $5.00 on ord_100.', truncated: false, answeredBy: 'model' },
    steps: 3,
    modelCalls: 3,
    toolCalls: 2,
    usage: { input: 3000, output: 100, cachedInput: 0 },
    costUsd: 0.004,
    unpricedCalls: 0,
    calls: [],
    toolResults: [
      { step: 1, callId: 'c1', tool: 'lookup_order', content: '{}', isError: false },
      { step: 2, callId: 'c2', tool: 'refund_order', content: '{}', isError: false },
    ],
    audit: [],
    escalations: 0,
    ...over,
  } as RunResult;
}
const seen = (r: RunResult, approvalsRequested = 0) => ({ result: r, approvalsRequested });
const failed = (checks: { name: string; pass: boolean }[]) => checks.filter((c) => !c.pass).map((c) => c.name);

describe('graders', () => {
  it('pass when every expectation holds', () => {
    const checks = grade(
      {
        outcome: 'answer',
        contains: ['$5.00', 'ORD_100'],
        notContains: ['$50'],
        regex: '/refunded \\$\\d+\\.\\d\\d/i',
        toolsCalled: ['refund_order'],
        toolsNotCalled: ['search_docs'],
        escalation: false,
        approvalRequested: false,
        maxCostUsd: 0.01,
      },
      seen(result()),
    );
    expect(failed(checks)).toEqual([]);
    expect(checks).toHaveLength(9);
  });

  it('each expectation fails on its own, saying what was seen', () => {
    const r = result();
    const checks = grade(
      { exact: 'Refunded.', contains: ['$6.00'], regex: 'declined', maxCostUsd: 0.001, approvalRequested: true },
      seen(r),
    );
    expect(failed(checks)).toEqual(['exact', 'regex', 'contains', 'approvalRequested', 'maxCostUsd']);
    expect(checks.find((c) => c.name === 'contains')!.detail).toMatch(/lacks "\$6\.00"/);
    expect(checks.find((c) => c.name === 'maxCostUsd')!.detail).toMatch(/0\.004000 > \$0\.001/);
    // An unknown cost never passes a cost ceiling.
    expect(failed(grade({ maxCostUsd: 1 }, seen(result({ unpricedCalls: 1 }))))).toEqual(['maxCostUsd']);
  });

  it('a rejected or denied call did not run; an error result ran but did not succeed', () => {
    const r = result({
      audit: [{ seq: 1, at: '', step: 2, event: 'rejected', tool: 'refund_order', callId: 'c2', by: 'human:x' }],
    });
    expect([...toolsExecuted(r)]).toEqual(['lookup_order']);
    expect(failed(grade({ toolsNotCalled: ['refund_order'] }, seen(r)))).toEqual([]);
    const errored = result({
      toolResults: [{ step: 1, callId: 'c1', tool: 'refund_order', content: 'not paid', isError: true }],
    });
    expect(failed(grade({ toolsCalled: ['refund_order'] }, seen(errored)))).toEqual(['toolsCalled']);
    expect(failed(grade({ toolsNotCalled: ['refund_order'] }, seen(errored)))).toEqual(['toolsNotCalled']);
  });

  it('jsonSchema reads the contract output, else the answer text; escalation and outcome', () => {
    const schema = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] };
    const withOutput = result({ outcome: { kind: 'answer', text: 'x', truncated: false, output: { n: 1 } } });
    expect(failed(grade({ jsonSchema: schema }, seen(withOutput)))).toEqual([]);
    const text = (t: string) => result({ outcome: { kind: 'answer', text: t, truncated: false } });
    expect(failed(grade({ jsonSchema: schema }, seen(text('```json\n{"n": 2}\n```'))))).toEqual([]);
    const bad = grade({ jsonSchema: schema }, seen(text('{"n": "two"}')));
    expect(bad[0]!.detail).toMatch(/n/);
    expect(failed(grade({ jsonSchema: schema }, seen(text('no json'))))).toEqual(['jsonSchema']);
    const stopped = result({
      outcome: { kind: 'stopped', reason: 'ended_by_human', message: '', summary: '' },
      escalations: 1,
    });
    expect(failed(grade({ escalation: true, outcome: 'stopped' }, seen(stopped)))).toEqual([]);
    expect(failed(grade({ escalation: true, outcome: 'stopped' }, seen(result())))).toEqual(['outcome', 'escalation']);
  });

  it('judge: the verdict is the first word of the reply', () => {
    expect(judgeVerdict('PASS: fine')).toBe('pass');
    expect(judgeVerdict('**fail** — invents a plan')).toBe('fail');
    expect(judgeVerdict('I think it passes')).toBe('unclear');
    const r = result();
    expect(failed(grade({ judge: { rubric: 'x' } }, { ...seen(r), judge: { verdict: 'pass', text: 'PASS' } }))).toEqual(
      [],
    );
    expect(failed(grade({ judge: { rubric: 'x' } }, { ...seen(r), judge: { verdict: 'unclear', text: '?' } }))).toEqual(
      ['judge'],
    );
    expect(failed(grade({ judge: { rubric: 'x' } }, seen(r)))).toEqual(['judge']);
  });
});

describe('the baseline gate', () => {
  const base = {
    cases: [
      { caseId: 'a', variant: 'v1', pass: true },
      { caseId: 'b', variant: 'v1', pass: true },
      { caseId: 'c', variant: 'v1', pass: false },
      { caseId: 'd', variant: 'v1', pass: true },
    ],
  };
  const now = (passes: Record<string, boolean>, variant = 'v1') =>
    Object.entries(passes).map(([caseId, pass]) => ({ caseId, variant, pass }));

  it('passes within the threshold and names what changed', () => {
    const g = compareToBaseline(now({ a: true, b: true, c: true, d: true }), base, {
      threshold: 0.05,
      baselineFile: 'b.json',
    });
    expect(g.pass).toBe(true);
    expect(g.variants[0]).toMatchObject({ compared: 4, baselineRate: 0.75, rate: 1, fixed: ['c'], regressed: [] });
  });

  it('fails a variant that drops beyond the threshold, case by case', () => {
    const g = compareToBaseline(now({ a: true, b: false, c: false, d: true }), base, {
      threshold: 0.2,
      baselineFile: 'b.json',
    });
    expect(g.pass).toBe(false);
    expect(g.variants[0]).toMatchObject({ delta: -0.25, regressed: ['b'] });
    // The same drop is tolerated by a wider threshold.
    expect(
      compareToBaseline(now({ a: true, b: false, c: false, d: true }), base, { threshold: 0.25, baselineFile: 'b' })
        .pass,
    ).toBe(true);
  });

  it('compares a new variant with a single-variant baseline; no common case fails', () => {
    const g = compareToBaseline(now({ a: false, b: true, c: false, d: true }, 'prompt-v2'), base, {
      threshold: 0.3,
      baselineFile: 'b',
    });
    expect(g.variants[0]).toMatchObject({ variant: 'prompt-v2', baselineVariant: 'v1', regressed: ['a'], pass: true });
    expect(compareToBaseline(now({ x: true }), base, { threshold: 1, baselineFile: 'b' }).pass).toBe(false);
  });

  it('refuses a file that is not a report', () => {
    expect(() => parseBaseline('{}', 'x.json')).toThrow(BaselineError);
    expect(() => parseBaseline('nope', 'x.json')).toThrow(/x\.json: not JSON/);
  });
});

describe('economics and cache share', () => {
  const summary = (variant: string, rate: number, perSuccess: number | null) =>
    ({ variant, gradedSuccessRate: rate, costPerGradedSuccessUsd: perSuccess }) as VariantSummary;

  it('ratios of cost per graded success against the naive baseline', () => {
    const e = economics([summary('naive', 0.9, 0.01), summary('routed', 0.9, 0.0035), summary('cheap', 0.5, 0.001)]);
    expect(e?.ratios).toEqual([
      { variant: 'routed', ratio: 0.35, equalSuccess: true, goalMet: true },
      { variant: 'cheap', ratio: 0.1, equalSuccess: false, goalMet: false },
    ]);
    expect(economics([summary('routed', 1, 1)])).toBeUndefined();
  });

  it('ratios per case tag, from the cases of each tag', () => {
    const tagged = (variant: string, byTag: VariantSummary['byTag']) => ({ ...summary(variant, 1, 0.01), byTag });
    const e = economics([
      tagged('naive', {
        rag: { cases: 2, passed: 2, costUsd: 0.02, costPerGradedSuccessUsd: 0.01 },
        long: { cases: 2, passed: 2, costUsd: 0.04, costPerGradedSuccessUsd: 0.02 },
      }),
      tagged('routed', {
        rag: { cases: 2, passed: 2, costUsd: 0.01, costPerGradedSuccessUsd: 0.005 },
        long: { cases: 2, passed: 1, costUsd: 0.01, costPerGradedSuccessUsd: 0.01 },
      }),
    ]);
    expect(e?.byTag).toEqual([
      { variant: 'routed', tag: 'rag', ratio: 0.5, equalSuccess: true },
      { variant: 'routed', tag: 'long', ratio: 0.5, equalSuccess: false },
    ]);
  });

  it('wire prefix: per run and model, after the first request', () => {
    expect(commonPrefixLength('abcdef', 'abcxyz')).toBe(3);
    const req = (model: string, task: string, extra: string[]) => ({
      body: {
        model,
        tools: [{ type: 'function', function: { name: 't' } }],
        messages: [
          { role: 'system', content: 'S'.repeat(400) },
          { role: 'user', content: task },
          ...extra.map((content) => ({ role: 'assistant', content })),
        ],
      },
    });
    const same = wirePrefixShare([req('m', 'task one', []), req('m', 'task one', ['x'.repeat(40)])]);
    expect(same.runs).toBe(1);
    expect(same.requests).toBe(1);
    expect(same.share).toBeGreaterThan(0.8);
    expect(same.share).toBeLessThan(1);
    expect(same.stability).toBe(1);
    // Another model has nothing cached; a run of one request is not a multi-step run.
    const other = wirePrefixShare([req('m', 'task one', []), req('n', 'task one', ['y']), req('m', 'task two', [])]);
    expect(other).toMatchObject({ runs: 1, requests: 1, prefixTokens: 0, share: 0 });
    // The multi-step figure leaves out runs of fewer requests than asked.
    const three = [req('m', 'task one', []), req('m', 'task one', ['x']), req('m', 'task one', ['x', 'y'])];
    const mixed = [...three, req('m', 'task two', []), req('m', 'task two', ['z'])];
    expect(wirePrefixShare(mixed).runs).toBe(2);
    expect(wirePrefixShare(mixed, 3)).toMatchObject({ runs: 1, requests: 2 });
    // By run length: each length's own share, shortest first.
    const lengths = wirePrefixShare(mixed).byRequests;
    expect(lengths.map((b) => [b.requests, b.runs])).toEqual([
      [2, 1],
      [3, 1],
    ]);
    expect(lengths[1]!.share).toBeGreaterThan(lengths[0]!.share!);
    expect(lengths[1]!.share).toBeLessThan(1);
  });
});
