import { describe, expect, it } from 'vitest';
import { fakeConfig, openaiModel, testAgent, useHarness, withWorker } from '../helpers/harness.ts';
import { startFakeOpenAI } from '../kit/index.ts';

const h = useHarness();

/** `bytes` of prose (words: what a model writes; ASCII, so bytes = characters). */
const prose = (bytes: number) => 'lorem ipsum dolor sit amet '.repeat(Math.ceil(bytes / 27)).slice(0, bytes);

describe('model answers and Temporal payload limits', () => {
  it('a 1.9 MB answer fits and the run answers with it', async () => {
    const fake = await startFakeOpenAI({ handler: () => ({ kind: 'text', text: prose(1_900_000) }) });
    try {
      await withWorker(h, fakeConfig({ openai: fake }), async ({ bosun }) => {
        const result = await bosun.run({ agent: testAgent(openaiModel), task: 'Write a lot.' });
        expect(result.outcome.kind).toBe('answer');
        expect(result.outcome.kind === 'answer' && result.outcome.text.length).toBe(1_900_000);
        expect(fake.requests).toHaveLength(1);
      });
    } finally {
      await fake.close();
    }
  });

  it.each([
    ['2.1 MB', 2_100_000],
    ['5 MB', 5_000_000],
  ])('a %s answer ends payload_too_large at once: one request, its usage counted', async (_label, bytes) => {
    const fake = await startFakeOpenAI({
      handler: () => ({ kind: 'text', text: prose(bytes), usage: { input: 50, output: Math.ceil(bytes / 5) } }),
    });
    try {
      await withWorker(h, fakeConfig({ openai: fake }), async ({ bosun }) => {
        const started = Date.now();
        const result = await bosun.run({ agent: testAgent(openaiModel), task: 'Write a lot.' });
        expect(result.outcome).toMatchObject({
          kind: 'failed',
          failure: { type: 'payload_too_large', retryable: false, details: { code: 'answer_too_large' } },
        });
        const failure = (result.outcome as { failure: { message: string } }).failure;
        expect(failure.message).toMatch(/answer is too large to hand back: .* bytes .* at most 2,031,616 bytes/);
        expect(fake.requests).toHaveLength(1);
        expect(result.calls).toEqual([
          expect.objectContaining({
            outcome: 'payload_too_large',
            usage: { input: 50, output: Math.ceil(bytes / 5), cachedInput: 0, cacheWrite: 0 },
          }),
        ]);
        expect(result.usage).toMatchObject({ input: 50, output: Math.ceil(bytes / 5) });
        expect(result.costUsd).toBeGreaterThan(0);
        expect(Date.now() - started).toBeLessThan(15_000);
      });
    } finally {
      await fake.close();
    }
  });
});
