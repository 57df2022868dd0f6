import Anthropic from '@anthropic-ai/sdk';
import { anthropicProfile } from '../../../core/providers/anthropic.ts';
import { createAnthropicAdapter } from '../anthropic.ts';
import { defineProvider } from '../provider-descriptor.ts';
import { readAnthropicError } from './anthropic-errors.ts';

/** Anthropic: the Messages adapter on the official SDK. */
export const anthropicProvider = defineProvider({
  ...anthropicProfile,
  readError: readAnthropicError,
  createAdapter: (s) =>
    createAnthropicAdapter(
      new Anthropic({
        apiKey: s.ANTHROPIC_API_KEY ?? 'not-needed',
        baseURL: s.ANTHROPIC_BASE_URL ?? null,
        maxRetries: 0,
      }),
    ),
});
