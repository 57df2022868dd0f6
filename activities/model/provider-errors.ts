/**
 * The provider error taxonomy: every way a model call can fail, mapped onto the closed
 * failure vocabulary of `core/failures.ts` and thrown as a Temporal `ApplicationFailure`.
 *
 * The failure is stored in workflow history and shown to operators, so it carries only what
 * is safe and useful: a short summary, the HTTP status, the provider's error code and the
 * request id. Never the provider's error text (it can echo prompt content), never a header
 * value other than the request id, never a key. No `cause` is attached either: Temporal
 * serialises the cause chain, and an SDK error's cause holds the raw body.
 *
 * Shared and SDK-free: what an HTTP status, a `retry-after`, an error body or a network
 * cause means is the same for every provider. What is SDK-specific — which of an SDK's
 * error classes is a timeout, an abort, a connection failure or an HTTP error — is read by
 * each provider's `ProviderErrorReader` (`activities/model/providers/*-errors.ts`), passed to
 * `toProviderFailure`. Without a reader (or when it does not recognise the error) errors are
 * read by their shape: the class names the Stainless-built SDKs share, a numeric `status`
 * with response `headers`, the usual error-body fields, network causes.
 */
import { ApplicationFailure } from '@temporalio/common';
import { failureTypes, type FailureType } from '../../core/failures.ts';
import type { ProviderId } from '../../core/model.ts';
import type { Usage } from '../../core/usage.ts';
import { headerValue, MAX_RETRY_AFTER_MS, retryAfterFromHeaders, type HeaderSource } from './retry-after.ts';

/** What a provider failure carries in `ApplicationFailure.details[0]`. */
export interface ProviderFailureDetails {
  provider: ProviderId;
  status?: number;
  code?: string;
  requestId?: string;
  /** Tokens the provider billed although the call failed (it answered 2xx with a readable
   * `usage` but an unusable body). `callModel` replaces it with the sum over all attempts
   * of the activity so far. */
  billedUsage?: Usage;
  /** The retry delay applied (`nextRetryDelay`), from `retry-after-ms` / `retry-after`. */
  retryAfterMs?: number;
  /** What the provider asked for, present only when it exceeded `MAX_RETRY_AFTER_MS` and
   * was capped to `retryAfterMs`. */
  retryAfterRequestedMs?: number;
}

/** Thrown by adapters when a provider answers with a success status but a body that is not
 * a valid response (no choices, no content array, not JSON at all). Its message is written
 * by us, never copied from the provider, so it may appear in the failure message.
 * `billedUsage` is the canonical usage the body reported, when it had one: the provider
 * bills such a call although its answer is unusable. */
export class InvalidProviderResponseError extends Error {
  override readonly name = 'InvalidProviderResponseError';
  readonly billedUsage: Usage | undefined;
  readonly requestId: string | undefined;

  constructor(message: string, billedUsage?: Usage, requestId?: string | null) {
    super(message);
    this.billedUsage = billedUsage;
    this.requestId = requestId ?? undefined;
  }
}

/**
 * Thrown by a streaming call when the stream failed after its 200: an error event the
 * provider sent inside it, a connection lost or a stream cut before its final event, a
 * stream not finished in time. `failureType` is already decided (`typeForStreamError` for
 * an error event); `code` is the provider's error type or code, or one of ours
 * (`stream_truncated`, `stream_interrupted`). Its message is written by us, never copied
 * from the provider. The partial answer it interrupted is dropped with it.
 */
export class ProviderStreamError extends Error {
  override readonly name = 'ProviderStreamError';
  readonly failureType: FailureType;
  readonly code: string | undefined;
  readonly requestId: string | undefined;

  constructor(failureType: FailureType, message: string, opts: { code?: string; requestId?: string | null } = {}) {
    super(message);
    this.failureType = failureType;
    this.code = opts.code;
    this.requestId = opts.requestId ?? undefined;
  }
}

/** The error `type`s the providers send (in an error body or a stream's error event) and
 * the HTTP status each stands for in their documentation, so an error event mid-stream is
 * typed as the same error before the stream would be. */
const STATUS_OF_ERROR_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  requests: 429,
  tokens: 429,
  insufficient_quota: 429,
  api_error: 500,
  server_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/**
 * The failure type of an error event inside a stream (OpenAI: a chunk `{ error: { type,
 * code } }`; Anthropic: `event: error` with `error.type`), typed as the status its error
 * type stands for. An unknown error is `provider_unavailable`: the stream broke on the
 * provider's side, and a new attempt is the remedy.
 *
 * @example
 * typeForStreamError('overloaded_error') // 'provider_unavailable'
 * typeForStreamError('rate_limit_error') // 'rate_limited'
 * typeForStreamError('tokens', 'insufficient_quota') // 'quota_exhausted'
 */
export function typeForStreamError(errorType: string | undefined, code?: string): FailureType {
  const status =
    (errorType !== undefined ? STATUS_OF_ERROR_TYPE[errorType] : undefined) ??
    (code === 'rate_limit_exceeded' || (code !== undefined && QUOTA_CODE.test(code))
      ? 429
      : code === 'context_length_exceeded'
        ? 400
        : 500);
  return typeForStatus(status, code, errorType, undefined);
}

/**
 * What a provider's own error reader recognised in an error from its SDK:
 * - `timeout`: the SDK's request timeout fired;
 * - `aborted`: the caller's signal aborted the request;
 * - `connection`: no response (refused, reset, DNS); a timeout in its cause chain still
 *   counts as a timeout;
 * - `status`: an HTTP error response. The status, headers and body are then read by shape;
 *   `code` and `text` are what the SDK itself extracted from the body, preferred over it.
 */
export type ProviderErrorFacts =
  | { kind: 'timeout' }
  | { kind: 'aborted' }
  | { kind: 'connection' }
  | { kind: 'status'; status: number; code?: unknown; text?: unknown };

/** Reads an error from one provider's SDK, or returns `undefined` when it is not one. */
export type ProviderErrorReader = (err: unknown) => ProviderErrorFacts | undefined;

interface Classified {
  type: FailureType;
  /** `HTTP 429` for status errors, else a short phrase of our own. */
  summary: string;
  status?: number;
  code?: string;
  requestId?: string;
  headers?: HeaderSource;
  billedUsage?: Usage;
}

/**
 * Map any error from a provider call to an `ApplicationFailure` whose `type` is a
 * `FailureType`. An `ApplicationFailure` passes through unchanged. `readError` is the
 * provider's own reader of its SDK's errors (see the module comment).
 *
 * @example
 * try { await client.chat.completions.create(body) }
 * catch (err) { throw toProviderFailure(err, 'openai', readOpenAIError) }
 * // → ApplicationFailure { type: 'rate_limited', nextRetryDelay: 2000,
 * //     message: 'openai: HTTP 429 rate_limited (code rate_limit_exceeded, request req_abc)' }
 */
export function toProviderFailure(
  err: unknown,
  provider: ProviderId,
  readError?: ProviderErrorReader,
): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const c = classify(err, readError?.(err) ?? readByShape(err));

  const shouldRetry = headerValue(c.headers, 'x-should-retry')?.trim().toLowerCase();
  const retryable = shouldRetry === 'true' ? true : shouldRetry === 'false' ? false : failureTypes[c.type].retryable;
  const retryAfter = retryable ? retryAfterFromHeaders(c.headers) : undefined;
  const delay = retryAfter?.delayMs;
  const capped = retryAfter !== undefined && retryAfter.requestedMs > retryAfter.delayMs;

  const details: ProviderFailureDetails = { provider };
  if (c.status !== undefined) details.status = c.status;
  if (c.code !== undefined) details.code = c.code;
  if (c.requestId !== undefined) details.requestId = c.requestId;
  if (c.billedUsage !== undefined) details.billedUsage = c.billedUsage;
  if (delay !== undefined && delay > 0) details.retryAfterMs = delay;
  if (capped) details.retryAfterRequestedMs = retryAfter.requestedMs;

  const extras = [
    c.code && `code ${c.code}`,
    c.requestId && `request ${c.requestId}`,
    // A long wait is honoured only up to the cap; say so, so nobody wonders why a run that
    // was told to wait an hour retried after five minutes (or why it waited five minutes).
    capped && `retry-after ${seconds(retryAfter.requestedMs)} s capped to ${seconds(MAX_RETRY_AFTER_MS)} s`,
  ].filter(Boolean);
  const message = `${provider}: ${c.summary} ${c.type}${extras.length ? ` (${extras.join(', ')})` : ''}`;

  return ApplicationFailure.create({
    type: c.type,
    message,
    nonRetryable: !retryable,
    details: [details],
    ...(delay !== undefined && delay > 0 ? { nextRetryDelay: delay } : {}),
  });
}

function classify(err: unknown, facts: ProviderErrorFacts | undefined): Classified {
  switch (facts?.kind) {
    case 'timeout':
      return { type: 'timeout', summary: 'request timed out' };
    case 'aborted':
      // The caller's signal fired (activity cancelled or timed out). Adapters rethrow the
      // signal's reason instead; if one reaches here anyway, treat it as a timeout.
      return { type: 'timeout', summary: 'request aborted' };
    case 'connection':
      if (hasTimeoutCause(err)) return { type: 'timeout', summary: 'request timed out' };
      return { type: 'provider_unavailable', summary: 'connection failed' };
    case 'status':
      return classifyStatus(isRecord(err) ? err : {}, facts);
  }

  if (err instanceof ProviderStreamError) {
    return {
      type: err.failureType,
      summary: err.message,
      ...(safeToken(err.code) !== undefined ? { code: safeToken(err.code) } : {}),
      ...(safeToken(err.requestId) !== undefined ? { requestId: safeToken(err.requestId) } : {}),
    };
  }
  if (err instanceof InvalidProviderResponseError) {
    return {
      type: 'invalid_response',
      summary: `invalid response: ${err.message}`,
      ...(err.billedUsage !== undefined ? { billedUsage: err.billedUsage } : {}),
      ...(safeToken(err.requestId) !== undefined ? { requestId: safeToken(err.requestId) } : {}),
    };
  }
  if (isNamed(err, 'TimeoutError') || hasTimeoutCause(err)) return { type: 'timeout', summary: 'request timed out' };
  if (isNamed(err, 'AbortError')) return { type: 'timeout', summary: 'request aborted' };
  if (looksLikeParseError(err)) return { type: 'invalid_response', summary: 'response body is not valid JSON' };
  if (hasNetworkCause(err)) return { type: 'provider_unavailable', summary: 'connection failed' };
  const name = safeToken(isRecord(err) ? err['name'] : undefined);
  return { type: 'provider_unavailable', summary: name ? `unexpected ${name}` : 'unexpected error' };
}

/**
 * Facts read from an error's shape, for errors no provider reader recognised: the error
 * class names both official SDKs use (duck-typed, so a second copy of an SDK, ESM beside
 * CJS, is still read), and any error with a valid numeric `status` and response `headers`
 * (a fetch-based adapter of your own can throw one).
 */
export function readByShape(err: unknown): ProviderErrorFacts | undefined {
  if (isNamed(err, 'APIConnectionTimeoutError')) return { kind: 'timeout' };
  if (isNamed(err, 'APIUserAbortError')) return { kind: 'aborted' };
  if (isNamed(err, 'APIConnectionError')) return { kind: 'connection' };
  if (!isRecord(err) || !isHeaders(err['headers'])) return undefined;
  const status = validStatus(err['status']);
  return status === undefined ? undefined : { kind: 'status', status };
}

/** An HTTP error status (100-599), or undefined. */
export function validStatus(status: unknown): number | undefined {
  return typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599 ? status : undefined;
}

/** Whole seconds for a message; sub-second asks show one decimal. */
function seconds(ms: number): string {
  const s = ms / 1000;
  return Number.isInteger(s) || s >= 10 ? String(Math.round(s)) : s.toFixed(1);
}

function classifyStatus(
  err: Record<string, unknown>,
  facts: Extract<ProviderErrorFacts, { kind: 'status' }>,
): Classified {
  const { status } = facts;
  const headers = isHeaders(err['headers']) ? err['headers'] : undefined;
  const { code, errorType, text } = bodyFields(err, facts);
  const requestId =
    safeToken(err['requestID']) ??
    safeToken(headerValue(headers, 'x-request-id')) ??
    safeToken(headerValue(headers, 'request-id'));
  const type = typeForStatus(status, code, errorType, text);
  const shownCode = safeToken(code) ?? safeToken(errorType);
  return {
    type,
    summary: `HTTP ${status}`,
    status,
    ...(shownCode !== undefined ? { code: shownCode } : {}),
    ...(requestId !== undefined ? { requestId } : {}),
    ...(headers !== undefined ? { headers } : {}),
  };
}

/** Quota/billing/spend-limit codes: a 429 that waiting will not fix. */
const QUOTA_CODE = /insufficient_quota|quota_exceeded|billing|spend_limit|credit/i;
/** Provider wording for a prompt that does not fit (OpenAI, Anthropic, vLLM, Ollama, ...);
 * used only to classify, never copied into the failure. */
const CONTEXT_TEXT =
  /context_length_exceeded|prompt is too long|context (?:length|window|limit)|maximum context|too many (?:input )?tokens/i;

function typeForStatus(
  status: number,
  code: string | undefined,
  errorType: string | undefined,
  text: string | undefined,
): FailureType {
  if (status >= 500) return 'provider_unavailable';
  switch (status) {
    case 400:
      if (code === 'context_length_exceeded' || (text !== undefined && CONTEXT_TEXT.test(text))) {
        return 'context_too_long';
      }
      return 'bad_request';
    case 401:
    case 403:
      return 'auth';
    case 402:
      return 'quota_exhausted';
    case 404:
      return 'model_not_found';
    case 408:
    case 409:
    case 425:
    case 499:
      return 'provider_unavailable';
    case 413:
      return 'context_too_long';
    case 429:
      return QUOTA_CODE.test(`${code ?? ''} ${errorType ?? ''}`) ? 'quota_exhausted' : 'rate_limited';
    default:
      return 'bad_request';
  }
}

/** The code, type and text of an error body, by shape: `error` is the parsed body, either
 * an OpenAI-style `{ message, type, code }` or a wrapper around one (Anthropic's `{ type:
 * 'error', error: { type, message, details: { error_code } } }`). What the provider's reader
 * extracted itself (`facts.code`, `facts.text`) comes first. */
function bodyFields(
  err: Record<string, unknown>,
  facts: { code?: unknown; text?: unknown },
): { code?: string; errorType?: string; text?: string } {
  const body = isRecord(err['error']) ? err['error'] : undefined;
  const inner = body && isRecord(body['error']) ? body['error'] : body;
  const details = inner && isRecord(inner['details']) ? inner['details'] : undefined;
  const code = str(facts.code) ?? str(details?.['error_code']) ?? str(err['code']) ?? str(inner?.['code']);
  const errorType = str(err['type']) ?? str(inner?.['type']);
  const text = [str(inner?.['message']), str(facts.text), str(err['message'])].filter(Boolean).join(' ');
  return {
    ...(code !== undefined ? { code } : {}),
    ...(errorType !== undefined ? { errorType } : {}),
    ...(text ? { text } : {}),
  };
}

/** Duck-typed class check that survives two copies of an SDK (ESM and CJS): Anthropic sets
 * `name`, OpenAI's errors only keep their constructor's name. */
function isNamed(err: unknown, name: string): boolean {
  if (!isRecord(err)) return false;
  return err['name'] === name || (err as { constructor?: { name?: unknown } }).constructor?.name === name;
}

const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

function causeChain(err: unknown): Record<string, unknown>[] {
  const chain: Record<string, unknown>[] = [];
  let current: unknown = err;
  while (isRecord(current) && chain.length < 8 && !chain.includes(current)) {
    chain.push(current);
    current = current['cause'];
  }
  return chain;
}

/** A timeout anywhere in the error's cause chain (`ETIMEDOUT`, undici's timeouts). */
export function hasTimeoutCause(err: unknown): boolean {
  return causeChain(err).some((e) => TIMEOUT_CODES.has(String(e['code'])) || e['name'] === 'TimeoutError');
}

/** A network failure anywhere in the error's cause chain (reset, refused, closed socket). */
export function hasNetworkCause(err: unknown): boolean {
  return causeChain(err).some(
    (e) => NETWORK_CODES.has(String(e['code'])) || (e['name'] === 'TypeError' && e['message'] === 'fetch failed'),
  );
}

function looksLikeParseError(err: unknown): boolean {
  return causeChain(err).some(
    (e) =>
      e['name'] === 'SyntaxError' ||
      /\bJSON\b|unexpected (?:token|end of|non-whitespace)|parse/i.test(
        typeof e['message'] === 'string' ? e['message'] : '',
      ),
  );
}

function isHeaders(value: unknown): value is { get(name: string): string | null } {
  return isRecord(value) && typeof value['get'] === 'function';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** An identifier-like value (error code, request id, class name) safe to show; anything
 * else (free text, oversized values) is dropped. */
function safeToken(value: unknown): string | undefined {
  return typeof value === 'string' && /^[\w.:-]{1,100}$/.test(value) ? value : undefined;
}
