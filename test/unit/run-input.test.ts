import { describe, expect, it } from 'vitest';
import { validateRunInput, validateTaskInput } from '../../client/client.ts';
import { RunInputError } from '../../client/errors.ts';
import { exampleAgent } from '../../client/example-agent.ts';
import { runIdSchema, runInputSchema, type AgentDefinitionInput } from '../../core/run.ts';
import { defaultPrices } from '../../core/pricing.ts';
import { anonymousPrincipal } from '../../core/principal.ts';
import type { AgentDefinition, RunInput } from '../../core/run.ts';

/** The agent of an input given as a definition (not by name). */
const def = (input: RunInput) => input.agent as AgentDefinition;

const agent = {
  name: 'support',
  instructions: 'Answer from the handbook; cite document ids.',
  model: { provider: 'openai', name: 'gpt-4.1-mini' },
} satisfies AgentDefinitionInput;

/** The `RunInputError` `validateRunInput` throws for `init`, failing the test if it passes. */
function issuesOf(init: unknown): RunInputError['issues'] {
  try {
    validateRunInput(init);
  } catch (err) {
    expect(err).toBeInstanceOf(RunInputError);
    return (err as RunInputError).issues;
  }
  throw new Error(`expected ${JSON.stringify(init)} to be rejected`);
}

const paths = (init: unknown) => issuesOf(init).map((i) => i.path);

describe('validateRunInput', () => {
  it('fills every default: no tools, 10 steps, 1024 output tokens, per-call timeouts, an anonymous principal', () => {
    expect(validateRunInput({ agent, task: 'How much is refunded?' })).toEqual({
      agent: {
        ...agent,
        tools: [],
        maxSteps: 10,
        maxOutputTokens: 1024,
        timeouts: { modelCallMs: 120_000, heartbeatMs: 10_000, toolCallMs: 30_000 },
        prices: { [agent.model.name]: defaultPrices[agent.model.name] },
        budgets: {},
        continueAsNewAfterEvents: 10_000,
        summarizeHistory: true,
        maxIdenticalToolCalls: 3,
        escalation: { mode: 'park', timeoutMs: 86_400_000 },
        approvals: {},
        policy: { sensitive: [] },
        delegates: [],
        delegation: { maxDepth: 2, maxParallel: 4, maxChildren: 20 },
      },
      task: 'How much is refunded?',
      principal: { tenant: 'default', user: 'anonymous', scopes: [], roles: [], attributes: {} },
    });
    expect(anonymousPrincipal).toEqual({ tenant: 'default', user: 'anonymous', scopes: [], roles: [], attributes: {} });
  });

  it('pins the prices of every model in a routing table, keeping explicit ones', () => {
    const own = { inputPerMTok: 9, outputPerMTok: 9, cachedInputPerMTok: 9, asOf: '2026-01-01' };
    const input = validateRunInput({
      agent: {
        ...agent,
        model: undefined,
        routing: {
          tiers: {
            strong: {
              chain: [
                { provider: 'anthropic', name: 'claude-sonnet-4-5' },
                { provider: 'openai', name: 'gpt-4.1' },
              ],
            },
            cheap: { chain: [{ provider: 'openai-compatible', name: 'llama-local' }] },
          },
        },
        prices: { 'gpt-4.1': own },
      },
      task: 't',
    });
    expect(def(input).prices).toEqual({ 'claude-sonnet-4-5': defaultPrices['claude-sonnet-4-5'], 'gpt-4.1': own });
  });

  it('refuses an agent with both a model and a routing table, or neither', () => {
    expect(
      issuesOf({ agent: { ...agent, routing: { tiers: { strong: { chain: [agent.model] } } } }, task: 't' }),
    ).toEqual([{ path: 'agent.model', message: 'give exactly one of `model` or `routing`' }]);
    expect(issuesOf({ agent: { ...agent, model: undefined }, task: 't' })).toEqual([
      { path: 'agent.model', message: 'give exactly one of `model` or `routing`' },
    ]);
  });

  it('defaults the timeouts not given and keeps the ones given', () => {
    const input = validateRunInput({ agent: { ...agent, timeouts: { modelCallMs: 5_000 } }, task: 't' });
    expect(def(input).timeouts).toEqual({ modelCallMs: 5_000, heartbeatMs: 10_000, toolCallMs: 30_000 });
  });

  it('gives each run its own copy of the default timeouts', () => {
    const a = validateRunInput({ agent, task: 't' });
    def(a).timeouts.modelCallMs = 1;
    expect(def(validateRunInput({ agent, task: 't' })).timeouts.modelCallMs).toBe(120_000);
  });

  it('accepts the example agent on every provider', () => {
    for (const provider of ['openai', 'anthropic', 'openai-compatible'] as const) {
      const input = validateRunInput({ agent: exampleAgent({ provider, name: 'm' }), task: 't', runId: 'order-123' });
      expect(def(input).model?.provider).toBe(provider);
      expect(input.runId).toBe('order-123');
    }
  });

  it('matches what runInputSchema parses', () => {
    const init = { agent: { ...agent, maxSteps: 3 }, task: 't', runId: 'r1' };
    const parsed = runInputSchema.parse(init);
    expect(validateRunInput(init)).toEqual({
      ...parsed,
      agent: { ...def(parsed), prices: { [agent.model.name]: defaultPrices[agent.model.name] } },
    });
  });

  it('rejects an unknown provider at agent.model.provider', () => {
    const issues = issuesOf({ agent: { ...agent, model: { provider: 'acme', name: 'm' } }, task: 't' });
    expect(issues).toEqual([{ path: 'agent.model.provider', message: expect.stringContaining('openai-compatible') }]);
  });

  it('rejects an empty task and a missing agent, one issue each', () => {
    expect(paths({ agent, task: '' })).toEqual(['task']);
    expect(paths({ task: 't' })).toEqual(['agent']);
    expect(paths({})).toEqual(['agent', 'task']);
  });

  it('lists every problem with its dotted path, array indexes included', () => {
    const bad = { agent: { ...agent, name: '', tools: ['calculator', ''], maxSteps: 0, temperature: 3 }, task: '' };
    expect(paths(bad)).toEqual(['agent.name', 'agent.tools.1', 'agent.maxSteps', 'agent.temperature', 'task']);
  });

  it('names the whole input when it is not an object', () => {
    for (const init of ['do the thing', null, 42, []]) expect(paths(init)).toEqual(['(input)']);
  });

  it('says every issue in its message too', () => {
    try {
      validateRunInput({ agent, task: '', runId: 'a b' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(RunInputError);
      expect((err as Error).message).toMatch(/^invalid run input: task: .+; runId: use letters, digits/);
      expect((err as Error).name).toBe('RunInputError');
    }
  });
});

describe('run ids', () => {
  it('accepts printable ids of letters, digits and . _ : -', () => {
    for (const id of ['r', 'run-1', 'order:123', 'A.b_c-9', '7', 'x'.repeat(200)])
      expect(runIdSchema.safeParse(id).success).toBe(true);
  });

  it('rejects empty, too long, spaced, slashed, non-ASCII or symbol-led ids', () => {
    for (const id of ['', 'x'.repeat(201), 'a b', 'a/b', 'run\n1', 'héllo', '-run', '.hidden', ':x', '_x']) {
      expect(new Set(paths({ agent, task: 't', runId: id }))).toEqual(new Set(['runId']));
    }
  });
});

describe('input size', () => {
  const MiB = 1024 * 1024;

  it('refuses a task over 1 MiB, counting UTF-8 bytes, naming the field and the limit', () => {
    const [issue, ...rest] = issuesOf({ agent, task: 'a'.repeat(MiB + 1) });
    expect(rest).toEqual([]);
    expect(issue).toEqual({
      path: 'task',
      message: expect.stringMatching(
        /^is 1,048,577 bytes \(1\.0 MiB\); at most 1,048,576 bytes \(1\.0 MiB\) \(Temporal refuses payloads over 2 MiB/,
      ),
    });
    // 600,000 characters, 1.2 MB: bytes are what Temporal counts.
    expect(paths({ agent, task: 'é'.repeat(600_000) })).toEqual(['task']);
    expect(validateRunInput({ agent, task: 'a'.repeat(MiB) }).task).toHaveLength(MiB);
  });

  it('refuses a whole input over 1.5 MiB as JSON even when the task fits', () => {
    const big = { ...agent, instructions: 'b'.repeat(1.6 * MiB) };
    const issues = issuesOf({ agent: big, task: 'hi' });
    expect(issues).toEqual([
      { path: '(input)', message: expect.stringMatching(/^is 1,677,\d{3} bytes .* at most 1,572,864 bytes/) },
    ]);
    expect(() => validateRunInput({ agent: big, task: 'hi' })).toThrow(/invalid run input: \(input\): is 1,677,/);
  });

  it('a single task: its input over 1 MiB is refused the same way', () => {
    const task = { name: 'summarize', instructions: 'Summarize.', input: 'c'.repeat(2 * MiB), model: agent.model };
    expect(() => validateTaskInput(task)).toThrow(
      /invalid run input: input: is 2,097,152 bytes \(2\.0 MiB\); at most 1,048,576/,
    );
    expect(validateTaskInput({ ...task, input: 'c'.repeat(500_000) }).input).toHaveLength(500_000);
  });
});
