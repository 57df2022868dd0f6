import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBosunClient, type BosunClient } from '../../client/client.ts';
import type { RunResult } from '../../core/run.ts';
import { addUsage, zeroUsage, type Usage } from '../../core/usage.ts';
import { formatTrace } from '../../client/cli/trace.ts';
import { searchAttributes } from '../../workflows/definitions.ts';
import { bundleWorkflows, writeWorkflowBundle } from '../../worker/bundle.ts';
import { createBosunWorker } from '../../worker/create-worker.ts';
import { startFakeOpenAI, type FakeHandler, type FakeProviderServer, type FakeReply } from '../kit/index.ts';
import { fakeConfig, maybeRecordHistory, uniqueName, useHarness } from '../helpers/harness.ts';
import { startWorkerProcess } from '../helpers/worker-process.ts';
import catalog from '../fixtures/sub-agents/catalog.ts';
import app, { claimsLog, creditsLog, subAgentsCatalogModule } from '../fixtures/sub-agents/app.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * Sub-agents as child workflows (issue 18), on the real dev server: a `lead` agent that
 * delegates to `researcher` and `clerk` (test/fixtures/sub-agents). The fake model tells the
 * agents apart by the marker their instructions start with, and the scenario by a marker in
 * the lead's task.
 */
const h = useHarness();
let bundle: { code: string };
let bundlePath: string;

beforeAll(async () => {
  const dir = tempDir('bosun-sub-agents-');
  [bundle, bundlePath] = await Promise.all([
    bundleWorkflows({ catalogModule: subAgentsCatalogModule }),
    writeWorkflowBundle(join(dir, 'bundle.js'), { catalogModule: subAgentsCatalogModule }),
  ]);
}, 180_000);

interface Msg {
  role: string;
  content: string | null;
  tool_calls?: { function: { name: string; arguments: string } }[];
}
interface Body {
  messages: Msg[];
  tools?: { function: { name: string } }[];
}
const bodyOf = (req: { body: unknown }) => req.body as Body;
const agentOf = (b: Body) => /^\[(\w+)\]/.exec(String(b.messages[0]?.content ?? ''))?.[1] ?? '?';
const taskOf = (b: Body) => String(b.messages.find((m) => m.role === 'user')?.content ?? '');
const toolTurns = (b: Body) => b.messages.filter((m) => m.role === 'tool');
const offered = (b: Body) => (b.tools ?? []).map((t) => t.function.name);
const calls = (...c: { name: string; args: Record<string, unknown> }[]): FakeReply => ({
  kind: 'tool_calls',
  calls: c,
});
const text = (t: string): FakeReply => ({ kind: 'text', text: t });

/** The model of every agent in every scenario. */
const model: FakeHandler = (req) => {
  const b = bodyOf(req);
  const task = taskOf(b);
  const done = toolTurns(b).length;
  switch (agentOf(b)) {
    case 'lead':
      if (task.includes('[parallel]'))
        return done === 0
          ? calls(
              { name: 'ask_researcher', args: { task: 'Add 2 and 3 [quick]' } },
              { name: 'ask_researcher', args: { task: 'Add 4 and 5 [quick]', input: { a: 4, b: 5 } } },
              { name: 'ask_researcher', args: { task: 'Add 6 and 7 [quick]' } },
            )
          : text('Both sums are in.');
      if (task.includes('[exhaust]'))
        return done === 0
          ? calls({ name: 'ask_researcher', args: { task: 'Count forever [forever]' } })
          : text('It ran out.');
      if (task.includes('[approval]'))
        return done === 0
          ? calls({ name: 'ask_claims_clerk', args: { task: 'File a claim for ord_1', input: { orderId: 'ord_1' } } })
          : text('Filed.');
      if (task.includes('[narrow]'))
        return done === 0 ? calls({ name: 'ask_clerk', args: { task: 'File a claim for ord_2' } }) : text('Not filed.');
      if (task.includes('[credits]'))
        return done === 0
          ? calls(
              { name: 'ask_cashier', args: { task: 'Credit cus_1 $15' } },
              { name: 'ask_cashier', args: { task: 'Credit cus_2 $15' } },
            )
          : text('Credited.');
      if (task.includes('[legal]'))
        return done === 0
          ? calls({ name: 'ask_clerk', args: { task: 'A lawyer asks about ord_3' } })
          : text('Legal has it.');
      if (task.includes('[crash]'))
        return done === 0 ? calls({ name: 'ask_researcher', args: { task: 'Add 1 and 1 [slow]' } }) : text('Done.');
      if (task.includes('[long]')) {
        // A delegation first and one after the parent continued as new, calculator steps between.
        if (done === 0) return calls({ name: 'ask_researcher', args: { task: 'Count to twenty [many]' } });
        if (done < 14) return calls({ name: 'calculator', args: { expression: `${done}*2` } });
        if (done === 14) return calls({ name: 'ask_researcher', args: { task: 'Add 8 and 9 [quick]' } });
        return text('Counted.');
      }
      return text('?');
    case 'researcher':
      if (task.includes('[quick]'))
        return done === 0
          ? {
              kind: 'delay',
              ms: 400,
              then: calls(
                { name: 'ask_researcher', args: { task: 'Go one level deeper' } },
                { name: 'calculator', args: { expression: '2+3' } },
              ),
            }
          : text(`R: ${task.slice(0, 20)}`);
      if (task.includes('[forever]')) return calls({ name: 'calculator', args: { expression: `${done}+1` } });
      if (task.includes('[slow]'))
        return done === 0
          ? { kind: 'delay', ms: 3_000, then: calls({ name: 'calculator', args: { expression: '1+1' } }) }
          : text('R: 2');
      if (task.includes('[many]'))
        return done < 20 ? calls({ name: 'calculator', args: { expression: `${done}+1` } }) : text('R: twenty');
      return text('R: ?');
    case 'cashier':
      return done === 0
        ? calls({
            name: 'issue_credit',
            args: { customerId: /cus_\d+/.exec(task)?.[0] ?? 'cus_0', amountCents: 1_500 },
          })
        : text('Cashier done.');
    case 'clerk':
      return done === 0
        ? calls({ name: 'file_claim', args: { orderId: /ord_\d+/.exec(task)?.[0] ?? 'ord_0' } })
        : text('Clerk done.');
    default:
      return text('unknown agent');
  }
};

const principal = { tenant: 'acme', user: 'lee', scopes: ['claims:read', 'claims:write'], roles: [] };

async function withFixture<T>(
  fn: (ctx: {
    bosun: BosunClient;
    fake: FakeProviderServer;
    temporal: Client;
    stateDir: string;
    taskQueue: string;
  }) => Promise<T>,
): Promise<T> {
  const fake = await startFakeOpenAI({ handler: model });
  const stateDir = tempDir('bosun-sub-state-');
  const config = fakeConfig({ openai: fake }, uniqueName('sub-agents'), { BOSUN_STATE_DIR: stateDir });
  try {
    const worker = await createBosunWorker({ ...app, connection: h.nativeConnection, config, workflowBundle: bundle });
    const bosun = createBosunClient({ client: h.temporal, taskQueue: config.BOSUN_TASK_QUEUE, catalog });
    return await worker.runUntil(
      fn({ bosun, fake, temporal: h.temporal, stateDir, taskQueue: config.BOSUN_TASK_QUEUE }),
    );
  } finally {
    await fake.close();
  }
}

const sumUsage = (us: Usage[]) => us.reduce(addUsage, zeroUsage);
/** The run's own usage and cost: its call records (all of them: short runs keep every one). */
const own = (r: RunResult) => ({
  usage: sumUsage(r.calls.map((c) => c.usage)),
  costUsd: r.calls.reduce((s, c) => s + (c.costUsd ?? 0), 0),
});

describe('sub-agents as child workflows', () => {
  it('runs two delegations of one step in parallel as child workflows and rolls their use up exactly', async () => {
    await withFixture(async ({ bosun, fake, temporal }) => {
      const runId = uniqueName('parallel');
      const result = await bosun.run({ agent: 'lead', task: 'Sum two pairs [parallel]', runId, principal });
      expect(result.outcome).toMatchObject({ kind: 'answer', text: 'Both sums are in.' });

      // Deterministic child ids (parent, step, the call's position); the third call of the
      // step is past the lead's fan-out limit (2 at once) and never started.
      const ids = [`${runId}:sub1.1`, `${runId}:sub1.2`];
      expect(result.children?.map((c) => [c.runId, c.agent, c.state])).toEqual(
        ids.map((id) => [id, 'researcher', 'answer']),
      );
      const children = await Promise.all(ids.map((id) => bosun.getHandle(id).result()));
      for (const c of children) expect(c.outcome).toMatchObject({ kind: 'answer' });

      // Exactly rolled up: the parent's totals are its own calls plus its children's results.
      const mine = own(result);
      expect(result.usage).toEqual(sumUsage([mine.usage, ...children.map((c) => c.usage)]));
      expect(result.costUsd).toBeCloseTo(mine.costUsd + children[0]!.costUsd + children[1]!.costUsd, 12);
      expect(result.costUsd).toBeGreaterThan(mine.costUsd);
      expect(result.delegated).toMatchObject({
        runs: 2,
        steps: children[0]!.steps + children[1]!.steps,
        toolCalls: children[0]!.toolCalls + children[1]!.toolCalls,
        unaccounted: 0,
      });

      // The model got the children's typed outcomes in call order, the refusal last.
      const second = fake.requests.find((r) => agentOf(bodyOf(r)) === 'lead' && toolTurns(bodyOf(r)).length === 3)!;
      const reports = toolTurns(bodyOf(second)).map((m) => JSON.parse(m.content!));
      expect(reports[0]).toMatchObject({
        status: 'answer',
        agent: 'researcher',
        runId: ids[0],
        answer: 'R: Add 2 and 3 [quick]',
      });
      expect(reports[1]).toMatchObject({ status: 'answer', runId: ids[1] });
      expect(reports[2]).toMatchObject({ status: 'refused', reason: 'fan_out_limit' });
      // Structured input reached the child with its task.
      const child2First = fake.requests.find(
        (r) => agentOf(bodyOf(r)) === 'researcher' && taskOf(bodyOf(r)).includes('Add 4'),
      )!;
      expect(taskOf(bodyOf(child2First))).toContain('"a": 4');

      // Below the lead's depth limit (1) a child may not delegate again: a typed refusal.
      const childSecond = fake.requests.find(
        (r) => agentOf(bodyOf(r)) === 'researcher' && toolTurns(bodyOf(r)).length === 2,
      )!;
      expect(JSON.parse(toolTurns(bodyOf(childSecond))[0]!.content!)).toMatchObject({
        status: 'refused',
        reason: 'depth_limit',
      });

      // The children ran side by side; Temporal knows them as the parent's, with Bosun's
      // search attributes (tenant and agent) on both.
      const described = await Promise.all(ids.map((id) => temporal.workflow.getHandle(id).describe()));
      expect(described[1]!.startTime.getTime()).toBeLessThan(described[0]!.closeTime!.getTime());
      expect(described[0]!.startTime.getTime()).toBeLessThan(described[1]!.closeTime!.getTime());
      for (const d of described) {
        expect(d.parentExecution?.workflowId).toBe(runId);
        expect(d.typedSearchAttributes.get(searchAttributes.tenant)).toBe('acme');
        expect(d.typedSearchAttributes.get(searchAttributes.agent)).toBe('researcher');
      }
      // Each child knows its parent; the parent's status lists its children.
      const childStatus = await bosun.getHandle(ids[0]!).status();
      expect(childStatus.parent).toMatchObject({ runId, agent: 'lead', step: 1, rootRunId: runId, depth: 1 });
      const status = await bosun.getHandle(runId).status();
      expect(status.children).toHaveLength(2);
      // The audit says what was delegated, with which scopes and budget.
      expect(result.audit.filter((a) => a.event === 'sub_agent_started')).toHaveLength(2);
      expect(result.audit.find((a) => a.event === 'sub_agent_refused')?.reason).toMatch(/at most 2 delegation/);
      // The trace shows the tree: each delegation with its child's own trace (model calls and
      // the child's refused delegation), the refused one with its decisions only.
      const trace = await bosun.getHandle(runId).trace();
      const delegations = trace.steps.find((s) => s.step === 1)!.toolCalls;
      expect(delegations.map((t) => [t.tool, t.subAgent?.runId, t.subAgent?.state])).toEqual([
        ['ask_researcher', ids[0], 'answer'],
        ['ask_researcher', ids[1], 'answer'],
        ['ask_researcher', undefined, undefined],
      ]);
      const childTrace = delegations[0]!.subAgent!.trace!;
      expect(childTrace.steps.flatMap((s) => s.modelCalls)).toHaveLength(2);
      expect(childTrace.steps[0]!.toolCalls.map((t) => t.tool).sort()).toEqual(['ask_researcher', 'calculator']);
      expect(delegations[2]!.decisions.map((d) => d.event)).toEqual(['tool_allowed', 'sub_agent_refused']);
      expect(formatTrace(trace)).toContain(
        `    sub-agent researcher · run ${ids[0]} · answer\n      run ${ids[0]}\n      step 1`,
      );
      await maybeRecordHistory(temporal, runId, 'sub-agents/parent-with-children');
      await maybeRecordHistory(temporal, ids[0]!, 'sub-agents/child');
    });
  }, 60_000);

  it('gives a child a budget carved from the parent’s and tells the parent’s model when the child exhausts it', async () => {
    await withFixture(async ({ bosun, fake }) => {
      // The lead has 20 steps; after its first, 19 are left: one delegation gets half (9).
      const result = await bosun.run({ agent: 'lead', task: 'Count [exhaust]', principal });
      const child = await bosun.getHandle(`${result.runId}:sub1.1`).result();
      expect(child.outcome).toMatchObject({ kind: 'budget_exhausted', budget: 'steps', limit: 9 });
      expect(child.steps).toBe(9);
      const last = fake.requests.at(-1)!;
      expect(agentOf(bodyOf(last))).toBe('lead');
      expect(JSON.parse(toolTurns(bodyOf(last))[0]!.content!)).toMatchObject({
        status: 'budget_exhausted',
        budget: 'steps',
        limit: 9,
      });
      expect(result.outcome).toMatchObject({ kind: 'answer', text: 'It ran out.' });
      // The child's steps count against the parent's budget: 2 own + 9 delegated.
      expect(result.delegated).toMatchObject({ runs: 1, steps: 9, toolCalls: child.toolCalls });
      expect(result.steps).toBe(2);
      expect(result.usage).toEqual(addUsage(own(result).usage, child.usage));
    });
  }, 60_000);

  it('narrows the child’s principal: a tool the parent may use is not the child’s', async () => {
    await withFixture(async ({ bosun, fake, stateDir }) => {
      const result = await bosun.run({ agent: 'lead', task: 'Have the clerk file it [narrow]', principal });
      // The lead is offered file_claim (it has claims:write) and the delegates as tools…
      const leadFirst = bodyOf(fake.requests[0]!);
      expect(offered(leadFirst)).toEqual(
        expect.arrayContaining(['file_claim', 'ask_researcher', 'ask_clerk', 'ask_claims_clerk']),
      );
      // …its clerk delegate acts with claims:read only: not offered, and refused when asked for.
      const clerkFirst = fake.requests.map(bodyOf).find((b) => agentOf(b) === 'clerk')!;
      expect(offered(clerkFirst)).not.toContain('file_claim');
      const child = await bosun.getHandle(`${result.runId}:sub1.1`).result();
      expect(child.audit.find((a) => a.event === 'tool_denied')).toMatchObject({ tool: 'file_claim', by: 'policy' });
      expect(existsSync(claimsLog(stateDir))).toBe(false);
      expect(result.outcome).toMatchObject({ kind: 'answer', text: 'Not filed.' });
    });
  }, 60_000);

  it('shows a sub-agent’s escalation in the same inbox, linked to its parent, and goes on once a human answers', async () => {
    await withFixture(async ({ bosun, fake }) => {
      const run = await bosun.start({ agent: 'lead', task: 'Route this [legal]', principal });
      const childId = `${run.runId}:sub1.1`;
      const escalation = await eventually(async () =>
        (await bosun.inbox()).escalations.find((e) => e.runId === childId),
      );
      expect(escalation).toMatchObject({
        reason: 'policy_sensitive',
        agent: 'clerk',
        parent: { runId: run.runId, agent: 'lead', step: 1, rootRunId: run.runId, depth: 1 },
      });
      await bosun.getHandle(childId).answer(escalation.id, { id: 'ann', groups: [] }, 'Legal will call them today.');
      const result = await run.result();
      expect(result.outcome).toMatchObject({ kind: 'answer', text: 'Legal has it.' });
      const report = JSON.parse(toolTurns(bodyOf(fake.requests.at(-1)!))[0]!.content!);
      expect(report).toMatchObject({ status: 'answer', runId: childId, answer: 'Legal will call them today.' });
    });
  }, 60_000);

  it('keeps a per-run threshold across sub-agents: siblings that tally run in turn and see what the tree did', async () => {
    await withFixture(async ({ bosun, stateDir, temporal }) => {
      const run = await bosun.start({ agent: 'lead', task: 'Make it right [credits]', principal });
      const [first, second] = [`${run.runId}:sub1.1`, `${run.runId}:sub1.2`];
      // $15 + $15 passes the $20 threshold: the second cashier, which saw the first's credit,
      // asks a human; split across two sub-agents it would have asked neither.
      const approval = await eventually(async () => (await bosun.pendingApprovals()).find((a) => a.runId === second));
      expect(approval).toMatchObject({ tool: 'issue_credit', reason: 'credits over $20 in this run' });
      await bosun.getHandle(second).reject(approval.id, { id: 'ann', groups: [] }, 'one credit is enough');
      const result = await run.result();
      expect(result.outcome).toMatchObject({ kind: 'answer', text: 'Credited.' });
      expect(readFileSync(creditsLog(stateDir), 'utf8').trim().split('\n')).toEqual(['cus_1 1500']);
      // One after the other, and the parent now knows what its tree credited.
      const [a, b] = await Promise.all([first, second].map((id) => temporal.workflow.getHandle(id).describe()));
      expect(b!.startTime.getTime()).toBeGreaterThanOrEqual(a!.closeTime!.getTime());
      const firstResult = await bosun.getHandle(first).result();
      // (It inherited the parent's own effects, the delegation calls among them.)
      expect(firstResult.effects).toMatchObject({ issue_credit: { calls: 1, totals: { creditedCents: 1_500 } } });
    });
  }, 60_000);

  it('refuses a parent link the run was not started with by that parent', async () => {
    await withFixture(async ({ temporal, taskQueue }) => {
      // Started straight through Temporal (the client refuses `parent`), claiming a parent.
      const forged = {
        runId: 'someone-else',
        agent: 'lead',
        step: 1,
        callId: 'c1',
        rootRunId: 'someone-else',
        depth: 1,
        depthLeft: 8,
        budget: { maxSteps: 100 },
      };
      const handle = await temporal.workflow.start('agentRun', {
        taskQueue,
        workflowId: uniqueName('forged'),
        args: [{ agent: 'researcher', task: 'hi', parent: forged }],
      });
      const err = await handle.result().catch((e: unknown) => e as { cause?: { type?: string; message?: string } });
      expect(err).toMatchObject({
        cause: { type: 'invalid_input', message: expect.stringMatching(/parent: only run someone-else may start/) },
      });
    });
  }, 60_000);

  it('cancels a child waiting for approval with its parent; nothing executes after the cancellation', async () => {
    await withFixture(async ({ bosun, temporal, stateDir }) => {
      const run = await bosun.start({ agent: 'lead', task: 'File the claim [approval]', principal });
      const childId = `${run.runId}:sub1.1`;
      // The child's approval shows in the same inbox, linked to its parent.
      const approval = await eventually(async () => {
        const inbox = await bosun.pendingApprovals();
        return inbox.find((a) => a.runId === childId);
      });
      expect(approval).toMatchObject({ tool: 'file_claim' });
      expect(approval.context?.parent).toMatchObject({ runId: run.runId, agent: 'lead', step: 1 });
      expect((await run.status()).pending).toEqual([
        expect.objectContaining({ kind: 'sub_agent', runId: childId, agent: 'clerk' }),
      ]);

      await run.cancel();
      const result = await run.result();
      expect(result.outcome).toMatchObject({ kind: 'stopped', reason: 'cancelled' });
      expect(result.children).toMatchObject([{ runId: childId, state: 'cancelled' }]);
      expect(result.delegated).toMatchObject({ unaccounted: 1, held: { steps: expect.any(Number) } });
      const child = temporal.workflow.getHandle(childId);
      await eventually(async () => ((await child.describe()).status.name === 'CANCELLED' ? true : undefined));
      // An approval after the cancellation changes nothing: refused, and no claim is filed.
      await expect(bosun.getHandle(childId).approve(approval.id, { id: 'ann', groups: [] })).rejects.toThrow();
      const childResult = await bosun.getHandle(childId).result();
      expect(childResult.outcome).toMatchObject({ kind: 'stopped', reason: 'cancelled' });
      expect(childResult.audit.map((a) => a.event)).toContain('cancelled');
      expect(existsSync(claimsLog(stateDir))).toBe(false);
    });
  }, 60_000);
});

describe('sub-agents across crashes and continue-as-new', () => {
  it('finishes a parent and its child after the worker is SIGKILLed mid-child, and counts the child once', async () => {
    const fake = await startFakeOpenAI({ handler: model });
    const stateDir = tempDir('bosun-sub-crash-');
    const taskQueue = uniqueName('sub-crash');
    const env = {
      BOSUN_TASK_QUEUE: taskQueue,
      BOSUN_STATE_DIR: stateDir,
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: 'sk-test',
      BOSUN_APP: new URL('../fixtures/sub-agents/app.ts', import.meta.url).pathname,
    };
    const where = { address: h.address, workflowBundlePath: bundlePath };
    let worker = await startWorkerProcess(where, env);
    try {
      const bosun = createBosunClient({ client: h.temporal, taskQueue, catalog });
      const run = await bosun.start({ agent: 'lead', task: 'Add slowly [crash]', principal });
      const childId = `${run.runId}:sub1.1`;
      // The child's first model call is under way (the fake holds it for 3 s): crash now.
      await eventually(async () => (fake.requests.some((r) => agentOf(bodyOf(r)) === 'researcher') ? true : undefined));
      await worker.kill('SIGKILL');
      worker = await startWorkerProcess(where, env);
      const result = await run.result();
      expect(result.outcome).toMatchObject({ kind: 'answer', text: 'Done.' });
      const child = await bosun.getHandle(childId).result();
      expect(child.outcome).toMatchObject({ kind: 'answer', text: 'R: 2' });
      expect(result.delegated).toMatchObject({ runs: 1, steps: child.steps, unaccounted: 0 });
      expect(result.usage).toEqual(addUsage(own(result).usage, child.usage));
      // One child, started once.
      const listed: string[] = [];
      for await (const w of h.temporal.workflow.list({ query: `WorkflowId = "${childId}"` })) listed.push(w.runId);
      expect(listed).toHaveLength(1);
    } finally {
      await worker.kill();
      await fake.close();
    }
  }, 120_000);

  it('rolls children up exactly across continue-as-new of parent and child', async () => {
    await withFixture(async ({ bosun, temporal }) => {
      const lead = catalog.agent('lead')!;
      const runId = uniqueName('long');
      // The lead continues as new past 100 events (after the first child ended: never in a
      // step), the child past 100 of its own.
      const result = await bosun.run({
        agent: { ...lead, continueAsNewAfterEvents: 100, maxSteps: 100 },
        task: 'Count long [long]',
        runId,
        principal,
      });
      expect(result.outcome).toMatchObject({ kind: 'answer', text: 'Counted.' });
      const executions = async (id: string) => {
        const runs: string[] = [];
        for await (const w of temporal.workflow.list({ query: `WorkflowId = "${id}"` })) runs.push(w.status.name);
        return runs;
      };
      const first = `${runId}:sub1.1`;
      expect((await executions(runId)).filter((s) => s === 'CONTINUED_AS_NEW').length).toBeGreaterThanOrEqual(1);
      expect((await executions(first)).filter((s) => s === 'CONTINUED_AS_NEW').length).toBeGreaterThanOrEqual(1);
      const children = result.children!;
      expect(children.map((c) => [c.step, c.state])).toEqual([
        [1, 'answer'],
        [15, 'answer'],
      ]);
      const results = await Promise.all(children.map((c) => bosun.getHandle(c.runId).result()));
      expect(results[0]!.outcome).toMatchObject({ kind: 'answer', text: 'R: twenty' });
      expect(results[0]!.steps).toBe(21);
      expect(result.delegated).toMatchObject({
        runs: 2,
        steps: results[0]!.steps + results[1]!.steps,
        toolCalls: results[0]!.toolCalls + results[1]!.toolCalls,
      });
      // Usage: every call of the lead (its result keeps the last 20 of them, all here) plus
      // both children's, across both sides' continuations.
      expect(result.modelCalls).toBe(16);
      expect(result.usage).toEqual(sumUsage([own(result).usage, ...results.map((r) => r.usage)]));
    });
  }, 120_000);
});

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}
