import { envString, envUrl } from '../env-values.ts';
import { defineProviderProfile } from '../provider-profile.ts';

/** OpenAI's Chat Completions API (the adapter: activities/model/providers/openai.ts). */
export const openaiProfile = defineProviderProfile({
  id: 'openai',
  description: 'OpenAI Chat Completions (api.openai.com, or the OpenAI-protocol server at OPENAI_BASE_URL)',
  env: {
    OPENAI_API_KEY: { schema: envString, role: 'credential', doc: 'OpenAI API key.' },
    OPENAI_BASE_URL: {
      schema: envUrl,
      role: 'endpoint',
      doc: 'Another base URL for the OpenAI API (a proxy, a fake server).',
    },
  },
  configuredBy: ['OPENAI_API_KEY', 'OPENAI_BASE_URL'],
  models: { default: 'gpt-4.1-mini', strong: 'gpt-4.1', cheap: 'gpt-4.1-mini' },
  // The example routing's cheap tier starts with OpenAI's mini model.
  examplePriority: { strong: 2, cheap: 1 },
  tokenizer: 'gpt',
});
