import { envString, envUrl } from '../env-values.ts';
import { defineProviderProfile } from '../provider-profile.ts';

/** Anthropic's Messages API (the adapter: activities/model/providers/anthropic.ts). */
export const anthropicProfile = defineProviderProfile({
  id: 'anthropic',
  description: 'Anthropic Messages (api.anthropic.com, or the server at ANTHROPIC_BASE_URL)',
  env: {
    ANTHROPIC_API_KEY: { schema: envString, role: 'credential', doc: 'Anthropic API key.' },
    ANTHROPIC_BASE_URL: {
      schema: envUrl,
      role: 'endpoint',
      doc: 'Another base URL for the Anthropic API (a proxy, a fake server).',
    },
  },
  configuredBy: ['ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL'],
  models: { default: 'claude-haiku-4-5', strong: 'claude-haiku-4-5', cheap: 'claude-haiku-4-5' },
  // The example routing's strong tier (and the demo, when its key is set) starts here.
  examplePriority: { strong: 1, cheap: 2 },
  tokenizer: 'anthropic',
});
