import type { Context, Hono } from 'hono';
import type { z } from 'zod';
import type { Identity } from './auth/identity.ts';
import { ApiError, zodIssues } from './errors.ts';

/** What one response of a route is, for the OpenAPI document. */
export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** A `text/event-stream` response (server-sent events). */
  eventStream?: boolean;
}

/** The parsed request a handler gets: everything validated, the caller verified. */
export interface RouteRequest<P, Q, B> {
  c: Context;
  identity: Identity;
  params: P;
  query: Q;
  body: B;
}

/**
 * One route of the API: its method and path, its request schemas (the handler gets them
 * parsed; a request that fails them is a 400 with the issues), its responses for the
 * document, and its handler. The route table is the single source of both the server and
 * the OpenAPI document.
 */
export interface Route<P = unknown, Q = unknown, B = unknown> {
  method: 'get' | 'post';
  /** Hono syntax, under `/api/v1`: `/runs/:id`. */
  path: string;
  summary: string;
  tag: string;
  /** No token needed (the OpenAPI document). */
  public?: boolean;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Checked before the body is parsed, for a targeted 400 (the approver-in-body rule). */
  refuseBodyKeys?: Record<string, string>;
  responses: Record<number, ResponseSpec>;
  handle(req: RouteRequest<P, Q, B>): Promise<Response>;
}

/** Keeps a route's types between its schemas and its handler. */
export const defineRoute = <P, Q, B>(r: Route<P, Q, B>): Route => r as unknown as Route;

/** Registers `routes` on `app`; `identityOf` reads what the auth middleware verified. */
export function registerRoutes(app: Hono, base: string, routes: Route[], identityOf: (c: Context) => Identity): void {
  for (const r of routes) {
    app[r.method](`${base}${r.path}`, async (c) => {
      const params = parse(r.params, c.req.param(), 'params');
      const query = parse(r.query, c.req.query(), 'query');
      let body: unknown;
      if (r.body) {
        const raw = await readJson(c);
        if (r.refuseBodyKeys && raw && typeof raw === 'object') {
          for (const [key, message] of Object.entries(r.refuseBodyKeys)) {
            if (Object.hasOwn(raw, key))
              throw new ApiError(400, 'invalid_request', message, { issues: [{ path: `body.${key}`, message }] });
          }
        }
        body = parse(r.body, raw, 'body');
      }
      return r.handle({ c, identity: identityOf(c), params, query, body });
    });
  }
}

function parse(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new ApiError(400, 'invalid_request', `invalid ${where}`, { issues: zodIssues(parsed.error, where) });
  return parsed.data;
}

async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type))
    throw new ApiError(400, 'invalid_request', 'send the body as JSON (Content-Type: application/json)');
  const text = await c.req.text();
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ApiError(400, 'invalid_request', `the body is not valid JSON: ${(err as Error).message}`);
  }
}
