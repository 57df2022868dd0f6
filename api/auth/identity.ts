/**
 * Who is calling the HTTP API, as a verified token says: the user (`sub`), their tenant and
 * groups, and what runs they start may do (scopes, roles). Nothing here comes from a
 * request body: an approver's identity is the token's or nothing.
 */
export interface Identity {
  user: string;
  tenant: string;
  /** Approval groups the user is in: an approval addressed to a group only its members decide. */
  groups: string[];
  /** Scopes a run this user starts may act with (the token's `scope` / `scopes`). */
  scopes: string[];
  /** Roles the run's principal carries (tool constraints read them, e.g. refund limits). */
  roles: string[];
}

/** Why a request is not authenticated: the API answers 401 with `code` and `message`. */
export type AuthErrorCode = 'missing_token' | 'invalid_token' | 'token_expired' | 'invalid_claims';

/** The request carries no usable credentials. `message` says what is wrong, plainly, and is
 * safe to show the caller (it never echoes the token). */
export class AuthError extends Error {
  readonly code: AuthErrorCode;
  constructor(code: AuthErrorCode, message: string) {
    super(message);
    this.name = 'AuthError';
    this.code = code;
  }
}

/** Turns an `Authorization` header into a verified identity, or throws `AuthError`. */
export interface Authenticator {
  authenticate(authorization: string | undefined): Promise<Identity>;
  /** One line for the start-up banner: where tokens come from. */
  readonly description: string;
}
