/**
 * The order enhancer SDK: what an enhancer module sees (types only, like sdk.ts).
 *
 * An enhancer adjusts a strategy's orders on their way in, before pre-trade risk (src/intake/order-enhancer.ts). It is
 * enabled per strategy in the configuration:
 *
 *     strategies:
 *       - id: alpha
 *         enhancer: { module: enhancers/prediction.ts, budgetUs: 200, suspendMs: 1000, signals: true, params: {...} }
 *
 * A module default-exports a factory `(ctx: EnhancerContext) => OrderEnhancer` and imports TYPES ONLY from this file
 * (everything it needs at run time comes from `ctx`). It runs on the daemon's main thread, loaded at start: a module
 * that fails to load fails the start.
 *
 * The enhancer keeps its own signal state, fed asynchronously: `onSignal` gets each entry of the Redis streams
 * `{keyPrefix}signals:{symbol}` of the strategy's symbols when `enhancer.signals` is true (src/bus/signal-feed.ts), or
 * the module computes it itself (timers of its own, ctx.clock). It decides SYNCHRONOUSLY per order in `enhance`, within
 * `budgetUs`; it must not wait on anything.
 *
 * What `enhance` may do, by setting fields of `change` (anything left unset keeps the order's term):
 *  - `marketable = true`: a LIMIT order becomes a MARKET order (its limit price is dropped; time in force IOC, or FOK
 *    if it was FOK). This is the one change that removes a price bound, and the issue asks for it explicitly
 *    ("make an order marketable"). Pre-trade risk still checks the order afterwards, valued at the mark: maximum
 *    quantity, notional, position and exposure, order rate, trading states. Note that risk's price collar
 *    (risk.priceCollarBps) bounds limit prices only, so it does not bound where a market order fills.
 *    Not allowed (the decision is discarded as invalid) on a post-only order (its strategy asked never to take) or on
 *    a stop order (it would fire before its trigger).
 *  - `timeInForce = 'IOC'`: a GTC order becomes IOC (not a FOK one: that would allow a partial fill; not a post-only).
 *  - `qtyLots`: LOWER only (never raised), a whole number of lots, at least the instrument's minimum quantity, and for a
 *    limit order price x quantity still at least the instrument's minimum notional.
 *  - `priceTicks`: TIGHTEN only, on LIMIT and STOP_LIMIT orders: a BUY's limit may only go down, a SELL's only up
 *    (never loosened: a looser limit could fill at a worse price than the strategy accepted); a positive whole number
 *    of ticks, at most 2^52 (the core's price bound, as at entry). Ignored when `marketable` is set.
 *  - `priority`: any of HIGH, NORMAL, LOW (the order's queue in the dispatcher).
 * A change that breaks these rules is discarded as a whole (the original order goes on, counted and journaled as
 * `invalid`). A decision that throws, or takes longer than budgetUs, is discarded too (`error`, `over_budget`): the
 * original order goes on unchanged. After a decision over budget (or after 3 errors in a row) the enhancer is bypassed
 * for suspendMs, so a slow enhancer cannot keep delaying orders (`suspended`).
 *
 * Which orders it sees: the orders the strategy sends itself (not the child slices of parents the daemon holds, not
 * TWAP/iceberg algorithm parents), from any source (worker, API, Redis).
 *
 * `order` and `change` are reused objects: read them inside the call only (copy what you keep). Reading the decimal
 * getters (price, quantity) makes strings; the tick/lot integers do not.
 */
import type { Clock } from '../model/clock.js';
import type { Instrument, InstrumentRegistry } from '../model/instrument.js';
import type { OrderType, Priority, Side, TimeInForce } from '../model/order.js';
export type { Clock, Instrument, InstrumentRegistry, OrderType, Priority, Side, TimeInForce };

/** The enhancer's log (the same shape as a strategy's ctx.log). */
export interface StrategyLog {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** What an enhancer module's factory gets. */
export interface EnhancerContext {
  /** The strategy whose orders this enhancer sees. */
  readonly strategy: string;
  /** Its configured symbols (the signals read for it, when `signals` is on). */
  readonly symbols: readonly string[];
  /** `enhancer.params` from the configuration (plain data). */
  readonly params: Readonly<Record<string, unknown>>;
  /** Every configured instrument. */
  readonly instruments: InstrumentRegistry;
  /** The daemon's clock: now() wall ms (compare signal timestamps with it), monoMs() monotonic. */
  readonly clock: Clock;
  readonly log: StrategyLog;
}

/** An order as the enhancer sees it (a reused read-only view: valid during the `enhance` call only). */
export interface EnhancerOrder {
  readonly strategy: string;
  readonly symbol: string;
  readonly instrument: Instrument;
  readonly side: Side;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly postOnly: boolean;
  readonly priority: Priority;
  /** Limit price in ticks (0: none, a MARKET or STOP order). */
  readonly priceTicks: number;
  /** Quantity in lots. */
  readonly qtyLots: number;
  /** The limit price as a decimal string ('' when none); made when read. */
  readonly price: string;
  /** The quantity as a decimal string; made when read. */
  readonly quantity: string;
  /** The client order id the producer gave (undefined: the daemon makes one from the order id). */
  readonly clientOrderId: string | undefined;
}

/** What an enhancer may change (a reused object, reset before each call: every field unset). */
export interface EnhancerChange {
  /** Make the order a MARKET order (see the module comment: LIMIT orders only, not post-only). */
  marketable: boolean;
  /** 'IOC' makes a GTC order immediate-or-cancel; undefined keeps it. */
  timeInForce: 'IOC' | undefined;
  /** A lower quantity in lots; undefined keeps it. */
  qtyLots: number | undefined;
  /** A tighter limit in ticks (BUY: lower, SELL: higher); undefined keeps it. */
  priceTicks: number | undefined;
  /** A new dispatcher priority; undefined keeps it. */
  priority: Priority | undefined;
}

export interface OrderEnhancer {
  /** A signal entry for one of the strategy's symbols (the stream entry's fields, as Redis stores them: strings). */
  onSignal?(symbol: string, fields: Readonly<Record<string, string>>): void;
  /** Decide about one order, synchronously, within the budget. Leave `change` untouched to let the order pass as is. */
  enhance(order: EnhancerOrder, change: EnhancerChange): void;
  /** The daemon is stopping (release timers). */
  stop?(): void;
}

/** What an enhancer module default-exports. */
export type EnhancerFactory = (ctx: EnhancerContext) => OrderEnhancer;
