export type { CallOptions, ModelAdapter } from './types.ts';
export { createOpenAIAdapter, toOpenAIRequest, fromOpenAIResponse } from './openai.ts';
export { createAnthropicAdapter, toAnthropicRequest, fromAnthropicResponse } from './anthropic.ts';
export { toProviderFailure, InvalidProviderResponseError, type ProviderFailureDetails } from './provider-errors.ts';
export { retryDelayFromHeaders, headerValue, MAX_RETRY_AFTER_MS, type HeaderSource } from './retry-after.ts';
