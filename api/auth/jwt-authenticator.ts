import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { defaultClaimNames, identityFromClaims, type ClaimNames } from './claims.ts';
import { AuthError, type Authenticator, type Identity } from './identity.ts';

export interface JwtAuthenticatorOptions {
  /** The `iss` every token must carry. */
  issuer: string;
  /** The `aud` every token must carry (one of them, when the token lists several). */
  audience: string;
  /** Where the signing keys come from: a JWKS URL (fetched and cached by jose, refetched
   * when a token names an unknown key id), or a key set already in hand (dev mode). */
  keys: URL | JWTVerifyGetKey;
  claims?: Partial<ClaimNames>;
  /** Clock skew tolerated on `exp` / `nbf`, in seconds (default 30). */
  clockToleranceSec?: number;
  /** Asymmetric algorithms only: an HMAC secret would have to be shared with every verifier. */
  algorithms?: string[];
}

const defaultAlgorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/**
 * Verifies `Authorization: Bearer <JWT>` with jose: signature against the issuer's keys,
 * `iss`, `aud`, `exp` and `nbf`, then reads the identity from the claims. Every failure is an
 * `AuthError` whose message says which check failed, never the token itself.
 *
 * @example
 * const auth = createJwtAuthenticator({
 *   issuer: 'https://login.example.com/', audience: 'bosun',
 *   keys: new URL('https://login.example.com/.well-known/jwks.json'),
 * });
 * const me = await auth.authenticate(req.headers.authorization); // { user, tenant, groups, ... }
 */
export function createJwtAuthenticator(opts: JwtAuthenticatorOptions): Authenticator {
  const keys = opts.keys instanceof URL ? createRemoteJWKSet(opts.keys) : opts.keys;
  const names = { ...defaultClaimNames, ...opts.claims };
  const verify = {
    issuer: opts.issuer,
    audience: opts.audience,
    algorithms: opts.algorithms ?? defaultAlgorithms,
    clockTolerance: opts.clockToleranceSec ?? 30,
  };
  return {
    description: `JWT bearer tokens from issuer ${opts.issuer} for audience ${opts.audience}${opts.keys instanceof URL ? `, keys from ${opts.keys.href}` : ''}`,
    async authenticate(authorization: string | undefined): Promise<Identity> {
      const token = bearerToken(authorization);
      let payload;
      try {
        ({ payload } = await jwtVerify(token, keys, verify));
      } catch (err) {
        throw asAuthError(err);
      }
      return identityFromClaims(payload, names);
    },
  };
}

/** The token of an `Authorization: Bearer …` header. */
export function bearerToken(authorization: string | undefined): string {
  if (!authorization) throw new AuthError('missing_token', 'send Authorization: Bearer <token>');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) throw new AuthError('missing_token', 'the Authorization header must be "Bearer <token>"');
  return match[1]!;
}

/** jose's error as a 401 the caller can act on. */
function asAuthError(err: unknown): AuthError {
  if (err instanceof errors.JWTExpired) return new AuthError('token_expired', 'the token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    const which = err.claim === 'iss' ? 'issuer' : err.claim === 'aud' ? 'audience' : `"${err.claim}" claim`;
    return new AuthError('invalid_token', `the token's ${which} is not accepted (${err.reason})`);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return new AuthError('invalid_token', 'the token signature does not verify (tampered, or signed by another key)');
  if (err instanceof errors.JWKSNoMatchingKey)
    return new AuthError('invalid_token', 'the token is signed by a key the issuer does not publish');
  if (err instanceof errors.JOSEAlgNotAllowed)
    return new AuthError('invalid_token', 'the token algorithm is not allowed');
  if (err instanceof errors.JWTInvalid || err instanceof errors.JWSInvalid || err instanceof errors.JOSENotSupported)
    return new AuthError('invalid_token', 'the token is not a well-formed signed JWT');
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid)
    // The issuer's key set could not be read: the caller did nothing wrong, but no token
    // can be verified until it can.
    return new AuthError('invalid_token', `the issuer's signing keys could not be read (${err.message})`);
  if (err instanceof AuthError) return err;
  return new AuthError(
    'invalid_token',
    `the token could not be verified (${err instanceof Error ? err.message : String(err)})`,
  );
}
