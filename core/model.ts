import { z } from 'zod';
import { messageSchema, assistantMessageSchema, toolSpecSchema } from './messages.ts';
import { usageSchema } from './usage.ts';

/** Which provider client serves a model. `openai-compatible` is any server speaking the
 * OpenAI Chat Completions protocol (vLLM, Ollama, llama.cpp, gateways) at a configured URL. */
export const providerNames = ['openai', 'anthropic', 'openai-compatible'] as const;
export const providerNameSchema = z.enum(providerNames);
export type ProviderName = z.infer<typeof providerNameSchema>;

/** A concrete model at a provider, e.g. `{ provider: 'anthropic', name: 'claude-sonnet-4-5' }`. */
export const modelRefSchema = z.object({
  provider: providerNameSchema,
  name: z.string().min(1),
});
export type ModelRef = z.infer<typeof modelRefSchema>;

export function describeModel(ref: ModelRef): string {
  return `${ref.provider}/${ref.name}`;
}

/** Why the model stopped, normalised across providers. */
export const stopReasons = ['end', 'tool_calls', 'length', 'refusal', 'content_filter', 'other'] as const;
export const stopReasonSchema = z.enum(stopReasons);
export type StopReason = z.infer<typeof stopReasonSchema>;

/** One model call as the workflow asks for it: everything an adapter needs, nothing
 * provider-specific. */
export const modelRequestSchema = z.object({
  model: modelRefSchema,
  system: z.string(),
  messages: z.array(messageSchema).min(1),
  tools: z.array(toolSpecSchema),
  maxOutputTokens: z.number().int().positive(),
  temperature: z.number().min(0).max(2).optional(),
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
});
export type ModelResponse = z.infer<typeof modelResponseSchema>;
