import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import type { BosunClient } from '../../client/client.ts';
import { outputContract } from '../../core/output-contract.ts';
import { statusQuery } from '../../workflows/definitions.ts';
import type { FakeProviderServer } from '../kit/index.ts';
import {
  useHarness,
  fakeConfig,
  openaiModel,
  testAgent,
  uniqueName,
  withFakeProviders,
  withWorker,
} from '../helpers/harness.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const h = useHarness();
let fake: FakeProviderServer;
/** A worker on a fresh fake OpenAI, kept in `fake`, with a state folder (its order store) of its own. */
const withFake = <T>(fn: (bosun: BosunClient) => Promise<T>) =>
  withFakeProviders(({ openai }) => {
    fake = openai;
    const config = { ...fakeConfig({ openai }), BOSUN_STATE_DIR: tempDir('bosun-outcomes-') };
    return withWorker(h, config, ({ bosun }) => fn(bosun));
  });
const carol = { id: 'carol', groups: ['support-leads'] };
const executionStatus = async (runId: string) => (await h.temporal.workflow.getHandle(runId).describe()).status.name;
async function openEscalation(runId: string) {
  const handle = h.temporal.workflow.getHandle(runId);
  await expect
    .poll(async () => (await handle.query(statusQuery)).escalation?.id ?? '', { timeout: 15_000 })
    .not.toBe('');
  return (await handle.query(statusQuery)).escalation!;
}

describe('what operators see of how a run ended', () => {
  it('a failed run ends its execution Failed with the real cause; the client still gets the typed outcome', () =>
    withFake(async (bosun) => {
      fake.push({ kind: 'error', status: 401, message: 'bad key' });
      const runId = uniqueName('failed');
      const result = await bosun.run({ agent: testAgent(openaiModel), task: 'hi', runId });
      expect(result.outcome).toMatchObject({ kind: 'failed', failure: { type: 'auth' } });
      expect(result).toMatchObject({ runId, modelCalls: 1 });
      expect(await executionStatus(runId)).toBe('FAILED');
      const failure = await h.temporal.workflow
        .getHandle(runId)
        .result()
        .catch((e: { cause?: { type?: string } }) => e.cause);
      expect(failure).toMatchObject({ type: 'auth' });
    }));

  it('a cancelled run ends Canceled, with its typed result from the result query', () =>
    withFake(async (bosun) => {
      fake.push({ kind: 'delay', ms: 30_000, then: { kind: 'text', text: 'late' } });
      const run = await bosun.start({ agent: testAgent(openaiModel), task: 'slow', runId: uniqueName('cancelled') });
      await expect.poll(async () => (await run.status()).phase, { timeout: 10_000 }).toBe('calling_model');
      await run.cancel();
      const result = await run.result();
      expect(result.outcome).toMatchObject({ kind: 'stopped', reason: 'cancelled' });
      expect(result.audit.map((a) => a.event)).toContain('cancelled');
      expect(await executionStatus(run.runId)).toBe('CANCELLED');
    }));

  it('an answered run ends Completed', () =>
    withFake(async (bosun) => {
      fake.push({ kind: 'text', text: 'fine' });
      const runId = uniqueName('done');
      expect((await bosun.run({ agent: testAgent(openaiModel), task: 'hi', runId })).outcome).toMatchObject({
        kind: 'answer',
      });
      expect(await executionStatus(runId)).toBe('COMPLETED');
    }));
});

describe('empty and truncated final answers never count as success', () => {
  it('asks again once with twice the output tokens after a truncated answer, and takes the complete one', () =>
    withFake(async (bosun) => {
      fake.push(
        { kind: 'text', text: 'The refund is', stop: 'length' },
        { kind: 'text', text: 'The refund is $33.12.' },
      );
      const result = await bosun.run({ agent: testAgent(openaiModel, { maxOutputTokens: 300 }), task: 'refund?' });
      expect(result.outcome).toEqual({ kind: 'answer', text: 'The refund is $33.12.', truncated: false });
      expect(result.calls.map((c) => [c.purpose, c.stop])).toEqual([
        ['step', 'length'],
        ['repair', 'end'],
      ]);
      const second = fake.requests[1]!.body as {
        max_completion_tokens: number;
        messages: { role: string; content: string }[];
      };
      expect(second.max_completion_tokens).toBe(600);
      expect(second.messages.at(-1)).toMatchObject({
        role: 'user',
        content: expect.stringContaining('cut off at the output limit'),
      });
    }));

  it('hands a second empty answer to a human, showing the model’s last output (none)', () =>
    withFake(async (bosun) => {
      fake.push({ kind: 'text', text: '' }, { kind: 'text', text: '   ' });
      const run = await bosun.start({ agent: testAgent(openaiModel), task: 'hi', runId: uniqueName('empty') });
      const esc = await openEscalation(run.runId);
      expect(esc).toMatchObject({ reason: 'invalid_output', message: 'the model answered with nothing, twice' });
      expect((await run.status()).pending).toEqual([]);
      // The inbox lists escalations beside approvals.
      await expect
        .poll(async () => (await bosun.inbox()).escalations.filter((e) => e.runId === run.runId).map((e) => e.reason), {
          timeout: 10_000,
        })
        .toEqual(['invalid_output']);
      await run.end(esc.id, carol, 'no answer to give');
      expect((await run.result()).outcome).toMatchObject({ kind: 'stopped', reason: 'ended_by_human' });
    }));
});

describe('humans decide with the context they need', () => {
  const refund = outputContract('refund', z.object({ amountCents: z.number().int(), reason: z.string() }), {
    maxRepairs: 0,
    escalateToStrongModel: false,
  });

  it('an answer to an invalid-output escalation must match the contract, and becomes the output', () =>
    withFake(async (bosun) => {
      fake.push({ kind: 'text', text: 'about 30 dollars' });
      const run = await bosun.start({
        agent: testAgent(openaiModel),
        task: 'refund?',
        output: refund,
        runId: uniqueName('answer'),
      });
      const esc = await openEscalation(run.runId);
      expect(esc).toMatchObject({
        reason: 'invalid_output',
        lastOutput: 'about 30 dollars',
        issues: [expect.any(String)],
      });
      await expect(run.answer(esc.id, carol, 'thirty dollars')).rejects.toThrow(
        /answer rejected: it must match the run's output contract/,
      );
      await run.answer(esc.id, carol, '{"amountCents": 3000, "reason": "damaged"}');
      const { outcome } = await run.result();
      expect(outcome).toMatchObject({
        kind: 'answer',
        answeredBy: 'human:carol',
        output: { amountCents: 3000, reason: 'damaged' },
      });
    }));

  it('an approval shows the task, the principal and earlier tool results; an edit is audited with both arguments; the result lists tool results', () =>
    withFake(async (bosun) => {
      fake.push(
        { kind: 'tool_calls', calls: [{ name: 'lookup_order', args: { orderId: 'ord_103' } }] },
        {
          kind: 'tool_calls',
          calls: [{ name: 'refund_order', args: { orderId: 'ord_103', amountCents: 5000, reason: 'damaged' } }],
        },
        { kind: 'text', text: 'Refunded.' },
      );
      const principal = {
        tenant: 'shop',
        user: 'sam',
        scopes: ['orders:read', 'orders:write'],
        roles: ['support_agent'],
      };
      const run = await bosun.start({
        agent: testAgent(openaiModel, { tools: ['lookup_order', 'refund_order'] }),
        task: 'Refund the wobbly desk of ord_103',
        principal,
        runId: uniqueName('context'),
      });
      await expect.poll(async () => (await run.status()).pendingApprovals.length, { timeout: 15_000 }).toBe(1);
      const [ask] = (await run.status()).pendingApprovals;
      expect(ask!.context).toMatchObject({
        task: 'Refund the wobbly desk of ord_103',
        principal: { tenant: 'shop', user: 'sam' },
        earlierResults: [
          { step: 1, tool: 'lookup_order', isError: false, content: expect.stringContaining('ord_103') },
        ],
      });
      await run.edit(
        ask!.id,
        { id: 'carol', groups: ['support'] },
        { orderId: 'ord_103', amountCents: 3000, reason: 'damaged' },
      );
      const result = await run.result();
      expect(result.audit.find((a) => a.event === 'edited')).toMatchObject({
        edit: { from: { amountCents: 5000 }, to: { amountCents: 3000 } },
      });
      expect(result.toolResults?.map((t) => t.tool)).toEqual(['lookup_order', 'refund_order']);
      expect(result.toolResults?.[1]?.content).toMatch(/re_|refund/i);
    }));
});

describe('a threshold cannot be split around, and a customer’s run touches only their orders', () => {
  const grace = {
    tenant: 'shop',
    user: 'grace',
    scopes: ['orders:read', 'orders:write'],
    roles: ['support_agent'],
    attributes: { customer: 'Barbara Liskov' },
  };
  const refund = (orderId: string, id: string) => ({
    kind: 'tool_calls' as const,
    calls: [{ id, name: 'refund_order', args: { orderId, amountCents: 1999, reason: 'as the note says' } }],
  });

  it('three refunds of $19.99: the first runs, the second asks a human (the run total is over $20)', () =>
    withFake(async (bosun) => {
      fake.push(refund('ord_105', 'c1'), refund('ord_105', 'c2'));
      const run = await bosun.start({
        agent: testAgent(openaiModel, { tools: ['refund_order'] }),
        task: 'refund ord_105',
        principal: grace,
        runId: uniqueName('split'),
      });
      await expect.poll(async () => (await run.status()).pendingApprovals.length, { timeout: 15_000 }).toBe(1);
      const [ask] = (await run.status()).pendingApprovals;
      expect(ask).toMatchObject({
        tool: 'refund_order',
        reason: 'refunds in this run would total $39.98, over $20.00',
      });
      expect(ask!.context?.earlierResults).toMatchObject([{ tool: 'refund_order', isError: false }]);
      await run.cancel();
    }));

  it('refuses a refund on another customer’s order in the handler, whatever the model was told', () =>
    withFake(async (bosun) => {
      fake.push(refund('ord_102', 'c1'), { kind: 'text', text: 'Could not refund.' });
      const result = await bosun.run({
        agent: testAgent(openaiModel, { tools: ['refund_order'] }),
        task: 'a document said to refund ord_102',
        principal: grace,
      });
      expect(result.outcome).toMatchObject({ kind: 'answer', text: 'Could not refund.' });
      const toolTurn = (fake.requests[1]!.body as { messages: { role: string; content: string }[] }).messages.at(-1)!;
      expect(toolTurn.content).toContain('No order ord_102 for this customer');
      expect(result.toolResults ?? []).toEqual([]);
    }));
});
