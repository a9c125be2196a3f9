import { feeText } from '../../src/model/decimal.js';
import type { Instrument } from '../../src/model/instrument.js';
import { toVenueOrders, type CancelRequest, type OrderBatch, type ReportSink, type VenueAdapter, type VenueOrder } from '../../src/execution/venue.js';
import { Prng } from './prng.js';

export interface PaperVenueOptions {
  readonly name: string;
  /** Instruments the venue lists, with the mid price (ticks) the simulated quote starts from. */
  readonly markets: readonly { readonly instrument: Instrument; readonly startMidTicks: number }[];
  readonly makerBps: string;
  readonly takerBps: string;
  /** One-way latency applied to every order and cancel, in ms. */
  readonly latencyMs: number;
  readonly seed: number;
  /** Quoted spread in ticks (>= 1). */
  readonly spreadTicks: number;
  /** Largest random-walk step of the mid per interval, in ticks. */
  readonly volatilityTicks: number;
  /** Interval of the random walk, in ms. */
  readonly stepMs: number;
}

interface Resting {
  readonly order: VenueOrder;
  /** STOP_LIMIT after its trigger rests as a limit order. */
  triggered: boolean;
}

interface Market {
  readonly instrument: Instrument;
  mid: number;
  readonly resting: Resting[];
}

/**
 * Paper venue on a simulated quote: a seeded random-walk mid with a fixed spread. Marketable orders fill in
 * full at the quote (taker fee); resting limit orders fill at their price when the quote reaches them (maker
 * fee); stops trigger when the quote passes them. Every order and cancel arrives after the configured latency.
 */
export class QuotePaperVenue implements VenueAdapter {
  readonly name: string;
  private readonly markets = new Map<string, Market>();
  private readonly prng: Prng;
  private readonly timers = new Set<NodeJS.Timeout>();
  private walk: NodeJS.Timeout | undefined;
  private seq = 0;

  constructor(
    private readonly options: PaperVenueOptions,
    private readonly sink: ReportSink,
  ) {
    this.name = options.name;
    this.prng = new Prng(options.seed);
    if (options.spreadTicks < 1) throw new RangeError('spreadTicks must be >= 1');
    for (const m of options.markets) {
      this.markets.set(m.instrument.symbol, { instrument: m.instrument, mid: m.startMidTicks, resting: [] });
    }
  }

  async start(): Promise<void> {
    this.walk = setInterval(() => this.step(), this.options.stepMs);
    this.walk.unref();
  }

  async stop(): Promise<void> {
    if (this.walk !== undefined) clearInterval(this.walk);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Best bid and ask in ticks. */
  quote(symbol: string): { bid: number; ask: number } | undefined {
    const m = this.markets.get(symbol);
    return m === undefined ? undefined : this.quoteOf(m);
  }

  submit(batch: OrderBatch): void {
    const orders = toVenueOrders(batch);
    this.later(() => {
      for (const o of orders) this.arrive(o);
    });
  }

  cancel(request: CancelRequest): void {
    this.later(() => {
      const m = this.markets.get(request.instrument.symbol);
      const i = m === undefined ? -1 : m.resting.findIndex((r) => r.order.orderId === request.orderId);
      if (m === undefined || i < 0) {
        this.sink.report(this.name, { kind: 'CANCEL_REJECTED', orderId: request.orderId, reason: 'unknown order' });
        return;
      }
      m.resting.splice(i, 1);
      this.sink.report(this.name, { kind: 'CANCELED', orderId: request.orderId });
    });
  }

  private later(fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, this.options.latencyMs);
    this.timers.add(t);
  }

  private quoteOf(m: Market): { bid: number; ask: number } {
    const below = Math.floor(this.options.spreadTicks / 2);
    return { bid: m.mid - below, ask: m.mid - below + this.options.spreadTicks };
  }

  private arrive(o: VenueOrder): void {
    const m = this.markets.get(o.instrument.symbol);
    if (m === undefined) {
      this.sink.report(this.name, { kind: 'REJECTED', orderId: o.orderId, reason: `${o.instrument.symbol} is not listed` });
      return;
    }
    const q = this.quoteOf(m);
    const touch = o.side === 'BUY' ? q.ask : q.bid;
    const crosses = o.type === 'MARKET' || (o.type === 'LIMIT' && (o.side === 'BUY' ? o.priceTicks >= touch : o.priceTicks <= touch));
    if (o.postOnly && crosses) {
      this.sink.report(this.name, { kind: 'REJECTED', orderId: o.orderId, reason: 'post-only order would cross' });
      return;
    }
    this.sink.report(this.name, { kind: 'ACCEPTED', orderId: o.orderId, venueOrderId: `${this.name}-${++this.seq}` });
    if (crosses) {
      this.fill(o, touch, 'TAKER');
    } else if (o.type === 'LIMIT' && o.timeInForce !== 'GTC') {
      this.sink.report(this.name, { kind: 'EXPIRED', orderId: o.orderId, reason: `${o.timeInForce} order found no liquidity at its price` });
    } else {
      m.resting.push({ order: o, triggered: false });
      this.match(m);
    }
  }

  private step(): void {
    const v = this.options.volatilityTicks;
    for (const m of this.markets.values()) {
      m.mid = Math.max(this.options.spreadTicks + 1, m.mid + this.prng.int(-v, v));
      this.match(m);
    }
  }

  /** Fill or trigger whatever the current quote reaches. */
  private match(m: Market): void {
    const q = this.quoteOf(m);
    for (let i = 0; i < m.resting.length; i++) {
      const r = m.resting[i]!;
      const o = r.order;
      const buy = o.side === 'BUY';
      if ((o.type === 'STOP' || o.type === 'STOP_LIMIT') && !r.triggered) {
        const last = buy ? q.ask : q.bid;
        if (buy ? last < o.stopTicks : last > o.stopTicks) continue;
        r.triggered = true;
        this.sink.report(this.name, { kind: 'TRIGGERED', orderId: o.orderId });
        if (o.type === 'STOP') {
          m.resting.splice(i--, 1);
          this.fill(o, last, 'TAKER');
          continue;
        }
      }
      if (buy ? q.ask <= o.priceTicks : q.bid >= o.priceTicks) {
        m.resting.splice(i--, 1);
        this.fill(o, o.priceTicks, 'MAKER');
      }
    }
  }

  private fill(o: VenueOrder, priceTicks: number, liquidity: 'MAKER' | 'TAKER'): void {
    const bps = liquidity === 'MAKER' ? this.options.makerBps : this.options.takerBps;
    this.sink.report(this.name, {
      kind: 'FILL',
      orderId: o.orderId,
      tradeId: `${this.name}-t${++this.seq}`,
      priceTicks,
      qtyLots: o.qtyLots,
      fee: feeText(o.instrument.tick, o.instrument.lot, priceTicks, o.qtyLots, bps),
      liquidity,
    });
  }
}
