import { z } from 'zod';
import { messageSchema } from './messages.ts';
import { modelRefSchema, modelRequestSchema } from './model.ts';
import { principalSchema } from './principal.ts';
import { modelTierSchema, taskClassSchema } from './routing.ts';

/** A conversation kept in the run store: the activity appends `append` at `storedLength`,
 * loads the whole conversation, and stores the model's answer after it. History carries only
 * the new messages of each step. */
export const conversationRefSchema = z.object({
  id: z.string().min(1),
  storedLength: z.number().int().nonnegative(),
  append: z.array(messageSchema),
});
export type ConversationRef = z.infer<typeof conversationRefSchema>;

/** A pinned prompt version (content hash); its text lives in the run store. */
export const promptPinSchema = z.object({
  name: z.string(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  label: z.string().optional(),
});
export type PromptPin = z.infer<typeof promptPinSchema>;

/** Where routing sent a model call and why (`CallRecord`'s route facts), for the call's
 * trace records. */
export const callRouteSchema = z.object({
  purpose: z.string(),
  taskClass: taskClassSchema,
  tier: modelTierSchema,
  reason: z.string(),
  fallbackFrom: z.string().optional(),
  fallbackReason: z.string().optional(),
});
export type CallRoute = z.infer<typeof callRouteSchema>;

/** Tool results longer than this stay in the run store: history carries their start and a
 * reference, so a step's history does not grow with what its tools return. */
export const TOOL_RESULT_INLINE_CHARS = 256;

/**
 * The tools whose calls `callModel` may run early, as soon as the answer asks for them
 * (`runsEarly`: local reads without approval, constraints or tally). The workflow names them
 * and still gates every call; results come back in `ModelResponse.earlyResults`.
 */
export const earlyToolsSchema = z.object({
  tools: z.array(z.string().min(1)).min(1),
  /** The run's tool timeout, for tools whose contract sets none. */
  timeoutMs: z.number().int().positive(),
  /** Who the run acts for; absent: the anonymous principal. */
  principal: principalSchema.optional(),
});
export type EarlyTools = z.infer<typeof earlyToolsSchema>;

/**
 * The argument of the `callModel` activity. Runs send `conversation` and `prompt` by
 * reference (the run store holds them) and leave `request.system` and `request.messages`
 * empty; a direct caller without a store may send them inline instead.
 */
export const callModelInputSchema = z.object({
  runId: z.string(),
  step: z.number().int().positive(),
  request: modelRequestSchema.extend({ messages: z.array(messageSchema), system: z.string() }),
  /** Upper bound for one provider call, enforced by the SDK inside the activity. */
  timeoutMs: z.number().int().positive(),
  conversation: conversationRefSchema.optional(),
  prompt: promptPinSchema.optional(),
  /** When history no longer fits, the dropped turns are summarized by this (cheap) model
   * and the summary sent in their place (stored conversations only). */
  summarizer: modelRefSchema.optional(),
  /** With a stored conversation: an answer text longer than this many UTF-8 bytes is not
   * returned inline but by reference (`ModelResponse.answerRef`); it stays in the run store.
   * Without it the text is inline, up to what fits in a Temporal payload
   * (`MAX_ACTIVITY_RESULT_BYTES`); a larger answer ends `payload_too_large`. */
  answerInlineMaxBytes: z.number().int().nonnegative().optional(),
  /** The pinned prompt's text, sent by the first call of a run whose instructions are inline
   * (the workflow computed `prompt.hash` from it): the activity checks the hash and stores the
   * text under it; later calls send the hash only. */
  promptContent: z.string().optional(),
  /** The offered tools' definitions kept in the run store under this content-addressed key
   * (`tools/<sha256>`): a call that sends `request.tools` stores them there, a call that
   * sends none reads them from there — so history carries the tool schemas once per run,
   * not on every step. */
  toolsRef: z
    .string()
    .regex(/^tools\/[0-9a-f]{64}$/)
    .optional(),
  /** Publish the answer's pieces to the run's live events as the provider streams them,
   * stamped with the run's model-call number `call` (`publishDeltas` signals, batched). */
  live: z.object({ call: z.number().int().positive() }).optional(),
  /** Return the context record packed (`ModelResponse.packedContext`, `core/context-pack.ts`)
   * rather than whole, leaving out its base when the base's key is this one (the base the
   * caller already holds; `''`: none). Unset: the whole record (`ModelResponse.context`). */
  contextBase: z.string().optional(),
  /** The route, recorded in the call's trace; when absent the trace reader takes it from the
   * run's `calls` query. */
  route: callRouteSchema.optional(),
  /** Run the answer's calls of these tools at once (see `earlyToolsSchema`). An activity of
   * an earlier version ignores it, and the workflow then runs them as before. */
  early: earlyToolsSchema.optional(),
});
export type CallModelInput = z.infer<typeof callModelInputSchema>;

/** The argument of the `resolvePrompt` activity: inline instructions or a named template
 * (optionally a version already pinned elsewhere). */
export const resolvePromptInputSchema = z.object({
  name: z.string().min(1),
  inline: z.string().optional(),
  version: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});
export type ResolvePromptInput = z.infer<typeof resolvePromptInputSchema>;

/** The argument of the `executeTool` activity. */
export const executeToolInputSchema = z.object({
  runId: z.string(),
  step: z.number().int().positive(),
  callId: z.string().min(1),
  name: z.string().min(1),
  input: z.unknown(),
  /** Re-checked inside the activity (complete mediation): scopes and constraints. */
  principal: principalSchema,
  /** Set when a human approved the call (or approved edited arguments): the activity does
   * not ask again, but still enforces scopes and constraints. */
  approvedBy: z.string().optional(),
  /** The run's prior effects of this tool, as the workflow authorized the call with them. */
  prior: z.object({ calls: z.number().int().nonnegative(), totals: z.record(z.string(), z.number()) }).optional(),
  /** A result longer than this many characters is kept in the run store and returned by
   * reference (`ExecuteToolResult.ref`), so history carries its start only. Unset: inline. */
  inlineMaxChars: z.number().int().nonnegative().optional(),
});
export type ExecuteToolInput = z.infer<typeof executeToolInputSchema>;

export interface ExecuteToolResult {
  /** The result, or with `ref` its first `inlineMaxChars` characters. */
  content: string;
  truncated: boolean;
  /** Where the whole result is in the run store. */
  ref?: string;
  /** The whole result's length in characters (after the tool's own cap). */
  chars?: number;
}
