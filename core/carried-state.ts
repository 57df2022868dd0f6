import { z } from 'zod';
import { promptPinSchema } from './activity-contracts.ts';
import { auditEntrySchema, type AuditEntry } from './approvals.ts';
import { callRecordSchema, type CallRecord } from './calls.ts';
import { childRunSchema, delegatedTotalsSchema } from './delegation.ts';
import { pinnedMcpToolSchema } from './mcp.ts';
import { messageSchema } from './messages.ts';
import { validationReportSchema } from './output.ts';
import { usageSchema } from './usage.ts';

/**
 * The run's conversation as the workflow keeps it: the messages live in the run store;
 * the workflow holds only the ones not stored yet (sent with the next model call) and a few
 * facts for summaries and cost reservations.
 */
export const conversationStateSchema = z.object({
  id: z.string().min(1),
  /** Messages already in the run store. */
  storedLength: z.number().int().nonnegative(),
  /** Messages added since the last model call, not stored yet. */
  pending: z.array(messageSchema),
  /** Serialized size of the whole conversation, for cost reservations. */
  chars: z.number().int().nonnegative(),
  toolCounts: z.record(z.string(), z.number().int().nonnegative()),
  lastText: z.string(),
});
export type ConversationState = z.infer<typeof conversationStateSchema>;

/** Totals a run reports; kept exact across continue-as-new. `calls` holds the most recent
 * call records only (older ones are counted in `droppedCalls`). */
export const callTotalsSchema = z.object({
  usage: usageSchema,
  costUsd: z.number().nonnegative(),
  unpricedCalls: z.number().int().nonnegative(),
  calls: z.array(callRecordSchema),
});
export type CallTotals = z.infer<typeof callTotalsSchema>;

/** What a run has done with one tool (`PriorEffects` in tools/define-tool.ts). */
export const priorEffectsSchema = z.object({
  calls: z.number().int().nonnegative(),
  totals: z.record(z.string(), z.number()),
});

/** A tool result as the run remembers it for people: cut to a thousand characters. */
export const toolResultRecordSchema = z.object({
  step: z.number().int(),
  callId: z.string(),
  tool: z.string(),
  content: z.string(),
  isError: z.boolean(),
});
export type ToolResultRecord = z.infer<typeof toolResultRecordSchema>;

export const retrievedSetSchema = z.object({ indexVersion: z.string(), ids: z.array(z.string()) });
export type RetrievedSet = z.infer<typeof retrievedSetSchema>;

/**
 * Call totals as carried: the fields every carried record has with the same value (model,
 * route, prompt and tool-set versions, usage…) are written once, in `common`, and left out
 * of each record; parsing puts them back, so a continuation sees exactly the records the run
 * had. Carried states written before `common` existed hold whole records and parse as they
 * are.
 */
const carriedTotalsSchema = callTotalsSchema
  .extend({ calls: z.array(callRecordSchema.partial()), common: callRecordSchema.partial().optional() })
  .transform(({ common, calls, ...totals }, ctx) => {
    const whole = z.array(callRecordSchema).safeParse(calls.map((c) => ({ ...common, ...c })));
    if (whole.success) return { ...totals, calls: whole.data };
    for (const issue of whole.error.issues)
      ctx.issues.push({ code: 'custom', message: issue.message, input: calls, path: ['calls', ...issue.path] });
    return z.NEVER;
  });
export type CarriedTotals = z.input<typeof carriedTotalsSchema>;

/** Packs call totals for carrying: the fields equal in every record go to `common` once
 * (lossless: `carriedTotalsSchema` restores each record). */
export function packTotals(totals: CallTotals): CarriedTotals {
  const [first, ...rest] = totals.calls;
  if (!first || !rest.length) return totals;
  const same = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);
  const keys = (Object.keys(first) as (keyof CallRecord)[]).filter(
    (k) => first[k] !== undefined && rest.every((c) => k in c && same(c[k], first[k])),
  );
  if (!keys.length) return totals;
  const common = Object.fromEntries(keys.map((k) => [k, first[k]])) as Partial<CallRecord>;
  const shared = new Set<string>(keys);
  const calls = totals.calls.map(
    (c) => Object.fromEntries(Object.entries(c).filter(([k]) => !shared.has(k))) as Partial<CallRecord>,
  );
  return { ...totals, calls, common };
}

/** An audit entry that only says a tool call was within policy: one per tool call, so the
 * bulk of a long run's trail. */
const isRoutine = (e: AuditEntry) => e.event === 'tool_allowed' && e.by === 'policy';

/**
 * The audit entries carried into a continuation: at most `max`, the most recent, but of the
 * routine ones (`tool_allowed` by policy) only the `routine` most recent. Decisions —
 * denials, approvals, edits, rejections, escalations, refusals — are what a result's audit
 * is read for, so routine entries no longer push them out. The newest entry is always
 * carried (the next entry's `seq` follows it).
 */
export function carriedAudit(audit: AuditEntry[], max: number, routine: number): AuditEntry[] {
  const kept: AuditEntry[] = [];
  let routineSeen = 0;
  for (let i = audit.length - 1; i >= 0 && kept.length < max; i--) {
    const e = audit[i]!;
    if (isRoutine(e) && ++routineSeen > Math.max(routine, 1)) continue;
    kept.push(e);
  }
  return kept.reverse();
}

/**
 * What a run carries into its continuation (`input.resume`) when it continues as new:
 * budgets spent, the conversation reference, the pinned prompt, the audit trail, counters.
 * It is written twice into each run's history (continued-as-new and started events), so it
 * stays small: recent call records without their context records and with their common
 * fields written once, recent audit entries (few of them routine).
 */
export const carriedStateSchema = z.object({
  startedAt: z.number(),
  /** How many runs came before this one in the chain. */
  runs: z.number().int().nonnegative(),
  step: z.number().int().nonnegative(),
  toolCalls: z.number().int().nonnegative(),
  totals: carriedTotalsSchema,
  droppedCalls: z.number().int().nonnegative(),
  audit: z.array(auditEntrySchema),
  escalations: z.number().int().nonnegative(),
  /** Wall-clock ms spent waiting on humans so far, and the human deadlines that passed
   * (for the per-run metrics and `stats`; absent in runs carried before they existed). */
  humanWaitMs: z.number().nonnegative().optional(),
  humanTimeouts: z.number().int().nonnegative().optional(),
  conversation: conversationStateSchema,
  prompt: promptPinSchema,
  /** The version of each offered tool, pinned at start. */
  tools: z.record(z.string(), z.string()).optional(),
  /** The MCP tools the run pinned at start (server, schema, policy): a continuation offers
   * exactly these, whatever the servers list now. */
  mcp: z.array(pinnedMcpToolSchema).optional(),
  /** Tool-call keys and how often each was made, for loop detection. */
  identicalCalls: z.array(z.tuple([z.string(), z.number().int().positive()])),
  budgetLowEscalated: z.boolean(),
  validation: validationReportSchema.optional(),
  retrieved: retrievedSetSchema.optional(),
  /** Per tool: calls made and the sums of its `tally`, for policies that look past one call. */
  effects: z.record(z.string(), priorEffectsSchema).optional(),
  /** The most recent tool results, cut short (what the result and approvers are shown). */
  toolResults: z.array(toolResultRecordSchema).optional(),
  /** Where the run's live event log stands (next offset, model calls so far), so offsets
   * keep counting across continue-as-new. */
  events: z.object({ next: z.number().int().nonnegative(), calls: z.number().int().nonnegative() }).optional(),
  /** What the run's sub-agents used (rolled up), the most recent of them, and how many it
   * started (for its fan-out limit). */
  delegated: delegatedTotalsSchema.optional(),
  children: z.array(childRunSchema).optional(),
  childrenStarted: z.number().int().nonnegative().optional(),
});
export type CarriedState = z.infer<typeof carriedStateSchema>;
/** The carried state as written (`carry`): call records packed (`packTotals`). */
export type CarriedStateInit = z.input<typeof carriedStateSchema>;
