import type { BosunClient } from '../../client/client.ts';
import type { PendingApproval } from '../../core/approvals.ts';
import { checkToolInput } from '../../tools/define-tool.ts';
import type { Identity } from '../auth/identity.ts';
import type { RouteDeps } from '../deps.ts';
import { ApiError, issuesInReason, notFound } from '../errors.ts';
import { defineRoute, type Route } from '../route.ts';
import { approvalListSchema, approvalParams, decisionBody, decisionResponse, errorSchema } from '../schemas.ts';
import { runOfTenant } from '../tenant-guard.ts';

const err = (description: string) => ({ description, schema: errorSchema });

/** An approval addressed to a group is decided by its members only; one without a group by
 * any approver of the tenant (as the run itself rules). */
export const canDecide = (approval: Pick<PendingApproval, 'group'>, identity: Identity): boolean =>
  !approval.group || identity.groups.includes(approval.group);

/** The approvals inbox and decisions, within the caller's tenant; the approver is the token. */
export function approvalRoutes({ bosun, catalog }: RouteDeps): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/approvals',
      tag: 'approvals',
      summary: "Tool calls of the caller's tenant waiting for a human, oldest first, with their context",
      responses: { 200: { description: 'Pending approvals', schema: approvalListSchema } },
      async handle({ c, identity }) {
        const inbox = await bosun.inbox({ tenant: identity.tenant });
        const approvals = inbox.approvals
          // The search attribute already filtered; the run's own principal is checked too.
          .filter((a) => !a.context || a.context.principal.tenant === identity.tenant)
          .map((a) => ({ ...a, canDecide: canDecide(a, identity) }));
        return c.json({
          approvals,
          unreachable: inbox.unreachable.map(({ runId, reason }) => ({ runId, reason })),
        });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/runs/:id/approvals/:approvalId',
      tag: 'approvals',
      summary: "Approve, reject or edit a pending tool call, as the token's user",
      params: approvalParams,
      body: decisionBody,
      refuseBodyKeys: {
        approver: 'the approver is the signed-in user (from the token); a body may not name one',
        by: 'the approver is the signed-in user (from the token); a body may not name one',
      },
      responses: {
        200: { description: 'The run accepted the decision', schema: decisionResponse },
        403: err('`forbidden`: the approval is addressed to a group you are not in'),
        404: err('No such run in your tenant'),
        409: err('`already_ended`: the run has ended; nothing is pending'),
        422: err('`decision_refused`: the run refused it (stale id, edited arguments invalid or not authorized)'),
      },
      async handle({ c, identity, params, body }) {
        const run = await runOfTenant(bosun, params.id, identity);
        if (run.status.name !== 'RUNNING')
          throw new ApiError(409, 'already_ended', `run ${params.id} has already ended; read its result`);
        const pending = await pendingApproval(bosun, params.id, params.approvalId);
        if (pending && !canDecide(pending, identity))
          throw new ApiError(
            403,
            'forbidden',
            `approval ${params.approvalId} is for group ${pending.group}; you are in ${identity.groups.join(', ') || 'no group'}`,
          );
        if (body.decision === 'edit') {
          if (body.input === undefined)
            throw new ApiError(400, 'invalid_request', 'an edit needs the replacement arguments', {
              issues: [{ path: 'body.input', message: 'required for an edit' }],
            });
          const contract = pending && catalog?.tool(pending.tool);
          const check = contract ? checkToolInput(contract, body.input) : undefined;
          if (check && !check.ok)
            throw new ApiError(422, 'decision_refused', check.message, { issues: issuesInReason(check.message) });
        }
        const approver = { id: identity.user, groups: identity.groups };
        const ack = await bosun.getHandle(params.id).decide({ ...body, approvalId: params.approvalId, approver });
        return c.json({ ...ack, by: identity.user });
      },
    }),
  ];
}

/** The pending approval as the run reports it now, if it is still pending. */
async function pendingApproval(bosun: BosunClient, runId: string, approvalId: string) {
  try {
    const status = await bosun.getHandle(runId).status();
    return status.pendingApprovals.find((a) => a.id === approvalId);
  } catch (e) {
    if ((e as Error).name === 'WorkflowNotFoundError') throw notFound(runId);
    throw e;
  }
}
