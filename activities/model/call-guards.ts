/**
 * The calls a worker stops itself, before any request: a model whose circuit is open, a
 * model the provider asked us to hold. Their failures, and what the breaker and the pacer
 * keep from a provider's failure. Used by `callModel`.
 */
import { ApplicationFailure } from '@temporalio/common';
import { isFailureType } from '../../core/failures.ts';
import type { BreakerCause, BreakerCheck } from './breaker.ts';
import type { PaceGrant } from './pacer.ts';
import type { ProviderFailureDetails } from './provider-errors.ts';

/** A 429 without `retry-after` still holds the model's next calls this long on this worker
 * (Temporal's first retry interval). */
export const DEFAULT_RATE_LIMIT_HOLD_MS = 1_000;

/** What is left of an activity attempt that started at `startedAt`, less a 2 s margin to
 * hand its result back; undefined when it was scheduled without a start-to-close timeout. */
export function attemptTimeLeftMs(startToCloseMs: number | undefined, startedAt: number): number | undefined {
  return startToCloseMs ? startedAt + startToCloseMs - Date.now() - 2_000 : undefined;
}

/** How long a call may wait for the pacer: what is left of its attempt once the provider
 * call itself (`timeoutMs`) is set aside. An activity scheduled without a start-to-close
 * timeout waits at most 10 s. */
export function paceBudgetMs(startToCloseMs: number | undefined, startedAt: number, timeoutMs: number): number {
  const left = attemptTimeLeftMs(startToCloseMs, startedAt);
  return left === undefined ? 10_000 : Math.max(0, left - timeoutMs);
}

export function paced(key: string, provider: string, grant: Extract<PaceGrant, { ok: false }>) {
  return ApplicationFailure.create({
    type: 'rate_limited',
    nonRetryable: false,
    message: `${key}: not sent, the provider's rate limit asks to wait ${Math.ceil(grant.retryInMs / 1000)}s more`,
    details: [{ provider, code: 'paced', retryAfterMs: grant.retryInMs } satisfies ProviderFailureDetails],
    nextRetryDelay: grant.retryInMs,
  });
}

/** The fast failure of a call to a model whose circuit is open: typed, coded and described by
 * the failure that opened it, so the run's outcome names a 500 or a hang, not just "circuit
 * open". Non-retryable for this activity (the chain's next model takes over). */
export function circuitOpen(
  key: string,
  provider: string,
  gate: Extract<BreakerCheck, { open: true }>,
): ApplicationFailure {
  const last = gate.last;
  const details: ProviderFailureDetails = { provider, code: 'circuit_open' };
  if (last?.status !== undefined) details.status = last.status;
  return ApplicationFailure.create({
    type: last?.type ?? 'provider_unavailable',
    nonRetryable: true,
    message: `circuit open for ${key} after ${gate.failures} consecutive failures${last ? `; last: ${last.message}` : ''}; next probe in ${Math.ceil(gate.retryInMs / 1000)}s`,
    details: [details],
  });
}

/** What the breaker keeps of a counted failure. */
export function causeOf(failure: ApplicationFailure): BreakerCause {
  const first = failure.details?.[0] as ProviderFailureDetails | undefined;
  const type = isFailureType(failure.type) ? failure.type : 'provider_unavailable';
  return {
    type,
    message: failure.message,
    ...(typeof first?.status === 'number' ? { status: first.status } : {}),
    ...(typeof first?.code === 'string' ? { code: first.code } : {}),
  };
}

/** The retry delay a failure asks for (`retryAfterMs` from the provider's headers). */
export function retryAfterOf(failure: ApplicationFailure): number | undefined {
  const first = failure.details?.[0] as ProviderFailureDetails | undefined;
  return typeof first?.retryAfterMs === 'number' ? first.retryAfterMs : undefined;
}
