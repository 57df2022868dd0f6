import { z } from 'zod';
import { auditEntrySchema, openEscalationSchema, pendingApprovalSchema } from '../core/approvals.ts';
import { childRunSchema, delegatedTotalsSchema, parentShownSchema } from '../core/delegation.ts';
import { outcomeWords } from '../core/run-metrics.ts';
import { outputContractSchema } from '../core/output.ts';
import { agentNameSchema, newRunIdSchema, runIdSchema, runResultSchema } from '../core/run.ts';
import { runTraceSchema } from '../core/trace.ts';

/**
 * Request and response schemas of the HTTP API. The OpenAPI document is generated from
 * these (`openapi.ts`); the handlers parse every request with them.
 */

export const errorSchema = z
  .object({
    error: z.string().describe('A stable code: invalid_request, missing_token, forbidden, not_found, …'),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Error' });

export const runIdParams = z.object({ id: runIdSchema });
export const approvalParams = z.object({ id: runIdSchema, approvalId: z.string().min(1).max(200) });
export const escalationParams = z.object({ id: runIdSchema, escalationId: z.string().min(1).max(200) });

export const meSchema = z
  .object({
    user: z.string(),
    tenant: z.string(),
    groups: z.array(z.string()),
    scopes: z.array(z.string()),
    roles: z.array(z.string()),
  })
  .meta({ id: 'Me' });

/** Starting a run: the agent by name, from the workers' catalog. Who the run acts for is the
 * token's user and tenant; `scopes` may narrow the token's scopes, never widen them. */
export const startRunBody = z
  .strictObject({
    agent: agentNameSchema.describe('An agent of the workers\' catalog, e.g. "support"'),
    task: z.string().trim().min(1).max(100_000),
    runId: newRunIdSchema.optional(),
    output: outputContractSchema.optional(),
    scopes: z.array(z.string().min(1)).optional().describe("A subset of the token's scopes"),
    stream: z.boolean().optional(),
  })
  .meta({ id: 'StartRun' });
export const startRunResponse = z.object({ runId: z.string() }).meta({ id: 'RunStarted' });

const safeWord = z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/, 'letters, digits and . _ : - only');
export const listRunsQuery = z.strictObject({
  status: z
    .enum(['running', 'waiting_for_approval', 'needs_human', ...outcomeWords])
    .optional()
    .describe('BosunStatus: running, waiting_for_approval, needs_human, or how the run ended'),
  agent: safeWord.optional(),
  minCostUsd: z.coerce.number().nonnegative().optional(),
  maxCostUsd: z.coerce.number().nonnegative().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const runSummarySchema = z
  .object({
    runId: z.string(),
    agent: z.string().optional(),
    status: z.string().optional().describe('BosunStatus'),
    execution: z.string().describe('Temporal execution status: RUNNING, COMPLETED, FAILED, …'),
    costUsd: z.number().optional(),
    tokens: z.number().optional(),
    steps: z.number().optional(),
    pendingApprovals: z.number().optional(),
    model: z.string().optional(),
    startedAt: z.string(),
    closedAt: z.string().optional(),
  })
  .meta({ id: 'RunSummary' });
export const runListSchema = z.object({ runs: z.array(runSummarySchema) }).meta({ id: 'RunList' });

/** The `status` query's answer (`RunStatus` in core/run.ts); the main fields. */
export const runStatusSchema = z
  .looseObject({
    runId: z.string(),
    agent: z.string(),
    phase: z.string(),
    step: z.number(),
    maxSteps: z.number(),
    costUsd: z.number(),
    model: z.string().optional(),
    pendingApprovals: z.array(pendingApprovalSchema),
    escalation: openEscalationSchema.optional(),
    outcome: z.string().optional(),
    parent: parentShownSchema.optional().describe('For a sub-agent: the run that delegated to it'),
    children: z.array(childRunSchema).optional().describe("The run's sub-agents and how each ended"),
    delegated: delegatedTotalsSchema.optional().describe('What its sub-agents used (included in costUsd)'),
  })
  .meta({ id: 'RunStatus' });

export const runResultResponse = runResultSchema.meta({ id: 'RunResult' });
export const runTraceResponse = runTraceSchema.meta({ id: 'RunTrace' });

export const eventsQuery = z.strictObject({
  from: z.coerce.number().int().nonnegative().optional().describe('First offset wanted (Last-Event-ID wins)'),
});
export const traceQuery = z.strictObject({
  step: z.coerce.number().int().nonnegative().optional(),
  detail: z.enum(['true', 'false']).optional(),
});

export const approvalItemSchema = pendingApprovalSchema
  .extend({
    agent: z.string(),
    canDecide: z.boolean().describe("The caller's groups include the approval's group"),
  })
  .meta({ id: 'Approval' });
export const approvalListSchema = z
  .object({
    approvals: z.array(approvalItemSchema),
    unreachable: z.array(z.object({ runId: z.string(), reason: z.string() })),
  })
  .meta({ id: 'ApprovalList' });

/** A decision: the approver is the token's user, never a field of the body. */
export const decisionBody = z
  .discriminatedUnion('decision', [
    z.strictObject({ decision: z.literal('approve'), comment: z.string().max(2000).optional() }),
    z.strictObject({ decision: z.literal('reject'), reason: z.string().min(1).max(2000) }),
    z.strictObject({
      decision: z.literal('edit'),
      input: z.unknown().describe("Replacement arguments, validated against the tool's schema"),
      comment: z.string().max(2000).optional(),
    }),
  ])
  .meta({ id: 'Decision' });
export const decisionResponse = z
  .object({ approvalId: z.string(), decision: z.enum(['approve', 'reject', 'edit']), by: z.string() })
  .meta({ id: 'DecisionAccepted' });

export const escalationItemSchema = openEscalationSchema
  .extend({
    runId: z.string(),
    agent: z.string(),
    parent: parentShownSchema.optional().describe("For a sub-agent's escalation: the run that delegated to it"),
  })
  .meta({ id: 'Escalation' });
export const escalationListSchema = z
  .object({ escalations: z.array(escalationItemSchema) })
  .meta({ id: 'EscalationList' });
export const resolutionBody = z
  .discriminatedUnion('action', [
    z.strictObject({ action: z.literal('answer'), text: z.string().min(1).max(100_000) }),
    z.strictObject({ action: z.literal('redirect'), instruction: z.string().min(1).max(100_000) }),
    z.strictObject({ action: z.literal('end'), reason: z.string().min(1).max(2000) }),
  ])
  .meta({ id: 'EscalationResolution' });
export const resolutionResponse = z
  .object({ escalationId: z.string(), action: z.string(), by: z.string() })
  .meta({ id: 'EscalationResolved' });

export const cancelResponse = z.object({ runId: z.string(), cancelled: z.literal(true) });
export const auditResponse = z.object({ audit: z.array(auditEntrySchema) }).meta({ id: 'Audit' });

export const statsQuery = z.strictObject({
  since: z
    .string()
    .regex(/^\d+(m|h|d)$/, 'a duration like 30m, 24h or 7d')
    .default('24h'),
  agent: safeWord.optional(),
});
export const statsResponse = z
  .looseObject({ window: z.looseObject({ since: z.string(), until: z.string() }), runs: z.number() })
  .meta({ id: 'RunStats' });
