import { WorkflowNotFoundError } from '@temporalio/client';
import type { z } from 'zod';
import { DecisionRejectedError, RunAlreadyExistsError, RunInputError } from '../client/errors.ts';
import { NoRunEventsError } from '../client/run-events.ts';
import { expandUnions, issuePath } from '../core/zod-issues.ts';
import { AuthError } from './auth/identity.ts';

/** One validation problem: where (`body.input.amountCents`) and what. */
export interface ApiIssue {
  path: string;
  message: string;
}

/** Every 4xx and 5xx body: a stable `error` code to branch on, a sentence for people, and
 * for validation failures the issues, field by field. */
export interface ApiErrorBody {
  error: string;
  message: string;
  issues?: ApiIssue[];
}

export type ApiErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 500 | 502 | 503;

/**
 * An error the API answers with `status` and `{ error, message, issues? }`. Route handlers
 * throw it; the server's error handler writes it (and maps Bosun's and Temporal's own errors
 * to one, `toApiError`).
 */
export class ApiError extends Error {
  readonly status: ApiErrorStatus;
  readonly code: string;
  readonly issues?: ApiIssue[];
  readonly headers?: Record<string, string>;
  constructor(
    status: ApiErrorStatus,
    code: string,
    message: string,
    opts: { issues?: ApiIssue[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    if (opts.issues) this.issues = opts.issues;
    if (opts.headers) this.headers = opts.headers;
  }
  get body(): ApiErrorBody {
    return { error: this.code, message: this.message, ...(this.issues ? { issues: this.issues } : {}) };
  }
}

/** zod's issues under a prefix (`body`, `query`, `params`), as the API reports them. */
export function zodIssues(error: z.ZodError, prefix: string): ApiIssue[] {
  return expandUnions(error.issues).map((i) => ({
    path: issuePath([prefix, ...(typeof i.path === 'string' ? [i.path] : i.path)]),
    message: i.message,
  }));
}

export const notFound = (runId: string) => new ApiError(404, 'not_found', `no run "${runId}"`);

/** Bosun's and Temporal's errors as the API answers them; anything else is a 500 whose
 * message names no internals. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof AuthError)
    return new ApiError(401, err.code, err.message, { headers: { 'www-authenticate': 'Bearer' } });
  if (err instanceof RunInputError)
    return new ApiError(400, 'invalid_request', err.message, {
      issues: err.issues.map((i) => ({ path: `body.${i.path}`, message: i.message })),
    });
  if (err instanceof RunAlreadyExistsError) return new ApiError(409, 'run_exists', err.message);
  if (err instanceof DecisionRejectedError)
    return new ApiError(422, 'decision_refused', err.reason, { issues: issuesInReason(err.reason) });
  if (err instanceof WorkflowNotFoundError) return notFound(err.workflowId ?? '');
  if (err instanceof NoRunEventsError) return new ApiError(409, 'no_events', err.message);
  return new ApiError(500, 'internal', 'the server failed to handle the request; see its log');
}

/**
 * The issues in a run's refusal of edited arguments (`… Invalid arguments for tool "x":
 * amountCents: Too small …; reason: … . Fix …`), one per `path: message`, so a console shows
 * them beside their fields. Empty when the refusal is not about fields.
 */
export function issuesInReason(reason: string): ApiIssue[] {
  const m = /Invalid arguments for tool "[^"]*": (.*?)(?:\. Fix the arguments.*)?$/s.exec(reason);
  if (!m) return [];
  return m[1]!
    .split('; ')
    .map((part) => /^([^:]+): (.*)$/s.exec(part))
    .filter((x): x is RegExpExecArray => x !== null)
    .map(([, path, message]) => ({ path: `body.input.${path}`, message: message! }));
}
