/**
 * The paper venue's synthetic market: per symbol, a seeded market maker keeps a ladder of liquidity around a
 * random-walk mid, and simulated other traders send market orders at a configured rate. It drives the venue's books
 * through the venue's engine access (PaperEngine); deterministic for a given seed.
 */
import { OrderInfo, OrderType, Side } from '../../src/matching/index.js';
import type { Instrument } from '../../src/model/instrument.js';
import { OWNER_FLOW, OWNER_MM, type Market, type PaperEngine } from './paper-market.js';
import { Prng } from './prng.js';

export interface SimulationOptions {
  readonly seed: number;
  /** Spread of the market maker's best quotes, in ticks (>= 1). */
  readonly spreadTicks: number;
  /** Largest random-walk step of the mid per interval, in ticks. */
  readonly volatilityTicks: number;
  /** Levels quoted on each side. */
  readonly depthLevels: number;
  /** Average quote value per level, as a number (simulation only). */
  readonly levelNotional: number;
  /** Average trades per second by simulated other traders. */
  readonly tradesPerSecond: number;
  /** Simulation interval in ms. */
  readonly stepMs: number;
}

export class SimulatedMarket {
  private readonly prng: Prng;
  private readonly info = new Float64Array(OrderInfo.LENGTH);

  constructor(private readonly options: SimulationOptions, private readonly engine: PaperEngine) {
    this.prng = new Prng(options.seed);
    if (options.spreadTicks < 1) throw new RangeError('spreadTicks must be >= 1');
  }

  /** Lots per quoted level: `levelNotional` at the start mid, at least the instrument's minimum. */
  levelLots(ins: Instrument, startMidTicks: number): number {
    const notionalPerLot = Number(ins.notional.toText(startMidTicks)); // quote value of one lot at the mid
    return Math.max(ins.minQtyLots, Math.round(this.options.levelNotional / notionalPerLot));
  }

  /** One simulation interval of every market: the mid walks, the ladder follows, other traders trade. */
  step(markets: readonly Market[]): void {
    const v = this.options.volatilityTicks;
    const tradeChance = (this.options.tradesPerSecond * this.options.stepMs) / 1000;
    for (const m of markets) {
      m.mid = Math.max(this.options.spreadTicks + this.options.depthLevels + 1, m.mid + this.prng.int(-v, v));
      this.requote(m);
      // Other traders: on average tradesPerSecond market orders, each a fraction of a level up to 1.5 levels.
      let trades = Math.floor(tradeChance);
      if (this.prng.next() < tradeChance - trades) trades++;
      for (let i = 0; i < trades; i++) {
        const side = this.prng.next() < 0.5 ? Side.BUY : Side.SELL;
        const qty = Math.max(1, Math.round(m.levelLots * (0.1 + 1.4 * this.prng.next())));
        this.engine.submitTo(m, this.engine.nextSimId(), OWNER_FLOW, side, OrderType.MARKET, 0, qty);
      }
    }
  }

  /**
   * Keep the market maker's ladder around the mid: quotes that would now cross or are beyond the ladder are
   * canceled, missing levels are added; a level that is already quoted keeps its place in the queue.
   */
  requote(m: Market): void {
    const half = Math.floor(this.options.spreadTicks / 2);
    const bestBid = m.mid - half;
    const bestAsk = bestBid + this.options.spreadTicks;
    const levels = this.options.depthLevels;
    for (const [price, id] of m.quotes) {
      // The quote's own side, not its price against the new mid: after a step of more than half the spread, a bid
      // can be above the mid (and an ask below it); judged as the other side it was kept, crossing the new ladder.
      if (!m.book.getOrder(id, this.info)) {
        forgetQuote(m, id); // not in the book any more (never expected: fills and cancels forget their quotes)
        continue;
      }
      const isBid = this.info[OrderInfo.SIDE] === Side.BUY;
      const keep = isBid ? price <= bestBid && price > bestBid - levels : price >= bestAsk && price < bestAsk + levels;
      if (!keep) this.engine.on(m, () => m.book.cancel(id)); // onCancel forgets it
    }
    for (let k = 0; k < levels; k++) {
      this.quoteLevel(m, Side.BUY, bestBid - k);
      this.quoteLevel(m, Side.SELL, bestAsk + k);
    }
  }

  private quoteLevel(m: Market, side: number, price: number): void {
    if (price < 1 || m.quotes.has(price)) return;
    const qty = Math.max(1, Math.round(m.levelLots * (0.5 + this.prng.next())));
    const id = this.engine.nextSimId();
    m.quotes.set(price, id);
    m.quotePrice.set(id, price);
    // The market maker never takes: a level the other side already reaches is refused (and forgotten) this round.
    this.engine.on(m, () => m.book.submit(id, OWNER_MM, side, OrderType.POST_ONLY, price, qty));
  }
}

/** A market maker order left the book (taken out or canceled): its level is no longer quoted. */
export function forgetQuote(m: Market | undefined, id: number): void {
  const price = m?.quotePrice.get(id);
  if (m === undefined || price === undefined) return;
  m.quotePrice.delete(id);
  if (m.quotes.get(price) === id) m.quotes.delete(price);
}
