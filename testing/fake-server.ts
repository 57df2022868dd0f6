/**
 * The shared HTTP core of the fake provider servers: one real `node:http` server on
 * 127.0.0.1 that records every request and answers from a script, so adapters are tested
 * through the official SDKs (retries, error classes, header handling) rather than mocks.
 * Everything wire-format specific lives in a small `Dialect` (openai-fake.ts,
 * anthropic-fake.ts).
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  usageOf,
  type FakeErrorReply,
  type FakeReply,
  type FakeStreamFault,
  type FakeStreamOptions,
  type FakeTextReply,
  type FakeToolCallsReply,
  type FakeUsage,
} from './script.ts';
import { writeSseStream, type FakeSseEvent } from './sse-stream.ts';

export type RecordedRequest = {
  /** Date.now() when the request arrived (before its body was read). */
  at: number;
  method: string;
  /** As sent, including any query string. */
  path: string;
  /** Lower-case names; authorization, x-api-key and api-key values are '[redacted]'. */
  headers: Record<string, string>;
  /** The parsed JSON body, or the raw text when it is not JSON. `unknown`: it is whatever
   * the client sent; a test casts it to the shape it expects from the SDK it drives. */
  body: unknown;
};

/** Called when the script queue is empty; `index` is the request's position in `requests`. */
export type FakeHandler = (req: RecordedRequest, index: number) => FakeReply | Promise<FakeReply>;

export interface FakeProviderServer {
  readonly provider: 'openai' | 'anthropic';
  /** What to pass to the SDK as `baseURL`. */
  readonly baseURL: string;
  readonly requests: RecordedRequest[];
  /** Appends to the script queue. */
  push(...replies: FakeReply[]): void;
  setHandler(h: FakeHandler | undefined): void;
  /** Stops listening, destroys open sockets and cancels pending delays. Idempotent. */
  close(): Promise<void>;
}

export type FakeServerOptions = {
  script?: FakeReply[];
  handler?: FakeHandler;
  /** When set, a request presenting any other key gets the provider's 401 (no script item used). */
  requireApiKey?: string;
  /** How every streamed answer streams unless its reply says otherwise (pace, chunk sizes),
   * e.g. `{ firstChunkDelayMs: 300, chunkDelayMs: 20 }` for a bench that measures time to
   * first token. Faults are scripted per reply only. */
  stream?: Omit<FakeStreamOptions, 'fault'>;
};

/** Chunk sizes a dialect cuts a streamed answer with (`pieces` picks a default when unset). */
export type StreamSizes = { chunkChars: number | undefined; argChunkChars: number | undefined };

/** Per-request facts a dialect needs to render a body. */
export type RenderContext = {
  /** The parsed request body (a JSON object: other bodies are answered 400 first). */
  body: Record<string, unknown>;
  /** 1-based number of the request on this server; makes response ids deterministic. */
  seq: number;
  requestId: string;
  /** The request body's length in characters, as sent (what the default usage counts:
   * measured on the text read, not by serializing the parsed body again). */
  bodyChars: number;
  /** Next deterministic tool call id (`call_<n>` / `toolu_<n>`), counted per server. */
  toolCallId(): string;
};

/** The format-specific half of a fake. */
export interface Dialect {
  readonly provider: 'openai' | 'anthropic';
  /** Appended to `http://127.0.0.1:PORT` to form `baseURL`. */
  readonly basePath: string;
  /** POST paths that count as a model call. */
  readonly paths: readonly string[];
  readonly requestIdHeader: string;
  readonly toolCallIdPrefix: string;
  renderReply(reply: FakeTextReply | FakeToolCallsReply, usage: FakeUsage, ctx: RenderContext): unknown;
  /** Fills in the provider's default type/code/message for the status. */
  renderError(error: FakeErrorReply, ctx: RenderContext): unknown;
  /** The same answer as `renderReply`, as the provider streams it (`stream: true`). */
  renderStream(
    reply: FakeTextReply | FakeToolCallsReply,
    usage: FakeUsage,
    ctx: RenderContext,
    sizes: StreamSizes,
  ): FakeSseEvent[];
  /** The provider's error event inside a stream. */
  renderStreamError(fault: Extract<FakeStreamFault, { kind: 'error' }>, ctx: RenderContext): FakeSseEvent;
}

const SECRET_HEADERS = new Set(['authorization', 'x-api-key', 'api-key']);

/**
 * A request with `stream: true` gets a text or tool-call answer as server-sent events (see
 * `FakeStreamOptions`); errors, raw and malformed bodies and drops are answered as without
 * it, since a provider answers those before any stream starts.
 */
export async function startFakeServer(dialect: Dialect, opts: FakeServerOptions = {}): Promise<FakeProviderServer> {
  const queue: FakeReply[] = [...(opts.script ?? [])];
  let handler = opts.handler;
  const requests: RecordedRequest[] = [];
  const closing = new AbortController();
  let toolCalls = 0;
  const label = `fake ${dialect.provider} server`;

  /** Picks the reply: protocol checks first (they use no script item), then queue, then handler. */
  async function resolve(rec: RecordedRequest, index: number, headers: IncomingHttpHeaders): Promise<FakeReply> {
    const fail = (status: number, message?: string): FakeReply => ({
      kind: 'error',
      status,
      ...(message === undefined ? {} : { message }),
    });
    if (opts.requireApiKey !== undefined && presentedKey(headers) !== opts.requireApiKey) return fail(401);
    const pathname = rec.path.split('?')[0] ?? '';
    if (rec.method !== 'POST' || !dialect.paths.includes(pathname)) {
      return { kind: 'error', status: 404, message: `${label}: no route for ${rec.method} ${pathname}` };
    }
    if (!isJsonObject(rec.body)) return fail(400, `${label}: request body is not a JSON object`);
    const next = queue.shift();
    if (next) return next;
    if (handler) {
      try {
        return await handler(rec, index);
      } catch (err) {
        return fail(500, `${label}: handler threw: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return fail(500, `${label}: script exhausted and no handler set (request #${index + 1} ${rec.method} ${rec.path})`);
  }

  /** Headers and a 200 at once, then the answer's events at the scripted pace. */
  async function stream(
    res: ServerResponse,
    reply: FakeTextReply | FakeToolCallsReply,
    ctx: RenderContext,
  ): Promise<void> {
    if (res.destroyed || res.writableEnded) return;
    const pace: FakeStreamOptions = { ...opts.stream, ...reply.stream };
    const sizes: StreamSizes = { chunkChars: pace.chunkChars, argChunkChars: pace.argChunkChars };
    const events = dialect.renderStream(reply, usageOf(reply, ctx.bodyChars), ctx, sizes);
    const headers: Record<string, string> = {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      [dialect.requestIdHeader]: ctx.requestId,
    };
    for (const [k, v] of Object.entries(reply.headers ?? {})) headers[k.toLowerCase()] = v;
    res.writeHead(200, headers);
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    // Stops writing when the client goes away (an abort, a timeout) or the server closes.
    const gone = new AbortController();
    res.once('close', () => gone.abort());
    const signal = AbortSignal.any([closing.signal, gone.signal]);
    await writeSseStream(res, events, pace, signal, (fault) => dialect.renderStreamError(fault, ctx));
  }

  async function deliver(res: ServerResponse, reply: FakeReply, ctx: RenderContext): Promise<void> {
    switch (reply.kind) {
      case 'delay':
        try {
          await sleep(reply.ms, undefined, { signal: closing.signal });
        } catch {
          return; // server closing: its sockets are being destroyed anyway
        }
        return deliver(res, reply.then, ctx);
      case 'drop':
        res.socket?.destroy();
        return;
      case 'malformed':
        return send(res, 200, '{"id":"truncated","choices":[{', ctx.requestId);
      case 'error':
        return send(res, reply.status, JSON.stringify(dialect.renderError(reply, ctx)), ctx.requestId, reply.headers);
      case 'raw':
        return send(res, reply.status, JSON.stringify(reply.body) ?? 'null', ctx.requestId, reply.headers);
      default: {
        if (ctx.body.stream === true) return stream(res, reply, ctx);
        const usage = usageOf(reply, ctx.bodyChars);
        return send(res, 200, JSON.stringify(dialect.renderReply(reply, usage, ctx)), ctx.requestId, reply.headers);
      }
    }
  }

  function send(
    res: ServerResponse,
    status: number,
    body: string,
    requestId: string,
    extra: Record<string, string> = {},
  ): void {
    if (res.destroyed || res.writableEnded) return; // client gave up (e.g. SDK timeout during a delay)
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      [dialect.requestIdHeader]: requestId,
    };
    for (const [k, v] of Object.entries(extra)) headers[k.toLowerCase()] = v;
    res.writeHead(status, headers).end(body);
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const raw = await readBody(req);
    const rec: RecordedRequest = {
      at,
      method: req.method ?? '',
      path: req.url ?? '',
      headers: recordHeaders(req.headers),
      body: parseJson(raw),
    };
    const index = requests.push(rec) - 1;
    const ctx: RenderContext = {
      body: isJsonObject(rec.body) ? rec.body : {},
      seq: index + 1,
      requestId: `req_fake_${index + 1}`,
      bodyChars: raw.length,
      toolCallId: () => `${dialect.toolCallIdPrefix}${++toolCalls}`,
    };
    await deliver(res, await resolve(rec, index, req.headers), ctx);
  }

  const server = createServer((req, res) => {
    serve(req, res).catch((err: unknown) => {
      // A bug in the fake itself: answer loudly rather than hang the test.
      const message = `${label}: internal error: ${err instanceof Error ? err.stack : String(err)}`;
      if (!res.headersSent) send(res, 500, JSON.stringify({ error: { message } }), 'req_fake_internal');
      else res.destroy();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;

  let closed: Promise<void> | undefined;
  return {
    provider: dialect.provider,
    baseURL: `http://127.0.0.1:${port}${dialect.basePath}`,
    requests,
    push: (...replies) => void queue.push(...replies),
    setHandler: (h) => void (handler = h),
    close: () =>
      (closed ??= new Promise<void>((ok, fail) => {
        closing.abort();
        server.close((err) => (err ? fail(err) : ok()));
        server.closeAllConnections();
      })),
  };
}

/** The key the client authenticated with, whichever header its SDK uses. */
function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const direct = headers['x-api-key'] ?? headers['api-key'];
  if (typeof direct === 'string') return direct;
  return /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '')?.[1];
}

function recordHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = SECRET_HEADERS.has(name) ? '[redacted]' : Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * The body as text, decoded as it arrives (a character split between chunks is kept whole).
 * Not gathered as Buffers first: a 500 KB body as Buffers and their concatenation is a
 * megabyte of memory outside the JS heap per request, and V8 answers that much with full
 * collections of the whole process — 40% of this process's CPU at 100 steps of 5 KB tool
 * results in `npm run bench`, against 9% this way.
 */
async function readBody(req: IncomingMessage): Promise<string> {
  req.setEncoding('utf8');
  let text = '';
  for await (const chunk of req) text += chunk as string;
  return text;
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The `model` a request asked for, when it names one. */
export function requestedModel(body: unknown): string | undefined {
  return isJsonObject(body) && typeof body.model === 'string' ? body.model : undefined;
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
