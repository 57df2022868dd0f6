import type { AgentDefinitionInput } from '../core/run.ts';
import type { ModelRef, ProviderId } from '../core/model.ts';
import { byExamplePriority, configuredProviders, type ProviderProfile } from '../core/provider-profile.ts';
import { builtInProviderProfiles, demoProviderProfile } from '../core/providers/index.ts';
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

/** Default models per built-in provider for the example (each profile's `models.default`);
 * `BOSUN_MODEL` overrides. */
export const exampleModels: Readonly<Record<ProviderId, string>> = Object.fromEntries(
  builtInProviderProfiles.map((p) => [p.id, p.models.default]),
);

/** The example's strong and cheap model per built-in provider (`exampleRouting`). */
export const exampleTierModels: Readonly<Record<ProviderId, { strong: string; cheap: string }>> = Object.fromEntries(
  builtInProviderProfiles.map((p) => [p.id, { strong: p.models.strong, cheap: p.models.cheap }]),
);

/**
 * A routing table over the providers a worker has configured: planning and the final answer
 * go to the strong tier, steps after tool results (and single extract/classify/rewrite tasks)
 * to the cheap one. Each tier is a fallback chain across the providers, in each profile's
 * `examplePriority` — for the strong tier Anthropic first, then OpenAI; for the cheap tier
 * OpenAI's mini model first — so an outage of one provider moves calls to the next.
 * `run --routing example` uses it. `profiles` are the providers it may route to (the
 * built-in ones by default; add yours to route to them too).
 *
 * @example
 * exampleRouting(['openai', 'anthropic']);
 * // { tiers: { strong: { chain: [anthropic/claude-haiku-4-5, openai/gpt-4.1] },
 * //            cheap:  { chain: [openai/gpt-4.1-mini, anthropic/claude-haiku-4-5] } } }
 */
export function exampleRouting(
  providers: readonly ProviderId[],
  profiles: readonly Pick<ProviderProfile, 'id' | 'models' | 'examplePriority'>[] = builtInProviderProfiles,
): RoutingTableInput {
  const chain = (tier: 'strong' | 'cheap'): ModelRef[] => {
    const refs = byExamplePriority(profiles, tier)
      .filter((p) => providers.includes(p.id))
      .map((p) => ({ provider: p.id, name: p.models[tier] }));
    return refs.filter((r, i) => refs.findIndex((o) => o.provider === r.provider && o.name === r.name) === i);
  };
  const strong = chain('strong');
  const cheap = chain('cheap');
  if (strong.length === 0)
    throw new Error(`exampleRouting needs at least one provider (got ${JSON.stringify(providers)})`);
  return { tiers: { strong: { chain: strong }, cheap: { chain: cheap } } };
}

/**
 * The providers `--routing example` routes over when a program (the CLI) only has its own
 * environment to go by: the built-in ones whose variables are set in `env` — the rule the
 * worker applies to its configuration — in the example's order of preference, or the demo
 * provider (the one `npm start`'s built-in fake speaks) when none is.
 *
 * @example
 * exampleProvidersFromEnv({ OPENAI_API_KEY: 'sk-…', ANTHROPIC_API_KEY: 'sk-ant-…' }); // ['anthropic', 'openai']
 */
export function exampleProvidersFromEnv(env: Readonly<Record<string, string | undefined>>): ProviderId[] {
  const found = byExamplePriority(configuredProviders(builtInProviderProfiles, env), 'strong').map((p) => p.id);
  return found.length ? found : [demoProviderProfile.id];
}

/** The variables `exampleProvidersFromEnv` reads, for help texts. */
export const exampleProviderVariables = byExamplePriority(builtInProviderProfiles, 'strong')
  .map((p) => p.configuredBy.join(' or '))
  .join(', ');

/** Instructions `task` uses per task class when none are given. */
export const exampleTaskInstructions: Record<TaskClass, string> = {
  extract:
    'Extract the facts the input states (names, ids, dates, amounts). Use only what the input says; leave out what it does not.',
  classify: 'Classify the input. Answer with the single best label, then one short sentence saying why.',
  rewrite: 'Rewrite the input to be clear, polite and brief, keeping every fact and its meaning.',
  plan: 'Write a short numbered plan for the request in the input.',
  act: 'Do what the input asks. Answer briefly.',
  synthesize: 'Answer the input in a few sentences, using only what it states.',
};
