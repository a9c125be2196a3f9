/**
 * daemon.routing.mode: adaptive in the real daemon (in process, the two paper venues of config/paper.yaml publishing
 * their books): the routing weights in force follow the venues' depth near the best fee-adjusted price, not the
 * configured 3:1, and GET /v1/routes/:symbol shows them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

describe('adaptive routing tables (real daemon)', () => {
  let t: TestDaemon | undefined;
  afterEach(async () => {
    await t?.stop();
  });

  it('the weights in force come from the books, refreshed on the interval', async () => {
    t = await startTestDaemon([
      [['daemon', 'routing'], { mode: 'adaptive', adaptiveIntervalMs: 100, adaptiveBandBps: 10 }],
    ]);
    const deadline = Date.now() + 10_000;
    let body: { slots: Record<string, number>; weights: Record<string, number> } | undefined;
    for (;;) {
      body = (await t.api.get('/v1/routes/BTC-USDT')).body;
      // configured 3:1 until the first refresh with both books
      if (body!.weights['sim-a'] !== 3 || body!.weights['sim-b'] !== 1) break;
      if (Date.now() > deadline) throw new Error('the weights never left the configured ones');
      await new Promise((r) => setTimeout(r, 50));
    }
    // depth in lots within 10 bps of the best fee-adjusted price, both sides: what the books show
    const book = (await t.api.get('/v1/books/BTC-USDT')).body as { venues: { venue: string; usable: boolean }[] };
    expect(book.venues.some((v) => v.usable)).toBe(true);
    const w = body!.weights;
    expect(Object.keys(w).sort()).toEqual(['sim-a', 'sim-b']);
    expect(w['sim-a']! + w['sim-b']!).toBeGreaterThan(4);
    expect(Object.values(body!.slots).reduce((a, b) => a + b, 0)).toBe(256);
    // SOL-USDT is routed to sim-a alone by the configuration, whatever the books say
    expect((await t.api.get('/v1/routes/SOL-USDT')).body.slots).toEqual({ 'sim-a': 256 });
  }, 30_000);
});
