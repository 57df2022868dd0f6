/**
 * Codec server entry (`npm run codec-server`): serves `POST /decode` and `/encode` for the
 * Temporal UI and CLI with the workers' keys, until SIGINT/SIGTERM.
 *
 *   BOSUN_CODEC_KEYS='{"k1":"…"}' BOSUN_CODEC_ACTIVE_KEY=k1 BOSUN_CODEC_TOKEN=… npm run codec-server
 *   temporal workflow show -w <run id> --codec-endpoint http://127.0.0.1:8081 --codec-auth "Bearer $BOSUN_CODEC_TOKEN"
 */
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
const { host, port } = config.BOSUN_CODEC_SERVER_ADDR;
if (!isLoopback(host))
  console.warn(`bosun codec server: listening on ${host}, not loopback: serve it behind TLS, it hands out plaintext`);
const server = await startCodecServer({
  codec: createAesGcmCodec({ keys: config.BOSUN_CODEC_KEYS, activeKeyId: config.BOSUN_CODEC_ACTIVE_KEY }),
  token: config.BOSUN_CODEC_TOKEN,
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
