/**
 * `approvals`, `approve`, `reject`, `edit`: the inbox of tool calls waiting for a human, and
 * the decisions on them. A decision goes by Update (the run's answer is awaited, a refusal
 * exits 1 with the run's reason) or, with `--async`, by Signal.
 */
import type { ApprovalDecisionInput } from '../../core/approvals.ts';
import {
  validateDecision,
  type DecisionAck,
  type InboxApproval,
  type InboxEscalation,
  type UnreachableRun,
} from '../client.ts';
import type { CommandOf, ParseResult } from './command.ts';
import { parseDecisionTarget } from './decision-args.ts';
import type { CommandArgs } from './flags.ts';
import {
  approvalContext,
  approvalTerms,
  firstLine,
  formatDeadline,
  oneLine,
  plural,
  summarizeArgs,
  words,
} from './format.ts';
import type { Job } from './job.ts';

export function parseApprovals({ rest, values, connection, json }: CommandArgs<'approvals'>): ParseResult {
  if (rest.length > 0) return { error: `"approvals" takes no arguments, got ${rest.join(' ')}` };
  if (values.limit === undefined) return { kind: 'approvals', connection, json };
  const limit = Number(values.limit);
  if (!/^\d+$/.test(values.limit) || !Number.isSafeInteger(limit) || limit < 1) {
    return { error: `--limit must be a positive whole number (got "${values.limit}")` };
  }
  return { kind: 'approvals', connection, limit, json };
}

export function approvalsJob(cmd: CommandOf<'approvals'>): Job {
  return {
    async run(client, output) {
      // Runs that do not answer (a stopped worker) are listed apart; the others still show.
      const inbox = await client.inbox(cmd.limit !== undefined ? { limit: cmd.limit } : undefined);
      output.print(inbox, formatApprovals(inbox.approvals, inbox.unreachable, inbox.escalations));
      return 0;
    },
  };
}

export function parseDecision(args: CommandArgs<'approve' | 'reject' | 'edit'>): ParseResult {
  const target = parseDecisionTarget(args, 'approval');
  if ('error' in target) return target;
  const { name, values, connection, json } = args;
  const { runId, id: approvalId, actor: approver } = target;
  const comment = values.comment !== undefined ? { comment: values.comment } : {};
  let decision: ApprovalDecisionInput;
  if (name === 'approve') {
    decision = { decision: 'approve', approvalId, approver, ...comment };
  } else if (name === 'reject') {
    if (values.reason === undefined) return { error: '"reject" needs --reason "...": the model is told why' };
    decision = { decision: 'reject', approvalId, approver, reason: values.reason };
  } else {
    if (values.input === undefined) return { error: `"edit" needs --input '<json>': the replacement arguments` };
    let input: unknown;
    try {
      input = JSON.parse(values.input);
    } catch (err) {
      return { error: `--input is not valid JSON: ${firstLine(err)}` };
    }
    decision = { decision: 'edit', approvalId, approver, input, ...comment };
  }
  return { kind: 'decide', connection, runId, decision, async: values.async ?? false, json };
}

export function decisionJob(cmd: CommandOf<'decide'>): Job {
  validateDecision(cmd.decision);
  const { runId, decision } = cmd;
  return {
    runId,
    async run(client, output) {
      const handle = client.getHandle(runId);
      if (cmd.async) {
        await handle.decideAsync(decision);
        output.print(
          { runId, approvalId: decision.approvalId, decision: decision.decision, sent: 'signal' },
          formatDecision(runId, decision),
        );
        return 0;
      }
      const ack = await handle.decide(decision);
      output.print(ack, formatDecision(runId, decision, ack));
      return 0;
    },
  };
}

/** The approvals inbox: one block per pending tool call, the ids first as `approve` takes
 * them; then the runs that did not answer, apart. */
export function formatApprovals(
  list: InboxApproval[],
  unreachable: readonly UnreachableRun[] = [],
  escalations: readonly InboxEscalation[] = [],
): string {
  const lines =
    list.length === 0
      ? ['no pending approvals']
      : [
          `${plural(list.length, 'pending approval')}, oldest first:`,
          ...list.flatMap((a) => [
            `${a.runId}  ${a.id}  ${a.tool} ${summarizeArgs(a.input)}`,
            `  agent ${a.agent}; ${approvalTerms(a)}`,
            ...approvalContext(a),
          ]),
          '',
          'decide with: approve|reject|edit <runId> <approvalId> --as <you>',
        ];
  if (escalations.length)
    lines.push(
      '',
      `${plural(escalations.length, 'run')} waiting for a human to answer, redirect or end:`,
      ...escalations.flatMap((e) => [
        `${e.runId}  ${e.id}  ${words(e.reason)}: ${oneLine(e.message, 160)}`,
        `  agent ${e.agent}; ${formatDeadline(e.deadlineAt)}`,
        ...(e.parent ? [`  sub-agent of run ${e.parent.runId} (agent ${e.parent.agent}, step ${e.parent.step})`] : []),
        ...(e.lastOutput ? [`  the model's last output: ${oneLine(e.lastOutput, 200)}`] : []),
      ]),
      '',
      'resolve with: answer|redirect|end <runId> <escalationId> --as <you>',
    );
  if (unreachable.length === 0) return lines.join('\n');
  return [
    ...lines,
    '',
    `${plural(unreachable.length, 'run')} waiting for approval did not answer (not listed above):`,
    ...unreachable.map((u) => `  ${u.runId}: ${u.reason}`),
  ].join('\n');
}

/** What a decision command prints once the run accepted (or, with --async, was sent) it. */
export function formatDecision(runId: string, decision: ApprovalDecisionInput, ack?: DecisionAck): string {
  const did = { approve: 'approved', reject: 'rejected', edit: 'approved with edited arguments' }[decision.decision];
  if (!ack)
    return `sent: ${decision.approvalId} ${did} on run ${runId} (by signal; "audit ${runId}" shows whether the run applied it)`;
  return `${decision.approvalId} ${did} on run ${runId}`;
}
