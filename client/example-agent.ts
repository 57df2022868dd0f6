import type { AgentDefinitionInput } from '../core/run.ts';
import type { ModelRef } from '../core/model.ts';

/** The example agent `npm start` runs: a support agent over the example knowledge base. */
export function exampleAgent(model: ModelRef): AgentDefinitionInput {
  return {
    name: 'support-example',
    instructions:
      'You are a customer-support agent. Look up policy with search_docs before answering, ' +
      'use the calculator for every amount, and cite the document ids you relied on. Answer briefly.',
    model,
    tools: ['search_docs', 'read_doc', 'calculator'],
    maxSteps: 6,
    maxOutputTokens: 800,
  };
}

export const exampleTask =
  'A customer bought 3 mugs at $18.40 each, opened them, and wants to return 2 of them. ' +
  'How much money do they get back?';

/** Default models per provider for the example; `BOSUN_MODEL` overrides. */
export const exampleModels: Record<ModelRef['provider'], string> = {
  openai: 'gpt-4.1-mini',
  anthropic: 'claude-haiku-4-5',
  'openai-compatible': 'llama3.1',
};
