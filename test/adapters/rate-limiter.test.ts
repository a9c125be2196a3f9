/**
 * The per-venue rate limiter (adapters/common/venue-rate-limiter.ts, window-pool.ts): windows counted from answers,
 * in-flight cap, priorities, learning from refusals, usage reported by the venue, pauses and stop.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { VenueError } from '../../adapters/common/errors.js';
import { VenueRateLimiter } from '../../adapters/common/venue-rate-limiter.js';
import { until } from './helpers.js';

const limiters: VenueRateLimiter[] = [];
afterEach(() => {
  for (const l of limiters.splice(0)) l.stop();
});

function limiter(pools: Array<{ name: string; limit: number; windowMs: number }>, maxInFlight = 8): VenueRateLimiter {
  const l = new VenueRateLimiter({ venue: 'test', pools, maxInFlight, marginMs: 5 });
  limiters.push(l);
  return l;
}

const refusal = (): VenueError => new VenueError('rate-limited', 'VENUE_RATE_LIMITED', 'too many', { retryAfterMs: 10 });

describe('VenueRateLimiter', () => {
  test('headroom: the requests the pools take now without waiting (smart routes skip a venue with none)', async () => {
    const l = limiter([{ name: 'orders', limit: 3, windowMs: 60_000 }, { name: 'weight', limit: 10, windowMs: 60_000 }]);
    const costs = [{ pool: 'orders', n: 1 }, { pool: 'weight', n: 4 }];
    expect(l.headroom(costs)).toBe(2); // weight: 10 / 4
    expect(l.headroom([{ pool: 'orders', n: 1 }])).toBe(3);
    await l.run([{ pool: 'orders', n: 1 }], 'order', async () => undefined);
    expect(l.headroom([{ pool: 'orders', n: 1 }])).toBe(2); // its token stays taken for the window
    await l.run([{ pool: 'orders', n: 2 }], 'order', async () => undefined);
    expect(l.headroom([{ pool: 'orders', n: 1 }])).toBe(0);
    expect(l.headroom([{ pool: 'weight', n: 4 }])).toBe(2);
    // a refusal with Retry-After pauses the pool: no headroom at all meanwhile
    l.refused(refusal(), ['weight'], 1);
    expect(l.headroom([{ pool: 'weight', n: 1 }])).toBe(0);
  });

  test('never more than `limit` requests in any window; tokens come back a window after the answer', async () => {
    const l = limiter([{ name: 'orders', limit: 3, windowMs: 200 }]);
    const sent: number[] = [];
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 7 }, () => l.run([{ pool: 'orders', n: 1 }], 'order', async () => void sent.push(Date.now() - t0))));
    expect(sent).toHaveLength(7);
    for (let i = 3; i < sent.length; i++) expect(sent[i]! - sent[i - 3]!).toBeGreaterThanOrEqual(200);
    expect(sent[6]!).toBeLessThan(1500);
  });

  test('maxInFlight caps the requests in flight', async () => {
    const l = limiter([{ name: 'w', limit: 100, windowMs: 1000 }], 2);
    let inFlight = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        l.run([{ pool: 'w', n: 1 }], 'query', async () => {
          most = Math.max(most, ++inFlight);
          await new Promise((r) => setTimeout(r, 10));
          inFlight--;
        }),
      ),
    );
    expect(most).toBe(2);
  });

  test('a waiting cancel goes before waiting new orders', async () => {
    const l = limiter([{ name: 'w', limit: 1, windowMs: 100 }]);
    const order: string[] = [];
    const runs = [l.run([{ pool: 'w', n: 1 }], 'order', async () => void order.push('o0'))];
    await until(() => order.length === 1, 'first order');
    for (let i = 1; i <= 3; i++) runs.push(l.run([{ pool: 'w', n: 1 }], 'order', async () => void order.push(`o${i}`)));
    runs.push(l.run([{ pool: 'w', n: 1 }], 'cancel', async () => void order.push('cancel')));
    await Promise.all(runs);
    expect(order.indexOf('cancel')).toBe(1);
  });

  test('a refusal lowers the limit to what the venue accepted in the window', async () => {
    const l = limiter([{ name: 'place', limit: 10, windowMs: 300 }], 1);
    // the venue: at most 4 accepted in any 300 ms
    const stamps: number[] = [];
    const venue = async (): Promise<void> => {
      const now = Date.now();
      while (stamps.length > 0 && stamps[0]! <= now - 300) stamps.shift();
      if (stamps.length >= 4) throw refusal();
      stamps.push(now);
    };
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => l.run([{ pool: 'place:BTC-USDT', n: 1 }], 'order', venue)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5); // the 6th waited for the window
    expect(l.pool('place:BTC-USDT').limit).toBe(4);
    expect(l.stats.refusals).toBeGreaterThanOrEqual(1);
    expect(l.stats.learned).toBe(1);
    expect(l.limit('place')).toBe(10); // other instruments keep the family's limit
  });

  describe('learned limits recover (injected clock: recovery is lazy, read on requests and stats)', () => {
    /** A limiter on a manual clock; refusals are taught through refused() (no tokens, no timers involved). */
    function manual(limit: number, windowMs: number): { l: VenueRateLimiter; clock: { t: number }; refuse: () => void } {
      const clock = { t: 1_000_000 };
      const l = new VenueRateLimiter({ venue: 'test', pools: [{ name: 'place', limit, windowMs }], maxInFlight: 8, marginMs: 5, now: () => clock.t });
      limiters.push(l);
      l.pool('place:BTC-USDT');
      // nothing accepted in the window: the limit is halved
      return { l, clock, refuse: () => l.refused(refusal(), ['place:BTC-USDT'], 0) };
    }
    const limitOf = (l: VenueRateLimiter): number => l.poolLimits().find((p) => p.pool === 'place:BTC-USDT')!.limit;

    test('after 3 clean windows the limit rises a tenth of the published limit per 3 windows, up to it and never above', async () => {
      const { l, clock, refuse } = manual(20, 1000);
      refuse();
      expect(limitOf(l)).toBe(10);
      expect(l.stats).toMatchObject({ learned: 1, raised: 0, poolsBelowPublished: 1 });
      clock.t += 2999;
      expect(limitOf(l)).toBe(10);
      // a request taking tokens brings the limit up to date too
      clock.t += 1;
      await l.run([{ pool: 'place:BTC-USDT', n: 1 }], 'order', async () => undefined);
      expect(l.pool('place:BTC-USDT').limit).toBe(12);
      expect(l.stats).toMatchObject({ raised: 1, poolsBelowPublished: 1 });
      clock.t += 3000;
      expect(limitOf(l)).toBe(14);
      // idle for a long time: every elapsed step at once, capped at the published limit
      clock.t += 60_000;
      expect(limitOf(l)).toBe(20);
      expect(l.stats).toMatchObject({ raised: 3, poolsBelowPublished: 0 });
      clock.t += 60_000;
      expect(limitOf(l)).toBe(20);
      expect(l.poolLimits()).toEqual([{ pool: 'place:BTC-USDT', limit: 20, published: 20, windowMs: 1000 }]);
    });

    test('a refusal while climbing lowers the limit again and doubles the clean time before the next step; back at the top it resets', () => {
      const { l, clock, refuse } = manual(20, 1000);
      refuse(); // 10
      clock.t += 3000;
      expect(limitOf(l)).toBe(12);
      // a refusal (not a lowering one: within the window) also restarts the clean time
      clock.t += 2000;
      refuse(); // the probe failed: 12 -> 6, next step only after 6 clean windows
      expect(limitOf(l)).toBe(6);
      clock.t += 5999;
      expect(limitOf(l)).toBe(6);
      clock.t += 1;
      expect(limitOf(l)).toBe(8);
      clock.t += 3000;
      expect(limitOf(l)).toBe(8); // still 6 windows per step
      clock.t += 3000;
      expect(limitOf(l)).toBe(10);
      clock.t += 6000 * 5;
      expect(limitOf(l)).toBe(20);
      // at the published limit again: the next learned limit climbs after 3 windows
      refuse();
      expect(limitOf(l)).toBe(10);
      clock.t += 3000;
      expect(limitOf(l)).toBe(12);
      expect(l.stats.learned).toBe(3);
    });

    test('refusals in the clean time keep the limit down; the published limit follows what the venue advertises', () => {
      const { l, clock, refuse } = manual(20, 1000);
      refuse(); // 10
      for (let i = 0; i < 5; i++) {
        clock.t += 2500;
        l.refused(refusal(), ['place:BTC-USDT'], 0);
        expect(limitOf(l)).toBeLessThanOrEqual(10);
      }
      // advertised lower than configured: that is the ceiling from now on
      l.setLimit('place', 8);
      refuse();
      clock.t += 600_000;
      expect(limitOf(l)).toBe(8);
    });
  });

  test('usage the venue reports beyond ours is set aside until its window ends', async () => {
    const l = limiter([{ name: 'weight', limit: 10, windowMs: 60_000 }]);
    await l.run([{ pool: 'weight', n: 1 }], 'query', async () => undefined);
    l.observeCount('weight', 9); // 8 used by someone else
    expect(l.stats.foreign).toBe(8);
    let ran = 0;
    const more = Array.from({ length: 3 }, () => l.run([{ pool: 'weight', n: 1 }], 'query', async () => void ran++));
    await until(() => ran === 1, 'one more request');
    await new Promise((r) => setTimeout(r, 50));
    expect(ran).toBe(1); // 1 ours + 8 foreign + 1 = 10: the rest waits for the window to end
    l.stop();
    await Promise.allSettled(more);
  });

  test('a pause longer than the caller may wait refuses at once (not sent); stop refuses what waits', async () => {
    const l = limiter([{ name: 'w', limit: 1, windowMs: 10_000 }]);
    l.pauseAll(60_000, 'banned', true);
    const e = await l.run([{ pool: 'w', n: 1 }], 'order', async () => 'sent', { maxPauseWaitMs: 100 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(VenueError);
    expect((e as VenueError).kind).toBe('not-sent');
    expect((e as VenueError).code).toBe('VENUE_BANNED');

    const m = limiter([{ name: 'w', limit: 1, windowMs: 10_000 }]);
    await m.run([{ pool: 'w', n: 1 }], 'order', async () => undefined);
    const waiting = m.run([{ pool: 'w', n: 1 }], 'order', async () => 'sent').catch((x: unknown) => x);
    m.stop();
    const w = await waiting;
    expect(w).toBeInstanceOf(VenueError);
    expect((w as VenueError).kind).toBe('not-sent');
  });

  test('stop ends the waits for a pause at once: a ban\'s Retry-After (whole venue) or a pool\'s (issue 10, item 11)', async () => {
    // Queries wait out a pause with no bound. A wait that outlived stop() held the process up to the end of the ban
    // (about 2 minutes after "switchyard stopped"). Here the pauses are 10 minutes: the test timeout
    // fails it if stop() does not end them.
    const l = limiter([{ name: 'w', limit: 5, windowMs: 10_000 }]);
    l.pauseAll(600_000, 'banned', true);
    let sent = 0;
    const venueWide = l.run([{ pool: 'w', n: 1 }], 'query', async () => void sent++).catch((x: unknown) => x);
    const p = limiter([{ name: 'w', limit: 5, windowMs: 10_000 }]);
    p.refused(new VenueError('rate-limited', 'VENUE_RATE_LIMITED', 'too many', { retryAfterMs: 600_000 }), ['w'], 1);
    const poolWide = p.run([{ pool: 'w', n: 1 }], 'query', async () => void sent++).catch((x: unknown) => x);
    l.stop();
    p.stop();
    for (const e of await Promise.all([venueWide, poolWide])) {
      expect(e).toBeInstanceOf(VenueError);
      expect((e as VenueError).kind).toBe('not-sent');
    }
    expect(sent).toBe(0);
  });
});
