/**
 * Venue core shared by the fake Binance and fake OKX servers: instruments, accounts with balances, order and
 * fill records, and one crossing-engine OrderBook per instrument doing the matching (public API of src/crossing only).
 *
 * The protocol layers (fake-binance.ts, fake-okx.ts) validate requests and format answers; this module keeps the
 * venue's own records and emits neutral events (NEW / TRADE / CANCELED / EXPIRED, balance changes) that the protocol
 * layers turn into executionReports or `orders` channel pushes.
 *
 * Owner 0 is the liquidity account (the seeded ladder), unlimited. Other accounts come from the options.
 * Fees: zero unless configured (`fees` per venue or per account: maker/taker rates as decimal fractions, e.g.
 * '0.001' = 10 bps), charged as the spot venues do: in the asset received (base for a buy, quote for a sell),
 * truncated to 8 decimals, and taken out of that balance. Self-trade prevention is off (STP NONE) as on a venue account with no STP configured.
 */
import { randomSource } from '../../adapters/paper/prng.js';
import { CancelReason, type CrossingSink, OrderBook, OrderType, Side } from '../../src/matching/index.js';
import { Grid, lotsForQuote, notional, parseAmount } from './decimal.js';

export type OrderSide = 'BUY' | 'SELL';
/** LIMIT (GTC/IOC/FOK by tif), MARKET (by base quantity or by quote amount), LIMIT_MAKER (post only). */
export type OrderKind = 'LIMIT' | 'MARKET' | 'LIMIT_MAKER';
export type TimeInForce = 'GTC' | 'IOC' | 'FOK';
export type OrderStatus = 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'EXPIRED';
/** AMENDED: the order's price or quantity changed in place (OKX amend-order; Binance's REPLACED, keepPriority). */
export type ExecType = 'NEW' | 'TRADE' | 'CANCELED' | 'EXPIRED' | 'AMENDED';
/** Why an order left the book without filling completely. */
export type EndReason = 'USER' | 'ADMIN' | 'IOC' | 'FOK' | 'MARKET' | 'POST_ONLY' | 'STP';

export interface InstrumentSpec {
  /** Canonical name used by tests and the admin API: 'BTC-USDT'. */
  symbol: string;
  base: string;
  quote: string;
  tickSize: string;
  stepSize: string;
  minQty: string;
  maxQty: string;
  minPrice: string;
  maxPrice: string;
  minNotional: string;
  maxNotional: string;
}

/** Resting liquidity of owner 0: `levels` bids below and asks above `mid`, `spacing` apart, `qty` each. */
export interface LadderSpec {
  mid: string;
  levels: number;
  spacing: string;
  qty: string;
  /** When set, each level's quantity is qty * (1 ± qtyJitter * u) with u from a PRNG seeded by `seed`. */
  seed?: number;
  qtyJitter?: number;
}

export interface AccountSpec {
  name: string;
  apiKey: string;
  secret: string;
  passphrase?: string;
  /** Initial free balances, decimal strings. */
  balances?: Record<string, string>;
  /** Balances are not checked nor changed. */
  unlimited?: boolean;
  /** This account's fee rates (default: the venue's `fees`, else zero). */
  fees?: FeeRates;
}

/** Fee rates as decimal fractions of the amount received ('0.001' = 0.1 %); negative = rebate. */
export interface FeeRates {
  maker: string;
  taker: string;
}

export interface VenueCoreOptions {
  instruments: InstrumentSpec[];
  /** Ladder per canonical symbol; missing or null = empty book. */
  ladders?: Record<string, LadderSpec | null | undefined>;
  accounts: AccountSpec[];
  /** Fee rates for every account without its own (default: zero). */
  fees?: FeeRates;
  now?: () => number;
  /** First order id handed out (default 1). */
  firstOrderId?: number;
  firstTradeId?: number;
}

export interface Instrument {
  spec: InstrumentSpec;
  price: Grid;
  lot: Grid;
  book: OrderBook;
}

export interface Account {
  owner: number;
  name: string;
  apiKey: string;
  secret: string;
  passphrase: string;
  unlimited: boolean;
  free: Map<string, bigint>;
  locked: Map<string, bigint>;
}

export interface VenueFill {
  tradeId: number;
  orderId: number;
  owner: number;
  symbol: string;
  side: OrderSide;
  /** Ticks. */
  price: number;
  /** Lots. */
  qty: number;
  /** price * qty. */
  quote: bigint;
  maker: boolean;
  time: number;
  /** Fee charged (negative: rebate) in feeAsset, an amount (10^-18 units) with at most 8 decimals. */
  fee: bigint;
  feeAsset: string;
}

export interface VenueOrder {
  id: number;
  owner: number;
  symbol: string;
  clientOrderId: string;
  side: OrderSide;
  kind: OrderKind;
  tif: TimeInForce;
  /** Ticks; 0 for MARKET. */
  price: number;
  /** Lots ordered (for quote-amount MARKET orders: lots the quote amount could buy when placed). */
  qty: number;
  /** Quote amount requested by a quote-sized MARKET order (Binance quoteOrderQty, OKX tgtCcy=quote_ccy). */
  quoteQty: bigint | null;
  filled: number;
  cumQuote: bigint;
  status: OrderStatus;
  endReason: EndReason | null;
  created: number;
  updated: number;
  /** The order is (or was, for done orders) on the book. */
  rested: boolean;
  fills: VenueFill[];
  /** Venue-specific fields kept by the protocol layer (OKX tag, tgtCcy, ordType …). */
  extra: Record<string, unknown>;
  /** Still-locked reservation in the reserve asset (quote for buys, base for sells). */
  reserved: bigint;
}

export type OrderEvent = {
  type: 'order';
  owner: number;
  exec: ExecType;
  /** A copy of the order as it was right after this event. */
  order: VenueOrder;
  fill?: VenueFill;
  time: number;
};
export type BalanceEvent = { type: 'balance'; owner: number; assets: string[]; time: number };
export type VenueEvent = OrderEvent | BalanceEvent;

export interface PlaceRequest {
  symbol: string;
  side: OrderSide;
  kind: OrderKind;
  tif: TimeInForce;
  priceTicks?: number;
  qtyLots?: number;
  /** MARKET only: spend (buy) or receive (sell) this quote amount instead of a base quantity. */
  quoteQty?: bigint;
  clientOrderId: string;
  extra?: Record<string, unknown>;
}

export type PlaceRejection = 'UNKNOWN_SYMBOL' | 'DUPLICATE_CLIENT_ID' | 'INSUFFICIENT_BALANCE' | 'ENGINE';
export type PlaceResult = { ok: true; order: VenueOrder } | { ok: false; reason: PlaceRejection; detail?: string };
export type CancelResult = { ok: true; order: VenueOrder } | { ok: false; reason: 'UNKNOWN_ORDER' | 'NOT_OPEN'; order?: VenueOrder };
/**
 * An amend in place: UNKNOWN_ORDER, NOT_OPEN (filled, canceled, expired, or not resting), QTY (the new total is not
 * above what filled), WOULD_CROSS (a post-only order's new price would take), INSUFFICIENT_BALANCE (an increase).
 */
export type AmendResult = { ok: true; order: VenueOrder; keptPriority: boolean }
  | { ok: false; reason: 'UNKNOWN_ORDER' | 'NOT_OPEN' | 'QTY' | 'WOULD_CROSS' | 'INSUFFICIENT_BALANCE'; order?: VenueOrder };

export interface OrderRef {
  id?: number;
  clientOrderId?: string;
}

const END_EXEC: Record<EndReason, ExecType> = {
  USER: 'CANCELED',
  ADMIN: 'CANCELED',
  IOC: 'EXPIRED',
  FOK: 'EXPIRED',
  MARKET: 'EXPIRED',
  POST_ONLY: 'EXPIRED',
  STP: 'EXPIRED',
};

export function isOpen(o: VenueOrder): boolean {
  return o.status === 'NEW' || o.status === 'PARTIALLY_FILLED';
}

export function copyOrder(o: VenueOrder): VenueOrder {
  return { ...o, fills: o.fills.slice(), extra: { ...o.extra } };
}

export class VenueCore {
  readonly now: () => number;
  readonly instruments = new Map<string, Instrument>();
  readonly accounts: Account[] = [];
  private readonly options: VenueCoreOptions;
  private readonly orders = new Map<number, VenueOrder>();
  /** owner -> clientOrderId -> open order. */
  private readonly openByClientId = new Map<number, Map<string, VenueOrder>>();
  /** owner -> clientOrderId -> latest order with that id. */
  private readonly latestByClientId = new Map<number, Map<string, VenueOrder>>();
  private readonly allFills: VenueFill[] = [];
  private readonly listeners = new Set<(ev: VenueEvent) => void>();
  private outbox: VenueEvent[] = [];
  private touched = new Map<number, Set<string>>();
  private nextOrderId: number;
  private nextTradeId: number;
  private liquidityCounter = 0;
  /** Order id whose engine cancel must not end the order (fillOrder taking the last lots). */
  private silentCancel = -1;
  /** An order an amend puts back in the book (its engine accept is not a new order). */
  private silentAccept = -1;
  private readonly depthPrices = new Float64Array(4096);
  private readonly depthQtys = new Float64Array(4096);

  constructor(options: VenueCoreOptions) {
    this.options = options;
    this.now = options.now ?? (() => Date.now());
    this.nextOrderId = options.firstOrderId ?? 1;
    this.nextTradeId = options.firstTradeId ?? 1;
    for (const spec of options.instruments) {
      const inst: Instrument = {
        spec,
        price: new Grid(spec.tickSize),
        lot: new Grid(spec.stepSize),
        book: undefined as unknown as OrderBook,
      };
      inst.book = new OrderBook(this.sinkFor(inst), { initialCapacity: 1024 });
      this.instruments.set(spec.symbol, inst);
    }
    this.accounts.push(this.makeAccount({ name: 'liquidity', apiKey: '', secret: '', unlimited: true }, 0));
    for (const a of options.accounts) this.accounts.push(this.makeAccount(a, this.accounts.length));
    this.seedAll();
  }

  // ------------------------------------------------------------------ accounts

  private makeAccount(spec: AccountSpec, owner: number): Account {
    const free = new Map<string, bigint>();
    for (const [asset, text] of Object.entries(spec.balances ?? {})) {
      const v = parseAmount(text);
      if (v === undefined) throw new RangeError(`bad balance ${asset}=${text}`);
      free.set(asset, v);
    }
    return {
      owner,
      name: spec.name,
      apiKey: spec.apiKey,
      secret: spec.secret,
      passphrase: spec.passphrase ?? '',
      unlimited: spec.unlimited === true,
      free,
      locked: new Map(),
    };
  }

  accountByKey(apiKey: string | undefined): Account | undefined {
    if (apiKey === undefined || apiKey === '') return undefined;
    return this.accounts.find((a) => a.owner !== 0 && a.apiKey === apiKey);
  }

  accountByName(name: string): Account | undefined {
    return this.accounts.find((a) => a.name === name);
  }

  /** Assets with a non-zero or configured balance, plus every instrument's base and quote. */
  assets(): string[] {
    const set = new Set<string>();
    for (const inst of this.instruments.values()) {
      set.add(inst.spec.base);
      set.add(inst.spec.quote);
    }
    for (const a of this.accounts) for (const k of a.free.keys()) set.add(k);
    return [...set].sort();
  }

  balance(owner: number, asset: string): { free: bigint; locked: bigint } {
    const a = this.accounts[owner];
    return { free: a.free.get(asset) ?? 0n, locked: a.locked.get(asset) ?? 0n };
  }

  private addBalance(owner: number, map: 'free' | 'locked', asset: string, delta: bigint): void {
    const a = this.accounts[owner];
    if (a.unlimited || delta === 0n) return;
    const m = a[map];
    m.set(asset, (m.get(asset) ?? 0n) + delta);
    let set = this.touched.get(owner);
    if (set === undefined) this.touched.set(owner, (set = new Set()));
    set.add(asset);
  }

  // ------------------------------------------------------------------ events

  onEvent(listener: (ev: VenueEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private pushOrderEvent(o: VenueOrder, exec: ExecType, fill?: VenueFill): void {
    if (o.owner === 0) return;
    this.outbox.push({ type: 'order', owner: o.owner, exec, order: copyOrder(o), fill, time: this.now() });
  }

  /** Delivers the events buffered during one engine call (listeners may call back into the core). */
  private flush(): void {
    const now = this.now();
    for (const [owner, assets] of this.touched) {
      this.outbox.push({ type: 'balance', owner, assets: [...assets].sort(), time: now });
    }
    this.touched = new Map();
    const events = this.outbox;
    this.outbox = [];
    for (const ev of events) {
      for (const l of this.listeners) {
        try {
          l(ev);
        } catch {
          // a listener failing must not break the venue
        }
      }
    }
  }

  // ------------------------------------------------------------------ engine sink

  private sinkFor(inst: Instrument): CrossingSink {
    const core = this;
    return {
      onAccept(id: number): void {
        if (id === core.silentAccept) return;
        const o = core.orders.get(id);
        if (o !== undefined) core.pushOrderEvent(o, 'NEW');
      },
      onFill(makerId: number, takerId: number, _mo: number, _to: number, price: number, qty: number): void {
        const t = core.now();
        const tradeId = core.nextTradeId++;
        const maker = core.orders.get(makerId);
        const taker = core.orders.get(takerId);
        if (maker !== undefined) core.applyFill(inst, maker, tradeId, price, qty, true, t);
        if (taker !== undefined) core.applyFill(inst, taker, tradeId, price, qty, false, t);
      },
      onCancel(id: number, _owner: number, _cancelled: number, remaining: number, reason: number): void {
        const o = core.orders.get(id);
        if (o === undefined || remaining > 0 || id === core.silentCancel) return;
        let end: EndReason;
        switch (reason) {
          case CancelReason.USER:
            end = o.endReason ?? 'USER';
            break;
          case CancelReason.IOC_REMAINDER:
            end = 'IOC';
            break;
          case CancelReason.FOK_KILL:
            end = 'FOK';
            break;
          case CancelReason.MARKET_REMAINDER:
            end = 'MARKET';
            break;
          case CancelReason.POST_ONLY_REJECT:
            end = 'POST_ONLY';
            break;
          default:
            end = 'STP';
        }
        core.finish(inst, o, end);
      },
      onTrigger(): void {},
      onRest(id: number): void {
        const o = core.orders.get(id);
        if (o !== undefined) o.rested = true;
      },
    };
  }

  /** Fee on `received` (an amount) for an owner: rate x amount, truncated to 8 decimals (the venues' precision). */
  private feeFor(owner: number, maker: boolean, received: bigint): bigint {
    if (owner === 0) return 0n;
    const spec = this.options.accounts[owner - 1];
    const rates = spec?.fees ?? this.options.fees;
    if (rates === undefined) return 0n;
    const rate = parseSignedRate(maker ? rates.maker : rates.taker);
    const raw = (received * rate) / 10n ** 18n;
    const unit = 10n ** 10n; // 18 - 8 decimals
    return (raw / unit) * unit;
  }

  private applyFill(inst: Instrument, o: VenueOrder, tradeId: number, price: number, qty: number, maker: boolean, time: number): void {
    const quote = notional(inst.price, price, inst.lot, qty);
    const base = inst.lot.amount(qty);
    const fill: VenueFill = {
      tradeId,
      orderId: o.id,
      owner: o.owner,
      symbol: o.symbol,
      side: o.side,
      price,
      qty,
      quote,
      maker,
      time,
      fee: 0n,
      feeAsset: o.side === 'BUY' ? inst.spec.base : inst.spec.quote,
    };
    fill.fee = this.feeFor(o.owner, maker, o.side === 'BUY' ? base : quote);
    o.fills.push(fill);
    o.filled += qty;
    o.cumQuote += quote;
    o.updated = time;
    if (o.owner !== 0) this.allFills.push(fill);
    // balances
    const { base: b, quote: q } = inst.spec;
    if (o.side === 'BUY') {
      let consume = o.price > 0 ? notional(inst.price, o.price, inst.lot, qty) : quote;
      if (consume > o.reserved) consume = o.reserved;
      o.reserved -= consume;
      this.addBalance(o.owner, 'locked', q, -consume);
      this.addBalance(o.owner, 'free', q, consume - quote);
      this.addBalance(o.owner, 'free', b, base - fill.fee);
    } else {
      let consume = base;
      if (consume > o.reserved) consume = o.reserved;
      o.reserved -= consume;
      this.addBalance(o.owner, 'locked', b, -consume);
      this.addBalance(o.owner, 'free', b, consume - base);
      this.addBalance(o.owner, 'free', q, quote - fill.fee);
    }
    const done = o.filled >= o.qty;
    o.status = done ? 'FILLED' : 'PARTIALLY_FILLED';
    if (done) this.release(inst, o);
    this.pushOrderEvent(o, 'TRADE', fill);
  }

  private release(inst: Instrument, o: VenueOrder): void {
    if (o.reserved !== 0n) {
      const asset = o.side === 'BUY' ? inst.spec.quote : inst.spec.base;
      this.addBalance(o.owner, 'locked', asset, -o.reserved);
      this.addBalance(o.owner, 'free', asset, o.reserved);
      o.reserved = 0n;
    }
    this.openByClientId.get(o.owner)?.delete(o.clientOrderId);
  }

  private finish(inst: Instrument, o: VenueOrder, end: EndReason): void {
    o.endReason = end;
    o.status = END_EXEC[end] === 'CANCELED' ? 'CANCELED' : 'EXPIRED';
    o.updated = this.now();
    this.release(inst, o);
    this.pushOrderEvent(o, END_EXEC[end]);
  }

  // ------------------------------------------------------------------ commands

  instrument(symbol: string): Instrument | undefined {
    return this.instruments.get(symbol);
  }

  /** Would a LIMIT_MAKER at `priceTicks` take liquidity? */
  wouldTake(symbol: string, side: OrderSide, priceTicks: number): boolean {
    const inst = this.instruments.get(symbol);
    if (inst === undefined) return false;
    if (side === 'BUY') {
      const ask = inst.book.bestAsk();
      return !Number.isNaN(ask) && priceTicks >= ask;
    }
    const bid = inst.book.bestBid();
    return !Number.isNaN(bid) && priceTicks <= bid;
  }

  /** Opposite-side levels (ticks, lots) best first, up to `max` levels. */
  levels(symbol: string, side: OrderSide, max = 4096): Array<[number, number]> {
    const inst = this.instruments.get(symbol);
    if (inst === undefined) return [];
    const n = inst.book.depth(side === 'BUY' ? Side.BUY : Side.SELL, Math.min(max, 4096), this.depthPrices, this.depthQtys);
    const out: Array<[number, number]> = [];
    for (let i = 0; i < n; i++) out.push([this.depthPrices[i], this.depthQtys[i]]);
    return out;
  }

  /** Quote needed to buy (or received to sell) `lots` at market now, and the lots actually available. */
  private marketCost(inst: Instrument, side: OrderSide, lots: number): { lots: number; quote: bigint } {
    const opposite: OrderSide = side === 'BUY' ? 'SELL' : 'BUY';
    let left = lots;
    let quote = 0n;
    for (const [p, q] of this.levels(inst.spec.symbol, opposite)) {
      if (left <= 0) break;
      const take = Math.min(left, q);
      quote += notional(inst.price, p, inst.lot, take);
      left -= take;
    }
    return { lots: lots - left, quote };
  }

  /** Lots a quote amount buys (or must sell to receive it) at market now, floor per level. */
  private marketLotsForQuote(inst: Instrument, side: OrderSide, quoteQty: bigint): { lots: number; quote: bigint } {
    const opposite: OrderSide = side === 'BUY' ? 'SELL' : 'BUY';
    let left = quoteQty;
    let lots = 0;
    let quote = 0n;
    for (const [p, q] of this.levels(inst.spec.symbol, opposite)) {
      if (left <= 0n) break;
      const take = Math.min(q, lotsForQuote(inst.price, p, inst.lot, left));
      if (take <= 0) break;
      const cost = notional(inst.price, p, inst.lot, take);
      lots += take;
      quote += cost;
      left -= cost;
      if (take < q) break;
    }
    return { lots, quote };
  }

  place(owner: number, req: PlaceRequest): PlaceResult {
    const inst = this.instruments.get(req.symbol);
    if (inst === undefined) return { ok: false, reason: 'UNKNOWN_SYMBOL' };
    const account = this.accounts[owner];
    if (account === undefined) return { ok: false, reason: 'ENGINE', detail: 'unknown owner' };
    if (this.openByClientId.get(owner)?.has(req.clientOrderId)) return { ok: false, reason: 'DUPLICATE_CLIENT_ID' };
    const isMarket = req.kind === 'MARKET';
    let qty = req.qtyLots ?? 0;
    let price = isMarket ? 0 : (req.priceTicks ?? 0);
    let reserve: bigint;
    if (isMarket) {
      if (req.quoteQty !== undefined) {
        const r = this.marketLotsForQuote(inst, req.side, req.quoteQty);
        qty = r.lots;
        reserve = req.side === 'BUY' ? req.quoteQty : inst.lot.amount(qty);
      } else {
        const r = this.marketCost(inst, req.side, qty);
        reserve = req.side === 'BUY' ? r.quote : inst.lot.amount(qty);
      }
    } else {
      reserve = req.side === 'BUY' ? notional(inst.price, price, inst.lot, qty) : inst.lot.amount(qty);
    }
    const reserveAsset = req.side === 'BUY' ? inst.spec.quote : inst.spec.base;
    if (!account.unlimited && (account.free.get(reserveAsset) ?? 0n) < reserve) {
      return { ok: false, reason: 'INSUFFICIENT_BALANCE' };
    }
    const t = this.now();
    const o: VenueOrder = {
      id: this.nextOrderId++,
      owner,
      symbol: req.symbol,
      clientOrderId: req.clientOrderId,
      side: req.side,
      kind: req.kind,
      tif: req.tif,
      price,
      qty,
      quoteQty: isMarket && req.quoteQty !== undefined ? req.quoteQty : null,
      filled: 0,
      cumQuote: 0n,
      status: 'NEW',
      endReason: null,
      created: t,
      updated: t,
      rested: false,
      fills: [],
      extra: { ...(req.extra ?? {}) },
      reserved: 0n,
    };
    this.orders.set(o.id, o);
    let open = this.openByClientId.get(owner);
    if (open === undefined) this.openByClientId.set(owner, (open = new Map()));
    open.set(o.clientOrderId, o);
    let latest = this.latestByClientId.get(owner);
    if (latest === undefined) this.latestByClientId.set(owner, (latest = new Map()));
    latest.set(o.clientOrderId, o);
    this.addBalance(owner, 'free', reserveAsset, -reserve);
    this.addBalance(owner, 'locked', reserveAsset, reserve);
    o.reserved = account.unlimited ? 0n : reserve;

    if (qty <= 0) {
      // a quote-sized market order that cannot buy a single lot: accepted, then expired
      this.pushOrderEvent(o, 'NEW');
      this.finish(inst, o, 'MARKET');
      this.flush();
      return { ok: true, order: o };
    }
    const side = req.side === 'BUY' ? Side.BUY : Side.SELL;
    let type: number;
    if (isMarket) type = OrderType.MARKET;
    else if (req.kind === 'LIMIT_MAKER') type = OrderType.POST_ONLY;
    else if (req.tif === 'IOC') type = OrderType.IOC;
    else if (req.tif === 'FOK') type = OrderType.FOK;
    else type = OrderType.LIMIT;
    const status = inst.book.submit(o.id, owner, side, type, price, qty);
    if (status !== 0) {
      this.orders.delete(o.id);
      open.delete(o.clientOrderId);
      latest.delete(o.clientOrderId);
      this.addBalance(owner, 'locked', reserveAsset, -reserve);
      this.addBalance(owner, 'free', reserveAsset, reserve);
      this.outbox = [];
      this.touched = new Map();
      return { ok: false, reason: 'ENGINE', detail: `engine status ${status}` };
    }
    this.flush();
    return { ok: true, order: o };
  }

  find(owner: number | undefined, ref: OrderRef): VenueOrder | undefined {
    let o: VenueOrder | undefined;
    if (ref.id !== undefined) o = this.orders.get(ref.id);
    else if (ref.clientOrderId !== undefined) {
      if (owner === undefined) {
        for (const m of this.openByClientId.values()) {
          o = m.get(ref.clientOrderId);
          if (o !== undefined) break;
        }
        if (o === undefined) {
          for (const m of this.latestByClientId.values()) {
            o = m.get(ref.clientOrderId);
            if (o !== undefined) break;
          }
        }
      } else {
        o = this.openByClientId.get(owner)?.get(ref.clientOrderId) ?? this.latestByClientId.get(owner)?.get(ref.clientOrderId);
      }
    }
    if (o !== undefined && owner !== undefined && o.owner !== owner) return undefined;
    return o;
  }

  cancel(owner: number | undefined, ref: OrderRef, reason: EndReason = 'USER'): CancelResult {
    const o = this.find(owner, ref);
    if (o === undefined) return { ok: false, reason: 'UNKNOWN_ORDER' };
    if (!isOpen(o)) return { ok: false, reason: 'NOT_OPEN', order: o };
    const inst = this.instruments.get(o.symbol)!;
    o.endReason = reason;
    const status = inst.book.cancel(o.id);
    if (status !== 0) {
      o.endReason = null;
      return { ok: false, reason: 'NOT_OPEN', order: o };
    }
    this.flush();
    return { ok: true, order: o };
  }

  /**
   * Changes a resting order's price and/or total quantity (`qtyLots` includes what filled) in place, under the same
   * ids: OKX amend-order, Binance order.amend.keepPriority. A quantity decrease at the same price keeps the order's
   * place in the queue; a new price or more quantity takes it out and puts it back at the end of its (new) level,
   * where a new price that crosses trades at once. The reservation follows; an AMENDED event is pushed.
   */
  amend(owner: number | undefined, ref: OrderRef, priceTicks: number | undefined, qtyLots: number | undefined): AmendResult {
    const o = this.find(owner, ref);
    if (o === undefined) return { ok: false, reason: 'UNKNOWN_ORDER' };
    if (!isOpen(o) || !o.rested || o.kind === 'MARKET') return { ok: false, reason: 'NOT_OPEN', order: o };
    const inst = this.instruments.get(o.symbol)!;
    const price = priceTicks ?? o.price;
    const total = qtyLots ?? o.qty;
    if (!(Number.isInteger(total) && total > o.filled) || !(Number.isInteger(price) && price > 0)) return { ok: false, reason: 'QTY', order: o };
    const rest = total - o.filled;
    const openNow = o.qty - o.filled;
    if (o.kind === 'LIMIT_MAKER' && price !== o.price && this.wouldTake(o.symbol, o.side, price)) return { ok: false, reason: 'WOULD_CROSS', order: o };
    const account = this.accounts[o.owner]!;
    const reserveAsset = o.side === 'BUY' ? inst.spec.quote : inst.spec.base;
    const reserve = account.unlimited ? 0n : o.side === 'BUY' ? notional(inst.price, price, inst.lot, rest) : inst.lot.amount(rest);
    const more = reserve - o.reserved;
    if (more > 0n && (account.free.get(reserveAsset) ?? 0n) < more) return { ok: false, reason: 'INSUFFICIENT_BALANCE', order: o };
    this.addBalance(o.owner, 'free', reserveAsset, -more);
    this.addBalance(o.owner, 'locked', reserveAsset, more);
    o.reserved = reserve;
    const keptPriority = price === o.price && rest <= openNow;
    o.price = price;
    o.qty = total;
    o.updated = this.now();
    if (keptPriority) {
      if (rest < openNow) inst.book.reduce(o.id, rest);
      this.pushOrderEvent(o, 'AMENDED');
    } else {
      this.silently(o.id, () => inst.book.cancel(o.id));
      this.pushOrderEvent(o, 'AMENDED');
      const side = o.side === 'BUY' ? Side.BUY : Side.SELL;
      const type = o.kind === 'LIMIT_MAKER' ? OrderType.POST_ONLY : OrderType.LIMIT;
      this.silentAccept = o.id;
      try {
        inst.book.submit(o.id, o.owner, side, type, price, rest);
      } finally {
        this.silentAccept = -1;
      }
    }
    this.flush();
    return { ok: true, order: o, keptPriority };
  }

  /**
   * Trades `lots` (default: all that is left) of a resting order against a simulated counterparty, at the order's
   * price, without touching other orders at that price (the counterparty is outside the book).
   */
  fillOrder(ref: OrderRef, lots?: number): { ok: true; order: VenueOrder; fill: VenueFill } | { ok: false; reason: string } {
    const o = this.find(undefined, ref);
    if (o === undefined) return { ok: false, reason: 'unknown order' };
    if (!isOpen(o) || !o.rested) return { ok: false, reason: `order is not resting (status ${o.status})` };
    const inst = this.instruments.get(o.symbol)!;
    const left = o.qty - o.filled;
    const q = lots ?? left;
    if (!(Number.isInteger(q) && q >= 1 && q <= left)) return { ok: false, reason: `quantity must be 1..${left} lots` };
    const s = q < left ? inst.book.reduce(o.id, left - q) : this.silently(o.id, () => inst.book.cancel(o.id));
    if (s !== 0) return { ok: false, reason: `engine status ${s}` };
    this.applyFill(inst, o, this.nextTradeId++, o.price, q, true, this.now());
    this.flush();
    return { ok: true, order: o, fill: o.fills[o.fills.length - 1] };
  }

  /**
   * A deposit (positive) or withdrawal (negative) of `amount` (decimal text) of `asset`, to or from an owner's free
   * balance: what a transfer, another program or the exchange itself does to the account behind the daemon's back.
   * Balance events follow as for a trade (Binance outboundAccountPosition, OKX account channel).
   */
  transfer(owner: number, asset: string, amount: string): void {
    const v = parseSignedRate(amount);
    this.addBalance(owner, 'free', asset, v);
    this.flush();
  }

  private silently(id: number, fn: () => number): number {
    this.silentCancel = id;
    try {
      return fn();
    } finally {
      this.silentCancel = -1;
    }
  }

  // ------------------------------------------------------------------ queries

  order(id: number): VenueOrder | undefined {
    return this.orders.get(id);
  }

  listOrders(filter: { owner?: number; symbol?: string; open?: boolean; includeLiquidity?: boolean } = {}): VenueOrder[] {
    const out: VenueOrder[] = [];
    for (const o of this.orders.values()) {
      if (filter.owner !== undefined ? o.owner !== filter.owner : o.owner === 0 && filter.includeLiquidity !== true) continue;
      if (filter.symbol !== undefined && o.symbol !== filter.symbol) continue;
      if (filter.open !== undefined && isOpen(o) !== filter.open) continue;
      out.push(o);
    }
    return out;
  }

  listFills(filter: { owner?: number; symbol?: string; orderId?: number } = {}): VenueFill[] {
    return this.allFills.filter(
      (f) =>
        (filter.owner === undefined || f.owner === filter.owner) &&
        (filter.symbol === undefined || f.symbol === filter.symbol) &&
        (filter.orderId === undefined || f.orderId === filter.orderId),
    );
  }

  // ------------------------------------------------------------------ liquidity

  private seedAll(): void {
    for (const symbol of this.instruments.keys()) this.seed(symbol);
  }

  private seed(symbol: string): void {
    const spec = this.options.ladders?.[symbol];
    const inst = this.instruments.get(symbol);
    if (spec == null || inst === undefined) return;
    const mid = inst.price.steps(spec.mid);
    const spacing = inst.price.steps(spec.spacing);
    const qty = inst.lot.steps(spec.qty);
    if (typeof mid !== 'number' || typeof spacing !== 'number' || typeof qty !== 'number' || spacing <= 0 || qty <= 0) {
      throw new RangeError(`bad ladder for ${symbol}`);
    }
    const rnd = randomSource(spec.seed ?? 1);
    const jitter = spec.qtyJitter ?? 0;
    const lotsAt = (): number => {
      if (jitter <= 0) return qty;
      return Math.max(1, Math.round(qty * (1 + jitter * (2 * rnd() - 1))));
    };
    for (let i = 1; i <= spec.levels; i++) {
      const bid = mid - i * spacing;
      if (bid > 0) this.place(0, { symbol, side: 'BUY', kind: 'LIMIT', tif: 'GTC', priceTicks: bid, qtyLots: lotsAt(), clientOrderId: `liq${++this.liquidityCounter}` });
      this.place(0, { symbol, side: 'SELL', kind: 'LIMIT', tif: 'GTC', priceTicks: mid + i * spacing, qtyLots: lotsAt(), clientOrderId: `liq${++this.liquidityCounter}` });
    }
  }

  /** Cancels the liquidity account's orders on `symbol` (all symbols when omitted) and seeds the ladder again. */
  reseed(symbol?: string): void {
    for (const sym of symbol === undefined ? [...this.instruments.keys()] : [symbol]) {
      for (const o of this.listOrders({ owner: 0, symbol: sym, open: true })) this.cancel(0, { id: o.id });
      this.seed(sym);
    }
  }

  /** Empties every book and record, restores initial balances and seeds the ladders again (ids keep increasing). */
  reset(): void {
    for (const inst of this.instruments.values()) inst.book.clear();
    this.orders.clear();
    this.openByClientId.clear();
    this.latestByClientId.clear();
    this.allFills.length = 0;
    this.outbox = [];
    this.touched = new Map();
    this.accounts.length = 0;
    this.accounts.push(this.makeAccount({ name: 'liquidity', apiKey: '', secret: '', unlimited: true }, 0));
    for (const a of this.options.accounts) this.accounts.push(this.makeAccount(a, this.accounts.length));
    this.seedAll();
  }
}

/** A signed decimal rate as an amount (10^-18 units). */
function parseSignedRate(text: string): bigint {
  const neg = text.trim().startsWith('-');
  const v = parseAmount(neg ? text.trim().slice(1) : text);
  if (v === undefined) throw new RangeError(`fee rate "${text}" is not a decimal`);
  return neg ? -v : v;
}
