import { describe, expect, it } from 'vitest';
import { fakeConfig, openaiModel, testAgent, uniqueName, useHarness, withWorker } from '../helpers/harness.ts';
import { startFakeOpenAI, type FakeReply } from '../kit/index.ts';

const h = useHarness();

describe('rate-limit bursts are expected events, not outages', () => {
  it('a burst of 429s covered by retry-after ends with every run answered, and the worker holds its calls meanwhile', async () => {
    // The provider answers its first 5 requests 429 + retry-after: 2 and stays limited for
    // those 2 s, like a real one: a request sent inside the window (after a grace for the
    // requests already on the wire) is a stampede, answered 429 too. Answers take 3 s (a
    // model thinking), so the five 429s land back to back before any success: before the fix
    // they opened the breaker and the retries failed `circuit_open`.
    let limitedAt: number | undefined;
    const stampede: number[] = [];
    const fake = await startFakeOpenAI({
      handler: (req, index): FakeReply => {
        const limited: FakeReply = { kind: 'error', status: 429, headers: { 'retry-after': '2' } };
        if (index < 5) {
          limitedAt ??= req.at;
          return limited;
        }
        if (limitedAt !== undefined && req.at > limitedAt + 500 && req.at < limitedAt + 2_000) {
          stampede.push(req.at - limitedAt);
          return limited;
        }
        return { kind: 'delay', ms: 3_000, then: { kind: 'text', text: `answer ${index}` } };
      },
    });
    try {
      await withWorker(h, fakeConfig({ openai: fake }), async ({ bosun }) => {
        const runs = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            bosun.start({ agent: testAgent(openaiModel), task: `question ${i}`, runId: uniqueName(`burst-${i}`) }),
          ),
        );
        const results = await Promise.all(runs.map((r) => r.result()));
        const answered = results.filter((r) => r.outcome.kind === 'answer');
        expect(answered.length, JSON.stringify(results.map((r) => r.outcome).filter((o) => o.kind !== 'answer'))).toBe(
          10,
        );
        expect(stampede).toEqual([]);
        // 10 answers + the 5 limited attempts retried once each (15; a few more when a loaded
        // machine misses a heartbeat and an attempt is re-sent), never the 10 × 6 of a stampede.
        expect(fake.requests.length).toBeLessThanOrEqual(20);
        const limitedCalls = results.flatMap((r) => r.calls).filter((c) => c.outcome === 'rate_limited');
        expect(limitedCalls).toEqual([]);
      });
    } finally {
      await fake.close();
    }
  });

  it('the worker keeps at most BOSUN_MAX_INFLIGHT_PER_MODEL calls to one model in flight', async () => {
    let active = 0;
    let peak = 0;
    const fake = await startFakeOpenAI({
      handler: async (_req, index): Promise<FakeReply> => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 300));
        active--;
        return { kind: 'text', text: `answer ${index}` };
      },
    });
    try {
      const config = { ...fakeConfig({ openai: fake }), BOSUN_MAX_INFLIGHT_PER_MODEL: 3 };
      await withWorker(h, config, async ({ bosun }) => {
        const results = await Promise.all(
          Array.from({ length: 9 }, (_, i) => bosun.run({ agent: testAgent(openaiModel), task: `question ${i}` })),
        );
        expect(results.filter((r) => r.outcome.kind === 'answer')).toHaveLength(9);
        expect(fake.requests).toHaveLength(9);
        expect(peak).toBeLessThanOrEqual(3);
      });
    } finally {
      await fake.close();
    }
  });
});

describe('when the breaker does open, the outcome names the real cause', () => {
  it('a permanent 500: the run fails naming HTTP 500, and later runs fail at once with the same cause', async () => {
    const fake = await startFakeOpenAI({ handler: () => ({ kind: 'error', status: 500 }) });
    try {
      const config = { ...fakeConfig({ openai: fake }), BOSUN_BREAKER_FAILURES: 2, BOSUN_BREAKER_OPEN_MS: 60_000 };
      await withWorker(h, config, async ({ bosun }) => {
        const first = await bosun.run({ agent: testAgent(openaiModel), task: 'hello' });
        expect(first.outcome).toMatchObject({
          kind: 'failed',
          failure: { type: 'provider_unavailable', details: { provider: 'openai', status: 500, code: 'circuit_open' } },
        });
        const failure = (first.outcome as { failure: { message: string } }).failure;
        expect(failure.message).toMatch(
          /^circuit open for openai\/gpt-4\.1-mini after 2 consecutive failures; last: openai: HTTP 500 provider_unavailable/,
        );
        expect(fake.requests).toHaveLength(2);

        const second = await bosun.run({ agent: testAgent(openaiModel), task: 'again' });
        expect(second.outcome).toMatchObject({
          kind: 'failed',
          failure: { type: 'provider_unavailable', details: { status: 500, code: 'circuit_open' } },
        });
        expect(fake.requests).toHaveLength(2);
      });
    } finally {
      await fake.close();
    }
  });
});
