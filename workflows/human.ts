import { condition, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  approvalDecisionSchema,
  escalationResolutionSchema,
  type ApprovalDecision,
  type ApprovalResult,
  type AuditEntry,
  type EscalationReason,
  type EscalationResolution,
  type OpenEscalation,
  type PendingApproval,
} from '../core/approvals.ts';
import type { Principal } from '../core/principal.ts';
import { formatIssues } from '../core/zod-issues.ts';
import {
  authorizeToolCall,
  checkToolInput,
  type ApprovalOptions,
  type PriorEffects,
  type ToolContract,
} from '../tools/index.ts';
import {
  auditQuery,
  decideApprovalSignal,
  decideApprovalUpdate,
  resolveEscalationUpdate,
  type DecisionAck,
} from './definitions.ts';

interface Waiting {
  pending: PendingApproval;
  contract: ToolContract;
  prior?: PriorEffects;
  result?: ApprovalResult;
}

/**
 * The human side of a run: approvals for tool calls and escalations of the whole run, with
 * their Update/Signal handlers, deadlines and the audit trail. Decisions are validated
 * before they touch history: unknown, stale or duplicate ids, approvers outside the group,
 * and edited arguments that fail the schema or the principal's authorization are refused.
 */
export function createHumanDesk(opts: {
  principal: Principal;
  step: () => number;
  onChange: () => void;
  /** What a run continued as new carries over. */
  restore?: { audit: AuditEntry[]; escalations: number; humanWaitMs?: number; humanTimeouts?: number };
  /** Checks a human's answer (the run's output contract): issues refuse it. */
  checkAnswer?: (text: string) => string[] | undefined;
  /** Told of every audit entry as it is recorded (the run's live events). */
  onRecord?: (entry: AuditEntry) => void;
}) {
  const { principal } = opts;
  const audit: AuditEntry[] = [...(opts.restore?.audit ?? [])];
  const waiting = new Map<string, Waiting>();
  let escalation: (OpenEscalation & { resolution?: EscalationResolution }) | undefined;
  let escalationCount = opts.restore?.escalations ?? 0;
  // Time with at least one approval or escalation open; waits that overlap count once.
  let waitedMs = opts.restore?.humanWaitMs ?? 0;
  let timeouts = opts.restore?.humanTimeouts ?? 0;
  let openWaits = 0;
  let waitingSince = 0;
  const startWait = () => {
    if (openWaits++ === 0) waitingSince = Date.now();
  };
  const endWait = () => {
    if (--openWaits === 0) waitedMs += Date.now() - waitingSince;
  };

  const record = (entry: Omit<AuditEntry, 'seq' | 'at' | 'step'>) => {
    const recorded: AuditEntry = {
      seq: (audit.at(-1)?.seq ?? 0) + 1,
      at: new Date(Date.now()).toISOString(),
      step: opts.step(),
      ...entry,
    };
    audit.push(recorded);
    opts.onRecord?.(recorded);
  };

  /** Throws (refusing the decision) unless it can be applied as given. */
  const validateDecision = (raw: unknown): { decision: ApprovalDecision; w: Waiting; input?: unknown } => {
    const parsed = approvalDecisionSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`invalid decision: ${formatIssues(parsed.error)}`);
    const decision = parsed.data;
    const w = waiting.get(decision.approvalId);
    if (!w || w.result)
      throw new Error(`approval ${decision.approvalId} is not pending (unknown, already decided, or timed out)`);
    if (w.pending.group && !decision.approver.groups.includes(w.pending.group)) {
      throw new Error(`approver ${decision.approver.id} is not in group ${w.pending.group}`);
    }
    if (decision.decision !== 'edit') return { decision, w };
    const check = checkToolInput(w.contract, decision.input);
    if (!check.ok) throw new Error(`edited arguments rejected: ${check.message}`);
    const auth = authorizeToolCall(w.contract, check.value, principal, w.prior);
    if (auth.kind === 'deny') throw new Error(`edited arguments not authorized: ${auth.reason}`);
    return { decision, w, input: check.value };
  };

  const apply = ({ decision, w, input }: ReturnType<typeof validateDecision>): DecisionAck => {
    const by = `human:${decision.approver.id}`;
    const base = { tool: w.pending.tool, callId: w.pending.callId, by };
    if (decision.decision === 'reject') {
      w.result = { kind: 'rejected', by, reason: decision.reason };
      record({ ...base, event: 'rejected', reason: decision.reason });
    } else {
      const edited = decision.decision === 'edit';
      w.result = { kind: 'approved', by, input: edited ? input : w.pending.input, edited };
      record({
        ...base,
        event: edited ? 'edited' : 'approved',
        ...(decision.comment ? { reason: decision.comment } : {}),
        ...(edited ? { edit: { from: w.pending.input, to: input } } : {}),
      });
    }
    opts.onChange();
    return { approvalId: decision.approvalId, decision: decision.decision };
  };

  setHandler(decideApprovalUpdate, (raw) => apply(validateDecision(raw)), {
    validator: (raw) => void validateDecision(raw),
  });
  setHandler(decideApprovalSignal, (raw) => {
    try {
      apply(validateDecision(raw));
    } catch (err) {
      record({ event: 'decision_ignored', by: 'system', reason: err instanceof Error ? err.message : String(err) });
    }
  });

  const validateResolution = (raw: unknown): EscalationResolution => {
    const parsed = escalationResolutionSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`invalid resolution: ${formatIssues(parsed.error)}`);
    if (!escalation || escalation.resolution || escalation.id !== parsed.data.escalationId) {
      throw new Error(`escalation ${parsed.data.escalationId} is not open`);
    }
    const issues = parsed.data.action === 'answer' ? opts.checkAnswer?.(parsed.data.text) : undefined;
    if (issues?.length)
      throw new Error(`answer rejected: it must match the run's output contract: ${issues.join('; ')}`);
    return parsed.data;
  };
  setHandler(
    resolveEscalationUpdate,
    (raw) => {
      const resolution = validateResolution(raw);
      escalation!.resolution = resolution;
      record({ event: 'escalation_resolved', by: `human:${resolution.by.id}`, reason: resolution.action });
      opts.onChange();
      return { escalationId: resolution.escalationId, action: resolution.action };
    },
    { validator: (raw) => void validateResolution(raw) },
  );
  setHandler(auditQuery, () => audit);

  const deadline = (ms: number) => new Date(Date.now() + ms).toISOString();

  return {
    audit,
    record,
    pendingApprovals: (): PendingApproval[] => [...waiting.values()].filter((w) => !w.result).map((w) => w.pending),
    openEscalation: (): OpenEscalation | undefined =>
      escalation && !escalation.resolution ? stripResolution(escalation) : undefined,
    escalations: () => escalationCount,
    /** Wall-clock ms the run has waited on at least one human (so far, open waits included). */
    humanWaitMs: () => waitedMs + (openWaits > 0 ? Date.now() - waitingSince : 0),
    /** Approvals and escalations whose last deadline passed without a decision. */
    humanTimeouts: () => timeouts,

    /** Waits for a decision on one tool call; on the first deadline the approval moves to the
     * escalation group (when the policy says so), on the last it times out (never executes). */
    async requestApproval(call: {
      step: number;
      callId: string;
      contract: ToolContract;
      input: unknown;
      reason: string;
      options: ApprovalOptions;
      context?: PendingApproval['context'];
      prior?: PriorEffects;
    }) {
      const pending: PendingApproval = {
        id: call.callId,
        runId: workflowInfo().workflowId,
        step: call.step,
        callId: call.callId,
        tool: call.contract.name,
        input: call.input,
        reason: call.reason,
        ...(call.options.group ? { group: call.options.group } : {}),
        requestedAt: new Date(Date.now()).toISOString(),
        deadlineAt: deadline(call.options.timeoutMs),
        escalated: false,
        ...(call.context ? { context: call.context } : {}),
      };
      const w: Waiting = { pending, contract: call.contract, ...(call.prior ? { prior: call.prior } : {}) };
      waiting.set(pending.id, w);
      record({
        event: 'approval_requested',
        tool: pending.tool,
        callId: pending.callId,
        by: 'policy',
        reason: call.reason,
      });
      opts.onChange();
      startWait();
      try {
        if (await condition(() => w.result !== undefined, call.options.timeoutMs)) return w.result!;
        const onTimeout = call.options.onTimeout;
        if (onTimeout !== 'deny') {
          pending.group = onTimeout.escalateTo;
          pending.escalated = true;
          pending.deadlineAt = deadline(onTimeout.timeoutMs);
          record({
            event: 'approval_escalated',
            tool: pending.tool,
            callId: pending.callId,
            by: 'system',
            reason: `no decision in time; moved to ${onTimeout.escalateTo}`,
          });
          opts.onChange();
          if (await condition(() => w.result !== undefined, onTimeout.timeoutMs)) return w.result!;
        }
        const timedOut: ApprovalResult = {
          kind: 'timed_out',
          reason: 'no decision before the deadline; the policy default is deny',
        };
        w.result = timedOut;
        timeouts++;
        record({
          event: 'approval_timed_out',
          tool: pending.tool,
          callId: pending.callId,
          by: 'system',
          reason: timedOut.reason,
        });
        return timedOut;
      } finally {
        waiting.delete(pending.id);
        endWait();
        opts.onChange();
      }
    },

    /** Parks the run until a human answers, redirects or ends it, or the deadline passes. */
    async escalate(
      reason: EscalationReason,
      message: string,
      timeoutMs: number,
      extra: { lastOutput?: string; issues?: string[] } = {},
    ): Promise<EscalationResolution | undefined> {
      escalationCount++;
      const open = {
        id: `esc-${escalationCount}`,
        reason,
        message,
        openedAt: new Date(Date.now()).toISOString(),
        deadlineAt: deadline(timeoutMs),
        ...extra,
      };
      escalation = open;
      record({ event: 'escalation_opened', by: 'system', reason: `${reason}: ${message}` });
      opts.onChange();
      startWait();
      try {
        const resolved = await condition(() => escalation?.resolution !== undefined, timeoutMs);
        if (!resolved) timeouts++;
        return resolved ? escalation!.resolution : undefined;
      } finally {
        escalation = undefined;
        endWait();
        opts.onChange();
      }
    },

    /** Counts an escalation that ends the run at once (mode `return`). */
    noteImmediateEscalation(reason: EscalationReason, message: string) {
      escalationCount++;
      record({ event: 'escalation_opened', by: 'system', reason: `${reason}: ${message}` });
    },
  };
}

export type HumanDesk = ReturnType<typeof createHumanDesk>;

function stripResolution(e: OpenEscalation & { resolution?: unknown }): OpenEscalation {
  const { resolution: _r, ...open } = e;
  return open;
}
