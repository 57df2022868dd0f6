import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { ModelAdapters } from '../activities/index.ts';
import { createAnthropicAdapter, createOpenAIAdapter } from '../activities/model/index.ts';
import type { WorkerConfig } from './config.ts';

/**
 * The only place provider SDK clients are constructed. `maxRetries: 0` everywhere: Temporal
 * is the single retry loop, so a retry is visible in history and counted.
 */
export function createModelAdapters(c: WorkerConfig): ModelAdapters {
  const adapters: ModelAdapters = {};
  if (c.OPENAI_API_KEY || c.OPENAI_BASE_URL) {
    adapters.openai = createOpenAIAdapter(
      new OpenAI({ apiKey: c.OPENAI_API_KEY ?? 'not-needed', baseURL: c.OPENAI_BASE_URL ?? null, maxRetries: 0 }),
      'openai',
    );
  }
  if (c.ANTHROPIC_API_KEY || c.ANTHROPIC_BASE_URL) {
    adapters.anthropic = createAnthropicAdapter(
      new Anthropic({ apiKey: c.ANTHROPIC_API_KEY ?? 'not-needed', baseURL: c.ANTHROPIC_BASE_URL ?? null, maxRetries: 0 }),
    );
  }
  if (c.OPENAI_COMPATIBLE_BASE_URL) {
    adapters['openai-compatible'] = createOpenAIAdapter(
      new OpenAI({
        apiKey: c.OPENAI_COMPATIBLE_API_KEY ?? 'not-needed',
        baseURL: c.OPENAI_COMPATIBLE_BASE_URL,
        maxRetries: 0,
        ...(c.OPENAI_COMPATIBLE_HEADERS ? { defaultHeaders: c.OPENAI_COMPATIBLE_HEADERS } : {}),
      }),
      'openai-compatible',
    );
  }
  return adapters;
}
