import { z } from 'zod';

/**
 * Who a run acts for, set by the service that starts it. Tools are offered and executed only
 * within the principal's scopes; per-tool constraints may read its roles. The default is an
 * anonymous principal with no scopes: tools that need a scope are never offered to it.
 */
export const principalSchema = z.strictObject({
  tenant: z.string().min(1).max(200).default('default'),
  user: z.string().min(1).max(200).default('anonymous'),
  scopes: z.array(z.string().min(1)).default([]),
  roles: z.array(z.string().min(1)).default([]),
  /** Facts the starting service vouches for (e.g. `{ customerId: 'cus_42' }`), for handlers
   * that check who owns what. */
  attributes: z.record(z.string(), z.string()).default({}),
});
export type Principal = z.infer<typeof principalSchema>;
export type PrincipalInput = z.input<typeof principalSchema>;

/** The principal of a run started without one: the schema's defaults, so the two cannot
 * drift apart. Shared; do not mutate it. */
export const anonymousPrincipal: Principal = principalSchema.parse({});

/** A human acting on a run (approver, escalation handler). Identity is asserted by the
 * calling service, which authenticated them; Bosun records it and checks group membership. */
export const actorSchema = z.strictObject({
  id: z.string().min(1).max(200),
  groups: z.array(z.string().min(1)).default([]),
});
export type Actor = z.infer<typeof actorSchema>;
export type ActorInput = z.input<typeof actorSchema>;
