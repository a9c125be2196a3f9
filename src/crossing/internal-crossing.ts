/**
 * Internal crossing: our own strategies' opposing orders match each other before anything goes to a venue.
 *
 * An order of a strategy with `crossing.enabled` (not pinned to a venue, not post-only, not a stop) is SUBMITTED
 * to venue `internal` and entered in that symbol's crossing book (the matching engine, price-time priority, owner =
 * strategy, self-trade prevention CANCEL_NEWEST so a strategy never trades with itself). What it matches fills at
 * the resting order's price with fee 0, through the same lifecycle, events and metrics as venue fills. The rest:
 *  - GTC LIMIT: waits in the crossing book at most the strategy's `windowMs`, then is taken out and routed to a
 *    venue (lifecycle event ROUTE); window 0 = match only what rests, route the rest at once;
 *  - MARKET and IOC: routed at once; FOK: fills here completely or goes to a venue whole.
 * An order is never live in the crossing book and at a venue at the same time: it leaves the book before it is
 * routed. A cancel of an order in the crossing book is answered here, synchronously.
 */
import type { OrderStore } from '../core/order-store.js';
import { BUY, TIF_CODE, TYPE_CODE, NO_VENUE } from '../core/order-store.js';
import type { OrderTracker } from '../core/order-tracker.js';
import type { CancelRequest, OrderBatch, VenueAdapter } from '../execution/venue.js';
import type { Clock } from '../model/clock.js';
import { addDecimal, feeText } from '../model/decimal.js';
import type { InstrumentRegistry } from '../model/instrument.js';
import type { OrderUpdate } from '../model/lifecycle.js';
import { OrderBook } from '../matching/order-book.js';
import { CancelReason, OrderType, Side, Status, StpMode, type CrossingSink } from '../matching/types.js';

export const INTERNAL_VENUE = 'internal';

export interface CrossingSettings {
  /** Per strategy: 1 = crossing enabled. */
  readonly enabled: Uint8Array;
  /** Per strategy: crossing window in ms. */
  readonly windowMs: Float64Array;
}

export interface CrossingCounters {
  /** Base quantity crossed (both sides of a match counted once), and the taker fees not paid, in quote units. */
  /** `feesSaved`: quote currency, exact decimal text. */
  crossed(symbolIndex: number, qtyLots: number, feesSaved: string): void;
}

/** What the crossing needs from the dispatcher: route an order's rest to a venue. */
export interface Releaser {
  release(slot: number): void;
}

const LIMIT = TYPE_CODE.LIMIT;
const MARKET = TYPE_CODE.MARKET;
const GTC = TIF_CODE.GTC;
const IOC = TIF_CODE.IOC;
const FOK = TIF_CODE.FOK;
const WAITING_CAPACITY = 1 << 16;

export class InternalCrossing implements VenueAdapter, CrossingSink {
  readonly name = INTERNAL_VENUE;
  private readonly books: (OrderBook | undefined)[];
  private readonly submitUpdate: OrderUpdate;
  private readonly canceledUpdate: OrderUpdate = { kind: 'CANCELED' };
  /** Slots whose rest must be routed once the engine call returns (no re-entry into a book from its sink). */
  private readonly toRelease: Int32Array;
  private releaseCount = 0;
  /** Resting orders in window order, per strategy: slot, order id and deadline, in rings. */
  private readonly waitSlot: Int32Array;
  private readonly waitId: Float64Array;
  private readonly waitDeadline: Float64Array;
  private readonly waitHead: Int32Array;
  private readonly waitCount: Int32Array;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  /** True while the window expiry takes an order out (its cancel event means "route it", not "canceled"). */
  private expiring = false;
  private tradeSeq = 0;
  private releaser: Releaser | undefined;

  constructor(
    private readonly store: OrderStore,
    private readonly tracker: OrderTracker,
    private readonly instruments: InstrumentRegistry,
    private readonly settings: CrossingSettings,
    private readonly clock: Clock,
    private readonly counters: CrossingCounters,
    /** Taker fee in bps (decimal text) that an order of this symbol and size would pay at the venue it would go to. */
    private readonly takerBps: (symbolIndex: number, qtyLots: number) => string,
  ) {
    this.books = instruments.list.map(() => undefined);
    this.submitUpdate = { kind: 'SUBMIT', venue: INTERNAL_VENUE };
    this.toRelease = new Int32Array(1024);
    const strategies = settings.enabled.length;
    this.waitSlot = new Int32Array(strategies * WAITING_CAPACITY);
    this.waitId = new Float64Array(strategies * WAITING_CAPACITY);
    this.waitDeadline = new Float64Array(strategies * WAITING_CAPACITY);
    this.waitHead = new Int32Array(strategies);
    this.waitCount = new Int32Array(strategies);
  }

  setReleaser(releaser: Releaser): void {
    this.releaser = releaser;
  }

  /** Orders resting in the crossing books. */
  get resting(): number {
    let n = 0;
    for (const b of this.books) if (b !== undefined) n += b.restingCount;
    return n;
  }

  /** The dispatcher offers every order that passed risk; true when the crossing book took it. */
  offer(slot: number): boolean {
    const s = this.store;
    const strategy = s.strategy[slot]!;
    if (this.settings.enabled[strategy] !== 1 || s.pinned[slot] !== NO_VENUE || s.postOnly[slot] === 1) return false;
    const type = s.type[slot]!;
    const tif = s.tif[slot]!;
    let engineType: number;
    if (type === MARKET) engineType = OrderType.MARKET;
    else if (type !== LIMIT) return false;
    else if (tif === GTC) engineType = this.settings.windowMs[strategy]! > 0 ? OrderType.LIMIT : OrderType.IOC;
    else if (tif === IOC) engineType = OrderType.IOC;
    else if (tif === FOK) engineType = OrderType.FOK;
    else return false;
    this.tracker.applySlot(slot, this.submitUpdate);
    this.enter(slot, engineType);
    return true;
  }

  /**
   * An order the journal says was resting in the crossing book when the daemon stopped: back into the book (a new
   * window starts now); one that was only passing through (IOC, market, FOK) goes on to a venue.
   */
  restore(slot: number): void {
    const s = this.store;
    const resting = s.type[slot] === LIMIT && s.tif[slot] === GTC && this.settings.windowMs[s.strategy[slot]!]! > 0;
    if (resting) this.enter(slot, OrderType.LIMIT);
    else {
      this.queueRelease(slot);
      this.drainReleases();
    }
  }

  private enter(slot: number, type: number): void {
    const s = this.store;
    const strategy = s.strategy[slot]!;
    const engineType = this.waitCount[strategy] === WAITING_CAPACITY && type === OrderType.LIMIT ? OrderType.IOC : type;
    const book = this.book(s.symbol[slot]!);
    const st = book.submit(
      slot, strategy, s.side[slot] === BUY ? Side.BUY : Side.SELL, engineType,
      engineType === OrderType.MARKET ? 0 : s.priceTicks[slot]!, s.qtyLots[slot]! - s.filledLots[slot]!, StpMode.CANCEL_NEWEST,
    );
    if (st !== Status.OK) this.queueRelease(slot); // the engine refused it: the venue gets the whole order
    this.drainReleases();
  }

  // VenueAdapter: the crossing book as the venue of the orders resting in it.
  async start(): Promise<void> {}

  submit(_batch: OrderBatch): void {
    throw new Error('the crossing book takes orders through offer(), not in batches');
  }

  /** A cancel of an order in the crossing book is answered here: no venue is asked (the strategies' cancel rate). */
  venueCancels(): number {
    return 0;
  }

  cancel(request: CancelRequest): void {
    const slot = this.store.slotOf(request.orderId);
    const book = slot < 0 ? undefined : this.books[this.store.symbol[slot]!];
    if (book === undefined || book.cancel(slot) !== Status.OK) {
      if (slot >= 0) this.tracker.applySlot(slot, { kind: 'CANCEL_REJECT', reason: 'not in the crossing book' });
    }
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  // CrossingSink
  onAccept(): void {}

  onTrigger(): void {}

  onFill(makerId: number, takerId: number, _mo: number, _to: number, price: number, qty: number): void {
    const sym = this.store.symbol[takerId]!;
    const trade = `x${++this.tradeSeq}`;
    const ts = this.clock.now();
    const ins = this.instruments.at(sym);
    this.tracker.applySlot(makerId, fillUpdate(this.store.id[makerId]!, trade, price, qty, 'MAKER', ts, ins.quote));
    this.tracker.applySlot(takerId, fillUpdate(this.store.id[takerId]!, trade, price, qty, 'TAKER', ts, ins.quote));
    // The fees (quote currency, exact) each side would have paid as a taker at the venue it would have gone to.
    const bps = addDecimal(this.takerBps(sym, this.store.qtyLots[makerId]!), this.takerBps(sym, this.store.qtyLots[takerId]!));
    this.counters.crossed(sym, qty, feeText(ins.tick, ins.lot, price, qty, bps));
  }

  onRest(id: number, owner: number): void {
    const windowMs = this.settings.windowMs[owner]!;
    const q = owner * WAITING_CAPACITY + ((this.waitHead[owner]! + this.waitCount[owner]!) % WAITING_CAPACITY);
    const deadline = this.clock.now() + windowMs;
    this.waitSlot[q] = id;
    this.waitId[q] = this.store.id[id]!;
    this.waitDeadline[q] = deadline;
    this.waitCount[owner]!++;
    this.arm(deadline);
  }

  onCancel(id: number, _owner: number, _cancelled: number, remaining: number, reason: number): void {
    if (remaining > 0) return;
    if (reason === CancelReason.USER && !this.expiring) {
      this.tracker.applySlot(id, this.canceledUpdate);
      return;
    }
    // Window over, IOC/market remainder, FOK not fillable here, or a strategy meeting itself: to a venue.
    this.queueRelease(id);
  }

  private queueRelease(slot: number): void {
    if (this.releaseCount === this.toRelease.length) {
      this.drainReleases();
    }
    this.toRelease[this.releaseCount++] = slot;
  }

  private drainReleases(): void {
    const r = this.releaser!;
    for (let i = 0; i < this.releaseCount; i++) r.release(this.toRelease[i]!);
    this.releaseCount = 0;
  }

  private book(symbol: number): OrderBook {
    let b = this.books[symbol];
    if (b === undefined) this.books[symbol] = b = new OrderBook(this, { initialCapacity: 1024 });
    return b;
  }

  private arm(deadline: number): void {
    if (deadline >= this.timerAt) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = deadline;
    this.timer = setTimeout(this.expire, Math.max(0, deadline - this.clock.now()));
  }

  /** Take out every order whose window has ended and route its rest. */
  private readonly expire = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    let next = Infinity;
    for (let s = 0; s < this.waitCount.length; s++) {
      while (this.waitCount[s]! > 0) {
        const q = s * WAITING_CAPACITY + this.waitHead[s]!;
        if (this.waitDeadline[q]! > now) {
          next = Math.min(next, this.waitDeadline[q]!);
          break;
        }
        this.waitHead[s] = (this.waitHead[s]! + 1) % WAITING_CAPACITY;
        this.waitCount[s]!--;
        const slot = this.waitSlot[q]!;
        if (this.store.id[slot] !== this.waitId[q]) continue; // long gone
        const book = this.books[this.store.symbol[slot]!];
        if (book === undefined || !book.has(slot)) continue; // filled or canceled meanwhile
        this.expiring = true;
        book.cancel(slot);
        this.expiring = false;
      }
    }
    this.drainReleases();
    if (next !== Infinity) this.arm(next);
  };
}

function fillUpdate(orderId: number, tradeId: string, priceTicks: number, qtyLots: number, liquidity: 'MAKER' | 'TAKER', ts: number, quote: string): OrderUpdate {
  // No fee is charged on an internal cross (quote currency); the match happens here, so its venue time is ours.
  return { kind: 'FILL', fill: { orderId, tradeId, venue: INTERNAL_VENUE, priceTicks, qtyLots, fee: '0', feeCurrency: quote, feeEstimated: false, liquidity, ts, venueTs: ts } };
}
