import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  ApprovalDecisionInput,
  AuditEntry,
  EscalationResolutionInput,
  PendingApproval,
} from '../core/approvals.ts';
import type { CallRecord } from '../core/calls.ts';
import type { RunResult, RunStatus } from '../core/run.ts';
import {
  PUBLISH_DELTAS_SIGNAL,
  type EventsPage,
  type EventsQueryInput,
  type PublishDeltasInput,
} from '../core/run-events.ts';

/**
 * Names recorded in Temporal history are public API: the client and operators depend on
 * them, recorded histories replay against them (`test/replay/`, rule in `docs/testing.md`).
 */
export const workflowNames = {
  agentRun: 'agentRun',
  completeTask: 'completeTask',
  mcpInventory: 'mcpInventory',
  traceReader: 'traceReader',
  forgetRun: 'forgetRun',
  erasureLog: 'erasureLog',
  retentionSweep: 'retentionSweep',
} as const;
export const activityNames = { callModel: 'callModel', executeTool: 'executeTool' } as const;

/** Live progress of a run: step, tokens and cost so far, last events, pending work and
 * approvals, an open escalation. */
export const statusQuery = defineQuery<RunStatus>('status');
/** The run's recent model calls: route, model, prompt version, tokens, cost, retrieved chunk
 * ids, context record, outcome (the most recent ones; totals are in `status`). */
export const callsQuery = defineQuery<CallRecord[]>('calls');
/** The run's result once it has ended (undefined before): also readable for runs that ended
 * Failed or Canceled, whose Temporal result is a failure. */
export const resultQuery = defineQuery<RunResult | undefined>('result');
/** The run's audit trail: every authorization and human decision. */
export const auditQuery = defineQuery<AuditEntry[]>('audit');

/** What the run says back to an accepted decision. */
export interface DecisionAck {
  approvalId: string;
  decision: 'approve' | 'reject' | 'edit';
}

/**
 * Decide a pending approval. The validator refuses — before anything is written to history —
 * an unknown, stale or duplicate approval id, an approver outside the required group, and
 * edited arguments that fail the tool's schema or the principal's authorization.
 */
export const decideApprovalUpdate = defineUpdate<DecisionAck, [ApprovalDecisionInput]>('decideApproval');
/** The same decision for callers that cannot wait for an answer; an invalid one is
 * recorded in the audit trail and ignored. */
export const decideApprovalSignal = defineSignal<[ApprovalDecisionInput]>('decideApprovalAsync');
/** Answer, redirect or end a run that is waiting for a human. */
export const resolveEscalationUpdate = defineUpdate<
  { escalationId: string; action: string },
  [EscalationResolutionInput]
>('resolveEscalation');

/** Search attributes Bosun keeps current, so operators filter runs in the Temporal UI and
 * CLI without opening a payload (e.g. `BosunPendingApprovals > 0`). */
export const searchAttributes = {
  status: defineSearchAttributeKey('BosunStatus', 'KEYWORD'),
  agent: defineSearchAttributeKey('BosunAgent', 'KEYWORD'),
  pendingApprovals: defineSearchAttributeKey('BosunPendingApprovals', 'INT'),
  model: defineSearchAttributeKey('BosunModel', 'KEYWORD'),
  steps: defineSearchAttributeKey('BosunSteps', 'INT'),
  tokens: defineSearchAttributeKey('BosunTokens', 'INT'),
  costUsd: defineSearchAttributeKey('BosunCostUsd', 'DOUBLE'),
  failureType: defineSearchAttributeKey('BosunFailureType', 'KEYWORD'),
  /** `initial` | `repaired` | `escalated` for runs with an output contract. */
  validation: defineSearchAttributeKey('BosunValidation', 'KEYWORD'),
  /** The principal's tenant, set by the client at start and never changed by the run: what
   * the HTTP API filters and checks every read and decision by. */
  tenant: defineSearchAttributeKey('BosunTenant', 'KEYWORD'),
} as const;
// SQL-backed visibility (the dev server, many clusters) allows 3 Int and 3 Double custom
// attributes per namespace: Bosun uses 3 Ints (approvals, steps, tokens) and 1 Double.
export type PendingApprovalList = PendingApproval[];

/** A page of the run's live events from an offset (`run.events()`, `bosun watch`). A query:
 * reading costs the run no history, however many clients follow it. */
export const eventsQuery = defineQuery<EventsPage, [EventsQueryInput]>('events');
/** Partial answers from the `callModel` activity, batched (see `core/run-events.ts`). */
export const publishDeltasSignal = defineSignal<[PublishDeltasInput]>(PUBLISH_DELTAS_SIGNAL);
