/**
 * The providers Bosun ships with, as worker-side descriptors: each one's profile
 * (core/providers/) plus its adapter factory and its SDK's error reader. A worker serves
 * `builtInProviders` unless given its own list (`createBosunWorker({ providers })`).
 */
import type { ProviderDescriptor } from '../provider-descriptor.ts';
import { anthropicProvider } from './anthropic.ts';
import { openaiCompatibleProvider } from './openai-compatible.ts';
import { openaiProvider } from './openai.ts';

export { anthropicProvider, openaiCompatibleProvider, openaiProvider };
export { readOpenAIError, readOpenAIStreamError } from './openai-errors.ts';
export { readAnthropicError, readAnthropicStreamError } from './anthropic-errors.ts';

/** In the order of `builtInProviderProfiles` (core/providers/). */
export const builtInProviders: readonly ProviderDescriptor[] = [
  openaiProvider,
  anthropicProvider,
  openaiCompatibleProvider,
];
