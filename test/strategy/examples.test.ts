/**
 * The example strategies in config/strategies run in real workers against a tiny fake of the daemon's main
 * side: every SUBMIT is acknowledged, MARKET orders and IOC limits fill at once, other limits are accepted,
 * cancels are confirmed. Market data comes from a MarketData driven by hand through the daemon's publisher.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  EV_ACCEPTED, EV_ACK, EV_CANCELED, EV_EXPIRED, EV_FILL, EventRecord, LIQUIDITY_MAKER, LIQUIDITY_TAKER, orderStateIndex,
} from '../../src/intake/ring/event-record.js';
import { OP_CANCEL, OP_SUBMIT } from '../../src/intake/ring/order-record.js';
import { MarketPublisher } from '../../src/compose/market-publisher.js';
import { LevelBuffer } from '../../src/market/feed.js';
import { MarketData } from '../../src/market/market-data.js';
import { ManualClock } from '../../src/model/clock.js';
import { InstrumentRegistry } from '../../src/model/instrument.js';
import type { OrderSnapshot, StrategySnapshot } from '../../src/intake/ring/transport.js';
import { HostedStrategy, StrategyHost, type StrategyHostOptions } from '../../src/strategy/strategy-host.js';
import { drain, drainAll, INSTRUMENTS, until, VENUES, type Rec } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-examples-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const example = (name: string): string => fileURLToPath(new URL(`../../config/strategies/${name}`, import.meta.url));

const LIMIT = 0;
const MARKET = 1;
const IOC = 1;

/**
 * A fake main side for one strategy: answers each record with events, remembers what it saw, and answers the host's
 * snapshot (RESYNC) with the orders it holds open and the last submit it read (it reads every record it is given at once:
 * nothing is ever withdrawn).
 */
class FakeDaemon {
  readonly seen: Rec[] = [];
  /** The seq of the last submit read (the order ring holds only submits). */
  private readSeq = 0;
  /** Snapshots taken (RESYNCs answered). */
  snapshots = 0;
  private nextForeign = 1_000_000;
  private nextId = 1;
  private readonly bySeq = new Map<number, { id: number; rec: Rec }>();
  private readonly byId = new Map<number, Rec>();
  private readonly ev = new EventRecord();
  marketPrice = 6_000_000;

  constructor(private readonly s: HostedStrategy) {}

  step(): void {
    const fresh = drainAll(this.s);
    for (const r of fresh) {
      this.seen.push(r);
      if (r.op === OP_SUBMIT) {
        this.readSeq = Math.max(this.readSeq, r.seq);
        this.submit(r);
      } else if (r.op === OP_CANCEL) this.cancel(r);
    }
  }

  /** The host's snapshot provider. */
  readonly snapshot = (): StrategySnapshot => {
    this.snapshots++;
    const orders: OrderSnapshot[] = [...this.byId].map(([orderId, r]) => ({
      orderId, seq: r.seq, tag: r.tag, clientOrderId: r.cid ?? '', symbol: 'BTC-USDT', side: r.side === 0 ? 'BUY' : 'SELL', type: 'LIMIT',
      state: 'ACCEPTED', priceTicks: r.priceTicks, qtyLots: r.qtyLots, filledLots: 0,
    }));
    return { orders, readSeq: this.readSeq, withdrawn: [] };
  };

  /** The resting orders: [side, seq], by order id. */
  resting(): [number, number][] {
    return [...this.byId.values()].map((r) => [r.side, r.seq]);
  }

  /**
   * The EXPIRED of an order of the strategy's that did not come from its rings (seq 0: placed for it through the API),
   * as the daemon writes it: false when the event ring was full (lost, a RESYNC owed).
   */
  expireForeign(): boolean {
    const ev = this.ev.reset();
    Object.assign(ev, { kind: EV_EXPIRED, orderId: this.nextForeign++, seq: 0, symbol: 0, state: orderStateIndex('EXPIRED'), ts: Date.now() });
    return this.s.publishEvent(ev);
  }

  /** Fills a resting order completely at its price. */
  fill(orderId: number): void {
    const r = this.byId.get(orderId)!;
    this.emit(EV_FILL, r, orderId, { state: orderStateIndex('FILLED'), filledLots: r.qtyLots, qtyLots: r.qtyLots, priceTicks: r.priceTicks, liquidity: LIQUIDITY_MAKER });
    this.byId.delete(orderId);
  }

  /** Id of the resting order on `side` (0 BUY, 1 SELL). */
  openIdOf(side: number): number {
    for (const [id, r] of this.byId) if (r.side === side) return id;
    throw new Error(`no resting order on side ${side}`);
  }

  private submit(r: Rec): void {
    const id = this.nextId++;
    this.bySeq.set(r.seq, { id, rec: r });
    this.emit(EV_ACK, r, id, { state: orderStateIndex('CREATED'), qtyLots: r.qtyLots, priceTicks: r.priceTicks });
    if (r.type === MARKET) {
      this.emit(EV_FILL, r, id, { state: orderStateIndex('FILLED'), filledLots: r.qtyLots, qtyLots: r.qtyLots, priceTicks: this.marketPrice, liquidity: LIQUIDITY_TAKER });
      this.marketPrice += 100;
    } else if (r.timeInForce === IOC) {
      this.emit(EV_FILL, r, id, { state: orderStateIndex('FILLED'), filledLots: r.qtyLots, qtyLots: r.qtyLots, priceTicks: r.priceTicks, liquidity: LIQUIDITY_TAKER });
    } else {
      this.byId.set(id, r);
      this.emit(EV_ACCEPTED, r, id, { state: orderStateIndex('ACCEPTED'), qtyLots: r.qtyLots, priceTicks: r.priceTicks });
    }
  }

  private cancel(c: Rec): void {
    const id = c.orderId !== 0 ? c.orderId : this.bySeq.get(c.targetSeq)?.id ?? 0;
    const r = this.byId.get(id);
    if (r === undefined) return;
    this.byId.delete(id);
    this.emit(EV_CANCELED, r, id, { state: orderStateIndex('CANCELED'), qtyLots: r.qtyLots, priceTicks: r.priceTicks });
  }

  private emit(kind: number, r: Rec, orderId: number, f: Partial<EventRecord>): void {
    const ev = this.ev.reset();
    Object.assign(ev, { kind, orderId, seq: r.seq, tag: r.tag, symbol: r.symbol, side: r.side, ts: Date.now() }, f);
    expect(this.s.publishEvent(ev)).toBe(true);
  }
}

async function run(
  module: string, id: string, params: Record<string, unknown>, body: (fake: FakeDaemon, h: StrategyHost) => Promise<void>,
  options: Partial<StrategyHostOptions> = {},
): Promise<void> {
  let fake: FakeDaemon | undefined;
  const h = new StrategyHost({
    strategies: [{ id, module, symbols: ['BTC-USDT', 'ETH-USDT'], params }],
    instruments: INSTRUMENTS,
    venues: VENUES,
    cacheDir: join(dir, 'cache'),
    snapshot: () => fake!.snapshot(),
    ...options,
  });
  fake = new FakeDaemon(h.get(id)!);
  await h.start();
  try {
    await body(fake, h);
  } finally {
    await h.stop();
  }
}

/** The daemon's market data for the test instruments and venues (taker fees 5 and 7 bps), published to the host's strategies. */
function marketFor(h: StrategyHost): { market: MarketData; publisher: MarketPublisher; book: (venue: number, bid: number, ask: number) => void } {
  const market = new MarketData(new InstrumentRegistry(INSTRUMENTS), VENUES, ['5', '7'], new ManualClock());
  const publisher = new MarketPublisher(market, h.strategies.map((s) => s.market));
  market.listen(publisher);
  const bids = new LevelBuffer(4);
  const asks = new LevelBuffer(4);
  const book = (venue: number, bid: number, ask: number): void => {
    bids.clear();
    asks.clear();
    bids.push(bid, 1000);
    asks.push(ask, 2000);
    market.snapshot(venue, 0, bids, asks, 0);
  };
  return { market, publisher, book };
}

describe('example strategies', () => {
  it('momentum: follows the market\'s last price move (trades, then the top of book), IOC limits priced from the top, at most maxPosition', async () => {
    await run(example('momentum.ts'), 'momentum', { intervalMs: 5, slippageTicks: 2, maxPositionLots: 300 }, async (fake, h) => {
      const { market, publisher, book } = marketFor(h);
      try {
        // sim-a 60000.00 / 60000.10, sim-b 59999.90 / 60000.20: sim-a has the best bid and ask
        book(0, 6_000_000, 6_000_010);
        book(1, 5_999_990, 6_000_020);
        // trades print higher: momentum buys through the best ask (sim-a's) until it holds maxPositionLots
        market.trade(1, 0, 6_000_000, 50, 1, 0);
        market.trade(1, 0, 6_000_010, 50, 0, 0);
        const submits = (): typeof fake.seen => fake.seen.filter((r) => r.op === OP_SUBMIT);
        await until(() => submits().length >= 3, () => fake.step());
        for (const r of submits()) {
          expect(r).toMatchObject({ symbol: 0, side: 0, type: LIMIT, timeInForce: IOC, priceTicks: 6_000_010 + 2, qtyLots: 100, venue: 0 });
        }
        // sim-a drops 100 USDT: the mid moves down and sim-b now has the best bid, fee included (59999.90 x (1 - 7 bps)
        // beats 59900.00 x (1 - 5 bps)); momentum sells into it
        book(0, 5_990_000, 5_990_010);
        await until(() => submits().length >= 4, () => fake.step());
        const orders = submits();
        expect(orders.slice(0, 3).every((r) => r.side === 0)).toBe(true); // no 4th buy: the position limit held
        expect(orders[3]).toMatchObject({ symbol: 0, side: 1, type: LIMIT, timeInForce: IOC, priceTicks: 5_999_990 - 2, qtyLots: 100, venue: 1 });
        expect(orders.map((r) => r.seq)).toEqual(orders.map((_, i) => i + 1));
      } finally {
        publisher.stop();
      }
    });
  });

  it('market maker: probes the price, quotes both sides post-only, re-quotes around a fill', async () => {
    await run(example('market-maker.ts'), 'market-maker', { quoteIntervalMs: 5, spreadTicks: 10 }, async (fake) => {
      await until(() => fake.seen.length >= 3, () => fake.step());
      const [probe, q1, q2] = fake.seen;
      expect(probe).toMatchObject({ op: OP_SUBMIT, type: MARKET, side: 0, qtyLots: 100 }); // the quote size
      const quotes = [q1!, q2!].sort((a, b) => a.side - b.side);
      expect(quotes.map((q) => [q.side, q.priceTicks, q.qtyLots])).toEqual([[0, 6_000_000 - 10, 100], [1, 6_000_000 + 10, 100]]);
      // fill the bid: the ask is canceled and both sides come back around the fill price
      fake.fill(fake.openIdOf(0));
      await until(() => fake.seen.filter((r) => r.op === OP_SUBMIT).length >= 5, () => fake.step());
      const after = fake.seen.slice(3);
      expect(after[0]).toMatchObject({ op: OP_CANCEL });
      const requotes = after.filter((r) => r.op === OP_SUBMIT).map((r) => [r.side, r.priceTicks]).sort();
      expect(requotes).toEqual([[0, 6_000_000 - 20], [1, 6_000_000]]);
    });
  });
  it('market maker: a RESYNC while a quote\'s submit is unread keeps that quote: one tracked quote per side, no orphan', { timeout: 30_000 }, async () => {
    // defect: on RESYNC the example forgot every quote the snapshot did not list, a quote whose submit the daemon had
    // not read yet too; it quoted that side again and the first became a live order nobody tracked
    await run(example('market-maker.ts'), 'market-maker', { quoteIntervalMs: 5, spreadTicks: 10 }, async (fake, h) => {
      const s = h.get('market-maker')!;
      const sides = (): number[] => fake.resting().map(([side]) => side).sort();
      await until(() => sides().join() === '0,1', () => fake.step());
      const sellId = fake.openIdOf(1);
      // the bid fills: the maker cancels its ask and places a new bid; the daemon has not read either yet
      const from = fake.seen.length;
      fake.fill(fake.openIdOf(0));
      await until(() => s.orders.available() >= 1 && s.cancels.available() >= 1);
      // events it is owed pile up until one is lost: a RESYNC, answered while the new bid is still in the order ring
      const snapshots = fake.snapshots;
      for (let i = 0; i < 100_000 && s.eventsLost === 0; i++) fake.expireForeign();
      expect(s.eventsLost).toBeGreaterThan(0);
      await until(() => fake.snapshots > snapshots);
      expect(s.orders.available()).toBe(1); // (taken while it was unread: the snapshot's readSeq is below it)
      // the daemon reads on: the bid is ACKed, the ask CANCELED; the maker quotes the ask again
      const submitsFrom = (): Rec[] => fake.seen.slice(from).filter((r) => r.op === OP_SUBMIT);
      await until(() => submitsFrom().some((r) => r.side === 1), () => fake.step());
      fake.step();
      expect(submitsFrom().map((r) => r.side)).toEqual([0, 1]); // one new bid (the unread one), one new ask: nothing more
      expect(sides()).toEqual([0, 1]);
      expect(fake.seen.slice(from).filter((r) => r.op === OP_CANCEL).map((r) => r.orderId)).toEqual([sellId]);
      // the new bid is tracked: when it fills, the maker cancels the ask that goes with it
      const askId = fake.openIdOf(1);
      fake.fill(fake.openIdOf(0));
      await until(() => fake.seen.some((r) => r.op === OP_CANCEL && r.orderId === askId), () => fake.step());
    }, { eventRingCapacity: 16 });
  });

  it('market maker: restarted after a failure, it cancels the quotes its predecessor left and quotes again: no orphan', { timeout: 30_000 }, async () => {
    // defect: a restarted maker starts with no quotes and ignored the open orders its RESYNC listed: they stayed on the
    // book, nobody's, next to its new quotes
    await run(example('market-maker.ts'), 'market-maker', { quoteIntervalMs: 5, spreadTicks: 10 }, async (fake, h) => {
      const s = h.get('market-maker')!;
      const sides = (): number[] => fake.resting().map(([side]) => side).sort();
      await until(() => sides().join() === '0,1', () => fake.step());
      const old = fake.resting().map(([, seq]) => seq);
      const lastOld = Math.max(...fake.seen.map((r) => r.seq));
      s.terminate(); // its thread ends unasked: failed, then restarted
      await until(() => h.status()['market-maker']!.restarts === 1 && s.status === 'running', () => fake.step());
      // the new incarnation probes again and quotes both sides
      await until(() => fake.resting().filter(([, seq]) => seq > lastOld).length === 2, () => fake.step());
      fake.step();
      expect(fake.resting().filter(([, seq]) => old.includes(seq))).toEqual([]);
      expect(sides()).toEqual([0, 1]);
    }, { restart: { maxRestarts: 1, backoffMs: 10 } });
  });
  it('momentum: a RESYNC while its order\'s submit is unread keeps it in flight: no second order meanwhile', { timeout: 30_000 }, async () => {
    // defect: on RESYNC momentum took an order missing from the snapshot as finished, one whose submit the daemon had
    // not read yet too, and sent the next one: two in flight, past its one-at-a-time rule (and its position bound)
    await run(example('momentum.ts'), 'momentum', { intervalMs: 5, slippageTicks: 2, maxPositionLots: 10_000 }, async (fake, h) => {
      const s = h.get('momentum')!;
      const { market, publisher, book } = marketFor(h);
      try {
        book(0, 6_000_000, 6_000_010);
        market.trade(0, 0, 6_000_000, 50, 1, 0);
        market.trade(0, 0, 6_000_010, 50, 0, 0);
        // its first order waits, unread, in its order ring (the daemon does not read meanwhile)
        await until(() => s.orders.available() >= 1);
        const snapshots = fake.snapshots;
        for (let i = 0; i < 100_000 && s.eventsLost === 0; i++) fake.expireForeign();
        expect(s.eventsLost).toBeGreaterThan(0);
        await until(() => fake.snapshots > snapshots);
        // many of its ticks later, still that one order: it waits for its events, which come after the RESYNC
        const deadline = Date.now() + 300;
        await until(() => Date.now() > deadline);
        expect(s.orders.available()).toBe(1);
        fake.step();
        await until(() => fake.seen.filter((r) => r.op === OP_SUBMIT).length >= 2, () => fake.step());
        expect(fake.seen.map((r) => r.seq)).toEqual([1, 2]);
      } finally {
        publisher.stop();
      }
    }, { eventRingCapacity: 16 });
  });
});
