import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { relative } from 'node:path';
import type { BosunClient } from '../client/client.ts';
import type { Catalog } from '../tools/catalog.ts';
import type { Authenticator, Identity } from './auth/identity.ts';
import { ApiError, toApiError } from './errors.ts';
import { openApiDocument } from './openapi.ts';
import { createRateLimiter, defaultApiLimits, type ApiLimits } from './rate-limit.ts';
import { registerRoutes, type Route } from './route.ts';
import { accountRoutes } from './routes/account.ts';
import { approvalRoutes } from './routes/approvals.ts';
import { escalationRoutes } from './routes/escalations.ts';
import { eventRoutes } from './routes/events.ts';
import { runRoutes } from './routes/runs.ts';

/** Where the API lives; the console is served at `/`. */
export const apiBase = '/api/v1';

export interface ApiServerOptions {
  bosun: BosunClient;
  auth: Authenticator;
  /** A folder of static files served at `/` (the web console, `api/console/`). */
  consoleDir?: string;
  /** The Temporal UI's base URL, for links from runs (e.g. `http://127.0.0.1:8233`). */
  temporalUiBase?: string;
  /** The workers' catalog: edited tool arguments are checked here first, field by field. */
  catalog?: Catalog;
  limits?: Partial<ApiLimits>;
  /** A line per failed request (5xx with its cause); default `console.error`. */
  log?: (line: string) => void;
}

const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

/** The route table: the server and the OpenAPI document both come from it. */
export function apiRoutes(deps: Pick<ApiServerOptions, 'bosun' | 'catalog' | 'temporalUiBase'>): Route[] {
  return [
    ...accountRoutes(deps),
    ...runRoutes(deps),
    ...eventRoutes(deps),
    ...approvalRoutes(deps),
    ...escalationRoutes(deps),
  ];
}

/**
 * The HTTP API (and, with `consoleDir`, the web console) as a Hono app: every route under
 * `/api/v1` needs a bearer token (`auth`), except `GET /api/v1/openapi.json`; each identity
 * has a request rate, each request a body size limit; every error is JSON
 * `{ error, message, issues? }`.
 *
 * @example
 * const app = createApiServer({ bosun, auth: (await startDevAuth({ stateDir: '.bosun' })).authenticator });
 * const res = await app.request('/api/v1/me', { headers: { authorization: `Bearer ${token}` } });
 */
export function createApiServer(opts: ApiServerOptions): Hono {
  const limits = { ...defaultApiLimits, ...opts.limits };
  const log = opts.log ?? ((line: string) => console.error(line));
  const limiter = createRateLimiter(limits);
  const routes = apiRoutes(opts);
  const document = openApiDocument(routes, { base: apiBase, title: 'Bosun HTTP API', version });
  const app = new Hono();
  const identities = new WeakMap<Context, Identity>();

  app.onError((err, c) => {
    const apiError = toApiError(err);
    if (apiError.status >= 500) log(`bosun api: ${c.req.method} ${c.req.path} failed: ${err.stack ?? String(err)}`);
    for (const [k, v] of Object.entries(apiError.headers ?? {})) c.header(k, v);
    return c.json(apiError.body, apiError.status);
  });

  app.get(`${apiBase}/openapi.json`, (c) => c.json(document));
  app.use(`${apiBase}/*`, async (c, next) => {
    const identity = await opts.auth.authenticate(c.req.header('authorization'));
    const decision = limiter.take(`${identity.tenant}/${identity.user}`);
    if (!decision.ok)
      throw new ApiError(429, 'rate_limited', `too many requests: at most ${limits.ratePerSecond} a second`, {
        headers: { 'retry-after': String(decision.retryAfterSec) },
      });
    identities.set(c, identity);
    await next();
  });
  app.use(
    `${apiBase}/*`,
    bodyLimit({
      maxSize: limits.bodyBytes,
      onError: () => {
        throw new ApiError(413, 'payload_too_large', `the body is larger than ${limits.bodyBytes} bytes`);
      },
    }),
  );
  registerRoutes(app, apiBase, routes, (c) => identities.get(c)!);
  app.all(`${apiBase}/*`, (c) => {
    throw new ApiError(404, 'not_found', `no route ${c.req.method} ${c.req.path}`);
  });
  if (opts.consoleDir) {
    // serveStatic resolves its root against the working directory.
    app.use('/*', serveStatic({ root: relative(process.cwd(), opts.consoleDir) || '.' }));
  }
  return app;
}

export interface RunningApiServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `createApiServer(opts)` on `host:port` (loopback by default; port 0 picks a free
 * one). Resolves once it listens.
 *
 * @example
 * const api = await startApiServer({ bosun, auth, port: 8787 });
 * console.log(`API at ${api.url}/api/v1`);
 */
export async function startApiServer(
  opts: ApiServerOptions & { port?: number; host?: string },
): Promise<RunningApiServer> {
  const app = createApiServer(opts);
  const host = opts.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: opts.port ?? 0, hostname: host }, (info: AddressInfo) => {
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${shown}:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            // Open event streams would keep the server up: end them with it.
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
    server.once('error', reject);
  });
}
