import { describe, expect, it } from 'vitest';
import { ActivityFailure, ApplicationFailure, RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import {
  failureSchema,
  failureTypeNames,
  failureTypes,
  isFailureType,
  nonRetryableFailureTypes,
} from '../../core/failures.ts';
import { failureFromError, make } from '../../workflows/failures.ts';

/** What an activity error looks like once it reaches workflow code: ActivityFailure → cause. */
const activityFailure = (cause: unknown) => ({ name: 'ActivityFailure', message: 'Activity task failed', cause });
const applicationFailure = (type: string, message: string, details?: unknown[]) => ({
  name: 'ApplicationFailure',
  message,
  type,
  ...(details ? { details } : {}),
});

describe('the failure vocabulary', () => {
  it('gives every failure type a retryability', () => {
    expect(failureTypeNames.length).toBeGreaterThan(10);
    for (const type of failureTypeNames) expect(typeof failureTypes[type].retryable).toBe('boolean');
  });

  it('retries what waiting can fix and nothing else', () => {
    for (const type of ['rate_limited', 'provider_unavailable', 'timeout', 'tool_unavailable'] as const) {
      expect(failureTypes[type].retryable).toBe(true);
    }
    for (const type of [
      'auth',
      'bad_request',
      'context_too_long',
      'quota_exhausted',
      'permission_denied',
      'internal',
    ] as const) {
      expect(failureTypes[type].retryable).toBe(false);
    }
  });

  it('lists as non-retryable exactly the types marked so, each once', () => {
    expect([...nonRetryableFailureTypes].sort()).toEqual(
      failureTypeNames.filter((t) => !failureTypes[t].retryable).sort(),
    );
    expect(new Set(nonRetryableFailureTypes).size).toBe(nonRetryableFailureTypes.length);
    expect(nonRetryableFailureTypes).toContain('auth');
    expect(nonRetryableFailureTypes).not.toContain('rate_limited');
  });

  it('recognises its own type names and nothing else, not even inherited keys', () => {
    for (const type of failureTypeNames) expect(isFailureType(type)).toBe(true);
    for (const value of [
      'RATE_LIMITED',
      'rate-limited',
      '',
      'toString',
      'constructor',
      '__proto__',
      'hasOwnProperty',
      42,
      null,
      undefined,
      {},
    ]) {
      expect(isFailureType(value)).toBe(false);
    }
  });

  it('validates failure data with the same closed set of types', () => {
    expect(failureSchema.safeParse({ type: 'auth', message: 'bad key', retryable: false }).success).toBe(true);
    expect(failureSchema.safeParse({ type: 'teapot', message: 'x', retryable: false }).success).toBe(false);
  });
});

describe('make', () => {
  it('takes retryability from the vocabulary and omits absent details', () => {
    expect(make('rate_limited', 'slow down')).toEqual({ type: 'rate_limited', message: 'slow down', retryable: true });
    expect(make('auth', 'bad key', { status: 401 })).toEqual({
      type: 'auth',
      message: 'bad key',
      retryable: false,
      details: { status: 401 },
    });
  });
});

describe('failureFromError', () => {
  it('reads the type, message and details of an ApplicationFailure under an ActivityFailure', () => {
    const err = activityFailure(
      applicationFailure('rate_limited', 'openai rate limit (429)', [
        { provider: 'openai', status: 429, code: 'rate_limit_exceeded', requestId: 'req_1' },
      ]),
    );
    expect(failureFromError(err)).toEqual({
      type: 'rate_limited',
      message: 'openai rate limit (429)',
      retryable: true,
      details: { provider: 'openai', status: 429, code: 'rate_limit_exceeded', requestId: 'req_1' },
    });
  });

  it('keeps only the known, well-typed detail fields', () => {
    const err = activityFailure(
      applicationFailure('auth', 'key rejected', [
        { provider: 'anthropic', status: '401', apiKey: 'sk-ant-secret', body: 'raw' },
      ]),
    );
    expect(failureFromError(err)).toEqual({
      type: 'auth',
      message: 'key rejected',
      retryable: false,
      details: { provider: 'anthropic' },
    });
  });

  it('ignores details that are not a list holding an object', () => {
    expect(failureFromError(activityFailure(applicationFailure('bad_request', 'no', ['text'])))).not.toHaveProperty(
      'details',
    );
    expect(
      failureFromError(activityFailure({ ...applicationFailure('bad_request', 'no'), details: { status: 400 } })),
    ).not.toHaveProperty('details');
  });

  it('takes retryability from the vocabulary, not from the error', () => {
    const err = activityFailure({
      ...applicationFailure('context_too_long', 'too long'),
      nonRetryable: false,
      retryable: true,
    });
    expect(failureFromError(err).retryable).toBe(false);
  });

  it('accepts an ApplicationFailure at the top, and falls back to the type as message', () => {
    expect(failureFromError({ type: 'refused' })).toEqual({ type: 'refused', message: 'refused', retryable: false });
  });

  it('walks past wrappers whose type is not a failure type', () => {
    const err = activityFailure({
      name: 'ApplicationFailure',
      type: 'Error',
      message: 'wrapped',
      cause: applicationFailure('tool_failed', 'order not found'),
    });
    expect(failureFromError(err)).toMatchObject({ type: 'tool_failed', message: 'order not found' });
  });

  it('maps a timeout in the cause chain to timeout', () => {
    const err = activityFailure({
      name: 'TimeoutFailure',
      message: 'activity StartToClose timeout',
      timeoutType: 'START_TO_CLOSE',
    });
    expect(failureFromError(err)).toEqual({
      type: 'timeout',
      message: 'the call timed out after its retries',
      retryable: true,
    });
  });

  it('reads the same from real Temporal SDK failure objects', () => {
    const app = ApplicationFailure.create({
      type: 'permission_denied',
      message: 'needs orders:write',
      details: [{ code: 'scope' }],
    });
    const wrapped = new ActivityFailure(
      'Activity task failed',
      'executeTool',
      '3',
      RetryState.NON_RETRYABLE_FAILURE,
      'worker-1',
      app,
    );
    expect(failureFromError(wrapped)).toEqual({
      type: 'permission_denied',
      message: 'needs orders:write',
      retryable: false,
      details: { code: 'scope' },
    });
    const timedOut = new ActivityFailure(
      'Activity task timed out',
      'callModel',
      '1',
      RetryState.TIMEOUT,
      'worker-1',
      new TimeoutFailure('timeout', undefined, TimeoutType.SCHEDULE_TO_CLOSE),
    );
    expect(failureFromError(timedOut).type).toBe('timeout');
  });

  it('turns anything else into internal, naming the error class but never repeating its message', () => {
    const secret = 'sk-live-1234 in prompt: my password is hunter2';
    expect(failureFromError(new TypeError(secret))).toEqual({
      type: 'internal',
      message: 'unexpected TypeError from an activity',
      retryable: false,
    });
    expect(failureFromError(activityFailure(new Error(secret)))).toEqual({
      type: 'internal',
      message: 'unexpected ActivityFailure from an activity',
      retryable: false,
    });
    for (const err of [secret, undefined, null, 42, {}]) {
      const failure = failureFromError(err);
      expect(failure).toEqual({ type: 'internal', message: 'unexpected Error from an activity', retryable: false });
    }
  });

  it('stops walking a cyclic or very deep cause chain', () => {
    const cyclic: Record<string, unknown> = { name: 'Loop', message: 'again' };
    cyclic.cause = cyclic;
    expect(failureFromError(cyclic).type).toBe('internal');
    let deep: Record<string, unknown> = applicationFailure('auth', 'deep down');
    for (let i = 0; i < 20; i++) deep = { name: 'Wrapper', message: `level ${i}`, cause: deep };
    expect(failureFromError(deep).type).toBe('internal');
  });
});
