import { z } from 'zod';
import type { Route } from './route.ts';
import { errorSchema } from './schemas.ts';

/** `/runs/:id` → `/runs/{id}`. */
const openApiPath = (path: string) => path.replace(/:([A-Za-z_]\w*)/g, '{$1}');

/** A zod schema as an OpenAPI 3.1 schema (JSON Schema 2020-12); schemas named with
 * `.meta({ id })` go to `components.schemas` and are referenced there. */
function toSchema(schema: z.ZodType, io: 'input' | 'output', defs: Record<string, unknown>): unknown {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  const {
    $schema: _s,
    $defs,
    id,
    ...rest
  } = JSON.parse(JSON.stringify(json).replaceAll('"#/$defs/', '"#/components/schemas/')) as {
    $schema?: unknown;
    $defs?: Record<string, unknown>;
    id?: string;
  } & Record<string, unknown>;
  Object.assign(defs, $defs ?? {});
  if (typeof id === 'string') {
    defs[id] = rest;
    return { $ref: `#/components/schemas/${id}` };
  }
  return rest;
}

/** Parameters of one location from a zod object schema. */
function parameters(schema: z.ZodType | undefined, where: 'path' | 'query', defs: Record<string, unknown>) {
  if (!schema) return [];
  const json = toSchema(schema, 'input', defs) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: s,
    ...((s as { description?: string }).description ? { description: (s as { description: string }).description } : {}),
  }));
}

/**
 * The OpenAPI 3.1 document of the route table: paths, parameters, request bodies and
 * responses, all generated from the zod schemas the server validates with, so the document
 * cannot drift from what the server does.
 */
export function openApiDocument(routes: Route[], opts: { base: string; title: string; version: string }) {
  const defs: Record<string, unknown> = {};
  const paths: Record<string, Record<string, unknown>> = {};
  const errorRef = toSchema(errorSchema, 'output', defs);
  for (const r of routes) {
    const responses: Record<string, unknown> = {};
    for (const [status, spec] of Object.entries(r.responses)) {
      responses[status] = {
        description: spec.description,
        ...(spec.eventStream
          ? { content: { 'text/event-stream': { schema: { type: 'string' } } } }
          : spec.schema
            ? { content: { 'application/json': { schema: toSchema(spec.schema, 'output', defs) } } }
            : {}),
      };
    }
    for (const [status, description] of [
      ['400', 'Invalid request: `issues` lists each problem'],
      ...(r.public
        ? []
        : [
            ['401', 'Missing, expired or invalid token'],
            ['429', 'Too many requests: see `retry-after`'],
          ]),
    ] as const) {
      responses[status] ??= { description, content: { 'application/json': { schema: errorRef } } };
    }
    paths[`${opts.base}${openApiPath(r.path)}`] ??= {};
    paths[`${opts.base}${openApiPath(r.path)}`]![r.method] = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method}${openApiPath(r.path)
        .replace(/[{}]/g, '')
        .replace(/\/(\w)/g, (_m, ch: string) => ch.toUpperCase())
        .replace(/\W/g, '')}`,
      ...(r.public ? { security: [] } : {}),
      parameters: [...parameters(r.params, 'path', defs), ...parameters(r.query, 'query', defs)],
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: toSchema(r.body, 'input', defs) } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: opts.title, version: opts.version },
    components: {
      schemas: defs,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
