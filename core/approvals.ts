import { z } from 'zod';
import { parentShownSchema } from './delegation.ts';
import { actorSchema } from './principal.ts';

/** A tool call waiting for a human decision. */
export const pendingApprovalSchema = z.object({
  id: z.string(),
  runId: z.string(),
  step: z.number().int(),
  callId: z.string(),
  tool: z.string(),
  input: z.unknown(),
  /** Why the policy asked. */
  reason: z.string(),
  /** Only members of this group may decide (any authenticated approver when absent). */
  group: z.string().optional(),
  requestedAt: z.string(),
  deadlineAt: z.string(),
  /** True once the first deadline passed and the approval moved to the escalation group. */
  escalated: z.boolean(),
  /** What the approver needs to decide: the run's task, who it acts for, and what the tools
   * returned before this call (most recent last, each cut to a few hundred characters). */
  context: z
    .object({
      task: z.string(),
      principal: z.object({ tenant: z.string(), user: z.string() }),
      earlierResults: z.array(
        z.object({ step: z.number().int(), tool: z.string(), content: z.string(), isError: z.boolean() }),
      ),
      /** For a sub-agent's call: the run that delegated the task (and the top of the tree). */
      parent: parentShownSchema.optional(),
    })
    .optional(),
});
export type PendingApproval = z.infer<typeof pendingApprovalSchema>;

/** A decision on a pending approval, by Update (validated before it touches history) or by
 * Signal (for callers that cannot wait). */
export const approvalDecisionSchema = z.discriminatedUnion('decision', [
  z.strictObject({
    decision: z.literal('approve'),
    approvalId: z.string().min(1),
    approver: actorSchema,
    comment: z.string().max(2000).optional(),
  }),
  z.strictObject({
    decision: z.literal('reject'),
    approvalId: z.string().min(1),
    approver: actorSchema,
    reason: z.string().min(1).max(2000),
  }),
  z.strictObject({
    decision: z.literal('edit'),
    approvalId: z.string().min(1),
    approver: actorSchema,
    /** Replacement arguments: validated against the tool's schema and re-authorized. */
    input: z.unknown(),
    comment: z.string().max(2000).optional(),
  }),
]);
export type ApprovalDecision = z.infer<typeof approvalDecisionSchema>;
export type ApprovalDecisionInput = z.input<typeof approvalDecisionSchema>;

export type ApprovalResult =
  | { kind: 'approved'; by: string; input: unknown; edited: boolean }
  | { kind: 'rejected'; by: string; reason: string }
  | { kind: 'timed_out'; reason: string };

/** Why a run is waiting for a human. */
export const escalationReasons = [
  'refused',
  'invalid_output',
  'low_confidence',
  'policy_sensitive',
  'budget_low',
  'missing_context',
] as const;
export type EscalationReason = (typeof escalationReasons)[number];

export const openEscalationSchema = z.object({
  id: z.string(),
  reason: z.enum(escalationReasons),
  message: z.string(),
  openedAt: z.string(),
  deadlineAt: z.string(),
  /** The model's last output, for the human deciding (cut to a few thousand characters). */
  lastOutput: z.string().optional(),
  /** For an invalid output: what was wrong with it. */
  issues: z.array(z.string()).optional(),
});
export type OpenEscalation = z.infer<typeof openEscalationSchema>;

/** What a human does with an escalated run: answer for it, redirect it with a new
 * instruction (the loop continues), or end it. */
export const escalationResolutionSchema = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('answer'),
    escalationId: z.string().min(1),
    by: actorSchema,
    text: z.string().min(1),
  }),
  z.strictObject({
    action: z.literal('redirect'),
    escalationId: z.string().min(1),
    by: actorSchema,
    instruction: z.string().min(1),
  }),
  z.strictObject({
    action: z.literal('end'),
    escalationId: z.string().min(1),
    by: actorSchema,
    reason: z.string().min(1),
  }),
]);
export type EscalationResolution = z.infer<typeof escalationResolutionSchema>;
export type EscalationResolutionInput = z.input<typeof escalationResolutionSchema>;

/** One line of a run's audit trail: every authorization and human decision, who made it. */
export const auditEntrySchema = z.object({
  seq: z.number().int().positive(),
  at: z.string(),
  step: z.number().int().nonnegative(),
  event: z.enum([
    'tool_allowed',
    'tool_denied',
    'invalid_arguments',
    'approval_requested',
    'approved',
    'rejected',
    'edited',
    'approval_timed_out',
    'approval_escalated',
    'escalation_opened',
    'escalation_resolved',
    'budget_refused',
    'loop_detected',
    'decision_ignored',
    'cancelled',
    'sub_agent_started',
    'sub_agent_refused',
  ]),
  tool: z.string().optional(),
  callId: z.string().optional(),
  /** `policy`, `system`, or `human:<id>`. */
  by: z.string(),
  reason: z.string().optional(),
  /** For an edit: the arguments as the model asked and as the human approved them. */
  edit: z.object({ from: z.unknown(), to: z.unknown() }).optional(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;
