/**
 * The typed client API other programs import: start runs, read their status, decide their
 * approvals, resolve their escalations, read their audit trail, cancel them, await their
 * results; list the approvals inbox across runs. The CLI (`cli.ts`) is a shell over this and
 * is not part of it.
 *
 * @example
 * import { connectBosunClient, exampleAgent } from 'bosun';
 * const bosun = await connectBosunClient({ address: '127.0.0.1:7233', taskQueue: 'bosun' });
 * const run = await bosun.start({ agent: exampleAgent({ provider: 'openai', name: 'gpt-4.1-mini' }), task: 'Hi' });
 * for (const ask of await bosun.pendingApprovals()) console.log(ask.runId, ask.id, ask.tool);
 * const { outcome } = await run.result();
 */
export * from './client.ts';
export * from './errors.ts';
export * from '../core/output-contract.ts';
export * from './example-agent.ts';
export { runStats, type LatencySummary, type RunStats } from './stats.ts';
export { NoWorkerAnsweredError } from './mcp-inventory.ts';
export { ErasureResultEncryptedError, RunNotKnownError, RunStillOpenError } from './forget.ts';
export { followRunEvents, NoRunEventsError, type RunEventsOptions } from './run-events.ts';
export type { RunEvent, RunEventType, EventsPage } from '../core/run-events.ts';
export { TraceEncryptedError, type TraceOptions } from './trace.ts';
export type { RunTrace, ModelAttempt, ToolAttempt, TraceOutcome } from '../core/trace.ts';
export type { McpInventory, McpServerReport } from '../core/mcp.ts';
export type {
  RunInput,
  RunInputInit,
  RunResult,
  RunStatus,
  RunOutcome,
  AgentDefinitionInput,
  TaskInputInit,
  TaskResult,
} from '../core/run.ts';
export type { RoutingTableInput } from '../core/routing.ts';
export type {
  PendingApproval,
  OpenEscalation,
  AuditEntry,
  ApprovalDecisionInput,
  EscalationResolutionInput,
  EscalationReason,
} from '../core/approvals.ts';
export type { ActorInput, PrincipalInput } from '../core/principal.ts';
export type { BudgetKind } from '../core/budgets.ts';
