/**
 * The momentum example on the default paper configuration, in the real daemon: the paper venues publish their books
 * and trades to the daemon's market data, the publisher passes them to the momentum worker, and momentum trades on
 * those prices (IOC limits priced from the consolidated top, at the venue quoting it), and they fill.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { pollUntil } from '../helpers/poll.js';

interface OrderView {
  strategy: string;
  symbol: string;
  side: string;
  type: string;
  timeInForce: string;
  price: string | null;
  state: string;
  venue: string | null;
  avgPrice: string | null;
}

describe('momentum on config/paper.yaml', () => {
  let t: TestDaemon;
  beforeAll(async () => {
    t = await startTestDaemon([[['strategies', 0, 'params', 'intervalMs'], 50]], undefined, { workers: true });
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('sends IOC limits priced from the paper venues\' published books, and they fill', async () => {
    const orders = await pollUntil(
      async () => (await t.api.allOrders<OrderView>('state=all&strategy=momentum')),
      (os) => os.some((o) => o.state === 'FILLED'),
      { timeoutMs: 30_000, intervalMs: 100, what: 'a filled momentum order' },
    );
    const book = (await t.api.get('/v1/books/BTC-USDT')).body as { consolidated: { bids: { price: string }[]; asks: { price: string }[] } };
    const mid = (Number(book.consolidated.bids[0]!.price) + Number(book.consolidated.asks[0]!.price)) / 2;
    for (const o of orders) {
      expect(o).toMatchObject({ symbol: 'BTC-USDT', type: 'LIMIT', timeInForce: 'IOC' });
      expect(['sim-a', 'sim-b']).toContain(o.venue);
      // priced from the market (the paper mid walks from 60000 by a few ticks a step), not a MARKET order
      expect(Math.abs(Number(o.price) - mid)).toBeLessThan(100);
    }
    const filled = orders.find((o) => o.state === 'FILLED')!;
    // a buy fills at or below its limit, a sell at or above
    if (filled.side === 'BUY') expect(Number(filled.avgPrice)).toBeLessThanOrEqual(Number(filled.price));
    else expect(Number(filled.avgPrice)).toBeGreaterThanOrEqual(Number(filled.price));
  }, 60_000);
});
