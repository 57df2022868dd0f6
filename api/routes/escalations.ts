import type { RouteDeps } from '../deps.ts';
import { defineRoute, type Route } from '../route.ts';
import { errorSchema, escalationListSchema, escalationParams, resolutionBody, resolutionResponse } from '../schemas.ts';
import { runOfTenant } from '../tenant-guard.ts';
import { ApiError } from '../errors.ts';

const err = (description: string) => ({ description, schema: errorSchema });

/** Runs of the caller's tenant parked for a human, and their resolution as the token's user. */
export function escalationRoutes({ bosun }: RouteDeps): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/escalations',
      tag: 'escalations',
      summary: "Runs of the caller's tenant waiting for a human to answer, redirect or end them",
      responses: { 200: { description: 'Open escalations', schema: escalationListSchema } },
      async handle({ c, identity }) {
        const inbox = await bosun.inbox({ tenant: identity.tenant });
        return c.json({ escalations: inbox.escalations });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/runs/:id/escalations/:escalationId',
      tag: 'escalations',
      summary: "Answer, redirect or end an escalated run, as the token's user",
      params: escalationParams,
      body: resolutionBody,
      refuseBodyKeys: {
        by: 'who resolves is the signed-in user (from the token); a body may not name one',
        approver: 'who resolves is the signed-in user (from the token); a body may not name one',
      },
      responses: {
        200: { description: 'The run accepted the resolution', schema: resolutionResponse },
        404: err('No such run in your tenant'),
        409: err('`already_ended`: the run has ended; nothing is waiting'),
        422: err('`decision_refused`: the run refused it (stale or unknown escalation)'),
      },
      async handle({ c, identity, params, body }) {
        const described = await runOfTenant(bosun, params.id, identity);
        if (described.status.name !== 'RUNNING')
          throw new ApiError(409, 'already_ended', `run ${params.id} has already ended; read its result`);
        const by = { id: identity.user, groups: identity.groups };
        const run = bosun.getHandle(params.id);
        const ack =
          body.action === 'answer'
            ? await run.answer(params.escalationId, by, body.text)
            : body.action === 'redirect'
              ? await run.redirect(params.escalationId, by, body.instruction)
              : await run.end(params.escalationId, by, body.reason);
        return c.json({ ...ack, by: identity.user });
      },
    }),
  ];
}
