import { describe, expect, it } from 'vitest';
import { RunInputError } from '../../client/errors.ts';
import { fakeConfig, openaiModel, testAgent, uniqueName, useHarness, withWorker } from '../helpers/harness.ts';
import { startFakeOpenAI } from '../kit/index.ts';
import { chatBody } from '../helpers/chat-body.ts';

const h = useHarness();

/** `bytes` of prose (ASCII words: bytes = characters). */
const prose = (bytes: number) => 'lorem ipsum dolor sit amet '.repeat(Math.ceil(bytes / 27)).slice(0, bytes);

describe('run input size, checked by the client before anything starts', () => {
  it.each([
    ['2.5 MB', 2_500_000],
    ['5 MB', 5_000_000],
  ])('a %s task is refused within 1 s with a typed error naming the field and the limit', async (_label, bytes) => {
    const fake = await startFakeOpenAI();
    try {
      await withWorker(h, fakeConfig({ openai: fake }), async ({ bosun }) => {
        const runId = uniqueName('huge-task');
        const started = Date.now();
        const err = await bosun.start({ agent: testAgent(openaiModel), task: prose(bytes), runId }).catch((e) => e);
        expect(Date.now() - started).toBeLessThan(1_000);
        expect(err).toBeInstanceOf(RunInputError);
        expect((err as RunInputError).issues).toEqual([
          { path: 'task', message: expect.stringMatching(/^is [\d,]+ bytes .*; at most 1,048,576 bytes \(1\.0 MiB\)/) },
        ]);
        // Nothing reached Temporal.
        await expect(h.temporal.workflow.getHandle(runId).describe()).rejects.toThrow(/not found/i);
        expect(fake.requests).toHaveLength(0);
      });
    } finally {
      await fake.close();
    }
  });

  it('a 500 KB task runs', async () => {
    const fake = await startFakeOpenAI({ handler: () => ({ kind: 'text', text: 'read it all' }) });
    try {
      await withWorker(h, fakeConfig({ openai: fake }), async ({ bosun }) => {
        const task = prose(500_000);
        const result = await bosun.run({ agent: testAgent(openaiModel), task });
        expect(result.outcome).toMatchObject({ kind: 'answer', text: 'read it all' });
        expect(chatBody(fake.requests[0]!).messages.some((m) => m.content === task)).toBe(true);
      });
    } finally {
      await fake.close();
    }
  });
});
