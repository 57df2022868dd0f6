import { z } from 'zod';

/**
 * Canonical, provider-neutral conversation format. Adapters translate to and from each
 * provider's wire format at the edge (`activities/model/<provider>.ts`); nothing else in
 * Bosun ever sees a provider type.
 *
 * @example
 * const turn: Message = { role: 'user', content: 'What is 2 + 2?' };
 */

/** A tool invocation requested by the model. `input` is the parsed JSON arguments; when the
 * model produced arguments that are not valid JSON, `input` is the raw string, which no
 * object schema accepts, so validation rejects it with a clear message. */
export const toolCallSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.unknown(),
});
export type ToolCall = z.infer<typeof toolCallSchema>;

/** The outcome of one tool call, fed back to the model. `isError` results carry a message
 * the model can act on (invalid arguments, unknown tool, a failed execution). */
export const toolResultSchema = z.object({
  callId: z.string().min(1),
  name: z.string().min(1),
  content: z.string(),
  isError: z.boolean(),
  /** A result too large for history is kept in the run store under this key; `content` is
   * then its start. The model call reads the whole content from the store. */
  ref: z.string().min(1).optional(),
});
export type ToolResult = z.infer<typeof toolResultSchema>;

export const userMessageSchema = z.object({ role: z.literal('user'), content: z.string() });
export const assistantMessageSchema = z.object({
  role: z.literal('assistant'),
  text: z.string(),
  toolCalls: z.array(toolCallSchema),
});
/** All results of one step, in the order the model asked for the calls. */
export const toolMessageSchema = z.object({ role: z.literal('tool'), results: z.array(toolResultSchema) });

export const messageSchema = z.discriminatedUnion('role', [
  userMessageSchema,
  assistantMessageSchema,
  toolMessageSchema,
]);
export type UserMessage = z.infer<typeof userMessageSchema>;
export type AssistantMessage = z.infer<typeof assistantMessageSchema>;
export type ToolMessage = z.infer<typeof toolMessageSchema>;
export type Message = z.infer<typeof messageSchema>;

/** A tool as offered to a model: its JSON Schema comes from the tool's zod input. */
export const toolSpecSchema = z.object({
  name: z.string().min(1),
  description: z.string(),
  inputSchema: z.record(z.string(), z.unknown()),
});
export type ToolSpec = z.infer<typeof toolSpecSchema>;
