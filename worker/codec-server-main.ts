/**
 * Codec server entry (`npm run codec-server`): serves `POST /decode` and `/encode` for the
 * Temporal UI and CLI with the workers' keys, until SIGINT/SIGTERM.
 *
 *   BOSUN_CODEC_KEYS='{"k1":"…"}' BOSUN_CODEC_ACTIVE_KEY=k1 BOSUN_CODEC_TOKEN=… npm run codec-server
 *   temporal workflow show -w <run id> --codec-endpoint http://127.0.0.1:8081 --codec-auth "Bearer $BOSUN_CODEC_TOKEN"
 *
 * With `BOSUN_AUTH_ISSUER`, `BOSUN_AUTH_AUDIENCE` and `BOSUN_AUTH_JWKS_URL` (the HTTP API's
 * identity provider) it also accepts that provider's JWTs: the Temporal UI, signed in with the
 * same provider and `TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true`, forwards the user's token
 * (`docs/http-api.md`).
 */
import { createJwtAuthenticator } from '../api/auth/jwt-authenticator.ts';
import { AuthConfigError, loadAuthConfig } from '../api/auth/auth-config.ts';
import { createAesGcmCodec } from './codec/aes-gcm-codec.ts';
import { startCodecServer } from './codec/codec-server.ts';
import { ConfigError, describeCodecServerConfig, loadCodecServerConfig, type CodecServerConfig } from './config.ts';

let config: CodecServerConfig;
try {
  config = loadCodecServerConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`bosun codec server: ${err.message}`);
  process.exit(2);
}
// With the HTTP API's identity provider configured, the user's token the Temporal UI forwards
// (TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true) is verified like the API verifies it.
let authenticate: ((authorization: string | undefined) => Promise<unknown>) | undefined;
if (config.BOSUN_AUTH_ISSUER) {
  try {
    const auth = loadAuthConfig(process.env);
    if (auth.mode === 'jwt') {
      const verifier = createJwtAuthenticator({ ...auth, keys: auth.jwksUrl });
      authenticate = (authorization) => verifier.authenticate(authorization);
    }
  } catch (err) {
    if (!(err instanceof AuthConfigError)) throw err;
    console.error(`bosun codec server: ${err.message}`);
    process.exit(2);
  }
}
const { host, port } = config.BOSUN_CODEC_SERVER_ADDR;
if (!isLoopback(host))
  console.warn(`bosun codec server: listening on ${host}, not loopback: serve it behind TLS, it hands out plaintext`);
const server = await startCodecServer({
  codec: createAesGcmCodec({ keys: config.BOSUN_CODEC_KEYS, activeKeyId: config.BOSUN_CODEC_ACTIVE_KEY }),
  token: config.BOSUN_CODEC_TOKEN,
  ...(authenticate ? { authenticate } : {}),
  allowedOrigins: config.BOSUN_CODEC_CORS_ORIGIN,
  host,
  port,
  log: (line) => console.log(`bosun codec server: ${line}`),
});
console.log(`bosun codec server: ${describeCodecServerConfig(config)}; ready at ${server.url}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`bosun codec server: ${signal}, stopping`);
    void server.close().then(() => process.exit(0));
  });
}

function isLoopback(h: string): boolean {
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}
