/** Model calls: the provider descriptors and adapters, the shared failure taxonomy, the
 * circuit breaker and the per-model pacer. Provider SDKs are imported here and nowhere else. */
export type { CallOptions, ModelAdapter } from './types.ts';
export { createOpenAIAdapter, toOpenAIRequest, fromOpenAIResponse } from './openai.ts';
export { createAnthropicAdapter, toAnthropicRequest, fromAnthropicResponse } from './anthropic.ts';
export { isStrictCompatible } from './strict-schema.ts';
export {
  toProviderFailure,
  readByShape,
  validStatus,
  InvalidProviderResponseError,
  ProviderStreamError,
  typeForStreamError,
  type ProviderFailureDetails,
  type ProviderErrorFacts,
  type ProviderErrorReader,
} from './provider-errors.ts';
export { callProvider, assistantResponse } from './response.ts';
export {
  callStreaming,
  emitAnswer,
  type OpenedStream,
  type StreamReadContext,
  type StreamErrorEvent,
} from './stream-call.ts';
export { defineProvider, type ProviderDescriptor } from './provider-descriptor.ts';
export {
  builtInProviders,
  openaiProvider,
  anthropicProvider,
  openaiCompatibleProvider,
  readOpenAIError,
  readAnthropicError,
  readOpenAIStreamError,
  readAnthropicStreamError,
} from './providers/index.ts';
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
  type BreakerCause,
} from './breaker.ts';
export {
  createModelPacer,
  type ModelPacer,
  type ModelPacerOptions,
  type PaceGrant,
  type PaceSnapshot,
} from './pacer.ts';
export { exhaustedWindowMs, parseDurationMs } from './rate-limit-headers.ts';
