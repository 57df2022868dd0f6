import { providerIdSchema } from '../core/model.ts';
import { builtInProviderIds } from '../core/providers/index.ts';

/**
 * Which provider ids a client accepts in a run's models: the built-in ones and the ones of
 * your own it was told about (`extraProviders`). The run input schema only checks an id's
 * form (a worker may serve providers of its own); the client knows more and refuses a typo
 * before a run starts, as it refuses an unknown tool.
 *
 * Reads `config` (an agent definition or a task input) by shape, so the issues can be listed
 * beside the schema's own when the input is invalid for other reasons too; ids of the wrong
 * form are left to the schema.
 */
export function unknownProviderIssues(
  config: unknown,
  extraProviders: readonly string[],
  at: string,
): { path: string; message: string }[] {
  const known = [...builtInProviderIds, ...extraProviders];
  return modelRefsOf(config, at)
    .filter((r) => providerIdSchema.safeParse(r.provider).success && !known.includes(r.provider as string))
    .map((r) => ({
      path: r.path,
      message: `unknown provider "${String(r.provider)}" (known: ${known.join(', ')}; a provider of your own must be listed in the client's extraProviders)`,
    }));
}

function modelRefsOf(config: unknown, at: string): { path: string; provider: unknown }[] {
  if (!isRecord(config)) return [];
  const refs: { path: string; provider: unknown }[] = [];
  if (isRecord(config['model'])) refs.push({ path: `${at}model.provider`, provider: config['model']['provider'] });
  const tiers = isRecord(config['routing']) && isRecord(config['routing']['tiers']) ? config['routing']['tiers'] : {};
  for (const [tier, route] of Object.entries(tiers)) {
    const chain = isRecord(route) && Array.isArray(route['chain']) ? (route['chain'] as unknown[]) : [];
    chain.forEach((m, i) => {
      if (isRecord(m)) refs.push({ path: `${at}routing.tiers.${tier}.chain.${i}.provider`, provider: m['provider'] });
    });
  }
  return refs;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
