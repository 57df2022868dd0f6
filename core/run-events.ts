import { z } from 'zod';
import { auditEntrySchema } from './approvals.ts';

/**
 * A run's live events: what a client following a run sees, in order, each at its own
 * offset. The workflow keeps them in a bounded log (deterministic state, rebuilt on replay:
 * the workflow's own events cost no history), and the model's partial answers reach it from
 * the `callModel` activity in batched `publishDeltas` signals. Clients read them with the
 * `events` query, from an offset (`run.events()`, `bosun watch`).
 *
 * Every event carries its `step`; model events carry the model call's number in the run
 * (`call`) and deltas their activity `attempt`, so a retried call's partial output is
 * visibly superseded: the answer is the one `model_finished` names.
 */

/** Longest text an event carries (tool arguments, results, answers); longer is cut and
 * marked `cut: true`. The whole content is in the run store (`run.trace()`). */
export const RUN_EVENT_TEXT_MAX = 2_000;

const deltaToolCallSchema = z.object({
  index: z.number().int().nonnegative(),
  id: z.string().optional(),
  name: z.string().optional(),
  args: z.string(),
});

export const runEventBodySchema = z.discriminatedUnion('type', [
  /** A run (or a continuation of it) started. */
  z.object({ type: z.literal('run_started'), agent: z.string(), continuation: z.number().int().nonnegative() }),
  z.object({ type: z.literal('step_started') }),
  /** A model call was scheduled. */
  z.object({
    type: z.literal('model_started'),
    call: z.number().int().positive(),
    model: z.string(),
    purpose: z.string(),
  }),
  /** Part of an answer as the provider streams it (text and tool-call arguments). */
  z.object({
    type: z.literal('model_delta'),
    call: z.number().int().positive(),
    attempt: z.number().int().positive(),
    text: z.string().optional(),
    toolCalls: z.array(deltaToolCallSchema).optional(),
  }),
  /** A model call ended: the answer the run acts on (`attempt` is the activity attempt
   * that produced it; earlier attempts' deltas are superseded), or why it failed. */
  z.object({
    type: z.literal('model_finished'),
    call: z.number().int().positive(),
    attempt: z.number().int().positive().optional(),
    model: z.string(),
    outcome: z.string(),
    text: z.string().optional(),
    cut: z.boolean().optional(),
    toolCalls: z.array(z.string()).optional(),
    inputTokens: z.number().int().nonnegative(),
    outputTokens: z.number().int().nonnegative(),
    costUsd: z.number().nullable(),
    latencyMs: z.number().nonnegative().optional(),
  }),
  z.object({
    type: z.literal('tool_requested'),
    callId: z.string(),
    tool: z.string(),
    args: z.string(),
    cut: z.boolean().optional(),
  }),
  z.object({
    type: z.literal('tool_finished'),
    callId: z.string(),
    tool: z.string(),
    isError: z.boolean(),
    result: z.string(),
    cut: z.boolean().optional(),
  }),
  /** A decision the run recorded in its audit trail: a tool call authorized or denied, an
   * approval asked for and decided (approved, edited, rejected, timed out), an escalation
   * opened and resolved, a budget refusal, a cancellation. */
  z.object({ type: z.literal('decision'), entry: auditEntrySchema }),
  z.object({ type: z.literal('step_finished') }),
  /** The run ended (`outcome.kind`: answer, escalated, budget_exhausted, failed, stopped). */
  z.object({
    type: z.literal('run_ended'),
    outcome: z.string(),
    text: z.string().optional(),
    cut: z.boolean().optional(),
    reason: z.string().optional(),
  }),
]);
export type RunEventBody = z.infer<typeof runEventBodySchema>;

/** An event as a client reads it: its offset in the run's log (stable across
 * continue-as-new), the workflow time it was logged (ms), and the step it belongs to. */
export type RunEvent = RunEventBody & { offset: number; at: number; step: number };
export type RunEventType = RunEvent['type'];

/** The signal's name (in history: public API). */
export const PUBLISH_DELTAS_SIGNAL = 'publishDeltas';

/** The argument of the `publishDeltas` signal the `callModel` activity sends: the model
 * call, the activity attempt publishing, and the batch's number within that attempt, so a
 * resent batch is applied once. Kept small: each batch is an event in the run's history. */
export const publishDeltasInputSchema = z.object({
  call: z.number().int().positive(),
  attempt: z.number().int().positive(),
  seq: z.number().int().positive(),
  text: z.string().optional(),
  toolCalls: z.array(deltaToolCallSchema).optional(),
});
export type PublishDeltasInput = z.infer<typeof publishDeltasInputSchema>;

/** The argument of the `events` query. */
export interface EventsQueryInput {
  /** The first offset wanted (default 0: everything the log still holds). */
  from?: number;
  /** At most this many events (default and cap `EVENTS_PAGE_MAX`). */
  max?: number;
}

/** One page of events. `first` is the oldest offset this execution still holds: a reader
 * asking from before it missed events the log dropped (bounded log) or that an earlier run
 * of the continue-as-new chain holds (`previousRunId`). `next` is the offset to ask from
 * next; `ended` is set once the run has ended and every event has been read. */
export interface EventsPage {
  events: RunEvent[];
  first: number;
  next: number;
  ended: boolean;
  previousRunId?: string;
}

export const EVENTS_PAGE_MAX = 500;

/** Cuts `text` to `RUN_EVENT_TEXT_MAX` characters, saying so. */
export function clip(text: string): { text: string; cut?: true } {
  return text.length > RUN_EVENT_TEXT_MAX ? { text: text.slice(0, RUN_EVENT_TEXT_MAX), cut: true } : { text };
}
