import { beforeAll, describe, expect, it } from 'vitest';
import { unpackCallModelInput, type CallModelWireInput } from '../../core/call-model-wire.ts';
import protoPkg from '@temporalio/proto';
import type { temporal as TemporalProto } from '@temporalio/proto';
import { createBosunClient } from '../../client/client.ts';
import type { ToolHandlers } from '../../tools/handlers/types.ts';
import { bundleWorkflows } from '../../worker/bundle.ts';
import { createBosunWorker } from '../../worker/create-worker.ts';
import { startFakeOpenAI } from '../kit/index.ts';
import { fakeConfig, openaiModel, testAgent, uniqueName, useHarness } from '../helpers/harness.ts';
import catalog from '../fixtures/footprint/catalog.ts';

/**
 * What a step leaves in Temporal history (issue 13): a read tool runs inside the model call
 * that asks for it (an early result: no event of its own), another local tool as a local
 * activity (one marker, no round trip), a large tool result stays in the run store, the tool
 * definitions travel once per run, and search attributes and memo are written when what
 * they show changes — not on every step.
 */
const { temporal } = protoPkg;
type HistoryEvent = TemporalProto.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;
const h = useHarness();
const catalogModule = new URL('../fixtures/footprint/catalog.ts', import.meta.url);
let bundle: { code: string };
const handlers: ToolHandlers<typeof catalog> = {
  blob: async ({ size, seq }) => `${seq}:`.padEnd(size, 'x'),
  blob_remote: async ({ size, seq }) => `${seq}:`.padEnd(size, 'x'),
  blob_local: async ({ size, seq }) => `${seq}:`.padEnd(size, 'x'),
};

beforeAll(async () => {
  bundle = await bundleWorkflows({ catalogModule });
}, 120_000);

const STEPS = 6;

/** Runs a STEPS-step agent whose every step calls `tool` for `size` characters. */
async function measure(tool: 'blob' | 'blob_remote' | 'blob_local', size: number) {
  const fake = await startFakeOpenAI();
  fake.setHandler((_req, i) =>
    i < STEPS
      ? { kind: 'tool_calls', calls: [{ name: tool, args: { size, seq: i } }] }
      : { kind: 'text', text: 'done' },
  );
  try {
    const config = fakeConfig({ openai: fake }, uniqueName('footprint'));
    const worker = await createBosunWorker({
      connection: h.nativeConnection,
      config,
      workflowBundle: bundle,
      catalog,
      catalogModule,
      handlers,
    });
    const bosun = createBosunClient({ client: h.temporal, taskQueue: config.BOSUN_TASK_QUEUE });
    const result = await worker.runUntil(
      bosun.run({ agent: testAgent(openaiModel, { tools: [tool], maxSteps: STEPS + 1 }), task: 'go' }),
    );
    expect(result.outcome.kind).toBe('answer');
    expect(result.toolCalls).toBe(STEPS);
    const history = await h.temporal.workflow.getHandle(result.runId).fetchHistory();
    const events: HistoryEvent[] = history.events ?? [];
    const HistoryMsg = temporal.api.history.v1.History;
    const size_ = (e: HistoryEvent) => HistoryMsg.encode({ events: [e] }).finish().length;
    const modelScheduled = events.flatMap((e, i) =>
      e.activityTaskScheduledEventAttributes?.activityType?.name === 'callModel' ? [i] : [],
    );
    // The steps between the first and the last model call: each is the same shape.
    const span = events.slice(modelScheduled[0], modelScheduled.at(-1));
    const count = (t: number) => events.filter((e) => e.eventType === t).length;
    const inputs = events
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'callModel')
      .map((e) =>
        JSON.parse(Buffer.from(e.activityTaskScheduledEventAttributes!.input!.payloads![0]!.data!).toString()),
      );
    const sentToModel = fake.requests.map((r) => JSON.stringify(r.body).length);
    return {
      bytesPerStep: span.reduce((sum, e) => sum + size_(e), 0) / STEPS,
      eventsPerStep: span.length / STEPS,
      markers: count(EventType.EVENT_TYPE_MARKER_RECORDED),
      scheduled: events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []),
      searchAttributeUpserts: count(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES),
      memoUpserts: count(EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED),
      // As the activity reads it (history leaves out an empty tool list).
      toolsSent: inputs.map((i: CallModelWireInput) => unpackCallModelInput(i).request.tools.length),
      lastRequest: fake.requests.at(-1)!.body as { messages: { role: string; content: string }[] },
      sentToModel,
      resultBytes: JSON.stringify(result).length,
    };
  } finally {
    await fake.close();
  }
}

describe('history footprint per step', () => {
  it('a read tool runs inside the model call; a 5 KB result costs history what a 20 B one does', async () => {
    const small = await measure('blob', 20);
    const large = await measure('blob', 5_000);

    // One model activity per step, whose result carries the tool's: no marker, no workflow
    // task of its own; the inline instructions are pinned in the workflow (no activity).
    for (const m of [small, large]) {
      expect(m.scheduled).toEqual(Array(STEPS + 1).fill('callModel'));
      expect(m.markers).toBe(0);
      expect(m.eventsPerStep).toBe(6);
      // The client set status and agent at start; nothing changed what they show until the end.
      expect(m.searchAttributeUpserts).toBe(1);
      expect(m.memoUpserts).toBe(1);
      // Tool definitions went with the first call only.
      expect(m.toolsSent).toEqual([1, ...Array(STEPS).fill(0)]);
    }
    // The model saw every 5 KB result whole ...
    const toolTurns = large.lastRequest.messages.filter((m) => m.role === 'tool');
    expect(toolTurns).toHaveLength(STEPS);
    for (const t of toolTurns) expect(t.content).toHaveLength(5_000);
    // ... while history carried its start and a reference: at most a few hundred bytes more.
    expect(large.bytesPerStep - small.bytesPerStep).toBeLessThan(600);
    // ~2.9 KB here (task queue names, test timeouts); the bench compares with the floor.
    expect(small.bytesPerStep).toBeLessThan(3_100);
  });

  it('a local tool that may not run early is a marker; one that may not run locally is an activity; large results by reference', async () => {
    const early = await measure('blob', 5_000);
    const local = await measure('blob_local', 5_000);
    expect(local.scheduled).toEqual(Array(STEPS + 1).fill('callModel'));
    expect(local.markers).toBe(STEPS);
    // The marker, and the workflow task the local activity's result comes back in.
    expect(local.eventsPerStep - early.eventsPerStep).toBe(1);
    expect(local.bytesPerStep - early.bytesPerStep).toBeGreaterThan(200);
    const remote = await measure('blob_remote', 5_000);
    expect(remote.scheduled.filter((n) => n === 'executeTool')).toHaveLength(STEPS);
    expect(remote.markers).toBe(0);
    // The local tool saves the tool activity's events and its workflow task on every step.
    expect(remote.eventsPerStep - local.eventsPerStep).toBe(5);
    expect(remote.bytesPerStep).toBeLessThan(local.bytesPerStep + 1_500);
    for (const m of [local, remote]) {
      const toolTurns = m.lastRequest.messages.filter((t) => t.role === 'tool');
      for (const t of toolTurns) expect(t.content).toHaveLength(5_000);
    }
  });
});
