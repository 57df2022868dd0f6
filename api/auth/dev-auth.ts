import { exportJWK, generateKeyPair, importJWK, SignJWT, createLocalJWKSet, type JWK } from 'jose';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { createJwtAuthenticator } from './jwt-authenticator.ts';
import type { Authenticator } from './identity.ts';

/** A development user: the claims its token carries. */
export const devUserSchema = z.strictObject({
  user: z.string().min(1),
  tenant: z.string().min(1),
  groups: z.array(z.string().min(1)).default([]),
  roles: z.array(z.string().min(1)).default([]),
  scopes: z.array(z.string().min(1)).default([]),
});
export type DevUser = z.infer<typeof devUserSchema>;
export type DevUserInput = z.input<typeof devUserSchema>;

/** Issuer and audience of development tokens: a production verifier never accepts them. */
export const devIssuer = 'urn:bosun:dev';
export const devAudience = 'bosun-api';
const alg = 'ES256';
const defaultUsersFile = new URL('../dev-users.json', import.meta.url);

export interface DevToken {
  user: string;
  tenant: string;
  groups: string[];
  token: string;
}

export interface DevAuth {
  authenticator: Authenticator;
  tokens: DevToken[];
  /** Where the tokens were written (`<stateDir>/dev-tokens.json`). */
  tokensFile: string;
  /** Signs a token for any user with the development key (tests: expired tokens, other
   * tenants). `expiresAt` in seconds since the epoch; default 12 hours from now. */
  issue(user: DevUserInput, opts?: { expiresAt?: number }): Promise<string>;
}

/**
 * Development authentication: real JWTs, signed with a local key and verified by the same
 * jose path as production tokens, for the users of `api/dev-users.json` (alice and bob at
 * acme, mallory at globex). The key is kept in `<stateDir>/dev-auth-key.json` (mode 0600) so
 * tokens stay valid across restarts; the tokens, re-issued at every start for 12 hours, are
 * written to `<stateDir>/dev-tokens.json` for `npm start` to print. Never for production:
 * anyone who reads the state directory can sign in as anyone.
 *
 * @example
 * const { authenticator, tokens } = await startDevAuth({ stateDir: '.bosun' });
 * for (const t of tokens) console.log(`${t.user} (${t.tenant}): ${t.token}`);
 */
export async function startDevAuth(opts: { stateDir: string; users?: DevUserInput[] }): Promise<DevAuth> {
  mkdirSync(opts.stateDir, { recursive: true });
  const users = z
    .array(devUserSchema)
    .parse(opts.users ?? (JSON.parse(readFileSync(defaultUsersFile, 'utf8')) as unknown));
  const { privateJwk, publicJwk } = await devKey(join(opts.stateDir, 'dev-auth-key.json'));
  const privateKey = await importJWK(privateJwk, alg);
  const authenticator = createJwtAuthenticator({
    issuer: devIssuer,
    audience: devAudience,
    keys: createLocalJWKSet({ keys: [publicJwk] }),
  });
  const issue = async (input: DevUserInput, issueOpts: { expiresAt?: number } = {}) => {
    const u = devUserSchema.parse(input);
    return new SignJWT({ tenant: u.tenant, groups: u.groups, roles: u.roles, scope: u.scopes.join(' ') })
      .setProtectedHeader({ alg, kid: publicJwk.kid!, typ: 'JWT' })
      .setSubject(u.user)
      .setIssuer(devIssuer)
      .setAudience(devAudience)
      .setIssuedAt()
      .setExpirationTime(issueOpts.expiresAt ?? '12h')
      .sign(privateKey);
  };
  const tokens = await Promise.all(
    users.map(async (u) => ({ user: u.user, tenant: u.tenant, groups: u.groups, token: await issue(u) })),
  );
  const tokensFile = join(opts.stateDir, 'dev-tokens.json');
  writeFileSync(tokensFile, JSON.stringify({ issuer: devIssuer, audience: devAudience, tokens }, null, 2) + '\n', {
    mode: 0o600,
  });
  return {
    authenticator: { ...authenticator, description: `DEVELOPMENT tokens (${tokensFile}), not for production` },
    tokens,
    tokensFile,
    issue,
  };
}

/** The development signing key: read from `path`, or made and written there. */
async function devKey(path: string): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  if (existsSync(path)) {
    const privateJwk = JSON.parse(readFileSync(path, 'utf8')) as JWK;
    const { d: _d, ...publicJwk } = privateJwk;
    return { privateJwk, publicJwk };
  }
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const privateJwk = { ...(await exportJWK(privateKey)), alg, kid: `bosun-dev-${Date.now().toString(36)}` };
  writeFileSync(path, JSON.stringify(privateJwk) + '\n', { mode: 0o600 });
  chmodSync(path, 0o600);
  const { d: _d, ...publicJwk } = privateJwk;
  return { privateJwk, publicJwk };
}
