/**
 * Issue 12: paper trading on a real market. A paper venue with `mirror` trades against another venue's public book
 * and trades, as the daemon's MarketData holds them; here the mirrored venue's feed is played by hand through the
 * MarketData sink calls (snapshot / level + commit / trade / invalidate). The rules: adapters/paper/mirror.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PaperVenue } from '../../adapters/paper/paper-venue.js';
import { ArrayOrderBatch, type ExecutionReport, type FillReport, type VenueOrder } from '../../src/execution/venue.js';
import { ASK, BID, LevelBuffer } from '../../src/market/feed.js';
import { MarketData } from '../../src/market/market-data.js';
import { ManualClock } from '../../src/model/clock.js';
import { InstrumentRegistry } from '../../src/model/instrument.js';
import { pollUntil } from '../helpers/poll.js';

const instruments = new InstrumentRegistry([
  { symbol: 'ETH-USDT', base: 'ETH', quote: 'USDT', tickSize: '0.01', lotSize: '0.0001' },
  { symbol: 'BTC-USDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001' },
]);
const BTC = instruments.get('BTC-USDT')!;
const S = BTC.index;
const MIRRORED = 0; // 'exchange' in the market data
const P = 6_000_000; // 60000.00

function levels(pairs: readonly (readonly [number, number])[]): LevelBuffer {
  const b = new LevelBuffer(32);
  for (const [p, q] of pairs) b.push(p, q);
  return b;
}

let venues: PaperVenue[] = [];
afterEach(async () => {
  for (const v of venues) await v.stop();
  venues = [];
});

function setup() {
  const clock = new ManualClock();
  const md = new MarketData(instruments, ['exchange', 'paper'], ['10', '10'], clock, { depth: 20, staleMs: 1000 });
  const reports: ExecutionReport[] = [];
  const v = new PaperVenue({
    name: 'paper', markets: [{ instrument: BTC, startMidTicks: 0 }], makerBps: '2', takerBps: '10', latencyMs: 0,
    seed: 1, spreadTicks: 2, volatilityTicks: 1, depthLevels: 10, levelNotional: 20_000, tradesPerSecond: 4, stepMs: 250,
    now: () => clock.now(),
    mirror: { market: md, venue: MIRRORED, name: 'exchange' },
  }, { report: (_n, r) => reports.push(r) });
  venues.push(v);
  /** The mirrored venue's book: bids and asks best first. */
  const book = (bids: readonly (readonly [number, number])[], asks: readonly (readonly [number, number])[]): void =>
    md.snapshot(MIRRORED, S, levels(bids), levels(asks), clock.now());
  let id = 0;
  const order = (fields: Partial<VenueOrder>): VenueOrder => {
    id++;
    return {
      orderId: id, clientOrderId: `m${id}`, instrument: BTC, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', postOnly: false,
      priceTicks: 0, stopTicks: 0, qtyLots: 10, ...fields,
    };
  };
  /** Sends an order and waits for the venue's first answer to it. */
  const send = async (fields: Partial<VenueOrder>): Promise<VenueOrder> => {
    const o = order(fields);
    v.submit(new ArrayOrderBatch([o]));
    await pollUntil(() => reports.some((r) => r.orderId === o.orderId), (x) => x, { what: `an answer to order ${o.orderId}` });
    return o;
  };
  const of = (o: VenueOrder): ExecutionReport[] => reports.filter((r) => r.orderId === o.orderId);
  const fills = (o: VenueOrder): FillReport[] => of(o).filter((r): r is FillReport => r.kind === 'FILL');
  const kinds = (o: VenueOrder): string[] => of(o).map((r) => r.kind);
  return { clock, md, v, reports, book, send, of, fills, kinds };
}

const priced = (fs: readonly FillReport[]) => fs.map((f) => [f.priceTicks, f.qtyLots, f.liquidity]);

describe('paper venue mirroring another venue: marketable orders', () => {
  it('a market order walks the mirrored levels at their prices, as a taker, with the taker fee', async () => {
    const t = setup();
    await t.v.start();
    t.book([[P - 1, 50]], [[P + 1, 5], [P + 2, 10], [P + 4, 20]]);
    const o = await t.send({ type: 'MARKET', timeInForce: 'IOC', qtyLots: 12 });
    expect(t.kinds(o)).toEqual(['ACCEPTED', 'FILL', 'FILL']);
    expect(priced(t.fills(o))).toEqual([[P + 1, 5, 'TAKER'], [P + 2, 7, 'TAKER']]);
    // 7 lots x 0.00001 BTC x 60000.02 x 10 bps = 0.0042000014 USDT
    expect(t.fills(o)[1]!.fee).toBe('0.0042000014');
    expect((await t.v.lookup(o.clientOrderId))?.state).toBe('FILLED');
    // a sell walks the bids
    const s = await t.send({ side: 'SELL', type: 'MARKET', timeInForce: 'IOC', qtyLots: 20 });
    expect(priced(t.fills(s))).toEqual([[P - 1, 20, 'TAKER']]);
  });

  it('a limit order takes up to its limit; the rest of an IOC expires, the rest of a GTC rests in the paper book', async () => {
    const t = setup();
    await t.v.start();
    t.book([[P - 1, 50]], [[P + 1, 5], [P + 2, 10], [P + 4, 20]]);
    const ioc = await t.send({ priceTicks: P + 2, timeInForce: 'IOC', qtyLots: 100 });
    expect(priced(t.fills(ioc))).toEqual([[P + 1, 5, 'TAKER'], [P + 2, 10, 'TAKER']]);
    expect(t.kinds(ioc).at(-1)).toBe('EXPIRED');
    const gtc = await t.send({ priceTicks: P + 4, qtyLots: 30 });
    expect(priced(t.fills(gtc))).toEqual([[P + 4, 20, 'TAKER']]);
    expect(t.kinds(gtc)).toEqual(['ACCEPTED', 'FILL']); // one ACCEPTED, then the rest rests quietly
    expect(await t.v.lookup(gtc.clientOrderId)).toMatchObject({ state: 'PARTIALLY_FILLED', filledLots: 20 });
    expect(t.v.bookLevels('BTC-USDT', 'BUY')).toEqual([[P + 4, 10]]);
    expect(await t.v.openOrders([BTC])).toHaveLength(1);
  });

  it('two orders in a row do not take the same liquidity twice', async () => {
    const t = setup();
    await t.v.start();
    t.book([[P - 1, 50]], [[P + 1, 5], [P + 2, 10], [P + 4, 20]]);
    const a = await t.send({ type: 'MARKET', timeInForce: 'IOC', qtyLots: 12 });
    const b = await t.send({ type: 'MARKET', timeInForce: 'IOC', qtyLots: 12 });
    expect(priced(t.fills(a))).toEqual([[P + 1, 5, 'TAKER'], [P + 2, 7, 'TAKER']]);
    expect(priced(t.fills(b))).toEqual([[P + 2, 3, 'TAKER'], [P + 4, 9, 'TAKER']]);
    // what is left for us: 11 lots at P+4, nothing below
    const c = await t.send({ priceTicks: P + 2, timeInForce: 'IOC', qtyLots: 5 });
    expect(t.kinds(c)).toEqual(['ACCEPTED', 'EXPIRED']);
    const d = await t.send({ type: 'MARKET', timeInForce: 'IOC', qtyLots: 50 });
    expect(priced(t.fills(d))).toEqual([[P + 4, 11, 'TAKER']]);
    expect(t.kinds(d).at(-1)).toBe('EXPIRED');
    // a level the venue re-sends unchanged is not replenished by it
    t.book([[P - 1, 50]], [[P + 1, 5], [P + 2, 10], [P + 4, 20]]);
    const e = await t.send({ type: 'MARKET', timeInForce: 'IOC', qtyLots: 1 });
    expect(t.kinds(e)).toEqual(['ACCEPTED', 'EXPIRED']);
  });

  it('liquidity comes back when the mirrored venue changes the level', async () => {
    const t = setup();
    await t.v.start();
    t.book([[P - 1, 50]], [[P + 1, 5], [P + 2, 10]]);
    const a = await t.send({ type: 'MARKET', timeInForce: 'IOC', qtyLots: 15 });
    expect(t.fills(a).reduce((n, f) => n + f.qtyLots, 0)).toBe(15);
    // the venue changes P+1 (to 8 lots): that level is whole again; P+2 is untouched and stays taken
    t.md.level(MIRRORED, S, ASK, P + 1, 8);
    t.md.commit(MIRRORED, S, t.clock.now());
    const b = await t.send({ type: 'MARKET', timeInForce: 'IOC', qtyLots: 20 });
    expect(priced(t.fills(b))).toEqual([[P + 1, 8, 'TAKER']]);
    // removed and sent again (even with the same quantity): whole again
    t.md.level(MIRRORED, S, ASK, P + 2, 0);
    t.md.commit(MIRRORED, S, t.clock.now());
    t.md.level(MIRRORED, S, ASK, P + 2, 10);
    t.md.commit(MIRRORED, S, t.clock.now());
    const c = await t.send({ type: 'MARKET', timeInForce: 'IOC', qtyLots: 20 });
    expect(priced(t.fills(c))).toEqual([[P + 2, 10, 'TAKER']]);
    // a new snapshot after a resync is a new book: everything in it is there to take
    t.md.invalidate(MIRRORED, S, 'gap');
    t.book([[P - 1, 50]], [[P + 1, 8], [P + 2, 10]]);
    const d = await t.send({ type: 'MARKET', timeInForce: 'IOC', qtyLots: 18 });
    expect(priced(t.fills(d))).toEqual([[P + 1, 8, 'TAKER'], [P + 2, 10, 'TAKER']]);
  });

  it('FOK fills completely from what is left for us, or not at all', async () => {
    const t = setup();
    await t.v.start();
    t.book([[P - 1, 50]], [[P + 1, 5], [P + 2, 10]]);
    const no = await t.send({ priceTicks: P + 2, timeInForce: 'FOK', qtyLots: 16 });
    expect(t.kinds(no)).toEqual(['ACCEPTED', 'EXPIRED']);
    const yes = await t.send({ priceTicks: P + 2, timeInForce: 'FOK', qtyLots: 15 });
    expect(priced(t.fills(yes))).toEqual([[P + 1, 5, 'TAKER'], [P + 2, 10, 'TAKER']]);
    const gone = await t.send({ priceTicks: P + 2, timeInForce: 'FOK', qtyLots: 1 });
    expect(t.kinds(gone)).toEqual(['ACCEPTED', 'EXPIRED']);
  });

  it('a post-only order that would cross the mirrored book is rejected; one that would not rests', async () => {
    const t = setup();
    await t.v.start();
    t.book([[P - 1, 50]], [[P + 1, 5]]);
    const cross = await t.send({ priceTicks: P + 1, postOnly: true });
    expect(t.kinds(cross)).toEqual(['REJECTED']);
    const rest = await t.send({ priceTicks: P, postOnly: true });
    expect(t.kinds(rest)).toEqual(['ACCEPTED']);
    expect(t.v.bookLevels('BTC-USDT', 'BUY')).toEqual([[P, 10]]);
  });

  it('stop orders are refused (as on the exchange adapters)', async () => {
    const t = setup();
    await t.v.start();
    t.book([[P - 1, 50]], [[P + 1, 5]]);
    const stop = await t.send({ type: 'STOP', stopTicks: P + 10, timeInForce: 'GTC' });
    expect(t.of(stop)).toEqual([expect.objectContaining({ kind: 'REJECTED', reason: expect.stringMatching(/^VENUE_REJECTED: stop orders/) })]);
  });
});

describe('paper venue mirroring another venue: resting orders', () => {
  it('a resting GTC fills as a maker, at its limit, on mirrored trades at or through its price, for at most their size', async () => {
    const t = setup();
    await t.v.start();
    t.book([[P - 2, 50]], [[P + 2, 50]]);
    const buy = await t.send({ priceTicks: P, qtyLots: 10 });
    expect(t.kinds(buy)).toEqual(['ACCEPTED']);
    // trades above our bid, or buyers lifting asks, do not reach it
    t.md.trade(MIRRORED, S, P + 1, 100, ASK, 0);
    t.md.trade(MIRRORED, S, P - 1, 100, BID, 0);
    expect(t.fills(buy)).toEqual([]);
    // a seller trades at our price: 3 lots
    t.md.trade(MIRRORED, S, P, 3, ASK, 0);
    // and through it: the rest, at our limit (never the trade's better price)
    t.md.trade(MIRRORED, S, P - 5, 100, ASK, 0);
    expect(priced(t.fills(buy))).toEqual([[P, 3, 'MAKER'], [P, 7, 'MAKER']]);
    // 3 lots x 0.00001 x 60000 x 2 bps
    expect(t.fills(buy)[0]!.fee).toBe('0.00036');
    expect((await t.v.lookup(buy.clientOrderId))?.state).toBe('FILLED');

    // a trade's size is shared by our orders, best price first, then time
    const s1 = await t.send({ side: 'SELL', priceTicks: P + 1, qtyLots: 4 });
    const s2 = await t.send({ side: 'SELL', priceTicks: P, qtyLots: 4 });
    const s3 = await t.send({ side: 'SELL', priceTicks: P, qtyLots: 4 });
    t.md.trade(MIRRORED, S, P + 1, 10, BID, 0);
    expect(priced(t.fills(s2))).toEqual([[P, 4, 'MAKER']]);
    expect(priced(t.fills(s3))).toEqual([[P, 4, 'MAKER']]);
    expect(priced(t.fills(s1))).toEqual([[P + 1, 2, 'MAKER']]);
  });

  it('a resting GTC fills when the mirrored book moves through it, up to the crossing quantity, which is then taken', async () => {
    const t = setup();
    await t.v.start();
    t.book([[P - 2, 50]], [[P + 2, 50]]);
    const buy = await t.send({ priceTicks: P, qtyLots: 10 });
    const sell = await t.send({ side: 'SELL', priceTicks: P + 5, qtyLots: 4 });
    // the asks come down through our bid: 2 lots at P-1 and 3 at P cross it
    t.book([[P - 3, 50]], [[P - 1, 2], [P, 3], [P + 1, 40]]);
    expect(priced(t.fills(buy))).toEqual([[P, 2, 'MAKER'], [P, 3, 'MAKER']]);
    expect(await t.v.lookup(buy.clientOrderId)).toMatchObject({ state: 'PARTIALLY_FILLED', filledLots: 5 });
    expect(t.fills(sell)).toEqual([]);
    // what crossed our bid is taken: a marketable order starts above it
    const take = await t.send({ type: 'MARKET', timeInForce: 'IOC', qtyLots: 1 });
    expect(priced(t.fills(take))).toEqual([[P + 1, 1, 'TAKER']]);
    // the same book again changes nothing; the bids moving up through our ask fill it
    t.book([[P - 3, 50]], [[P - 1, 2], [P, 3], [P + 1, 40]]);
    expect(t.fills(buy)).toHaveLength(2);
    t.book([[P + 6, 1], [P + 5, 10]], [[P + 7, 40]]);
    expect(priced(t.fills(sell))).toEqual([[P + 5, 1, 'MAKER'], [P + 5, 3, 'MAKER']]);
    // and our bid at P, below the new asks, still rests
    expect(t.v.bookLevels('BTC-USDT', 'BUY')).toEqual([[P, 5]]);
  });

  it('a resting order can be canceled', async () => {
    const t = setup();
    await t.v.start();
    t.book([[P - 2, 50]], [[P + 2, 50]]);
    const buy = await t.send({ priceTicks: P, qtyLots: 10 });
    t.v.cancel({ orderId: buy.orderId, clientOrderId: buy.clientOrderId, venueOrderId: undefined, instrument: BTC });
    await pollUntil(() => t.kinds(buy), (k) => k.includes('CANCELED'));
    t.md.trade(MIRRORED, S, P - 5, 100, ASK, 0);
    expect(t.fills(buy)).toEqual([]);
  });
});

describe('paper venue mirroring another venue: a mirrored book that is not usable', () => {
  const unavailable = expect.objectContaining({ kind: 'REJECTED', reason: expect.stringMatching(/^VENUE_UNAVAILABLE: the BTC-USDT book of exchange/) });

  it('never synced: every order that could take liquidity is refused, with a catalogue code', async () => {
    const t = setup();
    await t.v.start();
    const m = await t.send({ type: 'MARKET', timeInForce: 'IOC' });
    const l = await t.send({ priceTicks: P });
    expect(t.of(m)).toEqual([unavailable]);
    expect(t.of(l)).toEqual([unavailable]); // no book: whether it would take cannot be told
    expect(await t.v.openOrders([BTC])).toEqual([]);
  });

  it('resyncing: refused; once a snapshot arrives, orders fill again', async () => {
    const t = setup();
    await t.v.start();
    t.book([[P - 1, 50]], [[P + 1, 50]]);
    t.md.invalidate(MIRRORED, S, 'gap');
    const m = await t.send({ type: 'MARKET', timeInForce: 'IOC' });
    expect(t.of(m)).toEqual([unavailable]);
    t.book([[P - 1, 50]], [[P + 1, 50]]);
    const again = await t.send({ type: 'MARKET', timeInForce: 'IOC' });
    expect(priced(t.fills(again))).toEqual([[P + 1, 10, 'TAKER']]);
  });

  it('stale: marketable orders are refused; a passive GTC the last book shows resting still rests', async () => {
    const t = setup();
    await t.v.start();
    t.book([[P - 1, 50]], [[P + 1, 50]]);
    t.md.sweep(); // heard at 0
    t.clock.advance(1500); // and nothing since, for more than staleMs
    t.md.sweep();
    expect(t.md.isUsable(MIRRORED, S)).toBe(false);
    const m = await t.send({ type: 'MARKET', timeInForce: 'IOC' });
    const crossing = await t.send({ priceTicks: P + 1 });
    const ioc = await t.send({ priceTicks: P - 5, timeInForce: 'IOC' });
    const passive = await t.send({ priceTicks: P - 5 });
    expect(t.of(m)).toEqual([unavailable]);
    expect(t.of(crossing)).toEqual([unavailable]);
    expect(t.of(ioc)).toEqual([unavailable]);
    expect(t.kinds(passive)).toEqual(['ACCEPTED']);
    // a book that moves through it while it cannot be trusted fills nothing
    t.md.level(MIRRORED, S, BID, P - 1, 0);
    t.md.level(MIRRORED, S, BID, P - 8, 50);
    t.md.level(MIRRORED, S, ASK, P - 6, 5);
    expect(t.fills(passive)).toEqual([]);
    // the venue speaks again: usable, and the crossing level fills the resting order
    t.md.commit(MIRRORED, S, t.clock.now());
    expect(priced(t.fills(passive))).toEqual([[P - 5, 5, 'MAKER']]);
  });
});
