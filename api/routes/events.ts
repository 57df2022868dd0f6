import { streamSSE } from 'hono/streaming';
import type { RouteDeps } from '../deps.ts';
import { ApiError, toApiError } from '../errors.ts';
import { defineRoute, type Route } from '../route.ts';
import { errorSchema, eventsQuery, runIdParams } from '../schemas.ts';
import { runOfTenant } from '../tenant-guard.ts';

/**
 * `GET /runs/:id/events`: the run's live events (`run.events()`) as server-sent events. Each
 * event's `id:` is its offset, `event:` its type, `data:` the event as JSON; the stream ends
 * after `run_ended`. A browser's `EventSource` reconnects with `Last-Event-ID` and the stream
 * resumes after that offset; `?from=N` starts at offset N.
 */
export function eventRoutes({ bosun }: RouteDeps): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/runs/:id/events',
      tag: 'runs',
      summary: "The run's live events as server-sent events (resume with Last-Event-ID)",
      params: runIdParams,
      query: eventsQuery,
      responses: {
        200: { description: 'text/event-stream: id = offset, event = type, data = JSON', eventStream: true },
        404: { description: 'No such run in your tenant', schema: errorSchema },
      },
      async handle({ c, identity, params, query }) {
        await runOfTenant(bosun, params.id, identity);
        const lastId = c.req.header('last-event-id');
        let from = query.from ?? 0;
        if (lastId !== undefined && lastId !== '') {
          if (!/^\d+$/.test(lastId))
            throw new ApiError(400, 'invalid_request', 'Last-Event-ID must be an event offset (a number)', {
              issues: [{ path: 'headers.last-event-id', message: 'not a number' }],
            });
          from = Number(lastId) + 1;
        }
        return streamSSE(c, async (stream) => {
          const abort = new AbortController();
          stream.onAbort(() => abort.abort());
          try {
            for await (const e of bosun.getHandle(params.id).events({ from, signal: abort.signal })) {
              await stream.writeSSE({ id: String(e.offset), event: e.type, data: JSON.stringify(e) });
            }
          } catch (e) {
            // The stream has begun: the failure becomes an `error` event, and the stream ends.
            await stream.writeSSE({ event: 'error', data: JSON.stringify(toApiError(e).body) });
          }
        });
      },
    }),
  ];
}
