/** The peer's model provider: the AI SDK's OpenAI provider pointed at the bench's fake model. */
import { createOpenAI } from '@ai-sdk/openai';
import type { ProviderV4 } from '@ai-sdk/provider';

export function modelProvider(baseURL: string): ProviderV4 {
  const openai = createOpenAI({ baseURL, apiKey: 'bench-key' });
  // The fake model speaks Chat Completions; the provider's default for a model id is the
  // Responses API, so language models are its `chat` ones.
  return {
    specificationVersion: 'v4',
    languageModel: (id) => openai.chat(id),
    embeddingModel: (id) => openai.embeddingModel(id),
    imageModel: (id) => openai.imageModel(id),
  };
}
