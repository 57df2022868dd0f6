import type { ModelAdapters } from '../activities/index.ts';
import type { ProviderDescriptor } from '../activities/model/provider-descriptor.ts';
import { builtInProviders } from '../activities/model/providers/index.ts';
import { providerIdSchema, type ModelRef } from '../core/model.ts';
import { isProviderConfigured, providerEnvShape } from '../core/provider-profile.ts';
import type { WorkerConfig } from './config.ts';

/**
 * The adapters for every provider in `providers` that `config` configures, by id: the only
 * place provider SDK clients are constructed (each descriptor's `createAdapter`, with
 * `maxRetries: 0`: Temporal is the single retry loop, so a retry is visible in history and
 * counted). `config` must hold the providers' variables: load it with the same list
 * (`loadWorkerConfig(env, { providers })`).
 *
 * @example
 * const providers = [...builtInProviders, myGateway];
 * createModelAdapters(loadWorkerConfig(process.env, { providers }), providers);
 */
export function createModelAdapters(
  config: WorkerConfig,
  providers: readonly ProviderDescriptor[] = builtInProviders,
): ModelAdapters {
  checkProviders(providers);
  const values = config as Readonly<Record<string, unknown>>;
  const adapters: ModelAdapters = {};
  for (const provider of providers) {
    if (!isProviderConfigured(provider, values)) continue;
    const settings = Object.fromEntries(Object.keys(provider.env).map((name) => [name, values[name]]));
    const adapter = provider.createAdapter(settings);
    if (adapter.provider !== provider.id) {
      throw new Error(
        `provider "${provider.id}" built an adapter for "${adapter.provider}": createAdapter must return an adapter whose provider is "${provider.id}"`,
      );
    }
    adapters[provider.id] = adapter;
  }
  return adapters;
}

/** A worker's provider list is checked once, at start-up: valid, unique ids and variables. */
export function checkProviders(providers: readonly ProviderDescriptor[]): void {
  for (const p of providers) {
    const id = providerIdSchema.safeParse(p.id);
    if (!id.success) throw new Error(`provider id "${p.id}" ${id.error.issues[0]?.message ?? 'is invalid'}`);
    for (const name of p.configuredBy) {
      if (!Object.hasOwn(p.env, name))
        throw new Error(`provider "${p.id}" is configured by ${name}, which is not one of its variables`);
    }
  }
  providerEnvShape(providers); // throws on a repeated id or variable
}

/**
 * The models a worker will most likely call, for `preloadTokenizers`: each configured
 * provider's default model, and every model the catalog's agents name (their model, routing
 * chains, summarizer, classifier) at a configured provider.
 */
export function likelyModels(
  agents: unknown,
  adapters: ModelAdapters,
  providers: readonly ProviderDescriptor[] = builtInProviders,
): ModelRef[] {
  const served = (id: unknown): id is string => typeof id === 'string' && Object.hasOwn(adapters, id);
  const models: ModelRef[] = providers
    .filter((p) => served(p.id))
    .map((p) => ({ provider: p.id, name: p.models.default }));
  const seen = new Set<unknown>();
  // Plain data only: a schema or other class instance (an output contract's zod schema) is
  // not walked into, so none of its getters run.
  const plain = (value: object) => {
    const proto = Object.getPrototypeOf(value);
    return Array.isArray(value) || proto === Object.prototype || proto === null;
  };
  const walk = (value: unknown): void => {
    if (typeof value !== 'object' || value === null || seen.has(value) || !plain(value)) return;
    seen.add(value);
    const ref = value as { provider?: unknown; name?: unknown };
    if (served(ref.provider) && typeof ref.name === 'string') models.push({ provider: ref.provider, name: ref.name });
    for (const v of Array.isArray(value) ? value : Object.values(value)) walk(v);
  };
  walk(agents);
  return models;
}
