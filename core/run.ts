import { z } from 'zod';
import { modelRefSchema } from './model.ts';
import { usageSchema } from './usage.ts';
import { failureSchema } from './failures.ts';

/** Run ids become Temporal workflow ids: keep them printable and bounded. */
export const runIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'use letters, digits and . _ : - (start with a letter or digit)');

/** Per-call limits. Defaults suit real providers; tests shrink them. */
export const callTimeoutsSchema = z.object({
  /** Upper bound for one model call attempt. */
  modelCallMs: z.number().int().positive().default(120_000),
  /** A model call heartbeats while it waits; a worker that dies is noticed this fast. */
  heartbeatMs: z.number().int().positive().default(10_000),
  /** Upper bound for one tool execution attempt. */
  toolCallMs: z.number().int().positive().default(30_000),
});
export type CallTimeouts = z.infer<typeof callTimeoutsSchema>;

/**
 * What an agent is: its instructions, the model it runs on, the tools it may use, and how
 * many steps it gets. One step = one model call plus the tool calls it asks for.
 *
 * @example
 * const agent: AgentDefinitionInput = {
 *   name: 'support',
 *   instructions: 'Answer from the handbook; cite document ids.',
 *   model: { provider: 'openai', name: 'gpt-4.1-mini' },
 *   tools: ['search_docs', 'calculator'],
 *   maxSteps: 8,
 * };
 */
export const agentDefinitionSchema = z.object({
  name: z.string().min(1).max(100),
  instructions: z.string().min(1),
  model: modelRefSchema,
  tools: z.array(z.string().min(1)).default([]),
  maxSteps: z.number().int().positive().max(10_000).default(10),
  maxOutputTokens: z.number().int().positive().default(1024),
  temperature: z.number().min(0).max(2).optional(),
  timeouts: callTimeoutsSchema.default(callTimeoutsSchema.parse({})),
});
export type AgentDefinition = z.infer<typeof agentDefinitionSchema>;
export type AgentDefinitionInput = z.input<typeof agentDefinitionSchema>;

/** The one argument of the `agentRun` workflow. */
export const runInputSchema = z.object({
  agent: agentDefinitionSchema,
  task: z.string().trim().min(1),
  runId: runIdSchema.optional(),
});
export type RunInput = z.infer<typeof runInputSchema>;
export type RunInputInit = z.input<typeof runInputSchema>;

/** How a run ended. A discriminated union: callers switch on `kind`, never parse text. */
export const runOutcomeSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('answer'),
    text: z.string(),
    /** True when the model stopped at the output token limit. */
    truncated: z.boolean(),
  }),
  z.object({
    kind: z.literal('budget_exhausted'),
    budget: z.literal('steps'),
    limit: z.number().int(),
    /** What the run did before it stopped, for the human who picks it up. */
    summary: z.string(),
  }),
  z.object({ kind: z.literal('failed'), failure: failureSchema }),
]);
export type RunOutcome = z.infer<typeof runOutcomeSchema>;

export const runResultSchema = z.object({
  runId: z.string(),
  agent: z.string(),
  outcome: runOutcomeSchema,
  steps: z.number().int().nonnegative(),
  modelCalls: z.number().int().nonnegative(),
  toolCalls: z.number().int().nonnegative(),
  usage: usageSchema,
});
export type RunResult = z.infer<typeof runResultSchema>;

export const runPhases = ['starting', 'calling_model', 'running_tools', 'completed'] as const;
export type RunPhase = (typeof runPhases)[number];

/** Work the run is waiting on right now. */
export type PendingWork =
  | { kind: 'model_call'; step: number; model: string }
  | { kind: 'tool_call'; step: number; callId: string; tool: string };

/** One line of a run's progress, e.g. `step 2: model asked for calculator`. */
export interface RunEvent {
  seq: number;
  text: string;
}
export const recentEventsLimit = 20;

/** The answer to the `status` query: cheap, always available, never a payload dump. */
export interface RunStatus {
  runId: string;
  agent: string;
  phase: RunPhase;
  step: number;
  maxSteps: number;
  usage: z.infer<typeof usageSchema>;
  modelCalls: number;
  toolCalls: number;
  lastEvent: string;
  /** The most recent events (at most `recentEventsLimit`), numbered from 1 for the run. */
  recentEvents: RunEvent[];
  pending: PendingWork[];
  outcome?: RunOutcome['kind'];
}
