import { z } from 'zod';
import type { openEscalationSchema, pendingApprovalSchema } from './approvals.ts';
import { escalationReasons, auditEntrySchema } from './approvals.ts';
import { budgetKinds, budgetsSchema } from './budgets.ts';
import { callRecordSchema } from './calls.ts';
import { carriedStateSchema } from './carried-state.ts';
import {
  childRunSchema,
  delegateSchema,
  delegatedTotalsSchema,
  delegationLimitsSchema,
  effectsSchema,
  parentLinkSchema,
  parentShownSchema,
  type ChildRun,
  type ParentShown,
  type DelegatedTotals,
} from './delegation.ts';
import { anonymousPrincipal, principalSchema } from './principal.ts';
import { weakContextPolicySchema } from './retrieval.ts';
import { failureSchema } from './failures.ts';
import { mcpSelectionsSchema } from './mcp.ts';
import { modelRefSchema } from './model.ts';
import { outputContractSchema, validationReportSchema } from './output.ts';
import { priceTableSchema } from './pricing.ts';
import { routingTableSchema, taskClassSchema } from './routing.ts';
import { stepClassifierSchema } from './step-classifier.ts';
import { usageSchema } from './usage.ts';

/** Run ids become Temporal workflow ids: keep them printable and bounded. */
export const runIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'use letters, digits and . _ : - (start with a letter or digit)');

/** The id a caller may give a new run: not one of the ids sub-agents get
 * (`<parent>:sub<step>.<n>`), so no run can take a future child's place. */
export const newRunIdSchema = runIdSchema.refine(
  (id) => !/:sub\d+\.\d+$/.test(id),
  'ids ending in ":sub<step>.<n>" are kept for sub-agents',
);

/** Per-call limits. Defaults suit real providers; tests shrink them. */
export const callTimeoutsSchema = z.strictObject({
  /** Upper bound for one model call attempt. */
  modelCallMs: z.number().int().positive().default(120_000),
  /** A model call heartbeats while it waits; a worker that dies is noticed this fast. */
  heartbeatMs: z.number().int().positive().default(10_000),
  /** Upper bound for one tool execution attempt. */
  toolCallMs: z.number().int().positive().default(30_000),
});
export type CallTimeouts = z.infer<typeof callTimeoutsSchema>;

/**
 * How calls reach models: one `model`, or a `routing` table (task class → tier → fallback
 * chain). Switching provider or model is a change here and nothing else.
 */
const modelConfigShape = {
  /** Shorthand for a routing table with one model serving every class. */
  model: modelRefSchema.optional(),
  routing: routingTableSchema.optional(),
  /** Prices by model name, pinned into the run at start (the client fills in defaults). */
  prices: priceTableSchema.optional(),
  maxOutputTokens: z.number().int().positive().default(1024),
  temperature: z.number().min(0).max(2).optional(),
  timeouts: callTimeoutsSchema.default(callTimeoutsSchema.parse({})),
  /** When older turns no longer fit the window, summarize them with the model the `rewrite`
   * class routes to (cheap by default) instead of only dropping them. */
  summarizeHistory: z.boolean().default(true),
};
const oneOfModelOrRouting = {
  check: (d: { model?: unknown; routing?: unknown }) => (d.model === undefined) !== (d.routing === undefined),
  message: { message: 'give exactly one of `model` or `routing`', path: ['model'] },
};

/** The system prompt: inline text, or a named template from the worker's prompts folder
 * (optionally a version already pinned). Either way the run pins a content hash at start, and
 * every model call records it. */
export const instructionsSchema = z.union([
  z.string().min(1),
  z.strictObject({
    template: z.string().regex(/^[a-zA-Z0-9._-]+$/),
    version: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
  }),
]);
export type Instructions = z.infer<typeof instructionsSchema>;

/**
 * What an agent is: its instructions, the models it runs on, the tools it may use, and how
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
export const agentDefinitionSchema = z
  .strictObject({
    name: z.string().min(1).max(100),
    /** What the agent does, in a sentence: what a parent agent's model is told when this
     * agent is offered to it as a sub-agent. */
    description: z.string().min(1).max(2000).optional(),
    instructions: instructionsSchema,
    tools: z.array(z.string().min(1)).default([]),
    /** Agents of the catalog this agent may hand tasks to: each is offered to the model as a
     * tool and runs as a child workflow with a narrowed principal and a budget carved from
     * this run's (`docs/sub-agents.md`). By name, or with scopes, budget caps and an output
     * contract. */
    delegates: z.array(z.union([z.string().min(1).max(100), delegateSchema])).default([]),
    /** Depth and fan-out limits for delegation. */
    delegation: delegationLimitsSchema.default(delegationLimitsSchema.parse({})),
    /** Tools from the worker's MCP servers: which servers, which of their tools (all when
     * absent) and, for file tools, which folders (`docs/mcp.md`). */
    mcp: mcpSelectionsSchema.optional(),
    /** Continue as a new run (same id, state carried) after this many history events, or
     * earlier when the server suggests it. */
    continueAsNewAfterEvents: z.number().int().min(100).default(10_000),
    maxSteps: z.number().int().positive().max(10_000).default(10),
    budgets: budgetsSchema.default({}),
    /** Stop a run whose model calls the same tool with the same arguments this many times. */
    maxIdenticalToolCalls: z.number().int().min(2).default(3),
    /** What an escalation does: `park` waits for a human (answer, redirect or end) until
     * `timeoutMs`, then ends as escalated; `return` ends the run as escalated at once. */
    escalation: z
      .strictObject({
        mode: z.enum(['park', 'return']).default('park'),
        timeoutMs: z
          .number()
          .int()
          .positive()
          .default(24 * 60 * 60 * 1000),
      })
      .default({ mode: 'park', timeoutMs: 24 * 60 * 60 * 1000 }),
    /** Per-tool approval settings for this agent, over the tool's own (e.g. a chat agent
     * whose humans must decide within minutes). */
    approvals: z
      .record(
        z.string(),
        z.strictObject({
          timeoutMs: z.number().int().positive().optional(),
          onTimeout: z
            .union([
              z.literal('deny'),
              z.strictObject({ escalateTo: z.string().min(1), timeoutMs: z.number().int().positive() }),
            ])
            .optional(),
          group: z.string().min(1).optional(),
        }),
      )
      .default({}),
    /** Retrieval-augmented answers: before the first step the task is looked up in the
     * knowledge base and the best chunks go to the model with it. When nothing scores
     * `minScore` or more, `onWeak` decides: broaden the search once, answer plainly that the
     * knowledge base does not cover it (`degradeAnswer`, no model call), or escalate. */
    retrieval: z
      .strictObject({
        k: z.number().int().min(1).max(20).default(4),
        minScore: z.number().nonnegative().optional(),
        onWeak: weakContextPolicySchema.default('degrade'),
        degradeAnswer: z
          .string()
          .min(1)
          .default('This is not in the knowledge base, so I will not guess. Please rephrase, or ask a person.'),
      })
      .optional(),
    /** A cheap model call deciding whether a step between the first and the last needs the
     * plan tier or the act tier, instead of its position alone (`core/step-classifier.ts`).
     * Off when absent. */
    stepClassifier: stepClassifierSchema.optional(),
    /** Requests matching a rule go to a human before the first model call. */
    policy: z
      .strictObject({
        sensitive: z
          .array(
            z.strictObject({
              pattern: z.string().min(1),
              flags: z
                .string()
                .regex(/^[imsu]*$/)
                .default('i'),
              reason: z.string().min(1),
            }),
          )
          .default([]),
      })
      .default({ sensitive: [] }),
    ...modelConfigShape,
  })
  .refine(oneOfModelOrRouting.check, oneOfModelOrRouting.message);
export type AgentDefinition = z.infer<typeof agentDefinitionSchema>;
/** The model-facing part shared by agents and single tasks. */
export type ModelConfig = Pick<
  AgentDefinition,
  'model' | 'routing' | 'prices' | 'maxOutputTokens' | 'temperature' | 'timeouts' | 'summarizeHistory'
>;
export type AgentDefinitionInput = z.input<typeof agentDefinitionSchema>;

/** An agent registered with the worker's catalog, by name. */
export const agentNameSchema = z.string().min(1).max(100);

/** The one argument of the `agentRun` workflow. */
export const runInputSchema = z.strictObject({
  /** An agent the worker's catalog defines, by name, or a whole definition. */
  agent: z.union([agentNameSchema, agentDefinitionSchema]),
  task: z.string().trim().min(1),
  runId: newRunIdSchema.optional(),
  /** The final answer must be JSON matching this contract (validated, repaired, escalated). */
  output: outputContractSchema.optional(),
  /** Who the run acts for; tools are offered and executed within its scopes. */
  principal: principalSchema.default(anonymousPrincipal),
  /** Publish the model's answers to the run's live events as they stream (default true).
   * Off, followers see each answer when its call ends, and the run's history has no
   * `publishDeltas` signals. */
  stream: z.boolean().optional(),
  /** Set by a parent run that started this one as a sub-agent: where it sits in the tree and
   * the budget carved for it. Not for callers. */
  parent: parentLinkSchema.optional(),
  /** Set by the run itself when it continues as new: the state it carries (conversation
   * reference, pinned prompt, budgets spent, audit, counters). Not for callers. */
  resume: carriedStateSchema.optional(),
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
    /** The validated structured output, when the run declared an output contract. */
    output: z.unknown().optional(),
    /** `model`, or `human:<id>` when a human answered an escalation. */
    answeredBy: z.string().optional(),
  }),
  z.object({
    kind: z.literal('escalated'),
    reason: z.enum(escalationReasons),
    message: z.string(),
    /** For invalid output: the last answer and what was wrong with it. */
    lastOutput: z.string().optional(),
    issues: z.array(z.string()).optional(),
  }),
  z.object({
    kind: z.literal('budget_exhausted'),
    budget: z.enum(budgetKinds),
    limit: z.number(),
    /** What the run did before it stopped, for the human who picks it up. */
    summary: z.string(),
  }),
  z.object({ kind: z.literal('failed'), failure: failureSchema }),
  /** Stopped by a stop condition or a human: a loop of identical tool calls, an ended
   * escalation, a cancellation. */
  z.object({
    kind: z.literal('stopped'),
    reason: z.enum(['loop_detected', 'ended_by_human', 'cancelled']),
    message: z.string(),
    summary: z.string(),
  }),
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
  costUsd: z.number().nonnegative(),
  /** Calls whose model had no price: `costUsd` leaves them out, and says so here. */
  unpricedCalls: z.number().int().nonnegative(),
  /** The most recent model calls (at most 20: a result stays small however long the run);
   * `modelCalls` counts them all, and usage and cost cover them all. */
  calls: z.array(callRecordSchema),
  /** The most recent tool results (each cut to a thousand characters): what the run did,
   * e.g. the refund id a tool returned. */
  toolResults: z
    .array(
      z.object({
        step: z.number().int(),
        callId: z.string(),
        tool: z.string(),
        content: z.string(),
        isError: z.boolean(),
      }),
    )
    .optional(),
  /** The version of each tool the run offered, pinned at start (name → fingerprint). */
  tools: z.record(z.string(), z.string()).optional(),
  validation: validationReportSchema.optional(),
  /** Every authorization and human decision, in order. */
  audit: z.array(auditEntrySchema).default([]),
  escalations: z.number().int().nonnegative().default(0),
  /** What the run's sub-agents used, all the way down (already included in `usage` and
   * `costUsd`; `steps`, `toolCalls` and `modelCalls` count the run's own). */
  delegated: delegatedTotalsSchema.optional(),
  /** The run's sub-agents (the most recent 50) and how each ended. */
  children: z.array(childRunSchema).optional(),
  /** For a sub-agent: the run that started it. */
  parent: parentShownSchema.optional(),
  /** For a sub-agent: what its tree had done with each tool when it ended (calls, tallies),
   * which the parent adds to its own for its policies. */
  effects: effectsSchema.optional(),
});
export type RunResult = z.infer<typeof runResultSchema>;

/**
 * A single request/response task (extract, classify, rewrite, ...) — the lightweight
 * workflow beside the agent loop, with the same routing, fallbacks and output ladder.
 */
export const taskInputSchema = z
  .strictObject({
    name: z.string().min(1).max(100),
    taskClass: taskClassSchema.default('extract'),
    instructions: instructionsSchema,
    input: z.string().trim().min(1),
    output: outputContractSchema.optional(),
    runId: newRunIdSchema.optional(),
    ...modelConfigShape,
  })
  .refine(oneOfModelOrRouting.check, oneOfModelOrRouting.message);
export type TaskInput = z.infer<typeof taskInputSchema>;
export type TaskInputInit = z.input<typeof taskInputSchema>;

export const taskResultSchema = runResultSchema
  .omit({ steps: true, toolCalls: true, agent: true, audit: true, escalations: true })
  .extend({ task: z.string() });
export type TaskResult = z.infer<typeof taskResultSchema>;

export const runPhases = [
  'starting',
  'calling_model',
  'running_tools',
  'validating_output',
  'waiting_for_approval',
  'needs_human',
  'completed',
] as const;
export type RunPhase = (typeof runPhases)[number];

/** Work the run is waiting on right now. */
export type PendingWork =
  | { kind: 'model_call'; step: number; model: string }
  | { kind: 'tool_call'; step: number; callId: string; tool: string }
  | { kind: 'sub_agent'; step: number; callId: string; agent: string; runId: string };

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
  costUsd: number;
  /** Calls whose model had no price (`costUsd` leaves them out), and those models
   * (`provider/name`). Absent from workers that predate them. */
  unpricedCalls?: number;
  unpricedModels?: string[];
  /** The model of the latest call, `provider/name`. */
  model?: string;
  modelCalls: number;
  toolCalls: number;
  lastEvent: string;
  /** The most recent events (at most `recentEventsLimit`), numbered from 1 for the run. */
  recentEvents: RunEvent[];
  pending: PendingWork[];
  /** Tool calls waiting for a human decision. */
  pendingApprovals: z.infer<typeof pendingApprovalSchema>[];
  /** Set while the run waits for a human to answer, redirect or end it. */
  escalation?: z.infer<typeof openEscalationSchema>;
  escalations: number;
  outcome?: RunOutcome['kind'];
  /** For a sub-agent: the run that started it (and the top of its tree). */
  parent?: ParentShown;
  /** The run's sub-agents, running and ended (the most recent 50). */
  children?: ChildRun[];
  /** What they used, all the way down (included in `usage` and `costUsd`). */
  delegated?: DelegatedTotals;
}
