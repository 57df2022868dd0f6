import OpenAI from 'openai';
import { validStatus, type ProviderErrorReader } from '../provider-errors.ts';
import type { StreamErrorEvent } from '../stream-call.ts';

/**
 * The OpenAI SDK's errors, by class: its timeout, abort and connection errors, and its
 * `APIError` for HTTP error responses (trusted to be one even without response headers).
 * The status, body and headers mean the same for every provider and are read by the shared
 * mapping (`toProviderFailure`). Used for `openai` and `openai-compatible`.
 */
export const readOpenAIError: ProviderErrorReader = (err) => {
  if (err instanceof OpenAI.APIConnectionTimeoutError) return { kind: 'timeout' };
  if (err instanceof OpenAI.APIUserAbortError) return { kind: 'aborted' };
  if (err instanceof OpenAI.APIConnectionError) return { kind: 'connection' };
  if (err instanceof OpenAI.APIError) {
    const status = validStatus(err.status);
    if (status !== undefined) return { kind: 'status', status };
  }
  return undefined;
};

/** An error chunk inside a stream (`data: { "error": { type, code, message } }`): the SDK
 * throws it as an `APIError` without a status. Its type and code, or `undefined` for any
 * other error. */
export function readOpenAIStreamError(err: unknown): StreamErrorEvent | undefined {
  if (!(err instanceof OpenAI.APIError) || err.status !== undefined) return undefined;
  return {
    ...(typeof err.type === 'string' && err.type ? { errorType: err.type } : {}),
    ...(typeof err.code === 'string' && err.code ? { code: err.code } : {}),
  };
}
