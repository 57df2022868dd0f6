import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthConfigError, loadAuthConfig } from '../../api/auth/auth-config.ts';
import { identityFromClaims } from '../../api/auth/claims.ts';
import type { AuthError } from '../../api/auth/identity.ts';
import { createJwtAuthenticator } from '../../api/auth/jwt-authenticator.ts';
import { createAesGcmCodec, encryptedEncoding, startCodecServer } from '../../worker/codec/index.ts';
import { defaultPayloadConverter } from '@temporalio/common';
import { payloadToJson } from '../../worker/codec/payload-json.ts';

/** An identity provider on loopback: its JWKS at `/jwks.json`, tokens signed with its key. */
let jwks: Server;
let jwksUrl: URL;
let key: CryptoKey;
let publicJwk: JWK;
const issuer = 'https://id.example.test/';
const audience = 'bosun';

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  key = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  jwks = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] })),
  );
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  jwksUrl = new URL(`http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`);
});
afterAll(() => new Promise<void>((r) => jwks.close(() => r())));

const sign = (
  claims: Record<string, unknown>,
  opts: { iss?: string; aud?: string; exp?: number; with?: CryptoKey; kid?: string } = {},
) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: opts.kid ?? 'k1' })
    .setIssuer(opts.iss ?? issuer)
    .setAudience(opts.aud ?? audience)
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '5m')
    .sign(opts.with ?? key);

const alice = { sub: 'alice', org: 'acme', teams: ['support'], scope: 'orders:read orders:write' };

describe('JWT authenticator (jose, remote JWKS)', () => {
  const auth = () =>
    createJwtAuthenticator({ issuer, audience, keys: jwksUrl, claims: { tenant: 'org', groups: 'teams' } });

  it('reads the identity from a token the issuer signed, with configured claim names', async () => {
    expect(await auth().authenticate(`Bearer ${await sign(alice)}`)).toEqual({
      user: 'alice',
      tenant: 'acme',
      groups: ['support'],
      roles: [],
      scopes: ['orders:read', 'orders:write'],
    });
  });

  it('refuses, with a message saying why: no token, expired, other issuer or audience, another key, tampered', async () => {
    const refusal = async (header: string | undefined) =>
      auth()
        .authenticate(header)
        .then(
          () => 'accepted',
          (e: AuthError) => `${e.code}: ${e.message}`,
        );
    expect(await refusal(undefined)).toBe('missing_token: send Authorization: Bearer <token>');
    expect(await refusal('Basic abc')).toMatch(/^missing_token: the Authorization header must be "Bearer <token>"/);
    expect(await refusal(`Bearer ${await sign(alice, { exp: Math.floor(Date.now() / 1000) - 120 })}`)).toBe(
      'token_expired: the token has expired',
    );
    expect(await refusal(`Bearer ${await sign(alice, { iss: 'https://evil.test/' })}`)).toMatch(
      /^invalid_token: the token's issuer is not accepted/,
    );
    expect(await refusal(`Bearer ${await sign(alice, { aud: 'other-app' })}`)).toMatch(
      /^invalid_token: the token's audience is not accepted/,
    );
    const stranger = (await generateKeyPair('ES256')).privateKey;
    expect(await refusal(`Bearer ${await sign(alice, { with: stranger })}`)).toMatch(
      /^invalid_token: the token signature does not verify/,
    );
    expect(await refusal(`Bearer ${await sign(alice, { with: stranger, kid: 'k9' })}`)).toMatch(
      /^invalid_token: the token is signed by a key the issuer does not publish/,
    );
    const [h, , s] = (await sign(alice)).split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...alice, org: 'globex', iss: issuer, aud: audience, exp: 9e9 }),
    ).toString('base64url');
    expect(await refusal(`Bearer ${h}.${forged}.${s}`)).toMatch(/^invalid_token: the token signature does not verify/);
    expect(await refusal(`Bearer ${await sign({ sub: 'alice' })}`)).toBe(
      'invalid_claims: the token has no "org" claim',
    );
  });
});

describe('identity from claims', () => {
  it('takes groups and scopes as lists or space-separated strings, and refuses ids that would break a query', () => {
    expect(identityFromClaims({ sub: 'u1', tenant: 't', groups: 'a b', scopes: ['x'], scope: 'y' })).toMatchObject({
      groups: ['a', 'b'],
      scopes: ['y', 'x'],
    });
    expect(() => identityFromClaims({ sub: 'u1', tenant: 'acme" OR "1"="1' })).toThrow(/"tenant" claim is invalid/);
  });
});

describe('auth configuration', () => {
  it('is development mode unless an issuer is configured, and then needs audience and JWKS', () => {
    expect(loadAuthConfig({})).toEqual({ mode: 'dev', reason: 'no BOSUN_AUTH_ISSUER configured' });
    expect(loadAuthConfig({ BOSUN_AUTH_DEV: '1', BOSUN_AUTH_ISSUER: issuer })).toMatchObject({ mode: 'dev' });
    expect(() => loadAuthConfig({ BOSUN_AUTH_ISSUER: issuer })).toThrow(
      new AuthConfigError('BOSUN_AUTH_ISSUER is set, so BOSUN_AUTH_AUDIENCE and BOSUN_AUTH_JWKS_URL must be set too'),
    );
    expect(
      loadAuthConfig({
        BOSUN_AUTH_ISSUER: issuer,
        BOSUN_AUTH_AUDIENCE: audience,
        BOSUN_AUTH_JWKS_URL: 'https://id.example.test/jwks.json',
        BOSUN_AUTH_GROUPS_CLAIM: 'teams',
      }),
    ).toMatchObject({ mode: 'jwt', claims: { tenant: 'tenant', groups: 'teams', roles: 'roles' } });
  });
});

describe('codec server with the API verifier (the Temporal UI forwards the user token)', () => {
  it('decodes for a token of the identity provider or the static token, and for nothing else', async () => {
    const codec = createAesGcmCodec({ keys: { k1: randomBytes(32) }, activeKeyId: 'k1' });
    const verifier = createJwtAuthenticator({ issuer, audience, keys: jwksUrl, claims: { tenant: 'org' } });
    const staticToken = randomBytes(24).toString('hex');
    const server = await startCodecServer({
      codec,
      token: staticToken,
      authenticate: (h) => verifier.authenticate(h),
      allowedOrigins: ['http://127.0.0.1:8233'],
      port: 0,
    });
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload({ secret: 'refund ord_101' })]);
    expect(new TextDecoder().decode(encrypted!.metadata!.encoding!)).toBe(encryptedEncoding);
    const decode = (authorization?: string) =>
      fetch(`${server.url}/default/decode`, {
        method: 'POST',
        headers: {
          origin: 'http://127.0.0.1:8233',
          'content-type': 'application/json',
          ...(authorization ? { authorization } : {}),
        },
        body: JSON.stringify({ payloads: [payloadToJson(encrypted!)] }),
      });
    try {
      const viaUi = await decode(`Bearer ${await sign(alice)}`);
      expect(viaUi.status).toBe(200);
      expect(JSON.stringify(await viaUi.json())).not.toContain(encryptedEncoding);
      expect((await decode(`Bearer ${staticToken}`)).status).toBe(200);
      expect((await decode(`Bearer ${await sign(alice, { aud: 'other-app' })}`)).status).toBe(401);
      expect((await decode(`Bearer ${await sign(alice, { exp: Math.floor(Date.now() / 1000) - 120 })}`)).status).toBe(
        401,
      );
      expect((await decode()).status).toBe(401);
    } finally {
      await server.close();
    }
  });
});
