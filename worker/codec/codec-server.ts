import type { PayloadCodec } from '@temporalio/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PayloadDecryptionError } from './aes-gcm-codec.ts';
import { jsonPayloadsSchema, payloadFromJson, payloadToJson } from './payload-json.ts';

/** Headers a browser may send cross-origin: the UI's JSON body, its namespace header, and the
 * token. */
export const codecAllowedHeaders = ['content-type', 'x-namespace', 'authorization'];
/** 4 MiB: Temporal's own payload limit is 2 MiB, and the UI decodes one event at a time. */
export const defaultMaxBodyBytes = 4 * 1024 * 1024;

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** A static token: a request carrying `Authorization: Bearer <token>` is let in (the CLI,
   * scripts). */
  token?: string | undefined;
  /**
   * Verifies any other bearer token, e.g. the user's access token the Temporal UI forwards
   * (`TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true`), with the HTTP API's JWT verifier: resolves for
   * a token it accepts, rejects otherwise. At least one of `token` and `authenticate` is
   * required.
   */
  authenticate?: (authorization: string | undefined) => Promise<unknown>;
  /** Browser origins (the Temporal UI's) allowed to call; a request from any other origin
   * is refused. Requests without an `Origin` (the CLI, scripts) are not browser requests and
   * need only the token. */
  allowedOrigins: string[];
  /** Loopback by default: the server hands out plaintext. */
  host?: string;
  /** 8081 by default; 0 for any free port. */
  port?: number;
  maxBodyBytes?: number;
  /** One line per request (method, path, status, payload count, time), never payload
   * contents or headers. Silent by default. */
  log?: (line: string) => void;
}

export interface CodecServer {
  /** `http://host:port`, for the UI's codec endpoint setting or `temporal --codec-endpoint`. */
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

/**
 * A codec server: the HTTP endpoint the Temporal UI and CLI call to show encrypted payloads
 * decoded (Temporal's codec server protocol: `POST …/decode` and `POST …/encode` with a
 * proto3-JSON `{ payloads: [...] }` body; only the last path segment counts, so it can be
 * mounted under `/{namespace}/`).
 *
 * Whoever may call it may read every payload, so it is locked down: loopback by default, a
 * bearer token compared in constant time, CORS answered for the configured UI origins only,
 * a body size limit, `Cache-Control: no-store`, and logs that never hold payloads.
 *
 * @example
 * const server = await startCodecServer({ codec, token, allowedOrigins: ['http://127.0.0.1:8233'] });
 * // temporal workflow show -w run-1 --codec-endpoint http://127.0.0.1:8081 --codec-auth "Bearer $BOSUN_CODEC_TOKEN"
 */
export async function startCodecServer(opts: CodecServerOptions): Promise<CodecServer> {
  const server: Server = createServer(codecRequestHandler(opts));
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8081, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    host,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The request handler behind `startCodecServer`, to mount in another `node:http` server. */
export function codecRequestHandler(opts: CodecServerOptions): RequestListener {
  if (opts.token === undefined && !opts.authenticate)
    throw new RangeError('the codec server needs a token or an authenticate function: it hands out plaintext');
  if (opts.token !== undefined && opts.token.length < 16)
    throw new RangeError('the codec server token must be at least 16 characters');
  const allowedOrigins = new Set(opts.allowedOrigins);
  const expectedToken = opts.token !== undefined ? digest(opts.token) : undefined;
  const { authenticate } = opts;
  const maxBodyBytes = opts.maxBodyBytes ?? defaultMaxBodyBytes;
  const log = opts.log ?? (() => {});

  return (req, res) => {
    const started = Date.now();
    const action = /\/(encode|decode)\/?$/.exec(new URL(req.url ?? '/', 'http://codec').pathname)?.[1] as
      'encode' | 'decode' | undefined;
    let count = 0;
    res.on('finish', () => {
      const namespace = String(req.headers['x-namespace'] ?? '-')
        .replace(/[^\w.-]/g, '?')
        .slice(0, 100);
      log(
        `${req.method} ${action ?? '(unknown path)'} ${res.statusCode} namespace=${namespace} payloads=${count} ${Date.now() - started}ms`,
      );
    });
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Vary', 'Origin');

    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!allowedOrigins.has(origin)) return reply(res, 403, { error: 'origin not allowed' });
      res.setHeader('Access-Control-Allow-Origin', origin);
      // The UI's "include cross-origin credentials" setting makes the browser require this.
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    if (!action) return reply(res, 404, { error: 'not found: POST …/decode or …/encode' });
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', codecAllowedHeaders.join(', '));
      res.setHeader('Access-Control-Max-Age', '600');
      res.writeHead(204).end();
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST, OPTIONS');
      return reply(res, 405, { error: 'method not allowed' });
    }
    const handle = () => {
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
        return reply(res, 415, { error: 'content-type must be application/json' });
      void decodeOrEncode();
    };
    const refuse = () => {
      res.setHeader('WWW-Authenticate', 'Bearer realm="bosun-codec"');
      req.resume();
      reply(res, 401, { error: 'missing or wrong bearer token' });
    };
    // The static token first (no I/O); then the verifier, for the UI's forwarded token.
    if (expectedToken && authorized(req, expectedToken)) handle();
    else if (!authenticate) refuse();
    else void authenticate(req.headers.authorization).then(handle, refuse);

    async function decodeOrEncode() {
      return readBody(req, maxBodyBytes).then(
        async (body) => {
          if (body === undefined) return reply(res, 413, { error: `body over ${maxBodyBytes} bytes` }, true);
          let payloads;
          try {
            const parsed = jsonPayloadsSchema.safeParse(JSON.parse(body.toString('utf8')));
            if (!parsed.success)
              return reply(res, 400, { error: 'body must be {"payloads":[{"metadata":{...},"data":"<base64>"}]}' });
            payloads = parsed.data.payloads.map(payloadFromJson);
          } catch {
            return reply(res, 400, {
              error: 'body must be JSON: {"payloads":[{"metadata":{...},"data":"<base64>"}]} with base64 bytes',
            });
          }
          count = payloads.length;
          try {
            const out = action === 'decode' ? await opts.codec.decode(payloads) : await opts.codec.encode(payloads);
            return reply(res, 200, { payloads: out.map(payloadToJson) });
          } catch (err) {
            // The codec's own errors name a key id at most; anything else may carry content.
            if (err instanceof PayloadDecryptionError)
              return reply(res, 422, { error: err.message, reason: err.reason, keyId: err.keyId });
            return reply(res, 500, { error: `${action} failed (${(err as Error)?.name ?? 'error'})` });
          }
        },
        () => reply(res, 400, { error: 'could not read the request body' }),
      );
    }
  };
}

function reply(res: ServerResponse, status: number, body: unknown, closeConnection = false): void {
  if (res.headersSent) return;
  if (closeConnection) res.setHeader('Connection', 'close');
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Hashing both sides first makes the comparison constant-time whatever the lengths. */
function authorized(req: IncomingMessage, expected: Buffer): boolean {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return timingSafeEqual(digest(match?.[1] ?? ''), expected) && match !== null;
}

/** The body, or `undefined` once it passes `limit` bytes (the rest is not read). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}
