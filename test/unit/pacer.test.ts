import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { createModelPacer, type PaceGrant } from '../../activities/model/pacer.ts';
import { exhaustedWindowMs, parseDurationMs } from '../../activities/model/rate-limit-headers.ts';
import { MAX_RETRY_AFTER_MS } from '../../activities/model/retry-after.ts';

const KEY = 'openai/gpt-4.1';
type Lease = Extract<PaceGrant, { ok: true }>;
const leased = (g: PaceGrant): Lease => {
  if (!g.ok) throw new Error(`expected a lease, got ${g.reason}`);
  return g;
};

describe('model pacer: calls in flight per model', () => {
  it('lets up to maxInFlight calls go at once; the next waits for a slot, first come first served', async () => {
    const pacer = createModelPacer({ maxInFlight: 2 });
    const a = leased(await pacer.acquire(KEY, { maxWaitMs: 1_000 }));
    const b = leased(await pacer.acquire(KEY, { maxWaitMs: 1_000 }));
    const order: string[] = [];
    const c = pacer.acquire(KEY, { maxWaitMs: 1_000 }).then((g) => (order.push('c'), leased(g)));
    const d = pacer.acquire(KEY, { maxWaitMs: 1_000 }).then((g) => (order.push('d'), leased(g)));
    await sleep(20);
    expect(pacer.snapshot(KEY)).toEqual({ inFlight: 2, waiting: 2, heldForMs: 0 });
    a.release();
    a.release(); // idempotent: one slot freed, not two
    const cLease = await c;
    expect(order).toEqual(['c']);
    expect(pacer.snapshot(KEY)).toMatchObject({ inFlight: 2, waiting: 1 });
    b.release();
    (await d).release();
    cLease.release();
    expect(pacer.snapshot(KEY)).toEqual({ inFlight: 0, waiting: 0, heldForMs: 0 });
  });

  it('models are independent', async () => {
    const pacer = createModelPacer({ maxInFlight: 1 });
    const a = leased(await pacer.acquire(KEY, { maxWaitMs: 0 }));
    expect((await pacer.acquire('anthropic/claude-haiku-4-5', { maxWaitMs: 0 })).ok).toBe(true);
    expect(pacer.snapshot(KEY).inFlight).toBe(1);
    a.release();
  });

  it('a call that finds no slot within its wait goes anyway, over the limit (it never loses its attempt to the line)', async () => {
    const pacer = createModelPacer({ maxInFlight: 1 });
    const a = leased(await pacer.acquire(KEY, { maxWaitMs: 0 }));
    expect(a.overLimit).toBe(false);
    const b = leased(await pacer.acquire(KEY, { maxWaitMs: 30 }));
    expect(b.overLimit).toBe(true);
    expect(b.waitedMs).toBeGreaterThanOrEqual(25);
    expect(pacer.snapshot(KEY)).toEqual({ inFlight: 2, waiting: 0, heldForMs: 0 });
    a.release();
    b.release();
    expect(pacer.snapshot(KEY)).toEqual({ inFlight: 0, waiting: 0, heldForMs: 0 });
  });

  it('a cancelled wait rejects with the signal reason and frees its place', async () => {
    const pacer = createModelPacer({ maxInFlight: 1 });
    const a = leased(await pacer.acquire(KEY, { maxWaitMs: 0 }));
    const ac = new AbortController();
    const waiting = pacer.acquire(KEY, { maxWaitMs: 5_000, signal: ac.signal });
    const reason = new Error('cancelled');
    ac.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(pacer.snapshot(KEY)).toMatchObject({ waiting: 0 });
    a.release();
    expect(pacer.snapshot(KEY)).toEqual({ inFlight: 0, waiting: 0, heldForMs: 0 });
  });
});

describe('model pacer: rate-limit holds', () => {
  it('holds new calls until the reset, then lets them go together (up to the slots)', async () => {
    const pacer = createModelPacer({ maxInFlight: 8 });
    pacer.hold(KEY, 150);
    const started = Date.now();
    const grants = await Promise.all([1, 2, 3].map(() => pacer.acquire(KEY, { maxWaitMs: 1_000 })));
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(140);
    for (const g of grants) {
      expect(leased(g).waitedMs).toBeGreaterThanOrEqual(140);
      leased(g).release();
    }
  });

  it('a hold longer than the wait allowed answers at once with the time left', async () => {
    const pacer = createModelPacer();
    pacer.hold(KEY, 5_000);
    const started = Date.now();
    const g = await pacer.acquire(KEY, { maxWaitMs: 1_000 });
    expect(Date.now() - started).toBeLessThan(100);
    expect(g).toMatchObject({ ok: false, reason: 'held' });
    expect((g as { retryInMs: number }).retryInMs).toBeGreaterThan(4_800);
  });

  it('keeps the longer of two holds; a zero or negative hold is ignored', () => {
    let t = 0;
    const pacer = createModelPacer({ now: () => t });
    pacer.hold(KEY, 2_000);
    pacer.hold(KEY, 500);
    pacer.hold(KEY, 0);
    pacer.hold(KEY, -5);
    expect(pacer.snapshot(KEY).heldForMs).toBe(2_000);
    t += 1_500;
    expect(pacer.snapshot(KEY).heldForMs).toBe(500);
  });

  it('calls already sent are not affected; those waiting for a slot also wait for the hold', async () => {
    const pacer = createModelPacer({ maxInFlight: 1 });
    const a = leased(await pacer.acquire(KEY, { maxWaitMs: 0 }));
    const next = pacer.acquire(KEY, { maxWaitMs: 2_000 });
    pacer.hold(KEY, 150);
    const released = Date.now();
    a.release();
    const g = leased(await next);
    expect(Date.now() - released).toBeGreaterThanOrEqual(140);
    g.release();
  });
});

describe('rate-limit headers', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');

  it('reads an used-up OpenAI window (remaining 0, reset as a duration)', () => {
    expect(
      exhaustedWindowMs({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1.5s' }, now),
    ).toBe(1_500);
    expect(exhaustedWindowMs({ 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '1m30s' }, now)).toBe(
      90_000,
    );
  });

  it('reads an used-up Anthropic window (remaining 0, reset as an RFC 3339 time)', () => {
    const headers = new Headers({
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': '2025-06-01T12:00:03Z',
    });
    expect(exhaustedWindowMs(headers, now)).toBe(3_000);
  });

  it('takes the longest used-up window and caps it like retry-after', () => {
    expect(
      exhaustedWindowMs(
        {
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': '2s',
          'x-ratelimit-remaining-tokens': '0',
          'x-ratelimit-reset-tokens': '20ms',
        },
        now,
      ),
    ).toBe(2_000);
    expect(exhaustedWindowMs({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '2h' }, now)).toBe(
      MAX_RETRY_AFTER_MS,
    );
  });

  it('says nothing while a window has room, or when the headers are missing or unreadable', () => {
    expect(exhaustedWindowMs({ 'x-ratelimit-remaining-requests': '3', 'x-ratelimit-reset-requests': '2s' })).toBe(
      undefined,
    );
    expect(exhaustedWindowMs({ 'x-ratelimit-remaining-requests': '0' })).toBe(undefined);
    expect(exhaustedWindowMs({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': 'soon' })).toBe(
      undefined,
    );
    expect(
      exhaustedWindowMs({
        'anthropic-ratelimit-requests-remaining': '0',
        'anthropic-ratelimit-requests-reset': 'tomorrow',
      }),
    ).toBe(undefined);
    expect(exhaustedWindowMs(undefined)).toBe(undefined);
  });

  it('parses Go-style durations and plain seconds', () => {
    expect(parseDurationMs('20ms')).toBe(20);
    expect(parseDurationMs('1m30.5s')).toBe(90_500);
    expect(parseDurationMs('1h2m3s')).toBe(3_723_000);
    expect(parseDurationMs('2')).toBe(2_000);
    expect(parseDurationMs('1x')).toBe(undefined);
    expect(parseDurationMs('')).toBe(undefined);
  });
});
