import { z } from 'zod';

/**
 * Zod pieces for environment variables, shared by the worker's configuration and the
 * provider profiles (whose variables are part of it), so every variable reads the same way.
 * Unset or blank means unset: `FOO=` in a shell or a compose file is "not set", not "set to
 * nothing".
 */
export const envString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/** An http(s) base URL; `localhost:11434` (no scheme) is refused at start-up, not at the
 * first model call. */
export const envUrl = envString.pipe(z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional());

/** Unset or blank means `value`. */
export const envWithDefault = (value: string) => envString.transform((v) => v ?? value);

/**
 * Whether a variable counts as set: a non-blank string in a raw environment (what the CLI
 * sees), any value but `undefined` in a parsed configuration (what the worker sees). One
 * rule for both, so the CLI and the worker agree on which providers are configured.
 */
export function isEnvSet(value: unknown): boolean {
  return typeof value === 'string' ? value.trim() !== '' : value !== undefined && value !== null;
}
