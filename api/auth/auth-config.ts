import { z } from 'zod';
import { formatIssues } from '../../core/zod-issues.ts';
import { defaultClaimNames, type ClaimNames } from './claims.ts';

/** How the API (and the codec server) authenticate callers, from the environment. */
export type AuthConfig =
  { mode: 'jwt'; issuer: string; audience: string; jwksUrl: URL; claims: ClaimNames } | { mode: 'dev'; reason: string };

const blankIsUnset = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optional = z.preprocess(blankIsUnset, z.string().trim().optional());

const envSchema = z.object({
  BOSUN_AUTH_DEV: z.preprocess(blankIsUnset, z.enum(['0', '1', 'true', 'false']).optional()),
  BOSUN_AUTH_ISSUER: optional,
  BOSUN_AUTH_AUDIENCE: optional,
  BOSUN_AUTH_JWKS_URL: z.preprocess(blankIsUnset, z.url({ protocol: /^https?$/ }).optional()),
  BOSUN_AUTH_TENANT_CLAIM: optional,
  BOSUN_AUTH_GROUPS_CLAIM: optional,
  BOSUN_AUTH_ROLES_CLAIM: optional,
});

/** The authentication settings are inconsistent; `message` names the variables. */
export class AuthConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthConfigError';
  }
}

/**
 * Reads `BOSUN_AUTH_*`. With `BOSUN_AUTH_ISSUER` set (and not `BOSUN_AUTH_DEV=1`), tokens are
 * verified against that issuer: `BOSUN_AUTH_AUDIENCE` and `BOSUN_AUTH_JWKS_URL` are then
 * required. Otherwise development mode, with the reason, for the start-up banner to say loudly.
 *
 * @example
 * loadAuthConfig({ BOSUN_AUTH_ISSUER: 'https://id.example.com/', BOSUN_AUTH_AUDIENCE: 'bosun',
 *                  BOSUN_AUTH_JWKS_URL: 'https://id.example.com/.well-known/jwks.json' })
 */
export function loadAuthConfig(env: Record<string, string | undefined> = process.env): AuthConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new AuthConfigError(`invalid authentication settings: ${formatIssues(parsed.error)}`);
  const e = parsed.data;
  if (e.BOSUN_AUTH_DEV === '1' || e.BOSUN_AUTH_DEV === 'true') return { mode: 'dev', reason: 'BOSUN_AUTH_DEV=1' };
  if (!e.BOSUN_AUTH_ISSUER) return { mode: 'dev', reason: 'no BOSUN_AUTH_ISSUER configured' };
  const missing = (['BOSUN_AUTH_AUDIENCE', 'BOSUN_AUTH_JWKS_URL'] as const).filter((k) => !e[k]);
  if (missing.length)
    throw new AuthConfigError(`BOSUN_AUTH_ISSUER is set, so ${missing.join(' and ')} must be set too`);
  return {
    mode: 'jwt',
    issuer: e.BOSUN_AUTH_ISSUER,
    audience: e.BOSUN_AUTH_AUDIENCE!,
    jwksUrl: new URL(e.BOSUN_AUTH_JWKS_URL!),
    claims: {
      tenant: e.BOSUN_AUTH_TENANT_CLAIM ?? defaultClaimNames.tenant,
      groups: e.BOSUN_AUTH_GROUPS_CLAIM ?? defaultClaimNames.groups,
      roles: e.BOSUN_AUTH_ROLES_CLAIM ?? defaultClaimNames.roles,
    },
  };
}
