import Anthropic from '@anthropic-ai/sdk';
import { validStatus, type ProviderErrorReader } from '../provider-errors.ts';
import type { StreamErrorEvent } from '../stream-call.ts';

/**
 * The Anthropic SDK's errors, by class: its timeout, abort and connection errors, and its
 * `APIError` for HTTP error responses, whose `errorCode` (the body's
 * `error.details.error_code`, e.g. a quota code on a 429) and `apiMessage` the SDK extracts
 * itself. The status, body and headers are read by the shared mapping (`toProviderFailure`).
 */
export const readAnthropicError: ProviderErrorReader = (err) => {
  if (err instanceof Anthropic.APIConnectionTimeoutError) return { kind: 'timeout' };
  if (err instanceof Anthropic.APIUserAbortError) return { kind: 'aborted' };
  if (err instanceof Anthropic.APIConnectionError) return { kind: 'connection' };
  if (err instanceof Anthropic.APIError) {
    const status = validStatus(err.status);
    if (status !== undefined) return { kind: 'status', status, code: err.errorCode, text: err.apiMessage };
  }
  return undefined;
};

/** An `event: error` inside a stream (`{ type: 'error', error: { type: 'overloaded_error',
 * ... } }`): the SDK throws it as an `APIError` without a status. Its type and code, or
 * `undefined` for any other error. */
export function readAnthropicStreamError(err: unknown): StreamErrorEvent | undefined {
  if (!(err instanceof Anthropic.APIError) || err.status !== undefined) return undefined;
  return {
    ...(typeof err.type === 'string' && err.type ? { errorType: err.type } : {}),
    ...(typeof err.errorCode === 'string' && err.errorCode ? { code: err.errorCode } : {}),
  };
}
