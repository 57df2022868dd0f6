import { describe, expect, it } from 'vitest';
import { agentDefinitionSchema } from '../../core/run.ts';
import {
  classifiedStep,
  classifierDecides,
  classifierInput,
  CLASSIFIER_FIRST_STEP,
  CLASSIFIER_TASK_HEADING,
  CLASSIFIER_TURN_HEADING,
  parseStepChoice,
  stepClassifierSchema,
} from '../../core/step-classifier.ts';

describe('step classifier: parsing the reply', () => {
  it('reads a JSON choice, alone, fenced or inside text', () => {
    expect(parseStepChoice('{"choice":"plan","reason":"sums to work out"}')).toEqual({
      ok: true,
      choice: { choice: 'plan', reason: 'sums to work out' },
    });
    expect(parseStepChoice('```json\n{"choice": "act", "reason": "relay"}\n```')).toMatchObject({
      ok: true,
      choice: { choice: 'act' },
    });
    expect(parseStepChoice('Sure: {"choice":"act","reason":"next tool"} — done')).toMatchObject({ ok: true });
  });

  it('names what is wrong with anything else', () => {
    expect(parseStepChoice('')).toEqual({ ok: false, problem: 'empty reply' });
    expect(parseStepChoice('plan, I think')).toEqual({ ok: false, problem: 'not JSON: plan, I think' });
    const other = parseStepChoice('{"choice":"think","reason":"x"}');
    expect(other.ok).toBe(false);
    expect(!other.ok && other.problem).toMatch(/^invalid choice: choice: /);
    const noReason = parseStepChoice('{"choice":"plan"}');
    expect(!noReason.ok && noReason.problem).toMatch(/^invalid choice: reason: /);
    const extra = parseStepChoice('{"choice":"plan","reason":"r","tier":"strong"}');
    expect(extra.ok).toBe(false);
  });
});

describe('step classifier: the step class', () => {
  it('follows the classifier on steps position calls act', () => {
    expect(classifiedStep(2, 8, { ok: true, choice: { choice: 'plan', reason: 'a refund to add up' } })).toEqual({
      taskClass: 'plan',
      why: 'step classifier: a refund to add up',
    });
    expect(classifiedStep(3, 8, { ok: true, choice: { choice: 'act', reason: 'next tool' } }).taskClass).toBe('act');
  });

  it('falls back to position when the classification failed, and says so', () => {
    expect(classifiedStep(2, 8, { ok: false, problem: 'not JSON: hm' })).toEqual({
      taskClass: 'act',
      why: 'step 2 after tool results; step classifier failed (not JSON: hm)',
    });
  });

  it('decides the first step too (act sends it to the cheap tier), never the last step of the budget', () => {
    const act = { ok: true as const, choice: { choice: 'act' as const, reason: 'one clear look-up' } };
    expect(classifiedStep(1, 8, act)).toEqual({ taskClass: 'act', why: 'step classifier: one clear look-up' });
    expect(classifiedStep(8, 8, act).taskClass).toBe('synthesize');
    // A one-step budget: the first step is the last, and must answer.
    expect(classifiedStep(1, 1, act).taskClass).toBe('synthesize');
    const on = stepClassifierSchema.parse({ enabled: true });
    expect(classifierDecides(on, 1, 8)).toBe(true);
    expect(classifierDecides(on, 1, 1)).toBe(false);
    expect(classifierDecides(on, 8, 8)).toBe(false);
    expect(classifierDecides(on, 2, 8)).toBe(true);
    expect(classifierDecides({ ...on, enabled: false }, 2, 8)).toBe(false);
    expect(classifierDecides(undefined, 2, 8)).toBe(false);
  });

  it('a failed classification of the first step leaves it to position: plan', () => {
    expect(classifiedStep(1, 8, { ok: false, problem: 'empty reply' })).toEqual({
      taskClass: 'plan',
      why: 'first step; step classifier failed (empty reply)',
    });
  });
});

describe('step classifier: its input', () => {
  it('holds the task and the latest turn, each cut to its share', () => {
    const results = [
      { callId: 'c1', name: 'lookup_order', content: JSON.stringify({ id: 'ord_100', total: 5 }), isError: false },
      { callId: 'c2', name: 'refund_order', content: 'x'.repeat(5000), isError: true },
    ];
    const input = classifierInput('Refund $5.00 on ord_100.', [{ role: 'tool', results }], 1000);
    expect(
      input.startsWith(`${CLASSIFIER_TASK_HEADING}\nRefund $5.00 on ord_100.\n\n${CLASSIFIER_TURN_HEADING}\n`),
    ).toBe(true);
    expect(input).toContain('lookup_order: {"id":"ord_100","total":5}');
    expect(input).toContain('refund_order (error): xxx');
    expect(input.length).toBeLessThanOrEqual(1000 + 40);
    const long = classifierInput('t'.repeat(5000), [], 1000);
    expect(long.length).toBeLessThanOrEqual(1000 + 40);
    // The first step: the task alone, and a turn that says nothing happened yet.
    expect(long).toContain(`${CLASSIFIER_TURN_HEADING}\n${CLASSIFIER_FIRST_STEP}`);
    expect(classifierInput('t', [{ role: 'tool', results: [] }], 1000)).toContain('(nothing new)');
  });
});

describe('step classifier: the agent field', () => {
  const base = { name: 'a', instructions: 'x', model: { provider: 'openai', name: 'gpt-4.1-mini' } };
  it('is optional and off when absent', () => {
    expect(agentDefinitionSchema.parse(base).stepClassifier).toBeUndefined();
    expect(agentDefinitionSchema.parse({ ...base, stepClassifier: { enabled: true } }).stepClassifier).toEqual({
      enabled: true,
      maxInputChars: 2000,
      maxOutputTokens: 100,
    });
  });
  it('rejects what it does not know', () => {
    expect(agentDefinitionSchema.safeParse({ ...base, stepClassifier: { enabled: 'yes' } }).success).toBe(false);
    expect(agentDefinitionSchema.safeParse({ ...base, stepClassifier: { enabled: true, tier: 'x' } }).success).toBe(
      false,
    );
  });
});
