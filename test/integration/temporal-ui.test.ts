import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBosunClient } from '../../client/client.ts';
import { createBosunWorker } from '../../worker/create-worker.ts';
import { demoApp } from '../../examples/demo/app.ts';
import {
  dynamicConfigArgs,
  responsiveDevServerConfig,
  startDevServer,
  type DevServer,
} from '../../worker/dev-server.ts';
import { findOrInstallChromium } from '../helpers/chromium.ts';
import { fakeConfig, openaiModel, quietRuntime, testAgent, uniqueName } from '../helpers/harness.ts';
import { startFakeOpenAI, type FakeProviderServer } from '../kit/index.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** Screenshots are kept as test artifacts. */
const artifacts = resolve('test-results/ui');

const freePort = () =>
  new Promise<number>((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });

let server: DevServer;
let browser: Browser;
let fake: FakeProviderServer;
let uiPort: number;

beforeAll(async () => {
  quietRuntime();
  mkdirSync(artifacts, { recursive: true });
  uiPort = await freePort();
  const [executablePath, started] = await Promise.all([
    findOrInstallChromium((l) => console.log(l)),
    startDevServer({ stateDir: resolve('.bosun'), uiPort, extraArgs: dynamicConfigArgs(responsiveDevServerConfig) }),
  ]);
  server = started;
  browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
  fake = await startFakeOpenAI();
}, 900_000);
afterAll(async () => {
  await browser?.close();
  await fake?.close();
  await server?.stop();
});

/** Runs `fn` while a worker with the demo's app serves a fresh task queue on this file's
 * dev server. */
async function withUiWorker(fn: (bosun: ReturnType<typeof createBosunClient>) => Promise<void>): Promise<void> {
  const config = { ...fakeConfig({ openai: fake }), BOSUN_STATE_DIR: tempDir('bosun-ui-') };
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  try {
    const worker = await createBosunWorker({
      connection: nativeConnection,
      config,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      ...demoApp(),
    });
    const bosun = createBosunClient({ client: new Client({ connection }), taskQueue: config.BOSUN_TASK_QUEUE });
    await worker.runUntil(fn(bosun));
  } finally {
    await connection.close();
    await nativeConnection.close();
  }
}

describe('the Temporal UI shows a run without opening a payload', () => {
  it('a finished run and a run waiting for approval: status, cost and the pending approval', async () => {
    await withUiWorker(async (bosun) => {
      fake.push({ kind: 'text', text: 'The refund is $33.12.', usage: { input: 1_200, output: 40 } });
      const done = await bosun.run({ agent: testAgent(openaiModel), task: 'refund?', runId: uniqueName('ui-done') });
      fake.push({
        kind: 'tool_calls',
        calls: [{ name: 'refund_order', args: { orderId: 'ord_101', amountCents: 5_000, reason: 'damaged' } }],
        usage: { input: 900, output: 30 },
      });
      const waiting = await bosun.start({
        agent: testAgent(openaiModel, { tools: ['refund_order'] }),
        task: 'refund ord_101',
        runId: uniqueName('ui-waiting'),
        principal: { tenant: 't', user: 'alice', scopes: ['orders:write'], roles: ['support_agent'] },
      });
      await expect.poll(async () => (await waiting.status()).pendingApprovals.length, { timeout: 15_000 }).toBe(1);

      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      /** The run's page, then its "User Metadata" tab (current details, which the run keeps
       * up to date) and its "Search Attributes" tab. */
      const open = async (runId: string, shot: string) => {
        await page.goto(`http://127.0.0.1:${uiPort}/namespaces/default/workflows/${runId}`, {
          waitUntil: 'domcontentloaded',
        });
        await page.getByText(runId).first().waitFor({ timeout: 30_000 });
        const header = await page.locator('body').innerText();
        await page
          .getByRole('tab', { name: 'User Metadata' })
          .or(page.getByText('User Metadata', { exact: true }))
          .first()
          .click();
        // The UI renders the markdown in a sandboxed frame: read every frame.
        let details = '';
        await expect
          .poll(
            async () =>
              (details = (
                await Promise.all(
                  page.frames().map((f) =>
                    f
                      .locator('body')
                      .innerText()
                      .catch(() => ''),
                  ),
                )
              ).join('\n')),
            { timeout: 30_000 },
          )
          .toContain('Bosun run');
        await page.screenshot({ path: join(artifacts, `${shot}-details.png`), fullPage: true });
        await page
          .getByRole('tab', { name: 'Search Attributes' })
          .or(page.getByText('Search Attributes', { exact: true }))
          .first()
          .click();
        await page.getByText('BosunCostUsd').first().waitFor({ timeout: 30_000 });
        await page.screenshot({ path: join(artifacts, `${shot}-search-attributes.png`), fullPage: true });
        const attributes = await page.locator('body').innerText();
        return `${header}\n${details}\n${attributes}`;
      };

      const doneText = await open(done.runId, 'finished-run');
      expect(doneText).toMatch(/Completed/i);
      expect(doneText).toContain(`cost $${done.costUsd.toFixed(6)}`);
      expect(doneText).toMatch(/"BosunStatus":\s*"completed"/);
      expect(doneText).toMatch(new RegExp(`"BosunCostUsd":\\s*${done.costUsd}`));

      const waitingText = await open(waiting.runId, 'run-waiting-for-approval');
      expect(waitingText).toMatch(/Running/i);
      expect(waitingText).toContain('waiting for approval');
      expect(waitingText).toContain('Pending approvals');
      expect(waitingText).toMatch(/refund_order\s*—\s*refund over \$20\.00/);
      expect(waitingText).toMatch(/"BosunPendingApprovals":\s*1/);
      expect(waitingText).toMatch(/"BosunStatus":\s*"waiting_for_approval"/);

      // The list filter an operator uses for "runs waiting for approval".
      await page.goto(
        `http://127.0.0.1:${uiPort}/namespaces/default/workflows?query=${encodeURIComponent('BosunPendingApprovals > 0')}`,
        { waitUntil: 'domcontentloaded' },
      );
      await page.getByText(waiting.runId).first().waitFor({ timeout: 30_000 });
      await page.screenshot({ path: join(artifacts, 'approval-inbox-filter.png'), fullPage: true });
      expect(await page.locator('body').innerText()).not.toContain(done.runId);
      await waiting.cancel();
      await waiting.result();
    });
  }, 180_000);

  it('a sub-agent: the child names its parent and carries Bosun’s search attributes; the parent links its child', async () => {
    await withUiWorker(async (bosun) => {
      // An inline parent that delegates to the demo catalog's support agent.
      fake.push(
        { kind: 'tool_calls', calls: [{ name: 'ask_support', args: { task: 'What is the refund window?' } }] },
        { kind: 'text', text: 'Thirty days.', usage: { input: 300, output: 10 } },
        { kind: 'text', text: 'Support says thirty days.', usage: { input: 500, output: 10 } },
      );
      const parent = await bosun.run({
        agent: testAgent(openaiModel, { delegates: ['support'] }),
        task: 'refund window?',
        runId: uniqueName('ui-parent'),
        principal: { tenant: 'ui-tenant', user: 'alice', scopes: [], roles: [] },
      });
      expect(parent.outcome).toMatchObject({ kind: 'answer', text: 'Support says thirty days.' });
      const childId = `${parent.runId}:sub1.1`;
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const href = (id: string) => `a[href*="/workflows/${encodeURIComponent(id)}/"]`;

      await page.goto(`http://127.0.0.1:${uiPort}/namespaces/default/workflows/${encodeURIComponent(childId)}`, {
        waitUntil: 'domcontentloaded',
      });
      await page.getByText(childId).first().waitFor({ timeout: 30_000 });
      await page.locator(href(parent.runId)).first().waitFor({ timeout: 30_000 });
      await page.screenshot({ path: join(artifacts, 'sub-agent-child.png'), fullPage: true });
      await page
        .getByRole('tab', { name: 'Search Attributes' })
        .or(page.getByText('Search Attributes', { exact: true }))
        .first()
        .click();
      await page.getByText('BosunTenant').first().waitFor({ timeout: 30_000 });
      const attributes = await page.locator('body').innerText();
      expect(attributes).toMatch(/"BosunTenant":\s*"ui-tenant"/);
      expect(attributes).toMatch(/"BosunAgent":\s*"support"/);
      expect(attributes).toMatch(/"BosunStatus":\s*"completed"/);

      await page.goto(`http://127.0.0.1:${uiPort}/namespaces/default/workflows/${encodeURIComponent(parent.runId)}`, {
        waitUntil: 'domcontentloaded',
      });
      await page.getByText(parent.runId).first().waitFor({ timeout: 30_000 });
      // The parent's "Relationships" tab lists its child, linked.
      await page
        .getByRole('tab', { name: /Relationships/ })
        .or(page.getByText('Relationships', { exact: true }))
        .first()
        .click();
      await page.locator(href(childId)).first().waitFor({ timeout: 30_000 });
      await page.screenshot({ path: join(artifacts, 'sub-agent-parent.png'), fullPage: true });
    });
  }, 180_000);
});
