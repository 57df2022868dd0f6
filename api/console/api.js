import { readSse } from './sse.js';

/** Where the HTTP API lives, relative to the console (served by the same server). */
export const apiBase = '/api/v1';

/**
 * An answer of the API other than 2xx. `body` is the API's error document
 * (`{ error, message, issues? }`); `issues` (a 422) name the fields that failed validation.
 */
export class ApiError extends Error {
  constructor(status, body) {
    super(errorMessage(status, body));
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
  get issues() {
    return Array.isArray(this.body?.issues) ? this.body.issues : [];
  }
}

/** One line a person can read: the API's message, else its error code, else the status. */
export function errorMessage(status, body) {
  const said = typeof body === 'string' ? body : (body?.message ?? body?.error);
  return `${status} ${statusText(status)}${said ? `: ${said}` : ''}`;
}

function statusText(status) {
  return (
    {
      400: 'Bad request',
      401: 'Unauthorized',
      403: 'Forbidden',
      404: 'Not found',
      409: 'Conflict',
      413: 'Too large',
      422: 'Invalid input',
      429: 'Too many requests',
    }[status] ?? (status >= 500 ? 'Server error' : 'Error')
  );
}

/**
 * The API as the signed-in person calls it: every request carries their bearer token.
 * `onUnauthorized` runs on a 401 (expired or revoked token) so the console can ask to sign in
 * again.
 */
export function createApi(token, { onUnauthorized = () => {} } = {}) {
  const headers = { authorization: `Bearer ${token}` };

  async function call(method, path, body) {
    let res;
    try {
      res = await fetch(apiBase + path, {
        method,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new ApiError(0, { message: `the API did not answer (${err.message})` });
    }
    const text = await res.text();
    let data = text;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    if (!res.ok) {
      const error = new ApiError(res.status, data);
      if (res.status === 401) onUnauthorized(error);
      throw error;
    }
    return data;
  }

  const query = (params) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
    const s = q.toString();
    return s ? `?${s}` : '';
  };
  const run = (id) => `/runs/${encodeURIComponent(id)}`;

  return {
    me: () => call('GET', '/me'),
    runs: (filters = {}) => call('GET', `/runs${query(filters)}`),
    run: (id) => call('GET', run(id)),
    result: (id) => call('GET', `${run(id)}/result`),
    trace: (id, step) => call('GET', `${run(id)}/trace${query({ step })}`),
    cancel: (id) => call('POST', `${run(id)}/cancel`, {}),
    approvals: () => call('GET', '/approvals'),
    decide: (id, approvalId, decision) =>
      call('POST', `${run(id)}/approvals/${encodeURIComponent(approvalId)}`, decision),
    escalations: () => call('GET', '/escalations'),
    resolve: (id, escalationId, resolution) =>
      call('POST', `${run(id)}/escalations/${encodeURIComponent(escalationId)}`, resolution),
    stats: () => call('GET', '/stats'),
    /** Follows a run's live events (server-sent events over fetch: EventSource cannot send a
     * bearer token). Resolves when the run has ended or `signal` aborts. */
    events: (id, { from = 0, signal, onEvent }) =>
      readSse({ url: (next) => `${apiBase}${run(id)}/events?from=${next}`, headers, from, signal, onEvent }).catch(
        (err) => {
          if (err.status === 401) onUnauthorized(err);
          throw err;
        },
      ),
  };
}
