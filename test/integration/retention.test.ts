/**
 * Encryption at rest, `forget` and the erasure log on a real dev server: a run with the
 * codec keys leaves no plaintext in `runs.db`; a closed run's stored content is erased
 * through a worker (client API and `bosun forget`), its trace then says so; an open run is
 * refused.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteRunStore } from '../../activities/store/run-store.ts';
import { main } from '../../client/cli/main.ts';
import { createBosunClient } from '../../client/client.ts';
import { RunNotKnownError, RunStillOpenError } from '../../client/forget.ts';
import type { PrincipalInput } from '../../core/principal.ts';
import { namespaceRetentionDays } from '../../activities/retention/run-closed.ts';
import { retentionSweepId, startRetentionSweep } from '../../worker/retention-timer.ts';
import type { RetentionSweepResult } from '../../core/erasure.ts';
import { statusQuery } from '../../workflows/definitions.ts';
import type { FakeProviderServer, FakeReply } from '../kit/index.ts';
import {
  fakeConfig,
  openaiModel,
  testAgent,
  uniqueName,
  useHarness,
  withFakeProviders,
  withWorker,
} from '../helpers/harness.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const h = useHarness();
const principal: PrincipalInput = {
  tenant: 'acme',
  user: 'alice',
  scopes: ['orders:read', 'orders:write'],
  roles: ['support_agent'],
};
const agent = () => testAgent(openaiModel, { tools: ['lookup_order', 'refund_order', 'calculator'] });
const refund: FakeReply = {
  kind: 'tool_calls',
  calls: [{ id: 'call_refund', name: 'refund_order', args: { orderId: 'ord_101', amountCents: 5_000, reason: 'x' } }],
};

async function withSetup<T>(
  env: Record<string, string>,
  fn: (ctx: {
    fake: FakeProviderServer;
    stateDir: string;
    run: Parameters<Parameters<typeof withWorker>[2]>[0];
  }) => Promise<T>,
) {
  const stateDir = tempDir('bosun-retention-');
  const knowledgeDir = tempDir('bosun-retention-kb-');
  writeFileSync(join(knowledgeDir, 'faq.md'), '# FAQ\n\nRefunds take 5 days.');
  return withFakeProviders(({ openai: fake }) =>
    withWorker(
      h,
      {
        ...fakeConfig({ openai: fake }, uniqueName('retention'), env),
        BOSUN_STATE_DIR: stateDir,
        BOSUN_KNOWLEDGE_DIR: knowledgeDir,
      },
      (run) => fn({ fake, stateDir, run }),
    ),
  );
}

/** A closed run with a tool call: task, tool result and answer all carry `secret`. */
async function closedRun(
  fake: FakeProviderServer,
  bosun: Parameters<Parameters<typeof withWorker>[2]>[0]['bosun'],
  secret: string,
) {
  fake.push(
    { kind: 'tool_calls', calls: [{ name: 'calculator', args: { expression: '6 * 7' } }] },
    { kind: 'text', text: `The answer is 42, ${secret}-ANSWER.` },
  );
  const run = await bosun.start({
    agent: agent(),
    task: `compute 6*7 for ${secret}-TASK`,
    principal,
    runId: uniqueName('closed'),
  });
  expect((await run.result()).outcome.kind).toBe('answer');
  return run;
}

/** Cancels an open run and waits until it has ended, while its worker still runs: a run
 * left open (and encrypted) would sit in every other test's inbox listing. */
async function closeRun(run: { cancel(): Promise<void>; result(): Promise<unknown> }) {
  await run.cancel();
  await run.result().catch(() => undefined);
}

/** An open run: waiting for a human to approve a refund. */
async function openRun(fake: FakeProviderServer, ctx: Parameters<Parameters<typeof withWorker>[2]>[0]) {
  fake.push(refund);
  const run = await ctx.bosun.start({ agent: agent(), task: 'refund ord_101', principal, runId: uniqueName('open') });
  await expect
    .poll(async () => (await ctx.temporal.workflow.getHandle(run.runId).query(statusQuery)).pendingApprovals.length, {
      timeout: 15_000,
    })
    .toBeGreaterThan(0);
  return run;
}

const filesOf = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.startsWith('runs.db'))
    .map((f) => readFileSync(join(dir, f)).toString('latin1'))
    .join('\n');

describe('encryption at rest and forget', () => {
  it('with codec keys: no plaintext in runs.db; forget erases a closed run, logs it, and refuses an open one', async () => {
    const key = randomBytes(32).toString('base64');
    const secret = `CANARY${randomBytes(6).toString('hex')}`;
    await withSetup(
      { BOSUN_CODEC_KEYS: JSON.stringify({ r1: key }), BOSUN_CODEC_ACTIVE_KEY: 'r1' },
      async ({ fake, stateDir, run: ctx }) => {
        const { bosun } = ctx;
        const closed = await closedRun(fake, bosun, secret);
        const raw = filesOf(stateDir);
        expect(raw).toContain('enc:v1:r1:');
        expect(raw).not.toContain(secret);
        expect(raw).not.toContain('6 * 7');

        const open = await openRun(fake, ctx);
        await expect(bosun.forget(open.runId, { by: 'ops' })).rejects.toBeInstanceOf(RunStillOpenError);
        // A client without the keys still reads its inbox: the encrypted run is listed as
        // unreachable (its status cannot be decoded here), not a failure of the whole inbox.
        const keyless = createBosunClient({ client: h.temporal, taskQueue: ctx.taskQueue });
        const inbox = await keyless.inbox();
        expect(inbox.unreachable.map((u) => u.runId)).toContain(open.runId);

        const erasure = await bosun.forget(closed.runId, { by: 'ops' });
        expect(erasure).toMatchObject({ runId: closed.runId, by: 'ops', reason: 'forget' });
        expect(erasure.counts.messages).toBeGreaterThanOrEqual(4);
        expect(erasure.counts.traceRecords).toBeGreaterThanOrEqual(3);
        const trace = await closed.trace();
        expect(trace.erased).toMatchObject({ by: 'ops', reason: 'forget' });
        expect(trace.steps.flatMap((s) => s.modelCalls)).toEqual([]);
        expect(trace.warnings.join()).toMatch(/stored content was erased \(forgotten by ops/);
        expect((await bosun.erasures({ runId: closed.runId })).map((e) => e.seq)).toEqual([erasure.seq]);
        // Forgetting it again answers the same erasure, and logs no second, empty one.
        expect((await bosun.forget(closed.runId, { by: 'ops' })).seq).toBe(erasure.seq);
        expect(await bosun.erasures({ runId: closed.runId })).toHaveLength(1);
        // A run Temporal does not know (a typo) is refused, and nothing is logged.
        await expect(bosun.forget('run-no-such-id', { by: 'ops' })).rejects.toBeInstanceOf(RunNotKnownError);
        expect(await bosun.erasures({ runId: 'run-no-such-id' })).toEqual([]);
        // The open run's content is untouched.
        const store = openSqliteRunStore(join(stateDir, 'runs.db'), {});
        try {
          expect(await store.storedRuns({ before: Date.now() + 1, limit: 10 })).toEqual([
            expect.objectContaining({ runId: open.runId }),
          ]);
        } finally {
          store.close();
        }
        await closeRun(open);
      },
    );
  });

  it('bosun forget and bosun erasures from the command line', async () => {
    await withSetup({}, async ({ fake, run: ctx }) => {
      const closed = await closedRun(fake, ctx.bosun, 'cli');
      const open = await openRun(fake, ctx);
      const cli = async (...args: string[]) => {
        const out: string[] = [];
        const err: string[] = [];
        const code = await main([...args, '--address', h.address, '--task-queue', ctx.taskQueue], {
          out: (t) => out.push(t),
          err: (t) => err.push(t),
          env: {},
        });
        return { code, out: out.join('\n'), err: err.join('\n') };
      };
      const forgot = await cli('forget', closed.runId, '--as', 'carol');
      expect(forgot.code, forgot.err).toBe(0);
      expect(forgot.out).toMatch(new RegExp(`^forgot ${closed.runId}: \\d+ message\\(s\\)`));
      const refused = await cli('forget', open.runId, '--as', 'carol');
      expect(refused.code).toBe(1);
      expect(refused.err).toContain(`run ${open.runId} is still open`);
      const log = await cli('erasures', '--json');
      expect(log.code, log.err).toBe(0);
      expect(JSON.parse(log.out)).toEqual([
        expect.objectContaining({ runId: closed.runId, by: 'carol', reason: 'forget' }),
      ]);
      await closeRun(open);
    });
  });
});

describe('the retention sweep', () => {
  it('one sweep at a time per queue; it erases the closed run past the period and keeps the open one', async () => {
    // 0.00002 days = 1.7 s: the closed run is past it by the time the sweep looks.
    await withSetup({ BOSUN_RETENTION_DAYS: '0.00002' }, async ({ fake, stateDir, run: ctx }) => {
      const closed = await closedRun(fake, ctx.bosun, 'sweep');
      const open = await openRun(fake, ctx);
      await new Promise((r) => setTimeout(r, 2_000));
      const tries = await Promise.all([1, 2, 3].map(() => startRetentionSweep(ctx.temporal, ctx.taskQueue, 3_600_000)));
      expect(tries.filter((t) => t === 'started')).toHaveLength(1);
      const result = (await ctx.temporal.workflow
        .getHandle(retentionSweepId(ctx.taskQueue))
        .result()) as RetentionSweepResult;
      expect(result).toMatchObject({ source: 'BOSUN_RETENTION_DAYS', examined: 2, erased: 1, kept: 1 });
      // A sweep ended less than an interval ago: none is started.
      expect(await startRetentionSweep(ctx.temporal, ctx.taskQueue, 3_600_000)).toBe('recent');
      const store = openSqliteRunStore(join(stateDir, 'runs.db'), {});
      try {
        expect((await store.storedRuns({ before: Date.now() + 1, limit: 10 })).map((r) => r.runId)).toEqual([
          open.runId,
        ]);
        expect(await store.readErasures({ limit: 10 })).toEqual([
          expect.objectContaining({ runId: closed.runId, by: 'retention', reason: 'retention' }),
        ]);
      } finally {
        store.close();
      }
      await closeRun(open);
    });
  });

  it('reads the namespace retention period when none is configured', async () => {
    expect(await namespaceRetentionDays(h.temporal, 'default')).toBeGreaterThan(0);
  });
});
