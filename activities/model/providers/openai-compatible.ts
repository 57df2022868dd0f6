import OpenAI from 'openai';
import { openaiCompatibleProfile } from '../../../core/providers/openai-compatible.ts';
import { createOpenAIAdapter } from '../openai.ts';
import { defineProvider } from '../provider-descriptor.ts';
import { readOpenAIError } from './openai-errors.ts';

/** Any OpenAI-protocol server: the OpenAI adapter in its compatible dialect, with the
 * configured extra headers. */
export const openaiCompatibleProvider = defineProvider({
  ...openaiCompatibleProfile,
  readError: readOpenAIError,
  createAdapter: (s) =>
    createOpenAIAdapter(
      new OpenAI({
        apiKey: s.OPENAI_COMPATIBLE_API_KEY ?? 'not-needed',
        baseURL: s.OPENAI_COMPATIBLE_BASE_URL ?? null,
        maxRetries: 0,
        ...(s.OPENAI_COMPATIBLE_HEADERS ? { defaultHeaders: s.OPENAI_COMPATIBLE_HEADERS } : {}),
      }),
      openaiCompatibleProfile.id,
    ),
});
