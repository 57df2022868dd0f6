import { describe, expect, it } from 'vitest';
import { loadedEncodings, preloadTokenizers } from '../../activities/context/tokenizer.ts';
import { builtInProviders } from '../../activities/model/providers/index.ts';
import type { ModelAdapters } from '../../activities/index.ts';
import { likelyModels } from '../../worker/providers.ts';

const adapter = (provider: string) => ({ provider, call: () => Promise.reject(new Error('not called')) });

describe('preloading tokenizers at worker start', () => {
  it("takes each configured provider's default model and the agents' models at configured providers", () => {
    const adapters: ModelAdapters = { openai: adapter('openai'), anthropic: adapter('anthropic') };
    const agents = {
      support: {
        routing: { strong: { chain: [{ provider: 'anthropic', name: 'claude-sonnet-4-5' }] } },
        summarizer: { provider: 'openai', name: 'gpt-4-turbo' },
        // Not configured on this worker: never called here, not loaded.
        model: { provider: 'openai-compatible', name: 'llama3.1' },
        // Not plain data: not walked into (a getter that throws is never run).
        output: new (class Contract {
          readonly ref = { provider: 'openai', name: 'gpt-5' };
          constructor() {
            Object.defineProperty(this, 'schema', {
              enumerable: true,
              get: () => {
                throw new Error('not to be read');
              },
            });
          }
        })(),
      },
    };
    expect(likelyModels(agents, adapters, builtInProviders)).toEqual([
      { provider: 'openai', name: 'gpt-4.1-mini' },
      { provider: 'anthropic', name: 'claude-haiku-4-5' },
      { provider: 'anthropic', name: 'claude-sonnet-4-5' },
      { provider: 'openai', name: 'gpt-4-turbo' },
    ]);
    expect(likelyModels(undefined, {}, builtInProviders)).toEqual([]);
  });

  it('loads the encodings those models count with, each once, and only those', () => {
    expect(loadedEncodings()).toEqual([]);
    const names = preloadTokenizers(
      [
        { provider: 'openai', name: 'gpt-4.1-mini' },
        { provider: 'openai', name: 'gpt-4o' },
      ],
      (id) => builtInProviders.find((p) => p.id === id)?.tokenizer,
    );
    expect(names).toEqual(['o200k_base']);
    expect(loadedEncodings()).toEqual(['o200k_base']);
    // Anthropic's approximation counts with cl100k_base.
    expect(preloadTokenizers([{ provider: 'anthropic', name: 'claude-haiku-4-5' }])).toEqual([
      'anthropic≈cl100k_base×1.2',
    ]);
    expect(loadedEncodings().sort()).toEqual(['cl100k_base', 'o200k_base']);
  });
});
