import { causeChain } from '../core/cause-chain.ts';
import { isFailureType, failureTypes, type Failure, type FailureType } from '../core/failures.ts';

/**
 * Turns an activity error into failure data by walking its cause chain and reading the
 * ApplicationFailure `type` — never `instanceof` on error classes, which do not survive
 * payload conversion and SDK upgrades reliably.
 */
export function failureFromError(err: unknown): Failure {
  let sawTimeout = false;
  for (const e of causeChain(err)) {
    if (isFailureType(e.type)) {
      const details = Array.isArray(e.details) && isRecord(e.details[0]) ? pickDetails(e.details[0]) : undefined;
      const failure = make(e.type, String(e.message ?? e.type), details);
      // An activity that said retrying cannot help (an open circuit) is not retryable.
      return e.nonRetryable === true ? { ...failure, retryable: false } : failure;
    }
    if (e.name === 'TimeoutFailure') sawTimeout = true;
  }
  if (sawTimeout) return make('timeout', 'the call timed out after its retries');
  const name = isRecord(err) && typeof err.name === 'string' ? err.name : 'Error';
  return make('internal', `unexpected ${name} from an activity`);
}

export function make(type: FailureType, message: string, details?: Failure['details']): Failure {
  return { type, message, retryable: failureTypes[type].retryable, ...(details ? { details } : {}) };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function pickDetails(d: Record<string, unknown>): Failure['details'] {
  const out: NonNullable<Failure['details']> = {};
  if (typeof d.provider === 'string') out.provider = d.provider;
  if (typeof d.status === 'number') out.status = d.status;
  if (typeof d.code === 'string') out.code = d.code;
  if (typeof d.requestId === 'string') out.requestId = d.requestId;
  return out;
}
