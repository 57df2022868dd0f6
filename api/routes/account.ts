import type { RouteDeps } from '../deps.ts';
import { defineRoute, type Route } from '../route.ts';
import { meSchema, statsQuery, statsResponse } from '../schemas.ts';

const unitMs = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Who the caller is, and their tenant's figures. */
export function accountRoutes({ bosun }: RouteDeps): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/me',
      tag: 'account',
      summary: 'The verified identity of the token: user, tenant, groups, scopes, roles',
      responses: { 200: { description: 'You', schema: meSchema } },
      async handle({ c, identity }) {
        return c.json(identity);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/stats',
      tag: 'account',
      summary: "Business figures over the tenant's runs started in the window (docs/metrics.md)",
      query: statsQuery,
      responses: { 200: { description: 'Figures', schema: statsResponse } },
      async handle({ c, identity, query }) {
        const [, n, unit] = /^(\d+)(m|h|d)$/.exec(query.since)!;
        const since = new Date(Date.now() - Number(n) * unitMs[unit as keyof typeof unitMs]);
        return c.json(
          await bosun.stats({ since, tenant: identity.tenant, ...(query.agent ? { agent: query.agent } : {}) }),
        );
      },
    }),
  ];
}
