import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { promptHash } from '../../activities/store/run-store.ts';
import type { BosunClient } from '../../client/client.ts';
import { statusQuery } from '../../workflows/definitions.ts';
import type { FakeProviderServer } from '../kit/index.ts';
import {
  useHarness,
  fakeConfig,
  maybeRecordHistory,
  openaiModel,
  testAgent,
  uniqueName,
  withFakeProviders,
  withWorker,
} from '../helpers/harness.ts';
import { chatBody } from '../helpers/chat-body.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const h = useHarness();
let fake: FakeProviderServer;
/** Runs `fn` against a worker (its config plus `extra`) on a fresh fake OpenAI, kept in this file's `fake`. */
const withFake = <T>(fn: (bosun: BosunClient) => Promise<T>, extra: Record<string, string> = {}) =>
  withFakeProviders(({ openai }) => {
    fake = openai;
    return withWorker(h, { ...fakeConfig({ openai }), ...extra }, ({ bosun }) => fn(bosun));
  });
const firstUserText = (i: number) => chatBody(fake.requests[i]!).messages.find((m) => m.role === 'user')!.content;

describe('retrieval-augmented runs', () => {
  it('puts the best chunks before the task and records their ids and index version on every call', () =>
    withFake(async (bosun) => {
      fake.push(
        { kind: 'tool_calls', calls: [{ name: 'calculator', args: { expression: '2 * 18.40 * 0.9' } }] },
        { kind: 'text', text: '$33.12 (refunds)' },
      );
      const result = await bosun.run({
        agent: testAgent(openaiModel, { tools: ['calculator'], retrieval: { k: 3 } }),
        task: 'What restocking fee applies to opened items?',
      });
      expect(result.outcome).toMatchObject({ kind: 'answer', text: '$33.12 (refunds)' });
      const sent = firstUserText(0);
      expect(sent).toMatch(
        /^Answer from these knowledge-base documents; cite their ids\.\n<documents>\n<document id="refunds#[0-9a-f]{10}"/,
      );
      expect(sent).toContain('restocking fee of 10%');
      expect(sent.endsWith('What restocking fee applies to opened items?')).toBe(true);
      const ids = result.calls[0]!.retrieved!.ids;
      expect(ids.length).toBeGreaterThan(0);
      expect(ids.length).toBeLessThanOrEqual(3);
      expect(ids[0]).toMatch(/^refunds#/);
      expect(result.calls.map((c) => c.retrieved)).toEqual([result.calls[0]!.retrieved, result.calls[0]!.retrieved]);
      expect(result.calls[0]!.retrieved!.indexVersion).toMatch(/^[0-9a-f]{16}$/);
      await maybeRecordHistory(h.temporal, result.runId, 'agent-run-rag-tools');
    }));

  it('answers plainly that the knowledge base does not cover a question, without calling a model', () =>
    withFake(async (bosun) => {
      const result = await bosun.run({
        agent: testAgent(openaiModel, { retrieval: { k: 3, minScore: 50, onWeak: 'degrade' } }),
        task: 'Explain quantum chromodynamics',
      });
      expect(result.outcome).toEqual({
        kind: 'answer',
        text: 'This is not in the knowledge base, so I will not guess. Please rephrase, or ask a person.',
        truncated: false,
        answeredBy: 'policy:not_in_knowledge_base',
      });
      expect(fake.requests).toHaveLength(0);
    }));

  it('escalates missing context when the agent says so', () =>
    withFake(async (bosun) => {
      const run = await bosun.start({
        agent: testAgent(openaiModel, { retrieval: { k: 3, minScore: 50, onWeak: 'escalate' } }),
        task: 'Explain quantum chromodynamics',
        runId: uniqueName('missing'),
      });
      await expect
        .poll(async () => (await run.status()).escalation?.reason, { timeout: 10_000 })
        .toBe('missing_context');
      await run.cancel();
      expect((await run.result()).outcome).toMatchObject({ kind: 'stopped', reason: 'cancelled' });
    }));
});

describe('prompt versions', () => {
  it('pins the template version a run started with; a changed template affects new runs only', async () => {
    const promptsDir = tempDir('bosun-prompts-');
    const v1 = 'You are helper v1. Be brief.';
    const v2 = 'You are helper v2. Be thorough.';
    writeFileSync(join(promptsDir, 'helper.md'), `<!-- label: first -->\n${v1}`);
    await withFake(
      async (bosun) => {
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        fake.setHandler(async (req) => {
          if (chatBody(req).messages[0]!.content === v1 && chatBody(req).messages.length === 2)
            return { kind: 'tool_calls', calls: [{ name: 'calculator', args: { expression: '1+1' } }] };
          if (chatBody(req).messages[0]!.content === v1) {
            await gate;
            return { kind: 'text', text: 'A done' };
          }
          return { kind: 'text', text: 'B done' };
        });
        const agent = testAgent(openaiModel, { instructions: { template: 'helper' }, tools: ['calculator'] });
        const a = await bosun.start({ agent, task: 'task A', runId: uniqueName('prompt-a') });
        await expect.poll(() => fake.requests.length, { timeout: 10_000 }).toBe(2);
        writeFileSync(join(promptsDir, 'helper.md'), v2); // a deploy changes the template mid-run
        const b = await bosun.run({ agent, task: 'task B' });
        release();
        const resultA = await a.result();

        expect(resultA.calls.map((c) => c.prompt)).toEqual([
          `helper@${promptHash(v1).slice(0, 12)}`,
          `helper@${promptHash(v1).slice(0, 12)}`,
        ]);
        expect(b.calls.map((c) => c.prompt)).toEqual([`helper@${promptHash(v2).slice(0, 12)}`]);
        expect(fake.requests.map((r) => chatBody(r).messages[0]!.content)).toEqual([v1, v1, v2]);
        expect((await h.temporal.workflow.getHandle(a.runId).query(statusQuery)).outcome).toBe('answer');
        await maybeRecordHistory(h.temporal, a.runId, 'agent-run-prompt-template');
      },
      { BOSUN_PROMPTS_DIR: promptsDir },
    );
  });
});
