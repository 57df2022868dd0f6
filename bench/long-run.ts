/**
 * The long run: one run of many steps (500 by default) with `continueAsNewAfterEvents`
 * lowered so it continues as new several times. Reports the history bytes each step adds
 * across the whole continue-as-new chain (conversation content lives in the run store by
 * reference, so step 10 and step 500 should match) and each step's time — the interval
 * between consecutive model requests of the agent — so the last steps can be compared with
 * the first (issue 13: within 1.2×). The tool is the bench's (20 B outputs by default;
 * `--long-size 5kb` fills the context window, so older turns are summarized).
 */
import type { Client } from '@temporalio/client';
import type { BosunClient } from '../client/client.ts';
import type { AgentDefinitionInput } from '../core/run.ts';
import { startFakeOpenAI, type FakeProviderServer } from '../testing/index.ts';
import { benchModel, taskFor } from './fake-model.ts';
import type { ToolSize } from './tool-output.ts';
import { benchAgent } from './variants.ts';
import type { ChildWorker } from './child-worker.ts';
import { eventBytes, historyBytes, type History } from './history.ts';
import { diffs } from './stats.ts';

export interface LongRun {
  steps: number;
  runs: number;
  wallMs: number;
  /** Bytes of the events each step added (index 0 = step 1), across the chain. A step's
   * events run from its callModel ActivityTaskScheduled up to the next one's; a
   * continue-as-new lands in the step before it. */
  stepBytes: number[];
  /** Events before step 1: start, first workflow task, prompt pinning. */
  setupBytes: number;
  totalBytes: number;
  totalEvents: number;
  /** Per run of the chain, in order. */
  perRun: { events: number; bytes: number }[];
  /** Steps at whose end the run continued as new. */
  continuedAfterSteps: number[];
  /** Each step's time (index 0 = step 1): model request to the next model request. */
  stepMs: number[];
  /** Model calls as the run counts them, and the summarizer's requests the fake model saw. */
  modelCalls: number;
  summarizerCalls: number;
  size: ToolSize;
}

/** Every run of a workflow id, oldest first, checked to form one continue-as-new chain
 * (visibility may lag a moment behind the histories, so it is asked again until it does). */
async function continueAsNewChain(client: Client, workflowId: string): Promise<{ runId: string; history: History }[]> {
  let problem = '';
  for (let attempt = 0; attempt < 20; attempt++) {
    const listed: { runId: string; startTime: number }[] = [];
    for await (const w of client.workflow.list({ query: `WorkflowId = "${workflowId}"` }))
      listed.push({ runId: w.runId, startTime: w.startTime.getTime() });
    listed.sort((a, b) => a.startTime - b.startTime);
    const chain = await Promise.all(
      listed.map(async ({ runId }) => ({
        runId,
        history: await client.workflow.getHandle(workflowId, runId).fetchHistory(),
      })),
    );
    problem = chain.length === 0 ? 'no runs listed' : '';
    chain.forEach(({ runId, history }, i) => {
      const last = history.events?.at(-1);
      const next = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
      if (i < chain.length - 1 && next !== chain[i + 1]!.runId)
        problem ||= `run ${runId} does not continue as ${chain[i + 1]!.runId}`;
      if (i === chain.length - 1 && !last?.workflowExecutionCompletedEventAttributes)
        problem ||= `the last listed run ${runId} did not complete`;
    });
    if (!problem) return chain;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`long run ${workflowId}: the listed runs do not form a continue-as-new chain: ${problem}`);
}

export async function benchLongRun(opts: {
  client: Client;
  steps: number;
  continueAsNewAfterEvents: number;
  /** The tool's output size: with 5 KB the context window fills and older turns are
   * summarized. */
  size: ToolSize;
  /** A Bosun worker (and client) over the given fake model. */
  startBosun: (fake: FakeProviderServer) => Promise<{ bosun: BosunClient; worker: ChildWorker }>;
}): Promise<LongRun> {
  const LONG_STEPS = opts.steps;
  // Its own fake model (the bench's: bench/fake-model.ts), so its requests are this run's
  // alone. A request that offers no calc tool (a summary of dropped turns) gets a text.
  const longFake = await startFakeOpenAI({ handler: benchModel });
  const { bosun, worker } = await opts.startBosun(longFake);
  try {
    const runId = `bench-long-${process.pid}-${Date.now().toString(36)}`;
    const longAgent: AgentDefinitionInput = {
      ...benchAgent({ steps: LONG_STEPS, size: opts.size }),
      continueAsNewAfterEvents: opts.continueAsNewAfterEvents,
    };
    const started = performance.now();
    const result = await bosun.run({ agent: longAgent, task: taskFor(LONG_STEPS), runId });
    const wallMs = Math.round(performance.now() - started);
    if (result.outcome.kind !== 'answer' || result.toolCalls !== LONG_STEPS) {
      throw new Error(
        `long run ${runId} did not do ${LONG_STEPS} steps: ${JSON.stringify({ outcome: result.outcome, steps: result.steps, toolCalls: result.toolCalls })}`,
      );
    }
    // The agent's own model calls (they offer the tool), not the summarizer's.
    const agentCalls = longFake.requests.filter((r) =>
      (r.body as { tools?: unknown[] } | null)?.tools?.length ? true : false,
    );
    const stepMs = diffs(agentCalls.map((r) => r.at));
    const summarizerCalls = longFake.requests.length - agentCalls.length;

    const chain = await continueAsNewChain(opts.client, runId);
    const stepBytes: number[] = [];
    const perRun: LongRun['perRun'] = [];
    const continuedAfterSteps: number[] = [];
    let setupBytes = 0;
    let totalEvents = 0;
    for (const { history } of chain) {
      const events = history.events ?? [];
      totalEvents += events.length;
      perRun.push({ events: events.length, bytes: historyBytes(history) });
      for (const e of events) {
        if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'callModel') stepBytes.push(0);
        const bytes = eventBytes(e);
        if (stepBytes.length === 0) setupBytes += bytes;
        else stepBytes[stepBytes.length - 1]! += bytes;
        if (e.workflowExecutionContinuedAsNewEventAttributes) continuedAfterSteps.push(stepBytes.length);
      }
    }
    if (stepBytes.length !== LONG_STEPS + 1)
      throw new Error(`long run ${runId}: expected ${LONG_STEPS + 1} callModel activities, found ${stepBytes.length}`);
    const totalBytes = perRun.reduce((a, r) => a + r.bytes, 0);
    return {
      steps: LONG_STEPS,
      runs: chain.length,
      wallMs,
      stepBytes,
      setupBytes,
      totalBytes,
      totalEvents,
      perRun,
      continuedAfterSteps,
      stepMs,
      modelCalls: result.modelCalls,
      summarizerCalls,
      size: opts.size,
    };
  } finally {
    await worker.stop();
    await longFake.close();
  }
}
