import { z } from 'zod';
import type { Budgets } from './budgets.ts';
import { outputContractSchema } from './output.ts';
import type { Principal } from './principal.ts';
import { addUsage, usageSchema, zeroUsage, type Usage } from './usage.ts';

/**
 * Sub-agents: an agent hands a task to another agent of the catalog, which runs as a child
 * workflow of its run. Pure rules here (names, scopes, budgets, limits, what the model is
 * told); the workflow side is `workflows/delegation.ts`, the guide `docs/sub-agents.md`.
 */

/** Caps on what one delegation may use, beside the share of the parent's budget it is
 * carved from: the child gets the smallest of these, its own agent's limits and that share. */
export const childBudgetSchema = z.strictObject({
  maxSteps: z.number().int().positive().optional(),
  maxToolCalls: z.number().int().positive().optional(),
  maxInputTokens: z.number().int().positive().optional(),
  maxOutputTokens: z.number().int().positive().optional(),
  maxCostUsd: z.number().positive().optional(),
  maxWallClockMs: z.number().int().positive().optional(),
});
export type ChildBudget = z.infer<typeof childBudgetSchema>;

/** Tool names every provider accepts. */
const toolNameSchema = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'use 1–64 letters, digits, _ or -');

/**
 * An agent this agent may delegate to, as the model sees it: a tool (`ask_<agent>` unless
 * named) whose input is the task and optional structured input.
 *
 * @example
 * delegates: [{ agent: 'orders', scopes: ['orders:read'], budget: { maxSteps: 4, maxCostUsd: 0.05 } }]
 */
export const delegateSchema = z.strictObject({
  /** The agent, by its name in the worker's catalog. */
  agent: z.string().min(1).max(100),
  /** The tool name the model sees (default `ask_<agent>`). */
  tool: toolNameSchema.optional(),
  /** What the model is told the sub-agent does (default: the agent's `description`). */
  description: z.string().min(1).max(2000).optional(),
  /** The child acts with the parent's principal, its scopes narrowed to these (never more
   * than the parent has). Absent: the parent's scopes. */
  scopes: z.array(z.string().min(1)).optional(),
  /** Caps for each delegation (see `childBudgetSchema`). */
  budget: childBudgetSchema.optional(),
  /** The child's final answer must be JSON matching this contract (its `output` is what the
   * parent's model receives). */
  output: outputContractSchema.optional(),
});
export type Delegate = z.infer<typeof delegateSchema>;
export type DelegateInput = z.input<typeof delegateSchema>;

/** The task and optional structured input the model passes to a sub-agent (the delegate tool's
 * input). Here, not in `workflows/`, so the sandbox builds it once per worker, not per run. */
export const delegateInput = z.strictObject({
  task: z
    .string()
    .trim()
    .min(1)
    .max(20_000)
    .describe('The task for the sub-agent, self-contained: it sees nothing else of this conversation.'),
  input: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('Structured input for the task (a JSON object), if any.'),
});
export type DelegateToolInput = z.infer<typeof delegateInput>;

/** How far and how wide an agent may delegate. */
export const delegationLimitsSchema = z.strictObject({
  /** Levels of sub-agents below a run of this agent (a child gets the smaller of what is
   * left of its parent's and its own agent's). */
  maxDepth: z.number().int().min(0).max(8).default(2),
  /** Delegations that may run at once in one step; more in the same step are refused. */
  maxParallel: z.number().int().min(1).max(32).default(4),
  /** Delegations in a whole run (across continue-as-new). */
  maxChildren: z.number().int().min(1).max(1000).default(20),
});
export type DelegationLimits = z.infer<typeof delegationLimitsSchema>;

/** A budget as numbers: every limit the child must keep (absent = none). */
export const carvedBudgetSchema = childBudgetSchema.extend({ maxSteps: z.number().int().positive() });
export type CarvedBudget = z.infer<typeof carvedBudgetSchema>;

/** Per tool: calls made and the sums of its `tally` (`PriorEffects`). */
export const effectsSchema = z.record(
  z.string(),
  z.object({ calls: z.number().int().nonnegative(), totals: z.record(z.string(), z.number()) }),
);
export type Effects = z.infer<typeof effectsSchema>;

/** What `after` adds to `before`, per tool: a child's own effects, without those it inherited. */
export function effectsAdded(before: Effects, after: Effects): Effects {
  const added: Effects = {};
  for (const [tool, a] of Object.entries(after)) {
    const b = before[tool] ?? { calls: 0, totals: {} };
    const totals: Record<string, number> = {};
    for (const [k, v] of Object.entries(a.totals)) if (v !== (b.totals[k] ?? 0)) totals[k] = v - (b.totals[k] ?? 0);
    if (a.calls !== b.calls || Object.keys(totals).length) added[tool] = { calls: a.calls - b.calls, totals };
  }
  return added;
}

/** `base` plus `added`, per tool. */
export function addEffects(base: Effects, added: Effects): Effects {
  const out: Effects = { ...base };
  for (const [tool, a] of Object.entries(added)) {
    const b = out[tool] ?? { calls: 0, totals: {} };
    const totals = { ...b.totals };
    for (const [k, v] of Object.entries(a.totals)) totals[k] = (totals[k] ?? 0) + v;
    out[tool] = { calls: b.calls + a.calls, totals };
  }
  return out;
}

/** What a child run knows of where it sits in the tree (`RunInput.parent`). Set by the
 * parent when it starts the child; carried across the child's continue-as-new with its input. */
export const parentLinkSchema = z.strictObject({
  runId: z.string().min(1),
  agent: z.string().min(1),
  step: z.number().int().positive(),
  callId: z.string().min(1),
  /** The run at the top of the tree. */
  rootRunId: z.string().min(1),
  /** 1 for a child of a top-level run. */
  depth: z.number().int().positive(),
  /** Levels this child may still delegate below itself. */
  depthLeft: z.number().int().nonnegative().max(8),
  /** The budget carved for it; its agent's own limits still apply when smaller. */
  budget: carvedBudgetSchema,
  /** What the tree has already done with each tool (calls, tallies) when the child started:
   * its policies see it, so a threshold cannot be split across sub-agents. */
  effects: effectsSchema.optional(),
});
export type ParentLink = z.infer<typeof parentLinkSchema>;

/** Where a sub-agent sits in its tree, as its status, result, approvals and escalations show
 * it (the link less what only the run needs: its budget, depth left and inherited effects). */
export function parentShown(link: ParentLink) {
  return { runId: link.runId, agent: link.agent, step: link.step, rootRunId: link.rootRunId, depth: link.depth };
}

/** `parentShown`'s shape, for the schemas that carry it. */
export const parentShownSchema = z.object({
  runId: z.string(),
  agent: z.string(),
  step: z.number().int(),
  rootRunId: z.string(),
  depth: z.number().int(),
});
export type ParentShown = z.infer<typeof parentShownSchema>;

/** What a run's sub-agents (and theirs, all the way down) used: rolled up exactly from
 * their results. */
export const delegatedTotalsSchema = z.object({
  runs: z.number().int().nonnegative(),
  steps: z.number().int().nonnegative(),
  toolCalls: z.number().int().nonnegative(),
  modelCalls: z.number().int().nonnegative(),
  usage: usageSchema,
  costUsd: z.number().nonnegative(),
  /** Children that ended without a result to roll up (cancelled, terminated, timed out):
   * their use is in their own histories only. */
  unaccounted: z.number().int().nonnegative(),
  /** The budgets carved for those children, held against the run's budgets as what they may
   * have spent (never reported as usage or cost). */
  held: z
    .object({
      steps: z.number().int().nonnegative(),
      toolCalls: z.number().int().nonnegative(),
      inputTokens: z.number().int().nonnegative(),
      outputTokens: z.number().int().nonnegative(),
      costUsd: z.number().nonnegative(),
    })
    .optional(),
});
export type DelegatedTotals = z.infer<typeof delegatedTotalsSchema>;

export const noDelegation: DelegatedTotals = Object.freeze({
  runs: 0,
  steps: 0,
  toolCalls: 0,
  modelCalls: 0,
  usage: zeroUsage,
  costUsd: 0,
  unaccounted: 0,
});

/** One sub-agent of a run, as `status` and the result list them. */
export const childRunSchema = z.object({
  runId: z.string(),
  agent: z.string(),
  step: z.number().int().positive(),
  callId: z.string(),
  /** `running`, or how it ended: an outcome kind, `cancelled`, or `lost` (no result). */
  state: z.string(),
  costUsd: z.number().nonnegative().optional(),
  steps: z.number().int().nonnegative().optional(),
});
export type ChildRun = z.infer<typeof childRunSchema>;

/** The part of a child's result the parent rolls up. */
export interface ChildSpend {
  steps: number;
  toolCalls: number;
  modelCalls: number;
  usage: Usage;
  costUsd: number;
  delegated?: DelegatedTotals;
}

/** Adds one child's spend (its own and its descendants') to a run's delegated totals. */
export function rollUp(into: DelegatedTotals, child: ChildSpend): DelegatedTotals {
  const below = child.delegated ?? noDelegation;
  return {
    runs: into.runs + 1 + below.runs,
    steps: into.steps + child.steps + below.steps,
    toolCalls: into.toolCalls + child.toolCalls + below.toolCalls,
    modelCalls: into.modelCalls + child.modelCalls + below.modelCalls,
    // A child's usage and cost already include its descendants'.
    usage: addUsage(into.usage, child.usage),
    costUsd: Math.round((into.costUsd + child.costUsd) * 1e9) / 1e9,
    unaccounted: into.unaccounted + below.unaccounted,
    ...(into.held || below.held ? { held: addHeld(into.held, below.held) } : {}),
  };
}

type Held = NonNullable<DelegatedTotals['held']>;
const noHeld: Held = { steps: 0, toolCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };

function addHeld(a: Held = noHeld, b: Held = noHeld): Held {
  return {
    steps: a.steps + b.steps,
    toolCalls: a.toolCalls + b.toolCalls,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    costUsd: Math.round((a.costUsd + b.costUsd) * 1e9) / 1e9,
  };
}

/** A child that ended without a result: counted, and the budget carved for it held against
 * the run's (it may have spent all of it). */
export function holdUnaccounted(into: DelegatedTotals, carved: CarvedBudget): DelegatedTotals {
  return {
    ...into,
    unaccounted: into.unaccounted + 1,
    held: addHeld(into.held, {
      steps: carved.maxSteps,
      toolCalls: carved.maxToolCalls ?? 0,
      inputTokens: carved.maxInputTokens ?? 0,
      outputTokens: carved.maxOutputTokens ?? 0,
      costUsd: carved.maxCostUsd ?? 0,
    }),
  };
}

/** The tool name a delegate is offered under. */
export function delegateToolName(d: Pick<Delegate, 'agent' | 'tool'>): string {
  return d.tool ?? `ask_${d.agent.replace(/[^a-zA-Z0-9_-]/g, '_')}`.slice(0, 64);
}

/** The child's principal: the parent's, its scopes narrowed to those the delegate names
 * (never one the parent lacks). Tenant, user, roles and attributes stay the parent's. */
export function narrowPrincipal(parent: Principal, scopes: readonly string[] | undefined): Principal {
  if (!scopes) return parent;
  const allowed = new Set(scopes);
  return { ...parent, scopes: parent.scopes.filter((s) => allowed.has(s)) };
}

/** What a run may still spend, per budget (absent = no limit). `steps` and `toolCalls`
 * count its sub-agents' too. */
export interface Remaining {
  steps: number;
  toolCalls?: number;
  inputTokens?: number;
  outputTokens?: number;
  costUsd?: number;
  wallClockMs?: number;
}

/**
 * Carves one delegation's budget from what the parent has left: split evenly between the
 * `ways` delegations of its step and one more share the parent keeps to read their answers
 * and finish (wall clock is not split: they run side by side), then capped by the
 * delegate's caps. `short` names the budget that leaves nothing to carve.
 */
export function carveBudget(
  remaining: Remaining,
  ways: number,
  caps: ChildBudget = {},
): { budget: CarvedBudget } | { short: string } {
  const shares = ways + 1;
  const split = (n: number | undefined, int: boolean) =>
    n === undefined ? undefined : int ? Math.floor(n / shares) : n / shares;
  const budget: CarvedBudget = {
    maxSteps: least(split(remaining.steps, true), caps.maxSteps)!,
    ...defined('maxToolCalls', least(split(remaining.toolCalls, true), caps.maxToolCalls)),
    ...defined('maxInputTokens', least(split(remaining.inputTokens, true), caps.maxInputTokens)),
    ...defined('maxOutputTokens', least(split(remaining.outputTokens, true), caps.maxOutputTokens)),
    ...defined('maxCostUsd', least(split(remaining.costUsd, false), caps.maxCostUsd)),
    ...defined('maxWallClockMs', least(remaining.wallClockMs, caps.maxWallClockMs)),
  };
  const names: [keyof CarvedBudget, string][] = [
    ['maxSteps', 'steps'],
    ['maxToolCalls', 'tool calls'],
    ['maxInputTokens', 'input tokens'],
    ['maxOutputTokens', 'output tokens'],
    ['maxCostUsd', 'cost'],
    ['maxWallClockMs', 'wall clock'],
  ];
  const empty = names.find(([k]) => budget[k] !== undefined && budget[k] <= 0);
  if (empty) {
    const left = remaining[keyOf[empty[0]]];
    return {
      short: `the run has ${left === undefined ? 'no' : round(left)} ${empty[1]} left: too little to carve a share for ${ways} delegation(s) and keep one`,
    };
  }
  return { budget };
}

const keyOf: Record<keyof CarvedBudget, keyof Remaining> = {
  maxSteps: 'steps',
  maxToolCalls: 'toolCalls',
  maxInputTokens: 'inputTokens',
  maxOutputTokens: 'outputTokens',
  maxCostUsd: 'costUsd',
  maxWallClockMs: 'wallClockMs',
};

const round = (n: number) => (Number.isInteger(n) ? n : Number(n.toFixed(6)));

const least = (a: number | undefined, b: number | undefined) =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b);

/** A child's agent as it runs: its own limits, lowered to the budget its parent carved. */
export function withCarvedBudget<A extends { maxSteps: number; budgets: Budgets }>(agent: A, carved: CarvedBudget): A {
  const b = agent.budgets;
  return {
    ...agent,
    maxSteps: Math.min(agent.maxSteps, carved.maxSteps),
    budgets: {
      ...b,
      ...defined('maxToolCalls', least(b.maxToolCalls, carved.maxToolCalls)),
      ...defined('maxInputTokens', least(b.maxInputTokens, carved.maxInputTokens)),
      ...defined('maxOutputTokens', least(b.maxOutputTokens, carved.maxOutputTokens)),
      ...defined('maxCostUsd', least(b.maxCostUsd, carved.maxCostUsd)),
      ...defined('maxWallClockMs', least(b.maxWallClockMs, carved.maxWallClockMs)),
    },
  };
}

function defined<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: number };
}

/** The child's workflow id: the parent's, the step and the call's position in it — the
 * same on every replay, unique in the tree. Kept within run-id limits. */
export function childRunId(parentId: string, step: number, position: number, hash: (s: string) => string): string {
  const suffix = `:sub${step}.${position}`;
  const id = `${parentId}${suffix}`;
  if (id.length <= 200) return id;
  return `${parentId.slice(0, 160)}.${hash(parentId).slice(0, 16)}${suffix}`;
}

/** Why a delegation did not start. */
export type DelegationRefusal = 'depth_limit' | 'fan_out_limit' | 'budget' | 'unknown_agent';

/** What the parent's model receives for a delegation: the child's outcome, typed, as JSON. */
export type SubAgentReport =
  | { status: 'answer'; agent: string; runId: string; answer: string; output?: unknown }
  | { status: 'escalated'; agent: string; runId: string; reason: string; message: string }
  | { status: 'budget_exhausted'; agent: string; runId: string; budget: string; limit: number; summary: string }
  | { status: 'failed'; agent: string; runId: string; failure: string; message: string }
  | { status: 'stopped'; agent: string; runId: string; reason: string; message: string }
  | { status: 'refused'; agent: string; reason: DelegationRefusal; message: string };
