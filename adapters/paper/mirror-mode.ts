/**
 * Mirror mode of the paper venue (the rules: mirror.ts): a new order takes from the mirrored venue's public book, a
 * GTC rest rests in the venue's own engine, and resting orders fill on mirrored trades and on mirrored levels that
 * cross them. Drives the venue's books through its engine access (PaperEngine) and reports through OurOrders.
 */
import type { BookSide } from '../../src/market/feed.js';
import { ASK, BID } from '../../src/market/feed.js';
import { OrderType, Side, Status } from '../../src/matching/index.js';
import type { MirrorBook, MirrorLadder, PaperMirror, TakenLevels } from './mirror.js';
import type { OurOrder, OurOrders } from './our-orders.js';
import { OWNER_MIRROR, OWNER_US, type Market, type PaperEngine } from './paper-market.js';

export class MirrorMode {
  /** Lots the current OWNER_MIRROR order traded against our resting orders (counted by the venue's onFill). */
  filled = 0;

  constructor(
    private readonly mirror: PaperMirror,
    /** The paper venue's name (for rejection reasons). */
    private readonly name: string,
    private readonly engine: PaperEngine,
    private readonly orders: OurOrders,
    /** The venue's markets by instrument index. */
    private readonly byIndex: readonly (Market | undefined)[],
  ) {}

  /** Our new order `mine` on market `m`: taken from the mirrored book, rested, expired or refused. */
  arrive(m: Market, mine: OurOrder): void {
    const mirror = this.mirror;
    const orders = this.orders;
    const o = mine.order;
    if (o.type === 'STOP' || o.type === 'STOP_LIMIT') {
      orders.refuse(mine, `VENUE_REJECTED: stop orders are not taken by a paper venue that mirrors ${mirror.name}`);
      return;
    }
    const symbol = m.instrument.index;
    const book = mirror.market.book(mirror.venue, symbol);
    const buy = o.side === 'BUY';
    const side = buy ? Side.BUY : Side.SELL;
    const opposite = buy ? book.asks : book.bids;
    const taken = m.taken[buy ? ASK : BID];
    const isMarket = o.type === 'MARKET';
    const limit = isMarket ? NaN : o.priceTicks;
    const best = bestAvailable(opposite, taken);
    const crosses = isMarket || (!Number.isNaN(best) && (buy ? best <= limit : best >= limit));
    if (!mirror.market.isUsable(mirror.venue, symbol) && (isMarket || o.timeInForce !== 'GTC' || opposite.count === 0 || crosses)) {
      orders.refuse(mine, `VENUE_UNAVAILABLE: the ${o.instrument.symbol} book of ${mirror.name}, which ${this.name} mirrors, is not usable (not synced, resyncing, crossed or stale)`);
      return;
    }
    if (o.postOnly) {
      if (crosses) {
        orders.refuse(mine, 'post-only order would cross');
        return;
      }
      orders.holdAccept(o.orderId); // the engine may still refuse it against our own resting orders
      const st = this.engine.submitTo(m, o.orderId, OWNER_US, side, OrderType.POST_ONLY, o.priceTicks, o.qtyLots);
      if (st !== Status.OK) {
        orders.dropHeldAccept(); // never accepted: REJECTED alone
        orders.refuse(mine, `refused by the paper venue (status ${st})`);
        return;
      }
      orders.releaseHeldAccept();
      return;
    }
    if (!crosses) {
      if (o.timeInForce === 'GTC') {
        const st = this.engine.submitTo(m, o.orderId, OWNER_US, side, OrderType.LIMIT, o.priceTicks, o.qtyLots);
        if (st !== Status.OK) orders.refuse(mine, `refused by the paper venue (status ${st})`);
        return;
      }
      orders.report({ kind: 'ACCEPTED', orderId: o.orderId, venueOrderId: mine.venueOrderId });
      orders.expire(mine, o.timeInForce === 'FOK' ? 'FOK order could not fill completely' : 'no liquidity at the limit');
      return;
    }
    orders.report({ kind: 'ACCEPTED', orderId: o.orderId, venueOrderId: mine.venueOrderId });
    if (o.timeInForce === 'FOK' && !hasAvailable(opposite, taken, buy, limit, o.qtyLots)) {
      orders.expire(mine, 'FOK order could not fill completely');
      return;
    }
    // take from the mirrored levels, best first, at their prices
    let rest = o.qtyLots;
    for (let i = 0; i < opposite.count && rest > 0; i++) {
      const price = opposite.price[i]!;
      if (!isMarket && (buy ? price > limit : price < limit)) break;
      const level = opposite.qty[i]!;
      const already = taken.takenAt(price, level);
      const n = Math.min(rest, level - already);
      if (n <= 0) continue;
      taken.set(price, level, already + n);
      rest -= n;
      orders.fill(o.orderId, price, n, 'TAKER');
    }
    if (rest === 0) return; // FILLED
    if (isMarket || o.timeInForce !== 'GTC') {
      orders.expire(mine, 'no more liquidity for the rest');
      return;
    }
    // the rest of a GTC order rests in our own book (already ACCEPTED)
    orders.silentAccept = o.orderId;
    const st = this.engine.submitTo(m, o.orderId, OWNER_US, side, OrderType.LIMIT, o.priceTicks, rest);
    orders.silentAccept = -1;
    if (st !== Status.OK) orders.expire(mine, `the rest could not rest (status ${st})`);
  }

  /**
   * The mirrored book changed (or its usability did): forget what we took from levels the venue changed since, then
   * fill our resting orders that the book now crosses (at their limits, up to the crossing quantity still available).
   */
  onBook(venue: number, symbol: number, book: MirrorBook, usable: boolean): void {
    if (venue !== this.mirror.venue) return;
    const m = this.byIndex[symbol];
    if (m === undefined) return;
    m.taken[BID].prune(book.bids);
    m.taken[ASK].prune(book.asks);
    if (!usable || this.engine.stopped()) return;
    this.crossResting(m, book.asks, m.taken[ASK], Side.SELL); // asks at or below our bids
    this.crossResting(m, book.bids, m.taken[BID], Side.BUY); // bids at or above our asks
  }

  /** A mirrored trade: our resting orders on the side it traded with, at or through its price, fill up to its size. */
  onTrade(venue: number, symbol: number, priceTicks: number, qtyLots: number, takerSide: BookSide): void {
    if (venue !== this.mirror.venue || this.engine.stopped() || !(qtyLots > 0)) return;
    const m = this.byIndex[symbol];
    if (m === undefined) return;
    // a seller took the bids (takerSide ASK): ours at or above the price were in front of what traded
    const sell = takerSide === ASK;
    const ours = sell ? m.book.bestBid() : m.book.bestAsk();
    if (Number.isNaN(ours) || (sell ? ours < priceTicks : ours > priceTicks)) return;
    this.engine.submitTo(m, this.engine.nextSimId(), OWNER_MIRROR, sell ? Side.SELL : Side.BUY, OrderType.IOC, priceTicks, qtyLots);
  }

  /** Mirrored levels of one side that cross our resting orders of the other trade with them, best first. */
  private crossResting(m: Market, ladder: MirrorLadder, taken: TakenLevels, takerSide: number): void {
    const sell = takerSide === Side.SELL;
    for (let i = 0; i < ladder.count; i++) {
      const ours = sell ? m.book.bestBid() : m.book.bestAsk();
      const price = ladder.price[i]!;
      if (Number.isNaN(ours) || (sell ? price > ours : price < ours)) return;
      const level = ladder.qty[i]!;
      const already = taken.takenAt(price, level);
      if (level - already <= 0) continue;
      this.filled = 0;
      this.engine.submitTo(m, this.engine.nextSimId(), OWNER_MIRROR, takerSide, OrderType.IOC, price, level - already);
      if (this.filled > 0) taken.set(price, level, already + this.filled);
    }
  }
}

/** Price of the best level of a mirrored side with liquidity left for us, NaN when none. */
function bestAvailable(ladder: MirrorLadder, taken: TakenLevels): number {
  for (let i = 0; i < ladder.count; i++) {
    const price = ladder.price[i]!;
    if (ladder.qty[i]! - taken.takenAt(price, ladder.qty[i]!) > 0) return price;
  }
  return NaN;
}

/** Whether the mirrored side has `qty` lots left for us up to `limit` (NaN: any price). */
function hasAvailable(ladder: MirrorLadder, taken: TakenLevels, buy: boolean, limit: number, qty: number): boolean {
  let sum = 0;
  for (let i = 0; i < ladder.count && sum < qty; i++) {
    const price = ladder.price[i]!;
    if (!Number.isNaN(limit) && (buy ? price > limit : price < limit)) break;
    sum += ladder.qty[i]! - taken.takenAt(price, ladder.qty[i]!);
  }
  return sum >= qty;
}
