/**
 * Flow control on Binance: the fake allows 10 orders per 10 s (fixed windows, as Binance) and says so in
 * exchangeInfo.rateLimits. 20 orders are submitted at once, as one batch (Binance: parallel single requests). The
 * adapter never gets a refusal nor a ban, and keeps >= 90% of the allowed order rate.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { type FloodResult, expectAllAccepted, expectWithinLimit, flood } from './flood.js';

const LIMIT = 10;
const WINDOW_MS = 10_000;
const N = 20;
const results: FloodResult[] = [];

afterAll(async () => {
  for (const f of results) {
    await f.rig.adapter.stop();
    await f.rig.fake.close();
  }
});

describe.concurrent('flood on Binance (10 orders per 10 s, learned from exchangeInfo)', () => {
  for (const adapter of ['ccxt', 'binance-ws'] as const) {
    test(`${adapter}: no refusal, no ban, >= 90% of the allowed order rate`, { timeout: 60_000 }, async () => {
      const f = await flood({ label: `flood-${adapter}`, adapter, exchange: 'binance' }, N, LIMIT, WINDOW_MS, {}, { rateLimits: { ordersPer10s: LIMIT, banAfter429s: 1 } }, false);
      results.push(f);
      expectAllAccepted(f);
      const stats = f.rig.adapter.stats();
      expect(stats.limiter.refusals).toBe(0);
      expect(stats.limiter.bans).toBe(0);
      expect(f.rig.adapter.limiter.limit('orders10s')).toBe(LIMIT);
      expectWithinLimit(f, LIMIT, WINDOW_MS);
      console.info(`[flood] ${adapter} on Binance: ${N} orders, limit ${LIMIT}/${WINDOW_MS} ms, order rate kept ${(f.keptRatio * 100).toFixed(1)}%`);
      expect(f.keptRatio).toBeGreaterThanOrEqual(0.9);
    });
  }
});
