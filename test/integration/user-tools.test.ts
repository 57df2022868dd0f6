import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBosunClient } from '../../client/client.ts';
import { RunInputError } from '../../client/errors.ts';
import { toolFingerprint, toolsetFingerprint } from '../../tools/fingerprint.ts';
import { bundleWorkflows } from '../../worker/bundle.ts';
import { WorkerSetupError } from '../../worker/catalog-wiring.ts';
import { createBosunWorker, type BosunWorkerOptions } from '../../worker/create-worker.ts';
import { startFakeOpenAI, type FakeProviderServer } from '../kit/index.ts';
import { fakeConfig, uniqueName, useHarness } from '../helpers/harness.ts';
import catalog, { shippingEta, upgradeShipping } from '../fixtures/shipping/catalog.ts';
import type { ToolHandlers } from '../../tools/handlers/types.ts';

const h = useHarness();
const catalogModule = new URL('../fixtures/shipping/catalog.ts', import.meta.url);
const principal = { tenant: 'shop', user: 'sam', scopes: ['shipping:read'], roles: [] };
let bundle: { code: string };

/** The user's handlers, typed against their catalog. */
const upgrades: string[] = [];
const handlers: ToolHandlers<typeof catalog> = {
  shipping_eta: async ({ orderId }) => ({ orderId, days: orderId === 'ord_7' ? 2 : 5 }),
  upgrade_shipping: async ({ orderId, speed }, ctx) => {
    upgrades.push(`${orderId}:${speed}:${ctx.idempotencyKey}`);
    return `upgraded ${orderId} to ${speed}`;
  },
};

// A tool without a handler does not compile: the catalog's names are the handler map's keys.
// @ts-expect-error upgrade_shipping has a contract but no handler
const _missing: ToolHandlers<typeof catalog> = { shipping_eta: handlers.shipping_eta };
// @ts-expect-error a handler for a tool the catalog does not define
const _extra: ToolHandlers<typeof catalog> = { ...handlers, teleport: async () => 'ok' };

beforeAll(async () => {
  // Built once for the file, as a deployment would: the catalog module is part of the bundle.
  bundle = await bundleWorkflows({ catalogModule });
}, 120_000);

async function withShippingWorker<T>(
  fake: FakeProviderServer,
  fn: (bosun: ReturnType<typeof createBosunClient>) => Promise<T>,
) {
  const config = fakeConfig({ openai: fake }, uniqueName('user-tools'));
  const worker = await createBosunWorker({
    connection: h.nativeConnection,
    config,
    workflowBundle: bundle,
    catalog,
    catalogModule,
    handlers,
  });
  return worker.runUntil(fn(createBosunClient({ client: h.temporal, taskQueue: config.BOSUN_TASK_QUEUE })));
}

describe('tools and agents of a user’s own, from their own files', () => {
  it('runs a named agent that calls a tool defined outside Bosun, validating and authorizing it in the workflow', async () => {
    const fake = await startFakeOpenAI({
      script: [
        { kind: 'tool_calls', calls: [{ name: 'shipping_eta', args: { orderId: 'bad id' } }] },
        { kind: 'tool_calls', calls: [{ name: 'shipping_eta', args: { orderId: 'ord_7' } }] },
        { kind: 'text', text: 'Your order arrives in 2 days.' },
      ],
    });
    try {
      await withShippingWorker(fake, async (bosun) => {
        const result = await bosun.run({ agent: 'shipper', task: 'When does ord_7 arrive?', principal });
        expect(result.outcome).toEqual({ kind: 'answer', text: 'Your order arrives in 2 days.', truncated: false });
        expect(result).toMatchObject({ agent: 'shipper', steps: 3, toolCalls: 1 });
        // The model was offered the user's tools with their JSON Schema (the principal may
        // use all three), saw the schema error for the bad id, and got the handler's result.
        const offered = (fake.requests[0]!.body as { tools: { function: { name: string; parameters: unknown } }[] })
          .tools;
        expect(offered.map((t) => t.function.name)).toEqual(['shipping_eta', 'upgrade_shipping', 'calculator']);
        expect(JSON.stringify(fake.requests[1]!.body)).toContain('Invalid arguments for tool \\"shipping_eta\\"');
        const toolTurns = (fake.requests[2]!.body as { messages: { role: string; content: string }[] }).messages.filter(
          (m) => m.role === 'tool',
        );
        expect(JSON.parse(toolTurns.at(-1)!.content)).toEqual({ orderId: 'ord_7', days: 2 });
        // Tool versions pinned at start; every call records the set it offered.
        const pins = {
          shipping_eta: toolFingerprint(shippingEta),
          upgrade_shipping: toolFingerprint(upgradeShipping),
          calculator: result.tools!.calculator!,
        };
        expect(result.tools).toEqual(pins);
        expect(result.calls.map((c) => c.tools)).toEqual([1, 2, 3].map(() => toolsetFingerprint(pins)));
      });
    } finally {
      await fake.close();
    }
  });

  it('asks a human where the user’s approval policy says so, and runs the handler once approved', async () => {
    const fake = await startFakeOpenAI({
      script: [
        { kind: 'tool_calls', calls: [{ name: 'upgrade_shipping', args: { orderId: 'ord_9', speed: 'express' } }] },
        { kind: 'text', text: 'Upgraded.' },
      ],
    });
    try {
      await withShippingWorker(fake, async (bosun) => {
        const run = await bosun.start({
          agent: 'shipper',
          task: 'Make ord_9 express',
          principal,
          runId: uniqueName('upgrade'),
        });
        let pending = (await run.status()).pendingApprovals;
        for (let i = 0; i < 100 && pending.length === 0; i++) {
          await new Promise((r) => setTimeout(r, 100));
          pending = (await run.status()).pendingApprovals;
        }
        expect(pending).toMatchObject([
          {
            tool: 'upgrade_shipping',
            reason: 'express costs the shop $15',
            input: { orderId: 'ord_9', speed: 'express' },
          },
        ]);
        expect(upgrades.filter((u) => u.startsWith('ord_9'))).toEqual([]);
        await run.approve(pending[0]!.id, { id: 'alice', groups: [] });
        const result = await run.result();
        expect(result.outcome).toMatchObject({ kind: 'answer', text: 'Upgraded.' });
        expect(upgrades.filter((u) => u.startsWith('ord_9'))).toEqual([
          `ord_9:express:${run.runId}:${pending[0]!.callId}`,
        ]);
      });
    } finally {
      await fake.close();
    }
  });

  it('refuses an unknown agent name: in the client when it knows the catalog, in the run when it does not', async () => {
    const fake = await startFakeOpenAI({ script: [] });
    try {
      await withShippingWorker(fake, async (bosun) => {
        const result = await bosun.run({ agent: 'shiper', task: 'x' });
        expect(result.outcome).toEqual({
          kind: 'failed',
          failure: expect.objectContaining({
            type: 'invalid_input',
            message: 'unknown agent "shiper": this worker\'s catalog defines shipper',
          }),
        });
        const checked = createBosunClient({ client: h.temporal, taskQueue: 'unused', catalog });
        await expect(checked.start({ agent: 'shiper', task: 'x' })).rejects.toThrow(RunInputError);
        await expect(checked.start({ agent: 'shiper', task: 'x' })).rejects.toThrow(
          'agent: unknown agent "shiper" (the catalog defines: shipper)',
        );
        expect(fake.requests).toHaveLength(0);
      });
    } finally {
      await fake.close();
    }
  });
});

describe('a worker refuses to start half-configured', () => {
  const start = (opts: Partial<BosunWorkerOptions<typeof catalog>>) =>
    createBosunWorker({
      connection: h.nativeConnection,
      config: fakeConfig({}, uniqueName('setup')),
      workflowBundle: bundle,
      ...opts,
    } as BosunWorkerOptions<typeof catalog>);

  it('names a tool without a handler and a handler without a tool', async () => {
    const wrong = { shipping_eta: handlers.shipping_eta, teleport: async () => 'ok' } as unknown as ToolHandlers<
      typeof catalog
    >;
    const err = await start({ catalog, catalogModule, handlers: wrong }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerSetupError);
    expect((err as WorkerSetupError).problems).toEqual([
      'handler "teleport" has no tool contract in the catalog: add its contract to defineCatalog({ tools }) or remove the handler',
      'tool "upgrade_shipping" has a contract but no handler: add handlers.upgrade_shipping',
    ]);
  });

  it('refuses a catalog module that exports another catalog, or a catalog without its module', async () => {
    const other = fileURLToPath(new URL('../../examples/demo/catalog.ts', import.meta.url));
    const err = await start({ catalog, catalogModule: other, handlers }).catch((e: unknown) => e);
    expect((err as WorkerSetupError).problems).toEqual([
      expect.stringMatching(
        /^catalogModule .*examples\/demo\/catalog\.ts exports a different catalog from the one given as `catalog` \(tools .*lookup_order.*; agents differ\)/,
      ),
    ]);
    await expect(start({ catalog, handlers })).rejects.toThrow(/give both `catalog` and `catalogModule`/);
  });
});
