import { describe, expect, it } from 'vitest';
import { issuesInReason } from '../../api/errors.ts';
import { createRateLimiter } from '../../api/rate-limit.ts';

describe('rate limiter (token bucket per identity)', () => {
  it('lets a burst through, then refuses with the seconds until a token is back, and refills at the rate', () => {
    let now = 0;
    const limiter = createRateLimiter({ ratePerSecond: 2, burst: 3 }, () => now);
    expect([1, 2, 3, 4].map(() => limiter.take('acme/alice').ok)).toEqual([true, true, true, false]);
    expect(limiter.take('acme/alice')).toEqual({ ok: false, retryAfterSec: 1 });
    expect(limiter.take('acme/bob').ok).toBe(true);
    now = 500;
    expect(limiter.take('acme/alice').ok).toBe(true);
    expect(limiter.take('acme/alice').ok).toBe(false);
    now = 60_000;
    expect([1, 2, 3, 4].map(() => limiter.take('acme/alice').ok)).toEqual([true, true, true, false]);
  });
});

describe('issues in a run refusal', () => {
  it('names each field of a refused edit, and none for a refusal about something else', () => {
    expect(
      issuesInReason(
        'edited arguments rejected: Invalid arguments for tool "refund_order": amountCents: Too small: expected number to be >0; orderId: order ids look like "ord_123". Fix the arguments and call it again.',
      ),
    ).toEqual([
      { path: 'body.input.amountCents', message: 'Too small: expected number to be >0' },
      { path: 'body.input.orderId', message: 'order ids look like "ord_123"' },
    ]);
    expect(issuesInReason('approval ap-1 is not pending (unknown, already decided, or timed out)')).toEqual([]);
  });
});
