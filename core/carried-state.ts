import { z } from 'zod';
import { promptPinSchema } from './activity-contracts.ts';
import { auditEntrySchema } from './approvals.ts';
import { callRecordSchema } from './calls.ts';
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
 * What a run carries into its continuation (`input.resume`) when it continues as new:
 * budgets spent, the conversation reference, the pinned prompt, the audit trail, counters.
 * It is written twice into each run's history (continued-as-new and started events), so it
 * stays small: recent call records without their context records, recent audit entries.
 */
export const carriedStateSchema = z.object({
  startedAt: z.number(),
  /** How many runs came before this one in the chain. */
  runs: z.number().int().nonnegative(),
  step: z.number().int().nonnegative(),
  toolCalls: z.number().int().nonnegative(),
  totals: callTotalsSchema,
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
