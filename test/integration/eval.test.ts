import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runEval, type EvalOptions } from '../../eval/run-eval.ts';
import { checkScriptCovers, loadProviderScript } from '../../eval/scripted-provider.ts';
import { parseSuite } from '../../eval/suite.ts';
import { loadSuiteAgents } from '../../eval/suite-agents.ts';
import type { RunResult } from '../../core/run.ts';
import { builtInVariants } from '../../eval/variants.ts';
import demoApp from '../../examples/demo/app.ts';
import { maybeRecordHistory, useHarness } from '../helpers/harness.ts';

/**
 * `npm run eval`'s code path end to end: the shipped suite as real runs on the dev server
 * (a worker per variant serving the demo's catalog, the scripted fake provider behind it),
 * approvals and escalations decided by the harness through the real updates, graded; then
 * the gate against a baseline; Bosun's routing with and without the step classifier. The
 * whole suite takes ~25 s here, so CI runs all of it.
 */
const h = useHarness();
const suiteFile = 'eval/suites/support.jsonl';
const cases = parseSuite(readFileSync(suiteFile, 'utf8'), suiteFile);
const script = loadProviderScript('eval/suites/support.script.json');
checkScriptCovers(script, cases, 'support.script.json');
const variants = builtInVariants();
/** What the cheap tier gets wrong in the script: three sums, and the four ambiguous tasks. */
const cheapFailures = [
  'amb-headphones-or-cable',
  'amb-lamp-return-or-warranty',
  'amb-mugs-one-or-both',
  'amb-pen-refund-or-exchange',
  'kb-bulk-discount',
  'kb-opened-mugs-refund',
  'long-loyalty-express',
];

const options = (over: Partial<EvalOptions>): EvalOptions => ({
  suite: suiteFile,
  cases,
  variants: [variants.naive!, variants.routed!, variants['routed-classified']!],
  address: h.address,
  bundlePath: h.workflowBundlePath,
  app: demoApp as EvalOptions['app'],
  agents: loadSuiteAgents('eval/suites/support.agents.json'),
  script,
  concurrency: 8,
  caseTimeoutMs: 60_000,
  threshold: 0.05,
  ...over,
});

describe('npm run eval', () => {
  it('grades the shipped suite under the naive baseline and Bosun routing (position only, and with the step classifier), with the economics', async () => {
    const { report, exitCode } = await runEval(options({}));
    expect(exitCode).toBe(0);
    const of = (variant: string) => report.cases.filter((c) => c.variant === variant);
    const naive = report.variants.find((v) => v.variant === 'naive')!;
    const routed = report.variants.find((v) => v.variant === 'routed')!;
    const classified = report.variants.find((v) => v.variant === 'routed-classified')!;
    expect(naive.cases).toBe(cases.length);
    expect(of('naive').filter((c) => c.error)).toEqual([]);
    // The strong model answers every case right; the cheap tier writes three final answers
    // wrong (the sums after tool results) and plans the four ambiguous tasks worse (a wrong
    // tool, an answer without the look-up it needs), and the graders catch exactly those —
    // here where position routing lets the cheap tier plan after the first step.
    expect(
      of('naive')
        .filter((c) => !c.pass)
        .map((c) => c.caseId),
    ).toEqual([]);
    expect(
      of('routed')
        .filter((c) => !c.pass)
        .map((c) => c.caseId)
        .sort(),
    ).toEqual(cheapFailures);
    expect(naive.gradedSuccessRate).toBe(1);
    expect(routed.gradedSuccessRate).toBeCloseTo((cases.length - 7) / cases.length, 4);
    // With the step classifier the ambiguous tasks and the steps that turn computed sums into
    // the answer go to the strong tier, simple first steps to the cheap one: every case passes.
    expect(
      of('routed-classified')
        .filter((c) => !c.pass)
        .map((c) => c.caseId),
    ).toEqual([]);
    expect(classified.gradedSuccessRate).toBe(1);

    const byId = (id: string) => of('naive').find((c) => c.caseId === id)!;
    // Approvals went through the real update: approved refunds ran, rejected ones did not.
    expect(byId('refund-approved-headphones')).toMatchObject({ approvalsRequested: 1, outcome: 'answer', pass: true });
    expect(byId('refund-rejected-pen')).toMatchObject({ approvalsRequested: 1, pass: true });
    expect(byId('refund-small-mug').approvalsRequested).toBe(0);
    // A legal threat goes to a human before any model call; the harness ends it or answers it.
    expect(byId('policy-lawyer')).toMatchObject({ escalationsResolved: 1, outcome: 'stopped', modelCalls: 0 });
    expect(byId('policy-chargeback')).toMatchObject({ escalationsResolved: 1, outcome: 'answer', modelCalls: 0 });
    // The model-graded checks went through Bosun (a classify task each), at a cost of their own.
    expect(byId('kb-damaged-item').checks.find((c) => c.name === 'judge')?.pass).toBe(true);
    expect(byId('kb-damaged-item').judgeCostUsd).toBeGreaterThan(0);
    // The extraction whose first answer broke the contract was repaired.
    expect(naive.metrics.validation).toMatchObject({ runs: 4, successRate: 1, firstTryRate: 0.75 });

    // The six metrics come from the runs themselves (stats' arithmetic): a human answered the
    // chargeback, so it is no task success, and two runs escalated.
    expect(naive.metrics.finished).toBe(cases.length);
    expect(naive.metrics.answeredBy.human).toBe(1);
    expect(naive.metrics.escalationRate).toBeCloseTo(2 / cases.length, 3);
    expect(naive.costUsd).toBeCloseTo(naive.metrics.costUsd, 9);
    expect(Object.keys(naive.prices)).toEqual(['openai/gpt-4.1']);
    expect(Object.keys(routed.prices).sort()).toEqual(['openai/gpt-4.1', 'openai/gpt-4.1-mini']);

    // Economics: routing is cheaper per graded success, but not at equal success; with the
    // classifier it is at equal success and cheaper still per graded success: its classifications
    // cost less than the first steps it sends to the cheap tier save.
    const ratioOf = (v: string) => report.economics!.ratios.find((r) => r.variant === v)!;
    expect(ratioOf('routed').ratio).toBeGreaterThan(0);
    expect(ratioOf('routed').ratio).toBeLessThan(1);
    expect(ratioOf('routed').equalSuccess).toBe(false);
    expect(ratioOf('routed-classified').equalSuccess).toBe(true);
    expect(ratioOf('routed-classified').ratio).toBeLessThan(ratioOf('routed').ratio!);
    // Issue 19's goal: at most 40% of the naive cost per graded success, at equal success. The
    // fake's prices are the dated table's and its token counts follow the request bodies, so
    // the figure is the same on every run (39.3% with the classifier on gpt-4.1-nano; 45.0%
    // with it on the act tier's gpt-4.1-mini, docs/evaluation.md).
    expect(ratioOf('routed-classified').ratio).toBeLessThanOrEqual(0.4);
    expect(ratioOf('routed-classified').ratio).toBeGreaterThan(0.3);

    // The classifications are calls of the run like any other: routed (classify → the
    // variant's `specialized` tier, the smallest model),
    // recorded with purpose `classify`, paid for; and they route the step they precede.
    const resultOf = async (variant: string, id: string) => {
      const c = report.cases.find((x) => x.variant === variant && x.caseId === id)!;
      return (await h.temporal.workflow.getHandle(c.runId).result()) as RunResult;
    };
    const mugs = await resultOf('routed-classified', 'kb-opened-mugs-refund');
    await maybeRecordHistory(h.temporal, mugs.runId, 'agent-run-step-classifier');
    // One clear question: its first step acts on the cheap tier; the sum at the end plans.
    expect(mugs.calls.map((c) => [c.step, c.purpose, c.taskClass, c.model])).toEqual([
      [1, 'classify', 'classify', 'openai/gpt-4.1-nano'],
      [1, 'step', 'act', 'openai/gpt-4.1-mini'],
      [2, 'classify', 'classify', 'openai/gpt-4.1-nano'],
      [2, 'step', 'act', 'openai/gpt-4.1-mini'],
      [3, 'classify', 'classify', 'openai/gpt-4.1-nano'],
      [3, 'step', 'plan', 'openai/gpt-4.1'],
    ]);
    expect(mugs.calls[1]!.routeReason).toMatch(/step classifier: one clear request/);
    expect(mugs.calls[5]!.routeReason).toMatch(/step classifier: an amount to work out/);
    expect(mugs.calls[0]!.costUsd).toBeGreaterThan(0);
    // An ambiguous task plans on the strong tier from its first step; a task of several parts
    // plans its first step there and acts after it.
    const lamp = await resultOf('routed-classified', 'amb-lamp-return-or-warranty');
    expect(lamp.calls.filter((c) => c.purpose === 'step').map((c) => c.model)).toEqual([
      'openai/gpt-4.1',
      'openai/gpt-4.1',
      'openai/gpt-4.1',
    ]);
    const unpaid = await resultOf('routed-classified', 'long-orders-unpaid');
    expect(unpaid.calls.filter((c) => c.purpose === 'step').map((c) => [c.step, c.taskClass])).toEqual([
      [1, 'plan'],
      [2, 'act'],
      [3, 'act'],
      [4, 'act'],
    ]);
    // The report counts them, and their cost is part of the variant's.
    expect(classified.classifier.calls).toBeGreaterThan(30);
    expect(classified.classifier.costUsd).toBeGreaterThan(0);
    expect(classified.classifier.costUsd).toBeLessThan(classified.costUsd / 5);
    expect(routed.classifier).toEqual({ calls: 0, costUsd: 0 });
    // A reply that is no valid choice leaves the step to its position (plan for the first,
    // act after it), and the record says so.
    const status = await resultOf('routed-classified', 'lookup-order-status');
    expect(status.calls.find((c) => c.step === 1 && c.purpose === 'step')).toMatchObject({
      taskClass: 'plan',
      model: 'openai/gpt-4.1',
      routeReason: expect.stringMatching(/first step; step classifier failed \(not JSON: act, I would say\)/),
    });
    expect(status.calls.find((c) => c.step === 2 && c.purpose === 'step')).toMatchObject({
      taskClass: 'act',
      model: 'openai/gpt-4.1-mini',
      routeReason: expect.stringMatching(
        /step 2 after tool results; step classifier failed \(not JSON: act, I would say\)/,
      ),
    });
    // Context curation: the suite's retrieval-augmented agent sends its top 3 passages; the
    // naive baseline sends all the retriever returns (k = 20), and pays for it. Both answer:
    // the passage each question needs is among the top 3 (the fake answers only when it is).
    const rag = (variant: string) => report.cases.filter((c) => c.variant === variant && c.caseId.startsWith('rag-'));
    expect(rag('naive').length).toBeGreaterThanOrEqual(8);
    expect([...rag('naive'), ...rag('routed')].every((c) => c.pass && c.modelCalls === 1)).toBe(true);
    const ragCost = (variant: string) => rag(variant).reduce((s, c) => s + c.costUsd, 0);
    expect(ragCost('routed')).toBeLessThan(ragCost('naive') * 0.8);
    expect(report.economics!.byTag!.find((t) => t.variant === 'routed' && t.tag === 'rag')!.ratio).toBeLessThan(0.8);
    // Without the classifier nothing is classified.
    const plain = await resultOf('routed', 'kb-opened-mugs-refund');
    expect(plain.calls.some((c) => c.purpose === 'classify')).toBe(false);
    // Prompt cache: measured on the wire. Steps never change what an earlier request of the
    // same model sent (stability 1); switching models between steps loses the cache.
    expect(naive.cache.wire!.runs).toBeGreaterThan(20);
    expect(naive.cache.wire!.stability).toBe(1);
    expect(naive.cache.wire!.share!).toBeGreaterThan(routed.cache.wire!.share!);
    // The goal's measure: over the runs of 3+ requests, where more of each request is reused.
    expect(naive.cache.wireMultiStep!.runs).toBeGreaterThanOrEqual(15);
    expect(naive.cache.wireMultiStep!.share!).toBeGreaterThan(naive.cache.wire!.share!);
  }, 240_000);

  it('fails the ambiguous cases when the cheap tier plans them from the first step: the cheap model alone, or a step classifier blind to ambiguity', async () => {
    const ambiguous = cases.filter((c) => c.tags.includes('ambiguous'));
    expect(ambiguous.length).toBeGreaterThanOrEqual(4);
    const blind = { ...script, classifier: { ...script.classifier!, ambiguous: undefined } };
    const [alone, blindly] = await Promise.all([
      runEval(options({ cases: ambiguous, variants: [variants.cheap!] })),
      runEval(options({ cases: ambiguous, variants: [variants['routed-classified']!], script: blind })),
    ]);
    expect(alone.report.cases.filter((c) => c.pass)).toEqual([]);
    expect(blindly.report.cases.filter((c) => c.pass)).toEqual([]);
    // The blind classifier sent their first steps to the cheap tier as one clear request.
    const lamp = blindly.report.cases.find((c) => c.caseId === 'amb-lamp-return-or-warranty')!;
    const run = (await h.temporal.workflow.getHandle(lamp.runId).result()) as RunResult;
    expect(run.calls.find((c) => c.step === 1 && c.purpose === 'step')).toMatchObject({
      taskClass: 'act',
      model: 'openai/gpt-4.1-mini',
      routeReason: expect.stringMatching(/step classifier: one clear request/),
    });
  }, 240_000);

  it('the gate fails a variant that regresses beyond the threshold against a baseline', async () => {
    const slice = cases.filter((c) =>
      ['kb-bulk-discount', 'kb-opened-mugs-refund', 'kb-restocking-fee', 'lookup-order-total'].includes(c.id),
    );
    const baseline = {
      file: 'naive.json',
      report: { cases: slice.map((c) => ({ caseId: c.id, variant: 'naive', pass: true })) },
    };
    // The same runs under a strict threshold and under one that tolerates the drop (at once).
    const [strict, lenient] = await Promise.all([
      runEval(options({ cases: slice, variants: [variants.routed!], baseline })),
      runEval(options({ cases: slice, variants: [variants.routed!], baseline, threshold: 0.5 })),
    ]);
    expect(strict.exitCode).toBe(1);
    expect(strict.report.gate!.variants[0]).toMatchObject({
      variant: 'routed',
      baselineVariant: 'naive',
      compared: 4,
      rate: 0.5,
      pass: false,
    });
    expect(strict.report.gate!.variants[0]!.regressed.sort()).toEqual(['kb-bulk-discount', 'kb-opened-mugs-refund']);
    expect(lenient.exitCode).toBe(0);
  }, 240_000);
});
