import { z } from 'zod';
import { envString, envUrl } from '../env-values.ts';
import { defineProviderProfile } from '../provider-profile.ts';

/** Extra headers as a JSON object of header names to values (gateways often want a tenant
 * or routing header). The text is never quoted back: values may be secrets. */
const jsonHeaders = envString.pipe(
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object of header names to values' });
        return z.NEVER;
      }
    })
    .pipe(z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'header names are letters, digits and -'), z.string()))
    .optional(),
);

/**
 * Any server speaking the OpenAI Chat Completions protocol at a configured URL: vLLM,
 * Ollama, llama.cpp, gateways. Served by the OpenAI adapter in its compatible dialect
 * (`max_tokens` rather than `max_completion_tokens`).
 */
export const openaiCompatibleProfile = defineProviderProfile({
  id: 'openai-compatible',
  description: 'Any OpenAI-protocol server (vLLM, Ollama, llama.cpp, a gateway) at OPENAI_COMPATIBLE_BASE_URL',
  env: {
    OPENAI_COMPATIBLE_BASE_URL: {
      schema: envUrl,
      role: 'endpoint',
      doc: 'Base URL of the server, e.g. http://localhost:11434/v1.',
    },
    OPENAI_COMPATIBLE_API_KEY: {
      schema: envString,
      role: 'credential',
      doc: 'Its key, sent as a bearer token (many local servers need none).',
    },
    OPENAI_COMPATIBLE_HEADERS: {
      schema: jsonHeaders,
      role: 'option',
      secret: true,
      doc: 'Extra headers, as a JSON object of names to values.',
    },
  },
  configuredBy: ['OPENAI_COMPATIBLE_BASE_URL'],
  models: { default: 'llama3.1', strong: 'llama3.1', cheap: 'llama3.1' },
  examplePriority: { strong: 3, cheap: 3 },
  tokenizer: 'gpt',
});
