/**
 * The live section (issue 15): what streaming costs a run, and how soon a follower sees
 * the first token.
 *
 * History: two runs of `steps` tool steps (500 by default) on a fake model that streams
 * every answer at a set pace, one with streaming on and followed by `run.events()` the whole
 * way (the worst case: deltas published, a reader polling), one with `stream: false`, on the
 * same worker. Reported: history bytes per step of each (whole continue-as-new chain), the
 * ratio (goal ≤ 1.2), the `publishDeltas` signals per step, and the deltas the follower saw.
 *
 * Time to first token: a one-step run answering a streamed text, from `bosun.start()` to the
 * first `model_delta` with text that `run.events()` yields, against the official OpenAI SDK
 * streaming the same answer from the same fake (request to first content delta). p50 over
 * `ttftRuns` each; the fake's own time to first token is `TTFT_FAKE_MS`.
 */
import type { Client } from '@temporalio/client';
import OpenAI from 'openai';
import type { BosunClient } from '../client/client.ts';
import type { RunEvent } from '../core/run-events.ts';
import type { AgentDefinitionInput } from '../core/run.ts';
import { startFakeOpenAI, type FakeHandler, type FakeProviderServer } from '../testing/index.ts';
import type { ChildWorker } from './child-worker.ts';
import { benchModel, taskFor } from './fake-model.ts';
import { eventBytes, historyBytes } from './history.ts';
import { median, round } from './stats.ts';
import { benchAgent } from './variants.ts';

/** How the fake streams each answer in the history runs: its first piece after 200 ms (past
 * the 150 ms before a call publishes its first batch), then a piece every 10 ms. */
const HISTORY_PACE = { firstChunkDelayMs: 200, chunkDelayMs: 10, chunkChars: 8, argChunkChars: 6 };
/** The fake's time to first token in the TTFT runs, and its pace after. */
export const TTFT_FAKE_MS = 300;
const TTFT_PACE = { firstChunkDelayMs: TTFT_FAKE_MS, chunkDelayMs: 10, chunkChars: 8 };
const TTFT_ANSWER = 'Your refund of $33.12 was issued today and reaches your card within five business days. '.repeat(
  3,
);

export interface LiveBench {
  steps: number;
  on: { bytesPerStep: number; signals: number; deltasSeen: number; runs: number; carriedBytes: number; wallMs: number };
  off: { bytesPerStep: number; signals: number; runs: number; carriedBytes: number; wallMs: number };
  /** on / off history bytes per step. */
  historyRatio: number | null;
  ttft: { bosunMsP50: number; directMsP50: number; ratio: number | null; fakeMs: number; runs: number };
}

const paced =
  (inner: FakeHandler, pace: object): FakeHandler =>
  async (req, i) => ({ ...(await inner(req, i)), stream: pace });

export async function benchLive(opts: {
  client: Client;
  steps: number;
  ttftRuns: number;
  startBosun: (fake: FakeProviderServer) => Promise<{ bosun: BosunClient; worker: ChildWorker }>;
  log: (line: string) => void;
}): Promise<LiveBench> {
  const fake = await startFakeOpenAI({ handler: paced(benchModel, HISTORY_PACE) });
  const ttftFake = await startFakeOpenAI({
    handler: () => ({ kind: 'text', text: TTFT_ANSWER, usage: { input: 20, output: 60 }, stream: TTFT_PACE }),
  });
  const { bosun, worker } = await opts.startBosun(fake);
  try {
    const agent: AgentDefinitionInput = benchAgent({ steps: opts.steps, size: '20b' });
    const history = async (stream: boolean) => {
      const runId = `bench-live-${stream ? 'on' : 'off'}-${process.pid}-${Date.now().toString(36)}`;
      const started = performance.now();
      const run = await bosun.start({ agent, task: taskFor(opts.steps), runId, stream });
      let deltasSeen = 0;
      const following = stream
        ? (async () => {
            for await (const e of run.events()) if (e.type === 'model_delta') deltasSeen++;
          })()
        : Promise.resolve();
      const result = await run.result();
      await following;
      const wallMs = Math.round(performance.now() - started);
      if (result.outcome.kind !== 'answer' || result.toolCalls !== opts.steps)
        throw new Error(`live run ${runId} did not do ${opts.steps} steps: ${JSON.stringify(result.outcome)}`);
      let bytes = 0;
      let signals = 0;
      let runs = 0;
      // The continued-as-new events: each holds the carried state (the next run's started
      // event holds it again).
      let carriedBytes = 0;
      for await (const w of opts.client.workflow.list({ query: `WorkflowId = "${runId}"` })) {
        const h = await opts.client.workflow.getHandle(runId, w.runId).fetchHistory();
        runs++;
        bytes += historyBytes(h);
        signals += (h.events ?? []).filter(
          (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'publishDeltas',
        ).length;
        for (const e of h.events ?? [])
          if (e.workflowExecutionContinuedAsNewEventAttributes) carriedBytes += eventBytes(e);
      }
      return { bytesPerStep: Math.round(bytes / opts.steps), signals, deltasSeen, runs, carriedBytes, wallMs };
    };
    opts.log(`live: ${opts.steps}-step run, streaming on and followed`);
    const on = await history(true);
    opts.log(`live: ${opts.steps}-step run, streaming off`);
    const { deltasSeen: _none, ...off } = await history(false);

    opts.log(`live: time to first token, ${opts.ttftRuns} runs each through Bosun and the SDK directly`);
    const { bosun: ttftBosun, worker: ttftWorker } = await opts.startBosun(ttftFake);
    const bosunMs: number[] = [];
    const directMs: number[] = [];
    try {
      const oneStep: AgentDefinitionInput = { ...benchAgent({ steps: 0, size: '20b' }), tools: [] };
      const openai = new OpenAI({ apiKey: 'fake', baseURL: ttftFake.baseURL, maxRetries: 0 });
      for (let i = 0; i < opts.ttftRuns + 1; i++) {
        const t0 = performance.now();
        const run = await ttftBosun.start({ agent: oneStep, task: 'say the refund status' });
        let first: number | undefined;
        for await (const e of run.events() as AsyncIterable<RunEvent>) {
          if (first === undefined && e.type === 'model_delta' && e.text) first = performance.now() - t0;
        }
        const d0 = performance.now();
        const stream = await openai.chat.completions.create({
          model: 'gpt-4.1-mini',
          messages: [{ role: 'user', content: 'say the refund status' }],
          stream: true,
        });
        let direct: number | undefined;
        for await (const chunk of stream) {
          if (direct === undefined && chunk.choices[0]?.delta?.content) direct = performance.now() - d0;
        }
        if (first === undefined || direct === undefined) throw new Error('ttft: no streamed text seen');
        if (i === 0) continue; // warm-up
        bosunMs.push(first);
        directMs.push(direct);
      }
    } finally {
      await ttftWorker.stop();
    }
    const bosunMsP50 = Math.round(median(bosunMs));
    const directMsP50 = Math.round(median(directMs));
    return {
      steps: opts.steps,
      on,
      off,
      historyRatio: round(on.bytesPerStep / off.bytesPerStep, 3),
      ttft: {
        bosunMsP50,
        directMsP50,
        ratio: round(bosunMsP50 / directMsP50, 2),
        fakeMs: TTFT_FAKE_MS,
        runs: opts.ttftRuns,
      },
    };
  } finally {
    await worker.stop();
    await fake.close();
    await ttftFake.close();
  }
}

/** The live section's lines in the report. */
export function liveLines(live: LiveBench): string[] {
  const { on, off, ttft } = live;
  const runs = (r: { runs: number; carriedBytes?: number }) =>
    `${r.runs} run(s)${r.runs > 1 && r.carriedBytes ? ` (continued-as-new events: ${r.carriedBytes} B)` : ''}`;
  return [
    `Live runs: ${live.steps}-step run on a fake model streaming each answer (first piece at 200 ms, then every 10 ms)`,
    `  streaming on, followed by run.events(): ${on.bytesPerStep} B/step of history, ${on.signals} publishDeltas signals (${(on.signals / live.steps).toFixed(2)}/step), ${on.deltasSeen} deltas seen, ${runs(on)}, ${(on.wallMs / 1000).toFixed(1)} s`,
    `  streaming off:                            ${off.bytesPerStep} B/step of history, ${off.signals} signals, ${runs(off)}, ${(off.wallMs / 1000).toFixed(1)} s`,
    `  history per step on/off: ${live.historyRatio ?? '-'} (goal ≤ 1.2: ${live.historyRatio !== null && live.historyRatio <= 1.2 ? 'met' : 'NOT met'})`,
    `Time to first token (fake provider's own: ${ttft.fakeMs} ms), p50 of ${ttft.runs}: through Bosun (start → first delta seen by run.events()) ${ttft.bosunMsP50} ms; the OpenAI SDK directly ${ttft.directMsP50} ms; ratio ${ttft.ratio ?? '-'}`,
  ];
}
