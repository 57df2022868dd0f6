/**
 * Payload sizes around Temporal's limits (2 MiB per payload by default, 4 MiB per gRPC
 * message): a model answer, or a run's task, of 1.9, 2.1 and 5 MiB. What fits must answer;
 * what cannot fit must end at once, typed — `payload_too_large` for the run (issue 11 items
 * 3 and 5), or a `RunInputError` from `start` before anything is sent — never a generic
 * `internal` failure, a gRPC error at the caller, or a hang.
 */
import { startAndAwait, type Accept, type ChaosCase } from '../campaign.ts';
import { answer, chaosAgent, modelOn, runInput } from '../scripts.ts';

const MiB = 1024 * 1024;
const sizes = [
  { label: '1.9 MiB', bytes: Math.round(1.9 * MiB), inShort: true },
  { label: '2.1 MiB', bytes: Math.round(2.1 * MiB), inShort: false },
  { label: '5 MiB', bytes: 5 * MiB, inShort: false },
];

/** `bytes` of prose-like text (words and spaces: what a tokenizer meets in real payloads). */
export function prose(bytes: number): string {
  const words = 'the order arrived damaged and the customer asks for a refund of the mug ';
  return words.repeat(Math.ceil(bytes / words.length)).slice(0, bytes);
}

const tooLarge: Accept = { failures: ['payload_too_large'] };
/** A task can also be refused as input, or not fit the model's context. */
const taskTooLarge: Accept = {
  failures: ['payload_too_large', 'invalid_input', 'context_too_long'],
  startErrors: ['RunInputError'],
};

const answerCases: ChaosCase[] = sizes.map(({ label, bytes, inShort }) => ({
  name: `payload: model answer ${label}`,
  group: 'payloads',
  inShort,
  runs: { full: 3, short: 1 },
  timeoutMs: 120_000,
  parallel: true,
  async run(ctx) {
    const shared = await ctx.rig.sharedWorkers();
    const text = prose(bytes);
    return Promise.all(
      Array.from({ length: ctx.runs }, () => {
        const runId = ctx.runId('big-answer');
        ctx.rig.model.script(runId, () => answer(text));
        const agent = chaosAgent(modelOn('openai', `chaos-answer-${bytes}`));
        return startAndAwait(
          ctx.rig,
          shared.bosun,
          runInput(runId, agent, 'Write it all out.'),
          tooLarge,
          ctx.deadline,
        );
      }),
    );
  },
}));

const taskCases: ChaosCase[] = sizes.map(({ label, bytes }) => ({
  name: `payload: task input ${label}`,
  group: 'payloads',
  // A task over the limit is refused (or retried by the client) at start: fast either way,
  // except 5 MiB, which the client retries for ~40 s today.
  inShort: bytes < 3 * MiB,
  runs: { full: 3, short: 1 },
  timeoutMs: 120_000,
  parallel: true,
  async run(ctx) {
    const shared = await ctx.rig.sharedWorkers();
    const task = prose(bytes);
    return Promise.all(
      Array.from({ length: ctx.runs }, () => {
        const runId = ctx.runId('big-task');
        ctx.rig.model.script(runId, () => answer('Read it all.'));
        const agent = chaosAgent(modelOn('anthropic', `chaos-task-${bytes}`));
        return startAndAwait(ctx.rig, shared.bosun, runInput(runId, agent, task), taskTooLarge, ctx.deadline);
      }),
    );
  },
}));

/**
 * Not a size limit but a tokenizer's worst case: a task that is one character repeated (a
 * run of padding, a pasted blob without spaces) is one pre-token, which byte-pair encoding
 * merges in quadratic time. The worker counts tokens to pack the context before each call.
 * Runs alone: while it counts, the workers' event loops are busy.
 */
const oneLongWord: ChaosCase = {
  name: 'payload: task of one character repeated, 100 KiB (tokenizer)',
  group: 'payloads',
  inShort: false,
  runs: { full: 2, short: 1 },
  timeoutMs: 120_000,
  async run(ctx) {
    const shared = await ctx.rig.sharedWorkers();
    return Promise.all(
      Array.from({ length: ctx.runs }, () => {
        const runId = ctx.runId('long-word');
        ctx.rig.model.script(runId, () => answer('Read it all.'));
        const agent = chaosAgent(modelOn('openai', 'chaos-long-word'));
        return startAndAwait(
          ctx.rig,
          shared.bosun,
          runInput(runId, agent, 'z'.repeat(100 * 1024)),
          taskTooLarge,
          ctx.deadline,
        );
      }),
    );
  },
};

export const payloadCases: ChaosCase[] = [...answerCases, ...taskCases, oneLongWord];
