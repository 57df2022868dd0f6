import type { PromptPin } from '../core/activity-contracts.ts';
import type { Spent } from '../core/budgets.ts';
import {
  carriedAudit,
  packTotals,
  type CallTotals,
  type CarriedStateInit,
  type RetrievedSet,
  type ToolResultRecord,
} from '../core/carried-state.ts';
import { noDelegation, parentShown, type ChildRun, type DelegatedTotals } from '../core/delegation.ts';
import type { ToolResult } from '../core/messages.ts';
import type { PriorEffects } from '../tools/define-tool.ts';
import type { ValidationReport } from '../core/output.ts';
import type { Principal } from '../core/principal.ts';
import {
  recentEventsLimit,
  type AgentDefinition,
  type RunInput,
  type RunOutcome,
  type RunResult,
  type RunStatus,
} from '../core/run.ts';
import { createConversation, newConversation, type Conversation } from './conversation.ts';
import type { HumanDesk } from './human.ts';
import type { RunEvents } from './run-events.ts';
import { emptyTotals } from './model-caller.ts';

/** Call records and audit entries a run keeps, the most recent (older calls are counted,
 * not kept). Fewer are carried across continue-as-new: the carried state is written twice
 * into each run's history, so it bounds the history of every run. Totals (tokens, cost,
 * counts) are always carried exactly. */
const KEEP_CALLS = 100;
const KEEP_AUDIT = 200;
const CARRY_CALLS = 20;
/** Call records in a run's result: the most recent (the result is one payload in history). */
const RESULT_CALLS = 20;
const CARRY_AUDIT = 50;
/** Of the carried audit entries, routine ones (a tool call within policy) at most. */
const CARRY_ROUTINE_AUDIT = 10;
/** Distinct tool calls carried across continue-as-new for loop detection, the most recent
 * (the carried state is written twice into history at each continuation). */
const CARRY_CALL_KEYS = 50;
/** Tool results kept for the result and approvers (and carried), each cut short. */
const KEEP_TOOL_RESULTS = 20;
const CARRY_TOOL_RESULTS = 5;
const TOOL_RESULT_CHARS = 1000;

/** What retrieval found, for the memo the `stats` report reads. */
export interface RetrievalFacts {
  chunks: number;
  weak: boolean;
  topScore: number;
}

/**
 * Everything an agent run knows, in one object: what it was asked (input, agent,
 * principal), what it has spent (status, totals, counters), its conversation and pins. The
 * loop's steps read and update it; `carry` is what crosses continue-as-new.
 */
export interface RunState {
  readonly id: string;
  readonly input: RunInput;
  readonly agent: AgentDefinition;
  readonly principal: Principal;
  readonly startedAt: number;
  /** Runs before this one in the continue-as-new chain. */
  readonly runs: number;
  readonly status: RunStatus;
  readonly totals: CallTotals;
  readonly conv: Conversation;
  /** Tool names offered to the model: the agent's, less those the principal may not use. */
  offered: string[];
  prompt?: PromptPin;
  /** The version of each tool offered, pinned at start (`toolFingerprint`). */
  tools?: Record<string, string>;
  retrieved?: RetrievedSet;
  retrievalFacts?: RetrievalFacts;
  validation?: ValidationReport;
  answeredBy?: string;
  /** `outcomeReason(outcome)` once the run ended, for the memo. */
  endReason?: string;
  droppedCalls: number;
  identicalCalls: Map<string, number>;
  budgetLowEscalated: boolean;
  /** The most recent tool results, cut short (`rememberResults`). */
  toolResults: ToolResultRecord[];
  /** Per tool: calls allowed so far and the sums of their `tally` (`PriorEffects`). */
  effects: Record<string, PriorEffects>;
  /** Adds a line to the run's recent events (`status`). */
  note(text: string): void;
  /** The run's live event log (set when the loop starts). */
  events?: RunEvents;
  /** What its sub-agents used, rolled up from their results (`workflows/delegation.ts`). */
  delegated: DelegatedTotals;
  /** Its sub-agents, the most recent `KEEP_CHILDREN`; `childrenStarted` counts them all. */
  children: ChildRun[];
  childrenStarted: number;
  /** Levels of sub-agents it may still start below itself. */
  readonly depthLeft: number;
  /** The most the run's next model call can cost with `extraChars` more conversation (set by
   * the loop): room a delegating step keeps before carving budgets. */
  nextCallUsd?: (extraChars: number) => number | undefined;
}

/** Sub-agents a run lists in status, result and carried state: the most recent. */
export const KEEP_CHILDREN = 50;

/** A fresh run, or the continuation of one (`input.resume`). */
export function newRunState(id: string, input: RunInput, agent: AgentDefinition): RunState {
  const resume = input.resume;
  const totals = resume?.totals ?? emptyTotals();
  const status: RunStatus = {
    runId: id,
    agent: agent.name,
    phase: 'starting',
    step: resume?.step ?? 0,
    maxSteps: agent.maxSteps,
    usage: totals.usage,
    costUsd: totals.costUsd,
    modelCalls: 0,
    toolCalls: resume?.toolCalls ?? 0,
    lastEvent: '',
    recentEvents: [],
    pending: [],
    pendingApprovals: [],
    escalations: 0,
  };
  let seq = 0;
  const state: RunState = {
    id,
    input,
    agent,
    principal: input.principal,
    startedAt: resume?.startedAt ?? Date.now(),
    runs: resume?.runs ?? 0,
    status,
    totals,
    conv: resume ? createConversation(resume.conversation) : newConversation(id),
    offered: [],
    ...(resume ? { prompt: resume.prompt, ...(resume.tools ? { tools: resume.tools } : {}) } : {}),
    ...(resume?.retrieved ? { retrieved: resume.retrieved } : {}),
    ...(resume?.validation ? { validation: resume.validation } : {}),
    droppedCalls: resume?.droppedCalls ?? 0,
    identicalCalls: new Map(resume?.identicalCalls ?? []),
    budgetLowEscalated: resume?.budgetLowEscalated ?? false,
    toolResults: resume?.toolResults ?? [],
    // A sub-agent starts from what its tree has already done with each tool.
    effects: resume?.effects ?? input.parent?.effects ?? {},
    delegated: resume?.delegated ?? noDelegation,
    children: resume?.children ?? [],
    childrenStarted: resume?.childrenStarted ?? 0,
    depthLeft: input.parent ? input.parent.depthLeft : agent.delegation.maxDepth,
    note(text) {
      status.lastEvent = text;
      status.recentEvents = [...status.recentEvents.slice(-(recentEventsLimit - 1)), { seq: ++seq, text }];
    },
  };
  state.note(resume ? `run continued as new (part ${state.runs + 1})` : 'run started');
  return state;
}

/** What the run has used so far, for the budget checks. */
export function spent(run: RunState): Spent {
  // Sub-agents' steps and tool calls count against the run's budgets (their usage and cost
  // are in its totals already), and so do the budgets of children that left no result.
  const held = run.delegated.held;
  const usage = run.totals.usage;
  return {
    steps: run.status.step + run.delegated.steps + (held?.steps ?? 0),
    toolCalls: run.status.toolCalls + run.delegated.toolCalls + (held?.toolCalls ?? 0),
    usage: held ? { ...usage, input: usage.input + held.inputTokens, output: usage.output + held.outputTokens } : usage,
    costUsd: spentUsd(run),
    elapsedMs: Date.now() - run.startedAt,
  };
}

/** The cost the run's budget counts: its totals, plus what children without a result may
 * have spent. */
export function spentUsd(run: RunState): number {
  return run.totals.costUsd + (run.delegated.held?.costUsd ?? 0);
}

/** Keeps the run's records bounded: the most recent calls and audit entries. */
export function trimRecords(run: RunState, desk: HumanDesk, calls = KEEP_CALLS, audit = KEEP_AUDIT): void {
  const { calls: records } = run.totals;
  if (records.length > calls) {
    run.droppedCalls += records.length - calls;
    records.splice(0, records.length - calls);
  }
  if (desk.audit.length > audit) desk.audit.splice(0, desk.audit.length - audit);
}

/** The state a continuation starts from. Call records travel without their context
 * records (the bulk of a record) and with their common fields written once; the audit
 * keeps decisions over routine entries. The carried state is in history twice. */
export function carry(run: RunState, desk: HumanDesk): CarriedStateInit {
  const audit = carriedAudit(desk.audit, CARRY_AUDIT, CARRY_ROUTINE_AUDIT);
  trimRecords(run, desk, CARRY_CALLS, CARRY_AUDIT);
  return {
    startedAt: run.startedAt,
    runs: run.runs + 1,
    step: run.status.step,
    toolCalls: run.status.toolCalls,
    totals: packTotals({ ...run.totals, calls: run.totals.calls.map(({ context: _context, ...call }) => call) }),
    droppedCalls: run.droppedCalls,
    audit,
    escalations: desk.escalations(),
    humanWaitMs: desk.humanWaitMs(),
    humanTimeouts: desk.humanTimeouts(),
    conversation: run.conv.state(),
    prompt: run.prompt!,
    ...(run.tools ? { tools: run.tools } : {}),
    identicalCalls: [...run.identicalCalls].slice(-CARRY_CALL_KEYS),
    budgetLowEscalated: run.budgetLowEscalated,
    ...(run.validation ? { validation: run.validation } : {}),
    ...(run.retrieved ? { retrieved: run.retrieved } : {}),
    toolResults: run.toolResults.slice(-CARRY_TOOL_RESULTS),
    effects: run.effects,
    ...(run.events ? { events: run.events.mark() } : {}),
    ...(run.childrenStarted
      ? { delegated: run.delegated, children: run.children.slice(-KEEP_CHILDREN), childrenStarted: run.childrenStarted }
      : {}),
  };
}

/** Adds (`sign` 1) or takes back (-1, the call failed) one call's effects. */
export function countEffects(
  run: RunState,
  tool: string,
  tally: Record<string, number> | undefined,
  sign: 1 | -1,
): void {
  const prior = run.effects[tool] ?? { calls: 0, totals: {} };
  const totals = { ...prior.totals };
  for (const [k, v] of Object.entries(tally ?? {})) totals[k] = (totals[k] ?? 0) + sign * v;
  run.effects[tool] = { calls: prior.calls + sign, totals };
}

/** Remembers a step's tool results for the result and for approvers, bounded: what the
 * tools did (a refund id), not their errors, which are written for the model and may echo
 * whatever it sent. */
export function rememberResults(run: RunState, step: number, results: ToolResult[]): void {
  for (const r of results.filter((x) => !x.isError)) {
    const content = r.content.length > TOOL_RESULT_CHARS ? `${r.content.slice(0, TOOL_RESULT_CHARS)}…` : r.content;
    run.toolResults.push({ step, callId: r.callId, tool: r.name, content, isError: r.isError });
  }
  run.toolResults.splice(0, Math.max(0, run.toolResults.length - KEEP_TOOL_RESULTS));
}

/** A short account of what a run did, for whoever picks up an unfinished run. */
export function summarize(run: RunState): string {
  const { status, totals, conv } = run;
  const counts = Object.entries(conv.toolCounts).map(([n, c]) => `${n}×${c}`);
  return (
    `Stopped after ${status.step} steps (limit ${status.maxSteps}): ${totals.calls.length} model calls, ` +
    `${status.toolCalls} tool calls run${counts.length ? ` (the model asked for ${counts.join(', ')})` : ''}, ` +
    `${totals.usage.input} input / ${totals.usage.output} output tokens, $${totals.costUsd.toFixed(6)}.` +
    (conv.lastText ? ` Last model text: "${conv.lastText.slice(0, 300)}"` : '')
  );
}

/** The run's result for an outcome. */
export function resultOf(run: RunState, desk: HumanDesk, outcome: RunOutcome): RunResult {
  return {
    runId: run.id,
    agent: run.agent.name,
    outcome,
    steps: run.status.step,
    modelCalls: run.totals.calls.length + run.droppedCalls,
    toolCalls: run.status.toolCalls,
    usage: run.totals.usage,
    costUsd: run.totals.costUsd,
    unpricedCalls: run.totals.unpricedCalls,
    calls: run.totals.calls.slice(-RESULT_CALLS),
    ...(run.tools ? { tools: run.tools } : {}),
    ...(run.toolResults.length ? { toolResults: run.toolResults } : {}),
    ...(run.validation ? { validation: run.validation } : {}),
    audit: desk.audit,
    escalations: desk.escalations(),
    ...(run.childrenStarted ? { delegated: run.delegated, children: run.children.slice(-KEEP_CHILDREN) } : {}),
    ...(run.input.parent
      ? {
          parent: parentShown(run.input.parent),
          // What the tree has done with each tool, for the parent's policies.
          effects: run.effects,
        }
      : {}),
  };
}
