/**
 * Whether `err` is the SDK refusing a payload the workers' codec encrypted and this client
 * has no keys for: asking again cannot help, and the caller should say so, not retry.
 */
export function isEncryptedPayloadError(err: unknown): boolean {
  return /Unknown encoding: binary\/encrypted/.test((err as Error)?.message ?? '');
}
