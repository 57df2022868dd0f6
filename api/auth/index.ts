/** Authentication for the HTTP API and the codec server: JWT bearer tokens verified with
 * jose, the identity read from their claims, and a development mode with local keys. */
export { AuthError, type Authenticator, type AuthErrorCode, type Identity } from './identity.ts';
export { defaultClaimNames, identityFromClaims, type ClaimNames } from './claims.ts';
export { bearerToken, createJwtAuthenticator, type JwtAuthenticatorOptions } from './jwt-authenticator.ts';
export {
  devAudience,
  devIssuer,
  startDevAuth,
  type DevAuth,
  type DevToken,
  type DevUser,
  type DevUserInput,
} from './dev-auth.ts';
export { AuthConfigError, loadAuthConfig, type AuthConfig } from './auth-config.ts';
