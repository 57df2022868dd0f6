import { z } from 'zod';
import { messageSchema, assistantMessageSchema, toolSpecSchema } from './messages.ts';
import { usageSchema } from './usage.ts';
import { contextRecordSchema } from './context.ts';
import { packedContextRecordSchema } from './context-pack.ts';

/**
 * Which provider serves a model: the id of a provider the worker knows — a built-in one
 * (`openai`, `anthropic`, `openai-compatible`: `core/providers/`) or one of your own handed to
 * the worker (`createBosunWorker({ providers })`). Lowercase letters, digits, `-` and `_`.
 * The schema checks the form only: a run naming a provider its worker does not serve fails
 * at the call, typed (`auth`), with the worker's providers named.
 */
export const providerIdSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,63}$/,
    'must be a provider id: lowercase letters, digits, "-" and "_" (e.g. "openai", "my-gateway")',
  );
export type ProviderId = z.infer<typeof providerIdSchema>;
/** The former name of `ProviderId` (when only the built-in providers existed). */
export type ProviderName = ProviderId;

/** A concrete model at a provider, e.g. `{ provider: 'anthropic', name: 'claude-sonnet-4-5' }`.
 * `contextWindow` (tokens), when known, lets a context-length failure skip to a larger model. */
export const modelRefSchema = z.strictObject({
  provider: providerIdSchema,
  name: z.string().min(1),
  contextWindow: z.number().int().positive().optional(),
});
export type ModelRef = z.infer<typeof modelRefSchema>;

export function describeModel(ref: ModelRef): string {
  return `${ref.provider}/${ref.name}`;
}

/** Why the model stopped, normalised across providers. */
export const stopReasons = ['end', 'tool_calls', 'length', 'refusal', 'content_filter', 'other'] as const;
export const stopReasonSchema = z.enum(stopReasons);
export type StopReason = z.infer<typeof stopReasonSchema>;

/** A structured-output request: the model must answer with JSON matching `schema` (a JSON
 * Schema made from a zod contract). Adapters use the provider's native mechanism — OpenAI
 * `response_format: json_schema` (strict when the schema allows), Anthropic
 * `output_config.format` — and return the JSON as the assistant text. */
export const outputFormatSchema = z.strictObject({
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'letters, digits, _ and - (at most 64)'),
  schema: z.record(z.string(), z.unknown()),
});
export type OutputFormat = z.infer<typeof outputFormatSchema>;

/** One model call as the workflow asks for it: everything an adapter needs, nothing
 * provider-specific. */
export const modelRequestSchema = z.object({
  model: modelRefSchema,
  system: z.string(),
  messages: z.array(messageSchema).min(1),
  tools: z.array(toolSpecSchema),
  maxOutputTokens: z.number().int().positive(),
  temperature: z.number().min(0).max(2).optional(),
  output: outputFormatSchema.optional(),
  /** Mark the stable prefix (system + tools) for provider prompt caching. Default true. */
  cachePrefix: z.boolean().optional(),
});
export type ModelRequest = z.infer<typeof modelRequestSchema>;

/** What a model call returns: the assistant turn, why it stopped, what it used. */
export const modelResponseSchema = z.object({
  message: assistantMessageSchema,
  stop: stopReasonSchema,
  usage: usageSchema,
  /** The model id the provider reports having used (may be more specific than requested). */
  modelVersion: z.string(),
  requestId: z.string().optional(),
  latencyMs: z.number().nonnegative(),
  /** Usage the provider reported for earlier attempts of this call that failed after being
   * billed (e.g. an unusable response that was retried). Counted, never lost. */
  billedRetries: usageSchema.optional(),
  /** With a stored conversation: its length after this answer was stored. */
  conversationLength: z.number().int().positive().optional(),
  /** Set when the answer's text was left out of this result (the call asked for it by
   * reference: `CallModelInput.answerInlineMaxBytes`): `message.text` is then empty, and the
   * text is the message stored at `position` of the conversation, `bytes` long. Tool calls
   * always stay inline: the workflow acts on them. */
  answerRef: z
    .object({
      conversationId: z.string(),
      position: z.number().int().nonnegative(),
      bytes: z.number().int().nonnegative(),
    })
    .optional(),
  /** What the request held: sections, tokens each, what was kept, cut or dropped. */
  context: contextRecordSchema.optional(),
  /** The same record packed for history (`core/context-pack.ts`), instead of `context`,
   * when the call asked for it (`CallModelInput.contextBase`); the workflow expands it. */
  packedContext: packedContextRecordSchema.optional(),
  /** The activity attempt that produced this answer (calls with `live` set; absent: the
   * first): followers of the run's events drop the partial output of the attempts before it. */
  attempt: z.number().int().positive().optional(),
  /** The answer's tool calls that ran inside this activity (`CallModelInput.early`), by
   * call id: the result as the tool's own activity would have returned it, or `failed`, the
   * message of a failure retrying cannot help (`tool_failed`). A call missing here runs as
   * before. */
  earlyResults: z
    .array(
      z.union([
        z.object({
          callId: z.string(),
          content: z.string(),
          ref: z.string().optional(),
          chars: z.number().int().nonnegative().optional(),
        }),
        z.object({ callId: z.string(), failed: z.string() }),
      ]),
    )
    .optional(),
  /** Summaries of dropped history made for this call: separate model calls, billed. */
  summaries: z
    .array(z.object({ model: modelRefSchema, usage: usageSchema, latencyMs: z.number().nonnegative() }))
    .optional(),
});
export type ModelResponse = z.infer<typeof modelResponseSchema>;
export type EarlyResult = NonNullable<ModelResponse['earlyResults']>[number];

/**
 * A piece of an answer as the provider streams it: text as it is written, and a tool
 * call's arguments as they are written (`index` is the call's position in the answer; `id`
 * and `name` arrive with its first piece). Only for showing progress: the answer a run
 * acts on is the complete, validated `ModelResponse` of the attempt that succeeded.
 */
export type ModelDelta =
  { kind: 'text'; text: string } | { kind: 'tool-call'; index: number; id?: string; name?: string; args: string };
