import { describe, expect, it } from 'vitest';
import { conversationProblem } from '../chaos/scripted-model.ts';
import { judge } from '../chaos/campaign.ts';
import { judgeSoak, type Sample } from '../soak/soak-report.ts';
import type { RunResult } from '../../core/run.ts';

describe('the chaos fakes check conversations as the real APIs do', () => {
  const openai = (...messages: unknown[]) => conversationProblem('openai', { messages });
  const anthropic = (...messages: unknown[]) => conversationProblem('anthropic', { messages });

  it('accepts tool results that answer the tool calls of the turn before', () => {
    expect(
      openai(
        { role: 'user', content: 'hi' },
        { role: 'assistant', tool_calls: [{ id: 'a' }, { id: 'b' }] },
        { role: 'tool', tool_call_id: 'a' },
        { role: 'tool', tool_call_id: 'b' },
      ),
    ).toBeUndefined();
    expect(
      anthropic(
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'a' }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a' }] },
      ),
    ).toBeUndefined();
  });

  it('refuses a tool result whose id matches no tool call (a stale attempt overwrote the call)', () => {
    expect(
      openai(
        { role: 'user', content: 'hi' },
        { role: 'assistant', tool_calls: [{ id: 'call_1' }] },
        { role: 'tool', tool_call_id: 'call_2' },
      ),
    ).toMatch(/role 'tool' must be a response to a preceding message with 'tool_calls'/);
    expect(
      anthropic(
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1' }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2' }] },
      ),
    ).toMatch(/unexpected `tool_use_id`/);
  });

  it('refuses a tool call left unanswered', () => {
    expect(
      openai(
        { role: 'user', content: 'hi' },
        { role: 'assistant', tool_calls: [{ id: 'a' }] },
        { role: 'user', content: 'and?' },
      ),
    ).toMatch(/Missing: a/);
  });
});

describe('judging a chaos run', () => {
  const result = (outcome: RunResult['outcome']) => ({ outcome }) as RunResult;

  it('counts an answer as answered, a documented failure as typed, any other as unexpected', () => {
    expect(judge(result({ kind: 'answer', text: 'ok', truncated: false }), {}).verdict).toBe('answered');
    const failed = result({ kind: 'failed', failure: { type: 'auth', message: 'HTTP 401', retryable: false } });
    expect(judge(failed, { failures: ['auth'] })).toMatchObject({ verdict: 'typed', outcome: 'failed auth' });
    expect(judge(failed, { failures: ['rate_limited'] }).verdict).toBe('unexpected');
  });
});

describe('judging a soak', () => {
  const sample = (t: number, rssMiB: number): Sample => ({ t, runs: t, rssMiB, anonMiB: rssMiB, fds: 40 });

  it('measures growth against the highest RSS of the warm-up and fails past the limit', () => {
    const flat = [sample(0, 300), sample(10, 500), sample(20, 510), sample(30, 540), sample(50, 520)];
    const ok = judgeSoak({
      samples: flat,
      minutes: 50 / 60,
      answered: 9,
      notAnswered: 0,
      warmupFraction: 0.2,
      maxGrowthPct: 20,
    });
    expect(ok).toMatchObject({ baselineRssMiB: 500, peakRssMiB: 540, rssGrowthPct: 8, ok: true });
    const leak = [...flat, sample(60, 700)];
    const bad = judgeSoak({
      samples: leak,
      minutes: 1,
      answered: 9,
      notAnswered: 0,
      warmupFraction: 0.2,
      maxGrowthPct: 20,
    });
    expect(bad).toMatchObject({ baselineRssMiB: 500, peakRssMiB: 700, rssGrowthPct: 40, ok: false });
  });
});
