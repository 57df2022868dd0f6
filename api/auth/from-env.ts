import { loadAuthConfig } from './auth-config.ts';
import { startDevAuth, type DevAuth } from './dev-auth.ts';
import { createJwtAuthenticator } from './jwt-authenticator.ts';
import type { Authenticator } from './identity.ts';

/**
 * The authenticator the environment asks for (`loadAuthConfig`): the configured issuer's
 * JWTs, or development mode — announced loudly through `log`, with the tokens printed.
 */
export async function authenticatorFromEnv(
  env: Record<string, string | undefined>,
  opts: { stateDir: string; log: (line: string) => void },
): Promise<{ authenticator: Authenticator; dev?: DevAuth }> {
  const config = loadAuthConfig(env);
  if (config.mode === 'jwt') {
    return {
      authenticator: createJwtAuthenticator({
        issuer: config.issuer,
        audience: config.audience,
        keys: config.jwksUrl,
        claims: config.claims,
      }),
    };
  }
  const dev = await startDevAuth({ stateDir: opts.stateDir });
  opts.log(`!!! DEVELOPMENT AUTHENTICATION (${config.reason}): tokens signed by a local key, NOT for production`);
  opts.log(`!!! set BOSUN_AUTH_ISSUER, BOSUN_AUTH_AUDIENCE and BOSUN_AUTH_JWKS_URL to verify real tokens`);
  for (const t of dev.tokens)
    opts.log(`token for ${t.user} (tenant ${t.tenant}, groups ${t.groups.join(',') || '-'}): ${t.token}`);
  opts.log(`tokens written to ${dev.tokensFile}`);
  return { authenticator: dev.authenticator, dev };
}
