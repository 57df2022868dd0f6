import OpenAI from 'openai';
import { openaiProfile } from '../../../core/providers/openai.ts';
import { createOpenAIAdapter } from '../openai.ts';
import { defineProvider } from '../provider-descriptor.ts';
import { readOpenAIError } from './openai-errors.ts';

/** OpenAI: the Chat Completions adapter on the official SDK. */
export const openaiProvider = defineProvider({
  ...openaiProfile,
  readError: readOpenAIError,
  createAdapter: (s) =>
    createOpenAIAdapter(
      new OpenAI({ apiKey: s.OPENAI_API_KEY ?? 'not-needed', baseURL: s.OPENAI_BASE_URL ?? null, maxRetries: 0 }),
      openaiProfile.id,
    ),
});
