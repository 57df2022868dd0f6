import type { ProviderEnv, ProviderProfile, ProviderSettings } from '../../core/provider-profile.ts';
import type { ProviderErrorReader } from './provider-errors.ts';
import type { ModelAdapter } from './types.ts';

/**
 * A model provider as a value: its profile (id, environment variables, when it counts as
 * configured, example models, tokenizer family: `ProviderProfile`, SDK-free, in core/) plus
 * what only a worker needs — how to build its adapter and how to read its SDK's errors.
 * The worker serves every descriptor in its `providers` list that the configuration
 * configures; the built-in ones are `builtInProviders` (./providers/).
 *
 * @example
 * // A gateway of your own, no Bosun file edited:
 * const gateway = defineProvider({
 *   id: 'acme-gateway',
 *   description: 'Acme inference gateway (OpenAI protocol)',
 *   env: {
 *     ACME_GATEWAY_URL: { schema: envUrl, role: 'endpoint', doc: 'Gateway base URL' },
 *     ACME_GATEWAY_TOKEN: { schema: envString, role: 'credential', doc: 'Gateway token' },
 *   },
 *   configuredBy: ['ACME_GATEWAY_URL'],
 *   models: { default: 'small', strong: 'large', cheap: 'small' },
 *   tokenizer: 'approximate',
 *   readError: readOpenAIError,
 *   createAdapter: (s) =>
 *     createOpenAIAdapter(new OpenAI({ baseURL: s.ACME_GATEWAY_URL, apiKey: s.ACME_GATEWAY_TOKEN ?? 'none', maxRetries: 0 }), 'acme-gateway'),
 * });
 * const providers = [...builtInProviders, gateway];
 * const config = loadWorkerConfig(process.env, { providers });
 * await createBosunWorker({ connection, config, providers });
 */
export interface ProviderDescriptor<
  E extends ProviderEnv = ProviderEnv,
  Id extends string = string,
> extends ProviderProfile<E, Id> {
  /**
   * Builds the adapter from this provider's parsed variables; called once per worker, only
   * when the provider is configured. The adapter's `provider` must be this `id`. Build SDK
   * clients with `maxRetries: 0`: Temporal is the only retry loop.
   */
  createAdapter(settings: ProviderSettings<E>): ModelAdapter;
  /** How its SDK's errors map to the failure taxonomy (`ProviderErrorReader`). Without one,
   * errors are read by their shape (status, headers, body, network cause). */
  readonly readError?: ProviderErrorReader;
}

/** Declares a provider descriptor, keeping its id and variable names as literal types (so
 * `createAdapter` sees its settings typed). */
export function defineProvider<const Id extends string, const E extends ProviderEnv>(
  descriptor: ProviderDescriptor<E, Id>,
): ProviderDescriptor<E, Id> {
  return descriptor;
}
