import { defaultPayloadConverter } from '@temporalio/common';
import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAesGcmCodec,
  payloadToJson,
  startCodecServer,
  type CodecServer,
  type JsonPayload,
} from '../../worker/codec/index.ts';

const token = `codec-${randomBytes(24).toString('hex')}`;
const uiOrigin = 'http://127.0.0.1:8233';
const codec = createAesGcmCodec({ keys: { k1: randomBytes(32) }, activeKeyId: 'k1' });
const secret = 'Ada Lovelace, card 4242, ord_829';
const logs: string[] = [];
let server: CodecServer;

beforeAll(async () => {
  server = await startCodecServer({
    codec,
    token,
    allowedOrigins: [uiOrigin],
    port: 0,
    maxBodyBytes: 64 * 1024,
    log: (l) => logs.push(l),
  });
});
afterAll(async () => {
  await server?.close();
});

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A raw HTTP request (fetch would refuse to set `Origin`), resolving on the response even
 * when the server closes the connection before the whole body was sent. */
function send(
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer; chunked?: Buffer[] } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.url}${path}`, { method: opts.method ?? 'POST', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', (err) =>
      'code' in err && (err.code === 'EPIPE' || err.code === 'ECONNRESET') ? undefined : reject(err),
    );
    if (opts.chunked) {
      for (const c of opts.chunked) req.write(c);
      req.end();
    } else req.end(opts.body);
  });
}

const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  send(path, { headers: { ...auth, ...headers }, body: JSON.stringify(body) });
const b64 = (s: string) => Buffer.from(s).toString('base64');
const uiPayloads = (): JsonPayload[] =>
  [{ task: secret }, 'plain string', null].map((v) => payloadToJson(defaultPayloadConverter.toPayload(v)!));

describe('codec server', () => {
  it("encodes and decodes the UI's proto3-JSON payloads (base64 metadata and data) round trip", async () => {
    const payloads = uiPayloads();
    expect(payloads[0]!.metadata!.encoding).toBe(b64('json/plain'));

    const encoded = await post('/encode', { payloads }, { 'x-namespace': 'default' });
    expect(encoded.status).toBe(200);
    expect(encoded.headers['content-type']).toBe('application/json');
    expect(encoded.headers['cache-control']).toBe('no-store');
    const encrypted = JSON.parse(encoded.body) as { payloads: JsonPayload[] };
    expect(encrypted.payloads).toHaveLength(3);
    for (const p of encrypted.payloads) {
      expect(p.metadata).toEqual({
        encoding: b64('binary/encrypted'),
        'encryption-key-id': b64('k1'),
        'encryption-cipher': b64('AES-256-GCM'),
      });
      expect(Buffer.from(p.data!, 'base64').toString('latin1')).not.toContain('Ada');
    }
    expect(encoded.body).not.toContain(b64(secret).slice(0, 12));

    // The UI templates the endpoint per namespace: only the last path segment counts.
    const decoded = await post('/default/decode', encrypted, { 'x-namespace': 'default', origin: uiOrigin });
    expect(decoded.status).toBe(200);
    expect(decoded.headers['access-control-allow-origin']).toBe(uiOrigin);
    expect(JSON.parse(decoded.body)).toEqual({ payloads });
    expect(
      defaultPayloadConverter.fromPayload({
        metadata: { encoding: Buffer.from('json/plain') },
        data: Buffer.from(payloads[0]!.data!, 'base64'),
      }),
    ).toEqual({ task: secret });

    // A payload the codec did not encrypt (a run from before encryption) comes back as is.
    const plain = await post('/decode', { payloads: [payloads[1]] });
    expect(JSON.parse(plain.body)).toEqual({ payloads: [payloads[1]] });
    expect(JSON.parse((await post('/decode', { payloads: [] })).body)).toEqual({ payloads: [] });
  });

  it('refuses requests without the bearer token, or with a wrong one, with 401', async () => {
    const body = JSON.stringify({ payloads: uiPayloads() });
    for (const authorization of [
      undefined,
      '',
      'Bearer',
      `Bearer ${token}x`,
      `Bearer ${token.slice(0, -1)}`,
      `Basic ${b64(`user:${token}`)}`,
      token,
      `Bearer ${token} extra`,
    ]) {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        ...(authorization !== undefined ? { authorization } : {}),
      };
      for (const path of ['/decode', '/encode']) {
        const res = await send(path, { headers, body });
        expect(
          res.status,
          `${path} with ${authorization === undefined ? 'no header' : JSON.stringify(authorization.slice(0, 8))}`,
        ).toBe(401);
        expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
        expect(res.body).not.toContain('Ada');
      }
    }
    expect((await send('/decode', { headers: { ...auth, authorization: `bearer   ${token}` }, body })).status).toBe(
      200,
    );
  });

  it('answers the CORS preflight for the configured UI origin only', async () => {
    const preflight = (origin: string) =>
      send('/decode', {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace,authorization',
        },
      });
    const ok = await preflight(uiOrigin);
    expect(ok.status).toBe(204);
    expect(ok.headers).toMatchObject({
      'access-control-allow-origin': uiOrigin,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'POST, OPTIONS',
      vary: 'Origin',
    });
    expect(ok.headers['access-control-allow-headers']!.split(/,\s*/).sort()).toEqual([
      'authorization',
      'content-type',
      'x-namespace',
    ]);

    for (const origin of ['http://evil.example', 'http://127.0.0.1:8234', 'http://localhost:8233', 'null']) {
      const refused = await preflight(origin);
      expect(refused.status, origin).toBe(403);
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
      expect(refused.headers['access-control-allow-headers']).toBeUndefined();
      // Even with the token, a page from another origin gets nothing.
      const stolen = await post('/decode', { payloads: uiPayloads() }, { origin });
      expect(stolen.status).toBe(403);
      expect(stolen.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('refuses a body over the limit with 413, declared or streamed, without decoding it', async () => {
    const big = JSON.stringify({
      payloads: [{ metadata: { encoding: b64('json/plain') }, data: b64('x'.repeat(70 * 1024)) }],
    });
    const declared = await send('/decode', { headers: auth, body: big });
    expect(declared.status).toBe(413);
    const chunks = Array.from({ length: 80 }, () => Buffer.alloc(1024, 'a'));
    const streamed = await send('/encode', { headers: { ...auth, 'transfer-encoding': 'chunked' }, chunked: chunks });
    expect(streamed.status).toBe(413);
    // The server is still fine afterwards.
    expect((await post('/decode', { payloads: [] })).status).toBe(200);
  });

  it('says 422 and names the key id when a payload was tampered with or its key is unknown', async () => {
    const [enc] = await codec.encode([defaultPayloadConverter.toPayload({ task: secret })!]);
    const json = payloadToJson(enc!);
    const data = Buffer.from(json.data!, 'base64');
    data[20] = data[20]! ^ 0xff;
    const tampered = await post('/decode', { payloads: [{ ...json, data: data.toString('base64') }] });
    expect(tampered.status).toBe(422);
    expect(JSON.parse(tampered.body)).toMatchObject({ reason: 'tampered', keyId: 'k1' });
    const other = createAesGcmCodec({ keys: { k9: randomBytes(32) }, activeKeyId: 'k9' });
    const [foreign] = await other.encode([defaultPayloadConverter.toPayload('x')!]);
    const unknown = await post('/decode', { payloads: [payloadToJson(foreign!)] });
    expect(unknown.status).toBe(422);
    expect(JSON.parse(unknown.body)).toMatchObject({ reason: 'unknown_key', keyId: 'k9' });
  });

  it('refuses other paths, methods, content types and malformed bodies plainly', async () => {
    expect((await post('/decrypt', { payloads: [] })).status).toBe(404);
    expect((await send('/decode', { method: 'GET', headers: auth })).status).toBe(405);
    expect(
      (await send('/decode', { headers: { ...auth, 'content-type': 'text/plain' }, body: '{"payloads":[]}' })).status,
    ).toBe(415);
    for (const body of ['not json', '{"payloads":"x"}', '{"payloads":[{"data":"not base64!"}]}', '{}']) {
      const res = await send('/decode', { headers: auth, body });
      expect(res.status, body).toBe(400);
    }
  });

  it('logs one line per request and never a payload, header or token', () => {
    expect(logs.length).toBeGreaterThan(10);
    expect(logs.some((l) => /^POST decode 200 namespace=default payloads=3 \d+ms$/.test(l))).toBe(true);
    const all = logs.join('\n');
    for (const needle of ['Ada', b64(secret).slice(0, 12), token, 'Bearer', 'binary/encrypted'])
      expect(all).not.toContain(needle);
  });

  it('binds to loopback by default', async () => {
    const s = await startCodecServer({ codec, token, allowedOrigins: [uiOrigin], port: 0 });
    try {
      expect(s.host).toBe('127.0.0.1');
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await s.close();
    }
    await expect(startCodecServer({ codec, token: 'short', allowedOrigins: [uiOrigin], port: 0 })).rejects.toThrow(
      /at least 16/,
    );
  });
});
