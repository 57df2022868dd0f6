import { z } from 'zod';
import { AuthError, type Identity } from './identity.ts';

/** Which token claims carry the tenant, the groups and the roles (`sub` is always the user;
 * scopes are `scope`, space-separated as OAuth 2 has it, or `scopes`, a list). */
export interface ClaimNames {
  tenant: string;
  groups: string;
  roles: string;
}

export const defaultClaimNames: ClaimNames = { tenant: 'tenant', groups: 'groups', roles: 'roles' };

/** Ids that go into visibility queries and audit lines: no quotes, no spaces, no control
 * characters. */
const idPattern = /^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,199}$/;
const id = z.string().regex(idPattern, 'letters, digits and . _ : @ + - (at most 200)');

/** A list claim: an array of names, or one space-separated string (as `scope` is). */
const nameList = z
  .union([z.array(z.string().min(1)), z.string()])
  .optional()
  .transform((v) => (v === undefined ? [] : typeof v === 'string' ? v.split(' ').filter(Boolean) : v));

/**
 * The identity a verified token's claims describe; `AuthError('invalid_claims')` names the
 * claim that is missing or malformed.
 *
 * @example
 * identityFromClaims({ sub: 'alice', tenant: 'acme', groups: ['support'], scope: 'orders:read' })
 * // { user: 'alice', tenant: 'acme', groups: ['support'], scopes: ['orders:read'], roles: [] }
 */
export function identityFromClaims(claims: Record<string, unknown>, names: ClaimNames = defaultClaimNames): Identity {
  const schema = z.object({
    sub: id,
    [names.tenant]: id,
    [names.groups]: nameList,
    [names.roles]: nameList,
    scope: nameList,
    scopes: nameList,
  });
  const parsed = schema.safeParse(claims);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const claim = String(issue.path[0] ?? '(token)');
    const missing = claims[claim] === undefined;
    throw new AuthError(
      'invalid_claims',
      missing ? `the token has no "${claim}" claim` : `the token's "${claim}" claim is invalid: ${issue.message}`,
    );
  }
  const c = parsed.data as Record<string, unknown>;
  return {
    user: c.sub as string,
    tenant: c[names.tenant] as string,
    groups: c[names.groups] as string[],
    roles: c[names.roles] as string[],
    scopes: [...new Set([...(c.scope as string[]), ...(c.scopes as string[])])],
  };
}
