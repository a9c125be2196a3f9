/**
 * Flow control on OKX: the fake allows 20 place-order requests per 4 s per instrument (sliding windows, as OKX; the
 * window is longer than OKX's 2 s so that a loaded test machine's timer delays weigh less in the measured rate).
 * 60 orders are submitted one per call (single orders go through trade/order, the pool under test).
 *  - with the limit configured in YAML (rateLimits.placeOrderPerWindow: 20): no refusal ever, >= 90% of the rate;
 *  - with OKX's published default limit (60: too high for this fake): the first refusals teach the adapter the real
 *    limit from what the venue accepted in that window; after the first window nothing is refused, refused orders are
 *    sent again (never REJECTED), and once adapted the rate kept is >= 90%.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { type FloodResult, expectAllAccepted, expectWithinLimit, flood } from './flood.js';

const LIMIT = 20;
const WINDOW_MS = 4000;
const N = 60;
const FAKE = { rateLimits: { placeOrder: LIMIT, windowMs: WINDOW_MS } };
const results: FloodResult[] = [];

afterAll(async () => {
  for (const f of results) {
    await f.rig.adapter.stop();
    await f.rig.fake.close();
  }
});

describe.concurrent('flood on OKX (20 orders per 4 s per instrument)', () => {
  for (const adapter of ['ccxt', 'okx-ws'] as const) {
    test(`${adapter}, limit from YAML: no refusal, >= 90% of the allowed order rate`, { timeout: 60_000 }, async () => {
      const f = await flood(
        { label: `flood-${adapter}`, adapter, exchange: 'okx' },
        N, LIMIT, WINDOW_MS,
        { rateLimits: { placeOrderPerWindow: LIMIT, windowMs: WINDOW_MS } },
        FAKE,
        true,
      );
      results.push(f);
      expectAllAccepted(f);
      expect(f.rig.adapter.stats().limiter.refusals).toBe(0);
      expectWithinLimit(f, LIMIT, WINDOW_MS);
      console.info(`[flood] ${adapter} on OKX (YAML limit): ${N} orders, limit ${LIMIT}/${WINDOW_MS} ms, order rate kept ${(f.keptRatio * 100).toFixed(1)}%`);
      expect(f.keptRatio).toBeGreaterThanOrEqual(0.9);
    });

    test(`${adapter}, default limit too high: learns the limit from the first window's refusals, then none; >= 90% of the rate`, { timeout: 60_000 }, async () => {
      // the window length is OKX's published one (YAML here, as the fake's is not 2 s); the limit is learned
      const f = await flood({ label: `learn-${adapter}`, adapter, exchange: 'okx' }, N, LIMIT, WINDOW_MS, { rateLimits: { windowMs: WINDOW_MS } }, FAKE, true);
      results.push(f);
      expectAllAccepted(f);
      const stats = f.rig.adapter.stats();
      expect(stats.limiter.refusals).toBeGreaterThan(0);
      expect(stats.rateLimitRetries).toBeGreaterThan(0);
      // every refusal came in the first window (the burst sent on the default limit); then nothing was refused
      expect(stats.limiter.lastRefusalAt - f.created[0]!).toBeLessThan(WINDOW_MS);
      const after = f.created.filter((c) => c > stats.limiter.lastRefusalAt);
      expect(after.length).toBeGreaterThanOrEqual(2 * LIMIT);
      const learned = f.rig.adapter.limiter.pool('place:BTC-USDT').limit;
      expect(learned).toBeLessThanOrEqual(LIMIT);
      expect(learned).toBeGreaterThanOrEqual(LIMIT * 0.9);
      // the rate once adapted: from the LIMIT-th order after the last refusal to the last order
      const adapted = (after.length - LIMIT) / ((after[after.length - 1]! - after[LIMIT - 1]!) / 1000) / (LIMIT / (WINDOW_MS / 1000));
      console.info(`[flood] ${adapter} on OKX (learned limit ${learned}): ${stats.limiter.refusals} refusals in the first window, then none; order rate kept once adapted ${(adapted * 100).toFixed(1)}%`);
      expect(adapted).toBeGreaterThanOrEqual(0.9);
    });
  }
});
