import { ApplicationFailure } from '@temporalio/common';

/** SQLSTATE classes and codes that say "the server is (for now) not there", not "your query is
 * wrong": connection exceptions, shutdown and start-up, too many connections, and the
 * transaction conflicts that a retry resolves. */
const transientStates = /^(08...|57P0[1-4]|53300|40001|40P01)$/;
const transientCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const transientMessage =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)/i;

/** True when `err` says PostgreSQL could not be reached or dropped the connection. */
export function isTransientPostgresError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (transientStates.test(code) || transientCodes.has(code))) return true;
  return transientMessage.test(err.message);
}

/**
 * Runs a store operation and turns "PostgreSQL is not there" into the vocabulary's retryable
 * `store_unavailable` (`core/failures.ts`), so an activity that meets a restarting or failing
 * over database fails typed and Temporal retries it; any other error passes unchanged.
 */
export async function storeCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!isTransientPostgresError(err)) throw err;
    throw ApplicationFailure.create({
      type: 'store_unavailable',
      message: `the run store (PostgreSQL) is unavailable: ${what}: ${(err as Error).message}`,
      cause: err as Error,
    });
  }
}
