import { z } from 'zod';
import { auditEntrySchema } from './approvals.ts';
import { callRouteSchema, promptPinSchema } from './activity-contracts.ts';
import { contextRecordSchema } from './context.ts';
import { messageSchema, toolCallSchema } from './messages.ts';
import { modelRefSchema, stopReasonSchema } from './model.ts';
import { principalSchema } from './principal.ts';
import { usageSchema } from './usage.ts';

/**
 * The trace of a run: one record per *attempt* of every model call and tool call, written by
 * the activity itself (Temporal's history keeps only the last attempt of an activity), kept
 * in the run store beside the conversation, read back through a short workflow on the run's
 * task queue (so, with payload encryption on, only a client holding the keys can read it).
 *
 * Content is kept by reference where the run store already holds it: the messages a model
 * call was sent are positions of the stored conversation, the tools it was offered the
 * run's stored tool set (`tools/<sha256>`), a long tool result its `ref`. The reader
 * resolves what is asked for.
 */

/** How an attempt ended: ok, or the failure type Temporal saw (and whether it retried). */
export const traceOutcomeSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('ok') }),
  z.object({
    status: z.literal('failed'),
    /** A Bosun failure type (`provider_unavailable`, `rate_limited`, …), or `cancelled`. */
    type: z.string(),
    message: z.string(),
    /** False when the failure ended the activity (non-retryable type). */
    retryable: z.boolean(),
  }),
]);
export type TraceOutcome = z.infer<typeof traceOutcomeSchema>;

const attemptFields = {
  runId: z.string(),
  step: z.number().int().nonnegative(),
  /** Temporal's attempt number of the activity (1-based); 0 for a tool call's early run
   * (`early`), which comes before any attempt of an activity of its own. */
  attempt: z.number().int().nonnegative(),
  startedAt: z.string(),
  endedAt: z.string(),
  latencyMs: z.number().nonnegative(),
  outcome: traceOutcomeSchema,
};

/** The tool a model call offered, by name and the hash of its input schema. */
export const offeredToolSchema = z.object({ name: z.string(), schemaHash: z.string() });

/** Where routing sent a call and why: sent with the call when the workflow carries it
 * (`CallModelInput.route`), else merged in from the run's `calls` query when read. */
export const traceRouteSchema = callRouteSchema;
export type TraceRoute = z.infer<typeof traceRouteSchema>;

/** One attempt of one model call (`call` = `<workflow run id>/<activity id>`, shared by all
 * attempts of the call; a fallback to another model is another call). */
export const modelAttemptSchema = z.object({
  kind: z.literal('model'),
  call: z.string(),
  ...attemptFields,
  model: modelRefSchema,
  route: traceRouteSchema.optional(),
  /** The pinned system prompt: its name and content hash (the version). */
  prompt: promptPinSchema.optional(),
  /** The messages sent, by reference: positions `[0, length)` of the stored conversation
   * (the last `appended` of them new this step), packed into the model's window as
   * `context` says; with `summaryUpTo`, positions `[1, summaryUpTo)` went as a summary.
   * `inline`: a call without a stored conversation sent this many messages by value. */
  messages: z.object({
    conversationId: z.string().optional(),
    length: z.number().int().nonnegative(),
    appended: z.number().int().nonnegative(),
    summaryUpTo: z.number().int().positive().optional(),
    inline: z.number().int().nonnegative().optional(),
  }),
  /** The tool set offered: its run-store key, and (resolved when read) each tool's name and
   * schema hash. */
  tools: z.object({ ref: z.string().optional(), offered: z.array(offeredToolSchema).optional() }),
  parameters: z.object({
    maxOutputTokens: z.number().int().positive(),
    temperature: z.number().optional(),
    /** Structured output: the format's name and the hash of its JSON Schema. */
    output: z.object({ name: z.string(), schemaHash: z.string() }).optional(),
    cachePrefix: z.boolean().optional(),
    timeoutMs: z.number().int().positive(),
    summarizer: modelRefSchema.optional(),
  }),
  /** The raw answer of a successful attempt. `ref`: its text was handed back by reference
   * and is the conversation's message at that position (filled in when read). */
  answer: z
    .object({
      text: z.string(),
      toolCalls: z.array(toolCallSchema),
      stop: stopReasonSchema,
      modelVersion: z.string(),
      requestId: z.string().optional(),
      /** The provider's own latency (the attempt's `latencyMs` adds loading and packing). */
      providerLatencyMs: z.number().nonnegative().optional(),
      ref: z.object({ conversationId: z.string(), position: z.number().int().nonnegative() }).optional(),
    })
    .optional(),
  /** This attempt's usage: the answer's, or what the provider billed for a failed attempt. */
  usage: usageSchema.optional(),
  /** Priced with the worker's default price table at the time (`priceAsOf`); null when the
   * model has no price there. The run's own cost (pinned prices) is in `status`/`calls`. */
  costUsd: z.number().nonnegative().nullable().optional(),
  priceAsOf: z.string().optional(),
  /** What the request held, per section (as the call's result reports it). */
  context: contextRecordSchema.optional(),
  /** History summaries made inside this attempt (separate, billed calls). */
  summaries: z
    .array(z.object({ model: modelRefSchema, usage: usageSchema, latencyMs: z.number().nonnegative() }))
    .optional(),
  /** With `detail`: the stored messages at the positions sent, contents cut to a bound. */
  sent: z.array(messageSchema).optional(),
});
export type ModelAttempt = z.infer<typeof modelAttemptSchema>;

/** One attempt of one tool call (`call` = the model's tool call id). */
export const toolAttemptSchema = z.object({
  kind: z.literal('tool'),
  call: z.string(),
  ...attemptFields,
  tool: z.object({
    name: z.string(),
    /** The tool contract's fingerprint (`toolFingerprint`), for native tools. */
    version: z.string().optional(),
    /** MCP tools: the server and the hash of the pinned input schema. */
    server: z.string().optional(),
    schemaHash: z.string().optional(),
  }),
  /** Run inside the model call's activity, as soon as the answer asked for it (an early
   * result, `docs/tools-and-approvals.md`): not an attempt of an activity of its own, and
   * `attempt` is 0. The call's `decisions` say whether the workflow's gate then used it. */
  early: z.boolean().optional(),
  /** The arguments as executed (a human's edit included). */
  arguments: z.unknown(),
  /** What the workflow authorized the call with; re-checked by the activity. */
  authorization: z.object({
    principal: principalSchema.pick({ tenant: true, user: true, scopes: true, roles: true }),
    approvedBy: z.string().optional(),
    prior: z.object({ calls: z.number().int().nonnegative(), totals: z.record(z.string(), z.number()) }).optional(),
  }),
  /** The result handed back; `ref`: the whole result is in the run store (resolved when
   * read, cut to a bound, `chars` long). */
  result: z
    .object({
      content: z.string(),
      truncated: z.boolean(),
      ref: z.string().optional(),
      chars: z.number().int().nonnegative().optional(),
    })
    .optional(),
});
export type ToolAttempt = z.infer<typeof toolAttemptSchema>;

export const traceRecordSchema = z.discriminatedUnion('kind', [modelAttemptSchema, toolAttemptSchema]);
export type TraceRecord = z.infer<typeof traceRecordSchema>;

/** A record as read back, with its place in the run's trace (for paging). */
export type StoredTraceRecord = TraceRecord & { seq: number };

/** The argument of the `readTrace` activity (and the `traceReader` workflow). */
export const readTraceInputSchema = z.strictObject({
  runId: z.string().min(1),
  step: z.number().int().nonnegative().optional(),
  /** Records after this `seq` (paging). */
  after: z.number().int().nonnegative().optional(),
  limit: z.number().int().positive().max(1000).optional(),
  /** Resolve the messages each model attempt was sent (`sent`). */
  detail: z.boolean().optional(),
});
export type ReadTraceInput = z.infer<typeof readTraceInputSchema>;

/** One page of a run's trace; `next` is the `after` of the next page, absent at the end. */
export interface TracePage {
  records: StoredTraceRecord[];
  next?: number;
  /** The run's stored content was erased (`bosun forget`, retention): when, by whom, why. */
  erased?: TraceErasure;
}

/** What a trace says of a run whose stored content was erased. */
export const traceErasureSchema = z.object({
  at: z.string(),
  by: z.string(),
  reason: z.enum(['forget', 'retention']),
});
export type TraceErasure = z.infer<typeof traceErasureSchema>;

/** An attempt as `run.trace()` shows it: `superseded` when a later attempt of the same call
 * followed it (a retry); `lost` when no record exists for it (its worker died mid-attempt). */
const shown = { superseded: z.boolean() };
export const shownModelAttemptSchema = modelAttemptSchema.extend(shown);
export const shownToolAttemptSchema = toolAttemptSchema.extend(shown);
export const lostAttemptSchema = z.object({
  kind: z.literal('lost'),
  attempt: z.number().int().positive(),
  superseded: z.literal(true),
});

/**
 * `run.trace()` and `bosun trace --json`: the run's steps in order, each with its model calls
 * (every attempt) and its tool calls (every attempt, with the audit trail's authorization and
 * human decisions for that call).
 */
export const runTraceSchema = z.object({
  runId: z.string(),
  steps: z.array(
    z.object({
      step: z.number().int().nonnegative(),
      modelCalls: z.array(
        z.object({
          call: z.string(),
          model: z.string(),
          route: traceRouteSchema.optional(),
          attempts: z.array(z.union([shownModelAttemptSchema, lostAttemptSchema])),
        }),
      ),
      /** Every tool call of the step the records or the audit trail know, in call order: one
       * that never ran (denied, rejected, timed out) has decisions and no attempts. */
      toolCalls: z.array(
        z.object({
          callId: z.string(),
          tool: z.string(),
          /** The audit trail's entries for this call: allowed by policy, approval requested,
           * approved / edited / rejected by whom. */
          decisions: z.array(auditEntrySchema),
          attempts: z.array(z.union([shownToolAttemptSchema, lostAttemptSchema])),
          /** A delegation: the sub-agent's run, how it ended, and its own trace (as deep as
           * the reader followed). */
          get subAgent() {
            return subAgentTraceSchema.optional();
          },
        }),
      ),
      /** The step's audit entries about no tool call (escalations, budget refusals, …). */
      decisions: z.array(auditEntrySchema),
    }),
  ),
  /** Set when the run's `calls`/`audit` queries could not be read (no worker answered):
   * routes and decisions not carried by the records are then missing. */
  warnings: z.array(z.string()),
  /** Set when the run's stored content was erased: the trace then has no records. */
  erased: traceErasureSchema.optional(),
});
export type RunTrace = z.infer<typeof runTraceSchema>;

/** A sub-agent's place in its parent's trace (`runTraceSchema`'s `subAgent`). */
const subAgentTraceSchema = z.object({
  runId: z.string(),
  agent: z.string(),
  /** `running`, or how it ended (an outcome kind, `cancelled`, `lost`). */
  state: z.string(),
  get trace() {
    return runTraceSchema.optional();
  },
});
