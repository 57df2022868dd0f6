import type { AgentDefinitionInput } from '../core/run.ts';
import type { ModelRef, ProviderName } from '../core/model.ts';
import type { RoutingTableInput, TaskClass } from '../core/routing.ts';

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

/** The example's strong and cheap model per provider (`exampleRouting`). */
export const exampleTierModels: Record<ProviderName, { strong: string; cheap: string }> = {
  anthropic: { strong: 'claude-haiku-4-5', cheap: 'claude-haiku-4-5' },
  openai: { strong: 'gpt-4.1', cheap: 'gpt-4.1-mini' },
  'openai-compatible': { strong: 'llama3.1', cheap: 'llama3.1' },
};

/**
 * A routing table over the providers a worker has configured: planning and the final answer
 * go to the strong tier, steps after tool results (and single extract/classify/rewrite tasks)
 * to the cheap one. Each tier is a fallback chain across the providers — for the strong tier
 * Anthropic first, then OpenAI; for the cheap tier OpenAI's mini model first — so an outage
 * of one provider moves calls to the next. `run --routing example` uses it.
 *
 * @example
 * exampleRouting(['openai', 'anthropic']);
 * // { tiers: { strong: { chain: [anthropic/claude-haiku-4-5, openai/gpt-4.1] },
 * //            cheap:  { chain: [openai/gpt-4.1-mini, anthropic/claude-haiku-4-5] } } }
 */
export function exampleRouting(providers: readonly ProviderName[]): RoutingTableInput {
  const chain = (tier: 'strong' | 'cheap', order: ProviderName[]): ModelRef[] => {
    const refs = order.filter((p) => providers.includes(p)).map((provider) => ({ provider, name: exampleTierModels[provider][tier] }));
    return refs.filter((r, i) => refs.findIndex((o) => o.provider === r.provider && o.name === r.name) === i);
  };
  const strong = chain('strong', ['anthropic', 'openai', 'openai-compatible']);
  const cheap = chain('cheap', ['openai', 'anthropic', 'openai-compatible']);
  if (strong.length === 0) throw new Error(`exampleRouting needs at least one provider (got ${JSON.stringify(providers)})`);
  return { tiers: { strong: { chain: strong }, cheap: { chain: cheap } } };
}

/** Instructions `task` uses per task class when none are given. */
export const exampleTaskInstructions: Record<TaskClass, string> = {
  extract: 'Extract the facts the input states (names, ids, dates, amounts). Use only what the input says; leave out what it does not.',
  classify: 'Classify the input. Answer with the single best label, then one short sentence saying why.',
  rewrite: 'Rewrite the input to be clear, polite and brief, keeping every fact and its meaning.',
  plan: 'Write a short numbered plan for the request in the input.',
  act: 'Do what the input asks. Answer briefly.',
  synthesize: 'Answer the input in a few sentences, using only what it states.',
};
