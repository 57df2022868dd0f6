import { describe, expect, it } from 'vitest';
import {
  validateDecision,
  validateEscalationResolution,
  validateRunInput,
  validateTaskInput,
} from '../../client/client.ts';
import { RunInputError } from '../../client/errors.ts';
import { outputContract } from '../../core/output-contract.ts';
import { z } from 'zod';
import { defineAgent } from '../../tools/catalog.ts';

const model = { provider: 'openai', name: 'gpt-4.1-mini' };
const agent = { name: 'support', instructions: 'Answer.', model, tools: ['calculator'] };

/** The issues a validator throws, as `path: message` lines. */
function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof RunInputError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  throw new Error('expected a RunInputError, nothing was thrown');
}

describe('input schemas refuse unknown keys, naming the key', () => {
  it('refuses a principal with `scope` instead of `scopes`', () => {
    expect(issuesOf(() => validateRunInput({ agent, task: 'hi', principal: { user: 'alice', scope: ['x'] } }))).toEqual(
      ['principal: Unrecognized key: "scope"'],
    );
  });

  it('refuses unknown keys in an agent definition, at any depth', () => {
    expect(issuesOf(() => validateRunInput({ agent: { ...agent, maxStep: 3 }, task: 'hi' }))).toEqual([
      'agent: Unrecognized key: "maxStep"',
    ]);
    expect(issuesOf(() => validateRunInput({ agent: { ...agent, budgets: { maxCost: 1 } }, task: 'hi' }))).toEqual([
      'agent.budgets: Unrecognized key: "maxCost"',
    ]);
    expect(
      issuesOf(() => validateRunInput({ agent: { ...agent, model: { ...model, temperature: 0 } }, task: 'hi' })),
    ).toEqual(['agent.model: Unrecognized key: "temperature"']);
    expect(issuesOf(() => validateRunInput({ agent: { ...agent, timeouts: { modelCallMS: 5 } }, task: 'hi' }))).toEqual(
      ['agent.timeouts: Unrecognized key: "modelCallMS"'],
    );
    expect(
      issuesOf(() =>
        validateRunInput({
          agent: { name: 'a', instructions: 'x', routing: { tiers: { strong: { chain: [model], attempts: 2 } } } },
          task: 'hi',
        }),
      ),
    ).toEqual(['agent.routing.tiers.strong: Unrecognized key: "attempts"']);
  });

  it('refuses unknown keys in a run input and its output contract', () => {
    expect(issuesOf(() => validateRunInput({ agent, task: 'hi', taskId: 'x' }))).toEqual([
      '(input): Unrecognized key: "taskId"',
    ]);
    const output = { ...outputContract('x', z.object({ a: z.string() })), repairs: 1 };
    expect(issuesOf(() => validateRunInput({ agent, task: 'hi', output }))).toEqual([
      'output: Unrecognized key: "repairs"',
    ]);
  });

  it('refuses unknown keys in a task input', () => {
    expect(
      issuesOf(() => validateTaskInput({ name: 't', instructions: 'x', input: 'y', model, class: 'classify' })),
    ).toEqual(['(input): Unrecognized key: "class"']);
  });

  it('refuses unknown keys in approval decisions and escalation resolutions', () => {
    const approver = { id: 'bob', groups: ['support'] };
    expect(issuesOf(() => validateDecision({ decision: 'approve', approvalId: 'ap-1', approver, note: 'ok' }))).toEqual(
      ['(input): Unrecognized key: "note"'],
    );
    expect(
      issuesOf(() =>
        validateDecision({ decision: 'approve', approvalId: 'ap-1', approver: { id: 'bob', group: 'x' } }),
      ),
    ).toEqual(['approver: Unrecognized key: "group"']);
    expect(
      issuesOf(() =>
        validateEscalationResolution({ action: 'answer', escalationId: 'esc-1', by: approver, answer: 'x', text: 'y' }),
      ),
    ).toEqual(['(input): Unrecognized key: "answer"']);
  });

  it('refuses an unknown key in a catalog agent when it is defined', () => {
    expect(() => defineAgent({ ...agent, maxStep: 3 } as Parameters<typeof defineAgent>[0])).toThrow(
      /agent "support": \(input\): Unrecognized key: "maxStep"/,
    );
  });

  it('still accepts every documented key', () => {
    expect(() =>
      validateRunInput({
        agent: {
          ...agent,
          maxSteps: 4,
          budgets: { maxCostUsd: 1, maxToolCalls: 3 },
          timeouts: { modelCallMs: 1_000, heartbeatMs: 500, toolCallMs: 1_000 },
          escalation: { mode: 'return', timeoutMs: 1_000 },
          retrieval: { k: 2, onWeak: 'escalate' },
          policy: { sensitive: [{ pattern: 'lawyer', reason: 'legal' }] },
          approvals: { calculator: { timeoutMs: 1_000, group: 'leads' } },
        },
        task: 'hi',
        runId: 'r-1',
        principal: { tenant: 't', user: 'u', scopes: ['orders:read'], roles: ['support_agent'] },
        output: outputContract('x', z.object({ a: z.string() }), { maxRepairs: 1 }),
      }),
    ).not.toThrow();
  });
});
