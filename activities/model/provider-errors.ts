/**
 * The provider error taxonomy: every way a model call can fail, mapped onto the closed
 * failure vocabulary of `core/failures.ts` and thrown as a Temporal `ApplicationFailure`.
 *
 * The failure is stored in workflow history and shown to operators, so it carries only what
 * is safe and useful: a short summary, the HTTP status, the provider's error code and the
 * request id. Never the provider's error text (it can echo prompt content), never a header
 * value other than the request id, never a key. No `cause` is attached either: Temporal
 * serialises the cause chain, and an SDK error's cause holds the raw body.
 */
import { ApplicationFailure } from '@temporalio/common';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { failureTypes, type FailureType } from '../../core/failures.ts';
import type { ProviderName } from '../../core/model.ts';
import type { Usage } from '../../core/usage.ts';
import { headerValue, MAX_RETRY_AFTER_MS, retryAfterFromHeaders, type HeaderSource } from './retry-after.ts';

/** What a provider failure carries in `ApplicationFailure.details[0]`. */
export interface ProviderFailureDetails {
  provider: ProviderName;
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
 * `FailureType`. An `ApplicationFailure` passes through unchanged.
 *
 * @example
 * try { await client.chat.completions.create(body) }
 * catch (err) { throw toProviderFailure(err, 'openai') }
 * // → ApplicationFailure { type: 'rate_limited', nextRetryDelay: 2000,
 * //     message: 'openai: HTTP 429 rate_limited (code rate_limit_exceeded, request req_abc)' }
 */
export function toProviderFailure(err: unknown, provider: ProviderName): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const c = classify(err);

  const shouldRetry = headerValue(c.headers, 'x-should-retry')?.trim().toLowerCase();
  const retryable =
    shouldRetry === 'true' ? true
    : shouldRetry === 'false' ? false
    : failureTypes[c.type].retryable;
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

function classify(err: unknown): Classified {
  if (isNamed(err, 'APIConnectionTimeoutError') || isInstance(err, 'APIConnectionTimeoutError')) {
    return { type: 'timeout', summary: 'request timed out' };
  }
  if (isNamed(err, 'APIUserAbortError') || isInstance(err, 'APIUserAbortError')) {
    // The caller's signal fired (activity cancelled or timed out). Adapters rethrow the
    // signal's reason instead; if one reaches here anyway, treat it as a timeout.
    return { type: 'timeout', summary: 'request aborted' };
  }
  if (isNamed(err, 'APIConnectionError') || isInstance(err, 'APIConnectionError')) {
    if (hasTimeoutCause(err)) return { type: 'timeout', summary: 'request timed out' };
    return { type: 'provider_unavailable', summary: 'connection failed' };
  }

  const status = httpStatus(err);
  if (status !== undefined) return classifyStatus(err as Record<string, unknown>, status);

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

/** Whole seconds for a message; sub-second asks show one decimal. */
function seconds(ms: number): string {
  const s = ms / 1000;
  return Number.isInteger(s) || s >= 10 ? String(Math.round(s)) : s.toFixed(1);
}

function classifyStatus(err: Record<string, unknown>, status: number): Classified {
  const headers = isHeaders(err['headers']) ? err['headers'] : undefined;
  const { code, errorType, text } = bodyFields(err);
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

/** The code, type and text of an SDK error body. OpenAI's `APIError.error` is the inner
 * `{ message, type, code }`; Anthropic's is the whole `{ type: 'error', error: { type,
 * message, details: { error_code } } }`. */
function bodyFields(err: Record<string, unknown>): { code?: string; errorType?: string; text?: string } {
  const body = isRecord(err['error']) ? err['error'] : undefined;
  const inner = body && isRecord(body['error']) ? body['error'] : body;
  const details = inner && isRecord(inner['details']) ? inner['details'] : undefined;
  const code = str(err['errorCode']) ?? str(details?.['error_code']) ?? str(err['code']) ?? str(inner?.['code']);
  const errorType = str(err['type']) ?? str(inner?.['type']);
  const text = [str(inner?.['message']), str(err['apiMessage']), str(err['message'])].filter(Boolean).join(' ');
  return {
    ...(code !== undefined ? { code } : {}),
    ...(errorType !== undefined ? { errorType } : {}),
    ...(text ? { text } : {}),
  };
}

const SDK_CLASSES = {
  APIConnectionTimeoutError: [OpenAI.APIConnectionTimeoutError, Anthropic.APIConnectionTimeoutError],
  APIUserAbortError: [OpenAI.APIUserAbortError, Anthropic.APIUserAbortError],
  APIConnectionError: [OpenAI.APIConnectionError, Anthropic.APIConnectionError],
} as const;

function isInstance(err: unknown, kind: keyof typeof SDK_CLASSES): boolean {
  return SDK_CLASSES[kind].some((cls) => err instanceof cls);
}

/** Duck-typed class check that survives two copies of an SDK (ESM and CJS): Anthropic sets
 * `name`, OpenAI's errors only keep their constructor's name. */
function isNamed(err: unknown, name: string): boolean {
  if (!isRecord(err)) return false;
  return err['name'] === name || (err as { constructor?: { name?: unknown } }).constructor?.name === name;
}

function httpStatus(err: unknown): number | undefined {
  if (!isRecord(err)) return undefined;
  const status = err['status'];
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) return undefined;
  const isSdkError = err instanceof OpenAI.APIError || err instanceof Anthropic.APIError;
  return isSdkError || isHeaders(err['headers']) ? status : undefined;
}

const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
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

function hasTimeoutCause(err: unknown): boolean {
  return causeChain(err).some((e) => TIMEOUT_CODES.has(String(e['code'])) || e['name'] === 'TimeoutError');
}

function hasNetworkCause(err: unknown): boolean {
  return causeChain(err).some(
    (e) => NETWORK_CODES.has(String(e['code'])) || (e['name'] === 'TypeError' && e['message'] === 'fetch failed'),
  );
}

function looksLikeParseError(err: unknown): boolean {
  return causeChain(err).some(
    (e) =>
      e['name'] === 'SyntaxError' ||
      /\bJSON\b|unexpected (?:token|end of|non-whitespace)|parse/i.test(typeof e['message'] === 'string' ? e['message'] : ''),
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
