export type { CallOptions, ModelAdapter } from './types.ts';
export { createOpenAIAdapter, toOpenAIRequest, fromOpenAIResponse } from './openai.ts';
export { createAnthropicAdapter, toAnthropicRequest, fromAnthropicResponse } from './anthropic.ts';
export { isStrictCompatible } from './strict-schema.ts';
export { toProviderFailure, InvalidProviderResponseError, type ProviderFailureDetails } from './provider-errors.ts';
export {
  retryDelayFromHeaders,
  retryAfterFromHeaders,
  headerValue,
  MAX_RETRY_AFTER_MS,
  type HeaderSource,
  type RetryAfter,
} from './retry-after.ts';
export {
  createCircuitBreaker,
  isBreakerFailure,
  breakerFailureTypes,
  type CircuitBreaker,
  type CircuitBreakerOptions,
  type BreakerCheck,
  type BreakerSnapshot,
  type BreakerState,
} from './breaker.ts';
