import { WorkflowNotFoundError, type WorkflowExecutionInfo } from '@temporalio/client';
import { searchAttributes, workflowNames } from '../../workflows/definitions.ts';
import { tenantClause } from '../../client/client.ts';
import { ApiError } from '../errors.ts';
import { namespaceOf, type RouteDeps } from '../deps.ts';
import { defineRoute, type Route } from '../route.ts';
import {
  auditResponse,
  cancelResponse,
  errorSchema,
  listRunsQuery,
  runIdParams,
  runListSchema,
  runResultResponse,
  runStatusSchema,
  runTraceResponse,
  startRunBody,
  startRunResponse,
  traceQuery,
} from '../schemas.ts';
import { runOfTenant } from '../tenant-guard.ts';

const err = (description: string) => ({ description, schema: errorSchema });

/** Starting, listing and reading runs, all within the caller's tenant. */
export function runRoutes({ bosun, temporalUiBase }: RouteDeps): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/runs',
      tag: 'runs',
      summary: "Start a run of a catalog agent, acting for the token's user and tenant",
      body: startRunBody,
      responses: {
        201: { description: 'Started', schema: startRunResponse },
        403: err('A scope asked for is not in the token'),
        409: err('A run with this id exists'),
      },
      async handle({ c, identity, body }) {
        const widened = (body.scopes ?? []).filter((s) => !identity.scopes.includes(s));
        if (widened.length)
          throw new ApiError(403, 'scope_not_granted', `the token does not grant ${widened.join(', ')}`, {
            issues: widened.map((s) => ({ path: 'body.scopes', message: `"${s}" is not among the token's scopes` })),
          });
        const run = await bosun.start({
          agent: body.agent,
          task: body.task,
          ...(body.runId ? { runId: body.runId } : {}),
          ...(body.output ? { output: body.output } : {}),
          ...(body.stream !== undefined ? { stream: body.stream } : {}),
          principal: {
            tenant: identity.tenant,
            user: identity.user,
            scopes: body.scopes ?? identity.scopes,
            roles: identity.roles,
          },
        });
        return c.json({ runId: run.runId }, 201);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/runs',
      tag: 'runs',
      summary: "The caller's tenant's runs, newest first, filtered by status, agent and cost",
      query: listRunsQuery,
      responses: { 200: { description: 'Runs', schema: runListSchema } },
      async handle({ c, identity, query }) {
        const clauses = [
          `WorkflowType = "${workflowNames.agentRun}"`,
          tenantClause(identity.tenant),
          ...(query.status ? [`${searchAttributes.status.name} = "${query.status}"`] : []),
          ...(query.agent ? [`${searchAttributes.agent.name} = "${query.agent}"`] : []),
          ...(query.minCostUsd !== undefined ? [`${searchAttributes.costUsd.name} >= ${query.minCostUsd}`] : []),
          ...(query.maxCostUsd !== undefined ? [`${searchAttributes.costUsd.name} <= ${query.maxCostUsd}`] : []),
          // A continue-as-new chain is listed once, by its latest execution.
          `ExecutionStatus != "ContinuedAsNew"`,
        ];
        const runs = [];
        for await (const info of bosun.temporal.workflow.list({
          query: clauses.join(' AND '),
          pageSize: query.limit,
        })) {
          runs.push(summaryOf(info));
          if (runs.length >= query.limit) break;
        }
        return c.json({ runs });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/runs/:id',
      tag: 'runs',
      summary: 'Live status: step, tokens, cost, pending approvals, an open escalation',
      params: runIdParams,
      responses: { 200: { description: 'Status', schema: runStatusSchema }, 404: err('No such run in your tenant') },
      async handle({ c, identity, params }) {
        const d = await runOfTenant(bosun, params.id, identity);
        const status = await bosun.getHandle(params.id).status();
        return c.json({
          ...status,
          execution: d.status.name,
          startedAt: d.startTime.toISOString(),
          ...(d.closeTime ? { closedAt: d.closeTime.toISOString() } : {}),
          ...(temporalUiBase
            ? {
                temporalUiUrl: `${temporalUiBase.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespaceOf(bosun))}/workflows/${encodeURIComponent(params.id)}`,
              }
            : {}),
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/runs/:id/result',
      tag: 'runs',
      summary: "The run's typed result, once it has ended",
      params: runIdParams,
      responses: {
        200: { description: 'Result', schema: runResultResponse },
        404: err('No such run in your tenant'),
        409: err('`not_ended`: the run is still going'),
      },
      async handle({ c, identity, params }) {
        const d = await runOfTenant(bosun, params.id, identity);
        if (d.status.name === 'RUNNING') throw new ApiError(409, 'not_ended', `run ${params.id} has not ended`);
        return c.json(await bosun.getHandle(params.id).result());
      },
    }),
    defineRoute({
      method: 'get',
      path: '/runs/:id/audit',
      tag: 'runs',
      summary: 'Every authorization and human decision so far, with who made it',
      params: runIdParams,
      responses: { 200: { description: 'Audit trail', schema: auditResponse }, 404: err('No such run in your tenant') },
      async handle({ c, identity, params }) {
        await runOfTenant(bosun, params.id, identity);
        return c.json({ audit: await bosun.getHandle(params.id).audit() });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/runs/:id/trace',
      tag: 'runs',
      summary: 'Every attempt of every model and tool call, by step',
      params: runIdParams,
      query: traceQuery,
      responses: { 200: { description: 'Trace', schema: runTraceResponse }, 404: err('No such run in your tenant') },
      async handle({ c, identity, params, query }) {
        await runOfTenant(bosun, params.id, identity);
        const trace = await bosun.getHandle(params.id).trace({
          ...(query.step !== undefined ? { step: query.step } : {}),
          ...(query.detail === 'true' ? { detail: true } : {}),
        });
        return c.json(trace);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/runs/:id/cancel',
      tag: 'runs',
      summary: 'Cancel a running run (it ends `stopped`, reason `cancelled`)',
      params: runIdParams,
      responses: {
        202: { description: 'Cancellation requested', schema: cancelResponse },
        404: err('No such run in your tenant'),
        409: err('`already_ended`'),
      },
      async handle({ c, identity, params }) {
        await runOfTenant(bosun, params.id, identity);
        try {
          await bosun.getHandle(params.id).cancel();
        } catch (e) {
          if (e instanceof WorkflowNotFoundError)
            throw new ApiError(409, 'already_ended', `run ${params.id} has already ended`);
          throw e;
        }
        return c.json({ runId: params.id, cancelled: true as const }, 202);
      },
    }),
  ];
}

function summaryOf(info: WorkflowExecutionInfo) {
  const sa = info.typedSearchAttributes;
  return {
    runId: info.workflowId,
    agent: sa.get(searchAttributes.agent),
    status: sa.get(searchAttributes.status),
    execution: info.status.name,
    costUsd: sa.get(searchAttributes.costUsd),
    tokens: sa.get(searchAttributes.tokens),
    steps: sa.get(searchAttributes.steps),
    pendingApprovals: sa.get(searchAttributes.pendingApprovals),
    model: sa.get(searchAttributes.model),
    startedAt: info.startTime.toISOString(),
    ...(info.closeTime ? { closedAt: info.closeTime.toISOString() } : {}),
  };
}
