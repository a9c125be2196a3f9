/**
 * Issue 12, in the daemon: the paper venues of config/paper.yaml publish their books to the daemon's market data, so
 * GET /v1/books shows them (synced, usable) and the consolidated book is made of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { pollUntil } from '../helpers/poll.js';

describe('paper venues publish their books in the daemon', () => {
  let t: TestDaemon;
  beforeAll(async () => {
    t = await startTestDaemon();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('GET /v1/books shows each paper venue\'s book, synced and usable, and the consolidated book over them', async () => {
    const r = await t.api.get('/v1/books/BTC-USDT');
    expect(r.status).toBe(200);
    expect(r.body.venues.map((v: { venue: string; status: string; usable: boolean }) => [v.venue, v.status, v.usable])).toEqual([
      ['sim-a', 'SYNCED', true],
      ['sim-b', 'SYNCED', true],
    ]);
    for (const v of r.body.venues) {
      expect(v.bids.length).toBeGreaterThan(0);
      expect(v.asks.length).toBeGreaterThan(0);
      expect(Number(v.bids[0][0])).toBeLessThan(Number(v.asks[0][0]));
    }
    const venuesInConsolidated = new Set([...r.body.consolidated.bids, ...r.body.consolidated.asks].map((l: { venue: string }) => l.venue));
    expect(venuesInConsolidated).toEqual(new Set(['sim-a', 'sim-b']));
    // SOL-USDT is listed by sim-a only
    const sol = await t.api.get('/v1/books/SOL-USDT');
    expect(sol.body.venues.map((v: { venue: string }) => v.venue)).toEqual(['sim-a']);
  });

  it('the books move with the simulation (each step publishes)', async () => {
    const market = t.daemon.market;
    const v = market.venueIndex('sim-a');
    const s = t.daemon.instruments.get('BTC-USDT')!.index;
    const before = market.book(v, s).updates;
    await pollUntil(() => market.book(v, s).updates, (n) => n > before + 2, { what: 'published updates of sim-a' });
    expect(market.isUsable(v, s)).toBe(true);
  });
});
