import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker } from '@temporalio/worker';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevAuth, type DevAuth } from '../../api/auth/dev-auth.ts';
import { startApiServer, type RunningApiServer } from '../../api/server.ts';
import { createBosunClient } from '../../client/client.ts';
import type { AuditEntry } from '../../core/approvals.ts';
import { demoApp } from '../../examples/demo/app.ts';
import demoCatalog from '../../examples/demo/catalog.ts';
import { auditQuery } from '../../workflows/definitions.ts';
import { createBosunWorker } from '../../worker/create-worker.ts';
import { findOrInstallChromium } from '../helpers/chromium.ts';
import { fakeConfig, useHarness } from '../helpers/harness.ts';
import { startFakeOpenAI, type FakeProviderServer } from '../kit/index.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * The web console in real Chromium, against the real HTTP API (development tokens), a real
 * worker and the shared dev server: approvers sign in with tokens and decide what their
 * tenant and group allow, nothing more.
 */

/** Screenshots are kept as test artifacts. */
const artifacts = resolve('test-results/console');
const consoleDir = fileURLToPath(new URL('../../api/console/', import.meta.url));
const temporalUiBase = 'http://127.0.0.1:8233';

const h = useHarness();
let browser: Browser;
let fake: FakeProviderServer;
let worker: Worker;
let working: Promise<void>;
let devAuth: DevAuth;
let api: RunningApiServer;
const tokenOf = (user: string) => devAuth.tokens.find((t) => t.user === user)!.token;

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  const stateDir = tempDir('bosun-console-');
  const executablePath = await findOrInstallChromium((l) => console.log(l));
  browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
  fake = await startFakeOpenAI();
  const config = { ...fakeConfig({ openai: fake }), BOSUN_STATE_DIR: stateDir };
  worker = await createBosunWorker({
    connection: h.nativeConnection,
    config,
    workflowBundle: { codePath: h.workflowBundlePath },
    ...demoApp(),
  });
  working = worker.run();
  const bosun = createBosunClient({ client: h.temporal, taskQueue: config.BOSUN_TASK_QUEUE, catalog: demoCatalog });
  devAuth = await startDevAuth({ stateDir });
  api = await startApiServer({ bosun, auth: devAuth.authenticator, consoleDir, catalog: demoCatalog, temporalUiBase });
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  worker?.shutdown();
  await working;
  await fake?.close();
});

/** The API as a service calls it (no browser), with `user`'s token. */
async function call(user: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${api.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${tokenOf(user)}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A fresh browser tab (its own sessionStorage) signed in by pasting `token`. */
async function signIn(token: string, shot?: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(`${api.url}/`);
  await page.getByLabel('Bearer token').fill(token);
  if (shot) await page.screenshot({ path: join(artifacts, `${shot}.png`), fullPage: true });
  await page.getByRole('button', { name: 'Sign in' }).click();
  return page;
}

const shoot = (page: Page, name: string) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });

describe('the web console', () => {
  it('approvers decide a refund within their tenant and group: context shown, an invalid edit refused inline, the edit approved and audited', async () => {
    const task = 'Refund order ord_101 in part: the USB-C cable arrived broken and the headphones are scratched.';
    fake.push({
      kind: 'tool_calls',
      calls: [
        {
          id: 'call_refund',
          name: 'refund_order',
          args: { orderId: 'ord_101', amountCents: 5_000, reason: 'damaged' },
        },
      ],
      usage: { input: 900, output: 30 },
    });
    fake.push({ kind: 'text', text: 'Refunded $30.00 to Grace Hopper.', usage: { input: 1_000, output: 20 } });
    const started = await call('alice', 'POST', '/runs', { agent: 'support', task });
    expect(started.status).toBe(201);
    const runId = started.body.runId as string;
    await expect
      .poll(async () => ((await call('alice', 'GET', '/approvals')).body.approvals as { runId: string }[]).length, {
        timeout: 30_000,
      })
      .toBeGreaterThan(0);

    // Alice (acme, group support) sees the refund with its context.
    const alice = await signIn(tokenOf('alice'), 'sign-in');
    await expect.poll(() => alice.locator('#signed-in-as').innerText()).toBe('alice · acme · support');
    const card = alice.getByRole('article', { name: `refund_order — approval for run ${runId}` });
    await card.waitFor({ timeout: 15_000 });
    const context = await card.innerText();
    expect(context).toContain(task);
    expect(context).toContain('alice (tenant acme)');
    expect(context).toContain('refund over $20.00');
    expect(context).toContain('"amountCents": 5000');
    expect(context).toMatch(/Deadline\s+in (3|4) h/);
    // The conversation so far, from the run's trace: the task, then the model asking.
    await expect
      .poll(() => card.getByRole('list', { name: 'Conversation so far' }).innerText())
      .toContain('Model asks for refund_order');
    await shoot(alice, 'inbox-pending-refund');

    // Bob (acme, support-leads) sees it but may not decide: disabled, with the reason; the API says 403.
    const bob = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await bob.goto(`${api.url}/#/sign-in?token=${tokenOf('bob')}`);
    const bobCard = bob.getByRole('article', { name: `refund_order — approval for run ${runId}` });
    await bobCard.waitFor({ timeout: 15_000 });
    expect(bob.url()).not.toContain('token=');
    await expect.poll(() => bobCard.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
    expect(await bobCard.getByRole('button', { name: 'Edit arguments…' }).isDisabled()).toBe(true);
    expect(await bobCard.innerText()).toContain(
      'You cannot decide this: only members of group "support" may, and you are in support-leads.',
    );
    await shoot(bob, 'other-group-cannot-decide');
    const approvalId = (
      (await call('bob', 'GET', '/approvals')).body.approvals as { runId: string; id: string; canDecide: boolean }[]
    ).find((a) => a.runId === runId)!;
    expect(approvalId.canDecide).toBe(false);
    const forbidden = await call('bob', 'POST', `/runs/${runId}/approvals/${approvalId.id}`, { decision: 'approve' });
    expect(forbidden.status).toBe(403);

    // Mallory (globex) does not see it at all.
    const mallory = await signIn(tokenOf('mallory'));
    await mallory.getByText('No approvals are waiting.').waitFor({ timeout: 15_000 });
    expect(await mallory.locator('main').innerText()).not.toContain(runId);
    await shoot(mallory, 'other-tenant-sees-nothing');
    const malloryList = (await call('mallory', 'GET', '/approvals')).body.approvals as { runId: string }[];
    expect(malloryList.map((a) => a.runId)).not.toContain(runId);

    // Alice edits the amount: an invalid one is refused next to the field.
    await card.getByRole('button', { name: 'Edit arguments…' }).click();
    const amount = card.getByLabel('amountCents');
    await amount.fill('-500');
    await card.getByRole('button', { name: 'Approve with these arguments' }).click();
    const amountError = card.locator('[id$="-arg-amountCents-error"]');
    await expect.poll(() => amountError.innerText(), { timeout: 15_000 }).toMatch(/too small|>0|positive/i);
    expect(await amount.getAttribute('aria-invalid')).toBe('true');
    expect(await card.getByRole('alert').filter({ hasText: '422' }).innerText()).toContain('422 Invalid input');
    await shoot(alice, 'edit-invalid-amount');

    // ... then a valid one, approved.
    await amount.fill('3000');
    await card.getByRole('button', { name: 'Approve with these arguments' }).click();
    await card.getByText('Approved with your edit. The run continues.').waitFor({ timeout: 15_000 });
    await shoot(alice, 'edit-approved');

    // The run completes, and its audit names the verified approver.
    const handle = h.temporal.workflow.getHandle(runId);
    const result = (await handle.result()) as { outcome: { kind: string } };
    expect(result.outcome.kind).toBe('answer');
    const audit = await handle.query(auditQuery);
    const edited = audit.find((e: AuditEntry) => e.event === 'edited');
    expect(edited).toMatchObject({ by: 'human:alice', tool: 'refund_order' });
    expect(edited?.edit?.to).toMatchObject({ amountCents: 3_000 });
    await Promise.all([alice.close(), bob.close(), mallory.close()]);
  }, 180_000);

  it('an escalated run is answered from the inbox, and the answer is the run’s, by the verified user', async () => {
    fake.push({ kind: 'text', text: '' }, { kind: 'text', text: '   ' });
    const started = await call('alice', 'POST', '/runs', { agent: 'support', task: 'Is ord_102 refundable?' });
    const runId = started.body.runId as string;
    const page = await signIn(tokenOf('alice'));
    const card = page.getByRole('article', { name: `Escalation for run ${runId}` });
    await card.waitFor({ timeout: 30_000 });
    expect(await card.innerText()).toContain('the model answered with nothing, twice');
    await card.getByRole('button', { name: 'Answer…' }).click();
    await card.getByLabel("Your answer (sent as the run's answer)").fill('Yes: ord_102 is paid and can be refunded.');
    await shoot(page, 'escalation-answer');
    await card.getByRole('button', { name: 'Send answer' }).click();
    await card.getByText('Answered.').waitFor({ timeout: 15_000 });
    const handle = h.temporal.workflow.getHandle(runId);
    const result = (await handle.result()) as { outcome: { kind: string; text?: string }; answeredBy?: string };
    expect(result.outcome).toMatchObject({ kind: 'answer', text: 'Yes: ord_102 is paid and can be refunded.' });
    const audit = await handle.query(auditQuery);
    expect(audit.find((e: AuditEntry) => e.event === 'escalation_resolved')).toMatchObject({
      by: 'human:alice',
      reason: 'answer',
    });
    await page.close();
  }, 90_000);

  it('an expired or a tampered token is refused at sign-in with the API’s 401 message', async () => {
    const expired = await devAuth.issue(
      { user: 'alice', tenant: 'acme', groups: ['support'] },
      { expiresAt: Math.floor(Date.now() / 1000) - 60 },
    );
    const late = await signIn(expired);
    const lateAlert = late.getByRole('alert');
    await lateAlert.waitFor({ timeout: 15_000 });
    expect(await lateAlert.innerText()).toMatch(/^401 Unauthorized: .*expired/i);
    expect(await late.getByLabel('Bearer token').isVisible()).toBe(true);
    await shoot(late, 'sign-in-expired-token');

    const good = tokenOf('alice');
    const [head, payload, signature] = good.split('.');
    // The same signature over claims that now say another tenant.
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, tenant: 'globex' })).toString('base64url');
    const tampered = await signIn(`${head}.${forged}.${signature}`);
    const tamperedAlert = tampered.getByRole('alert');
    await tamperedAlert.waitFor({ timeout: 15_000 });
    expect(await tamperedAlert.innerText()).toMatch(/^401 Unauthorized: /);
    expect(await tampered.locator('#signed-in-as').count()).toBe(0);
    await shoot(tampered, 'sign-in-tampered-token');
    await Promise.all([late.close(), tampered.close()]);
  }, 60_000);

  it('the run page streams the answer as it is written, then shows the trace by step, tokens, cost and the Temporal UI link', async () => {
    const answer =
      'Order ord_101 was paid in full: $99.99 for the headphones and $10.01 for the cable. Nothing was refunded yet.';
    fake.push({
      kind: 'tool_calls',
      calls: [{ id: 'call_lookup', name: 'lookup_order', args: { orderId: 'ord_101' } }],
    });
    fake.push({
      kind: 'text',
      text: answer,
      usage: { input: 1_200, output: 40 },
      // Starts once the page is open, and takes a few seconds to write.
      stream: { chunkChars: 3, firstChunkDelayMs: 2_500, chunkDelayMs: 80 },
    });
    const page = await signIn(tokenOf('alice'));
    await page.locator('#signed-in-as').waitFor();
    const started = await call('alice', 'POST', '/runs', { agent: 'support', task: 'What did ord_101 cost?' });
    expect(started.status).toBe(201);
    const runId = started.body.runId as string;
    await page.goto(`${api.url}/#/runs/${runId}`);
    const live = page.getByRole('list', { name: 'Live events' });
    // Sample the streamed paragraph while the model writes: part of the answer appears first.
    const seen = new Set<string>();
    await expect
      .poll(
        async () => {
          const streams = await live.locator('.stream').allInnerTexts();
          for (const s of streams) if (s) seen.add(s);
          return live.innerText();
        },
        { timeout: 30_000, interval: 50 },
      )
      .toContain('Run ended: answer');
    // The end may have come between a poll's sampling and its read: sample the end state too.
    for (const s of await live.locator('.stream').allInnerTexts()) if (s) seen.add(s);
    expect([...seen].some((s) => s.length > 0 && s.length < answer.length && answer.startsWith(s))).toBe(true);
    expect([...seen]).toContain(answer);
    const liveText = await live.innerText();
    expect(liveText).toContain('tool lookup_order requested');
    expect(liveText).toMatch(/call 2 ok: 1200 in \/ 40 out tokens/);

    const trace = page.getByRole('region', { name: 'Trace by step' });
    await page.getByRole('region', { name: 'Step 2' }).waitFor({ timeout: 30_000 });
    const traceText = await trace.innerText();
    expect(traceText).toContain('Step 1');
    expect(traceText).toContain('Tool call lookup_order');
    // A read: it ran inside the model call that asked for it (an early result).
    expect(traceText).toMatch(/early, inside the model call: ok, \d+ ms/);
    expect(traceText).toContain(answer);
    const status = page.getByRole('definition').filter({ hasText: /in \/ .* out/ });
    expect(await status.first().innerText()).toMatch(/^\d+ in \/ \d+ out$/);
    expect(await page.getByRole('link', { name: 'Open in the Temporal UI' }).getAttribute('href')).toBe(
      `${temporalUiBase}/namespaces/default/workflows/${runId}`,
    );
    await shoot(page, 'run-page');

    // The runs list finds it by agent and status, and links to it.
    await page.goto(`${api.url}/#/runs`);
    await page.getByLabel('Status').selectOption('completed');
    await page.getByLabel('Agent').fill('support');
    // Visibility lags a little behind the run: apply until it lists it.
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Apply filters' }).click();
          await page
            .getByRole('status')
            .filter({ hasText: /\d+ runs?/ })
            .waitFor();
          return page.getByRole('link', { name: runId }).count();
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(1);
    expect(page.url()).toContain('#/runs?status=completed&agent=support');
    await shoot(page, 'runs-list');
    await page.close();
  }, 120_000);
});
