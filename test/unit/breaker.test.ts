import { describe, expect, it } from 'vitest';
import { breakerFailureTypes, createCircuitBreaker, isBreakerFailure } from '../../activities/model/breaker.ts';
import { failureTypeNames } from '../../core/failures.ts';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

const KEY = 'openai/gpt-big';

describe('circuit breaker state machine', () => {
  it('starts closed and lets calls through', () => {
    const b = createCircuitBreaker();
    expect(b.check(KEY)).toEqual({ open: false, probe: false });
    expect(b.snapshot(KEY)).toEqual({ state: 'closed', failures: 0 });
  });

  it('opens at the threshold of consecutive failures, not before', () => {
    const c = clock();
    const b = createCircuitBreaker({ failureThreshold: 3, openMs: 10_000, now: c.now });
    b.record(KEY, 'failure');
    b.record(KEY, 'failure');
    expect(b.check(KEY)).toEqual({ open: false, probe: false });
    expect(b.snapshot(KEY)).toEqual({ state: 'closed', failures: 2 });
    b.record(KEY, 'failure');
    expect(b.snapshot(KEY)).toEqual({ state: 'open', failures: 3 });
    expect(b.check(KEY)).toEqual({ open: true, retryInMs: 10_000, failures: 3 });
    c.advance(4_000);
    expect(b.check(KEY)).toEqual({ open: true, retryInMs: 6_000, failures: 3 });
  });

  it('a success resets the count (failures must be consecutive)', () => {
    const b = createCircuitBreaker({ failureThreshold: 3 });
    b.record(KEY, 'failure');
    b.record(KEY, 'failure');
    b.record(KEY, 'success');
    b.record(KEY, 'failure');
    b.record(KEY, 'failure');
    expect(b.snapshot(KEY)).toEqual({ state: 'closed', failures: 2 });
    expect(b.check(KEY).open).toBe(false);
  });

  it('after openMs lets exactly one probe through (half-open); others still fail fast', () => {
    const c = clock();
    const b = createCircuitBreaker({ failureThreshold: 1, openMs: 10_000, now: c.now });
    b.record(KEY, 'failure');
    c.advance(10_000);
    expect(b.check(KEY)).toEqual({ open: false, probe: true });
    expect(b.snapshot(KEY).state).toBe('half_open');
    c.advance(1_000);
    expect(b.check(KEY)).toEqual({ open: true, retryInMs: 9_000, failures: 1 });
  });

  it('a successful probe closes the circuit', () => {
    const c = clock();
    const b = createCircuitBreaker({ failureThreshold: 2, openMs: 5_000, now: c.now });
    b.record(KEY, 'failure');
    b.record(KEY, 'failure');
    c.advance(5_000);
    expect(b.check(KEY)).toMatchObject({ open: false, probe: true });
    b.record(KEY, 'success');
    expect(b.snapshot(KEY)).toEqual({ state: 'closed', failures: 0 });
    expect(b.check(KEY)).toEqual({ open: false, probe: false });
  });

  it('a failed probe re-opens it for another openMs', () => {
    const c = clock();
    const b = createCircuitBreaker({ failureThreshold: 2, openMs: 5_000, now: c.now });
    b.record(KEY, 'failure');
    b.record(KEY, 'failure');
    c.advance(6_000);
    expect(b.check(KEY).open).toBe(false);
    c.advance(500);
    b.record(KEY, 'failure');
    expect(b.snapshot(KEY)).toEqual({ state: 'open', failures: 3 });
    expect(b.check(KEY)).toEqual({ open: true, retryInMs: 5_000, failures: 3 });
    c.advance(5_000);
    expect(b.check(KEY)).toEqual({ open: false, probe: true });
  });

  it('a released probe (cancelled call) lets the next call probe at once', () => {
    const c = clock();
    const b = createCircuitBreaker({ failureThreshold: 1, openMs: 5_000, now: c.now });
    b.record(KEY, 'failure');
    c.advance(5_000);
    expect(b.check(KEY).open).toBe(false);
    expect(b.check(KEY).open).toBe(true);
    b.release(KEY);
    expect(b.check(KEY)).toEqual({ open: false, probe: true });
  });

  it('a probe lost without a verdict for openMs is replaced by another', () => {
    const c = clock();
    const b = createCircuitBreaker({ failureThreshold: 1, openMs: 5_000, now: c.now });
    b.record(KEY, 'failure');
    c.advance(5_000);
    expect(b.check(KEY).open).toBe(false);
    c.advance(4_999);
    expect(b.check(KEY).open).toBe(true);
    c.advance(1);
    expect(b.check(KEY)).toEqual({ open: false, probe: true });
  });

  it('a late success from a call sent before the circuit opened closes it', () => {
    const b = createCircuitBreaker({ failureThreshold: 1 });
    b.record(KEY, 'failure');
    expect(b.check(KEY).open).toBe(true);
    b.record(KEY, 'success');
    expect(b.check(KEY).open).toBe(false);
  });

  it('late failures while open count but do not extend the open period', () => {
    const c = clock();
    const b = createCircuitBreaker({ failureThreshold: 1, openMs: 5_000, now: c.now });
    b.record(KEY, 'failure');
    c.advance(3_000);
    b.record(KEY, 'failure');
    expect(b.check(KEY)).toEqual({ open: true, retryInMs: 2_000, failures: 2 });
  });

  it('keeps the last counted cause and names it while open', () => {
    const c = clock();
    const b = createCircuitBreaker({ failureThreshold: 2, openMs: 10_000, now: c.now });
    b.record(KEY, 'failure', { type: 'timeout', message: 'openai: request timed out timeout' });
    const last = {
      type: 'provider_unavailable' as const,
      status: 500,
      message: 'openai: HTTP 500 provider_unavailable',
    };
    b.record(KEY, 'failure', last);
    expect(b.check(KEY)).toEqual({ open: true, retryInMs: 10_000, failures: 2, last });
    expect(b.snapshot(KEY)).toEqual({ state: 'open', failures: 2, last });
    b.record(KEY, 'success');
    expect(b.snapshot(KEY)).toEqual({ state: 'closed', failures: 0 });
  });

  it('keys are independent', () => {
    const b = createCircuitBreaker({ failureThreshold: 1 });
    b.record(KEY, 'failure');
    expect(b.check(KEY).open).toBe(true);
    expect(b.check('openai/gpt-small').open).toBe(false);
    expect(b.check('anthropic/gpt-big').open).toBe(false);
  });

  it('defaults: threshold 5, open 30 s', () => {
    const c = clock();
    const b = createCircuitBreaker({ now: c.now });
    for (let i = 0; i < 4; i++) b.record(KEY, 'failure');
    expect(b.check(KEY).open).toBe(false);
    b.record(KEY, 'failure');
    expect(b.check(KEY)).toEqual({ open: true, retryInMs: 30_000, failures: 5 });
  });
});

describe('which failures count', () => {
  it('outages only: provider unavailable, timeouts, garbage answers; never a rate limit', () => {
    expect([...breakerFailureTypes].sort()).toEqual(['invalid_response', 'provider_unavailable', 'timeout']);
    expect(isBreakerFailure('rate_limited')).toBe(false);
    for (const type of failureTypeNames) expect(isBreakerFailure(type)).toBe(breakerFailureTypes.includes(type));
    expect(isBreakerFailure(undefined)).toBe(false);
    expect(isBreakerFailure(null)).toBe(false);
  });
});
