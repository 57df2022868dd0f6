import { z } from 'zod';
import { modelRequestSchema } from './model.ts';
import { principalSchema } from './principal.ts';

/** The argument of the `callModel` activity. */
export const callModelInputSchema = z.object({
  runId: z.string(),
  step: z.number().int().positive(),
  request: modelRequestSchema,
  /** Upper bound for one provider call, enforced by the SDK inside the activity. */
  timeoutMs: z.number().int().positive(),
});
export type CallModelInput = z.infer<typeof callModelInputSchema>;

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
});
export type ExecuteToolInput = z.infer<typeof executeToolInputSchema>;

export interface ExecuteToolResult {
  content: string;
  truncated: boolean;
}
