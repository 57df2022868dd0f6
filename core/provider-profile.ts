import type { z } from 'zod';
import { isEnvSet } from './env-values.ts';

/**
 * What Bosun knows about a model provider apart from how to call it: its id, the environment
 * variables that configure it, when it counts as configured, the models the examples use on
 * it and how its tokens are counted. Pure data (plus zod), so the CLI and the client can read
 * it without loading a provider SDK; the worker adds the adapter factory on top
 * (`ProviderDescriptor`, activities/model/provider-descriptor.ts).
 *
 * The built-in profiles live in `core/providers/`; a provider of your own is one value of the
 * same shape (see docs/architecture.md, "Adding a provider").
 */
export interface ProviderProfile<E extends ProviderEnv = ProviderEnv, Id extends string = string> {
  /** What `model.provider` names: lowercase letters, digits, `-` and `_` (`providerIdSchema`). */
  readonly id: Id;
  /** One line for docs and start-up output. */
  readonly description: string;
  /** Its environment variables, by name. They become part of the worker's configuration
   * (`loadWorkerConfig`), so a typo fails at start-up with the variable's name. */
  readonly env: E;
  /** It is configured (the worker serves it) when any of these variables is set. */
  readonly configuredBy: readonly (keyof E & string)[];
  /** What the demo (`npm start`, `default`) and the example routing (`strong`, `cheap`)
   * run on it. */
  readonly models: ProviderExampleModels;
  /** Where it goes in the example routing's fallback chains, per tier: lower first.
   * Providers without a priority follow, in list order. */
  readonly examplePriority?: Partial<Record<keyof Omit<ProviderExampleModels, 'default'>, number>>;
  /** How the context packer counts its tokens (activities/context/tokenizer.ts). */
  readonly tokenizer: TokenizerFamily;
}

/** One environment variable of a provider. */
export interface ProviderEnvField {
  /** Parses the raw text; unset or blank must parse to `undefined` (build on `envString`,
   * `envUrl` from core/env-values.ts). */
  readonly schema: z.ZodType;
  /** `credential`: a key or token (always secret). `endpoint`: the base URL, shown at
   * start-up with any credentials in it masked. `option`: anything else. */
  readonly role: 'credential' | 'endpoint' | 'option';
  /** Never printed or logged. Credentials are secret whatever this says. */
  readonly secret?: boolean;
  /** What it is for, in a sentence. */
  readonly doc: string;
}

export type ProviderEnv = Readonly<Record<string, ProviderEnvField>>;

/** A provider's variables as parsed: what its adapter factory receives. */
export type ProviderSettings<E extends ProviderEnv> = { -readonly [K in keyof E]: z.output<E[K]['schema']> };

export interface ProviderExampleModels {
  default: string;
  strong: string;
  cheap: string;
}

/**
 * How a provider's tokens are counted when a request is packed into the model's window:
 * - `gpt`: the exact OpenAI encoding when the model name is a known GPT family (a gateway's
 *   `openai/gpt-4o` too), else the flagged approximation below;
 * - `anthropic`: Anthropic publishes no tokenizer; `cl100k_base` × 1.2, flagged inexact;
 * - `approximate`: the same approximation for anything else.
 */
export type TokenizerFamily = 'gpt' | 'anthropic' | 'approximate';

/**
 * Declares a provider profile, keeping its id and variable names as literal types.
 *
 * @example
 * export const acmeProfile = defineProviderProfile({
 *   id: 'acme',
 *   description: 'Acme inference gateway',
 *   env: { ACME_URL: { schema: envUrl, role: 'endpoint', doc: 'Gateway base URL' } },
 *   configuredBy: ['ACME_URL'],
 *   models: { default: 'acme-small', strong: 'acme-large', cheap: 'acme-small' },
 *   tokenizer: 'approximate',
 * });
 */
export function defineProviderProfile<const Id extends string, const E extends ProviderEnv>(
  profile: ProviderProfile<E, Id>,
): ProviderProfile<E, Id> {
  return profile;
}

/** Whether `values` (a raw environment or a parsed configuration) configures `profile`. */
export function isProviderConfigured(
  profile: Pick<ProviderProfile, 'configuredBy'>,
  values: Readonly<Record<string, unknown>>,
): boolean {
  return profile.configuredBy.some((name) => isEnvSet(values[name]));
}

/** The profiles `values` configures, in list order. */
export function configuredProviders<P extends Pick<ProviderProfile, 'configuredBy'>>(
  profiles: readonly P[],
  values: Readonly<Record<string, unknown>>,
): P[] {
  return profiles.filter((p) => isProviderConfigured(p, values));
}

/** The profiles in the example routing's order of preference for `tier` (stable: equal or
 * missing priorities keep list order, missing ones last). */
export function byExamplePriority<P extends Pick<ProviderProfile, 'examplePriority'>>(
  profiles: readonly P[],
  tier: 'strong' | 'cheap',
): P[] {
  const rank = (p: P) => p.examplePriority?.[tier] ?? Number.POSITIVE_INFINITY;
  return profiles
    .map((p, i) => ({ p, i }))
    .sort((a, b) => rank(a.p) - rank(b.p) || a.i - b.i)
    .map(({ p }) => p);
}

/** The first variable of `profile` with `role`, e.g. its base URL variable. */
export function envNameOf(profile: Pick<ProviderProfile, 'env'>, role: ProviderEnvField['role']): string | undefined {
  return Object.entries(profile.env).find(([, field]) => field.role === role)?.[0];
}

/** Whether the variable `name` of `profile` must never be printed. */
export function isSecretEnv(profile: Pick<ProviderProfile, 'env'>, name: string): boolean {
  const field = Object.hasOwn(profile.env, name) ? profile.env[name] : undefined;
  return field !== undefined && (field.role === 'credential' || field.secret === true);
}

/** How to configure `profile`, for messages: `set OPENAI_API_KEY or OPENAI_BASE_URL`. */
export function configureHint(profile: Pick<ProviderProfile, 'configuredBy'>): string {
  return `set ${profile.configuredBy.join(' or ')}`;
}

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
/** Any profile, whatever its variables and models: the bound of lists of profiles. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a bound over every instantiation (the type parameters are invariant)
export type AnyProviderProfile = ProviderProfile<any, any>;

type SchemasOf<E extends ProviderEnv> = { -readonly [K in keyof E]: E[K]['schema'] };

/** The zod shape of the variables of every profile in `P`, merged. */
export type ProviderEnvShape<P extends readonly AnyProviderProfile[]> = UnionToIntersection<
  P[number] extends infer X ? (X extends ProviderProfile<infer E, infer _M> ? SchemasOf<E> : never) : never
>;

/**
 * The variables of all `profiles` as one zod shape, for the worker's configuration schema.
 * Throws when two profiles declare the same variable (or the same id): each variable
 * configures one provider.
 */
export function providerEnvShape<const P extends readonly AnyProviderProfile[]>(profiles: P): ProviderEnvShape<P> {
  const shape: Record<string, z.ZodType> = {};
  const owner = new Map<string, string>();
  const ids = new Set<string>();
  for (const p of profiles) {
    if (ids.has(p.id)) throw new Error(`provider "${p.id}" is listed twice`);
    ids.add(p.id);
    for (const [name, field] of Object.entries(p.env as ProviderEnv)) {
      const first = owner.get(name);
      if (first !== undefined) throw new Error(`providers "${first}" and "${p.id}" both declare ${name}`);
      owner.set(name, p.id);
      shape[name] = field.schema;
    }
  }
  return shape as ProviderEnvShape<P>;
}
