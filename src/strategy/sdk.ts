/**
 * The strategy SDK: what a strategy module sees.
 *
 * A strategy module default-exports either a Strategy object or a factory `(ctx) => Strategy` (preferred:
 * state lives in the closure, not at module level). Modules import TYPES ONLY from this file
 * (`import type { ... } from '.../src/strategy/sdk.js'`): everything they need at run time comes from `ctx`,
 * so a module transpiled into the strategies cache has no runtime import to resolve.
 *
 *     import type { Strategy, StrategyContext } from '../../src/strategy/sdk.js';
 *     export default function create(ctx: StrategyContext): Strategy {
 *       let open = 0;
 *       return {
 *         start() { ctx.every(1000, () => { if (open < 1) ctx.submit({ symbol: 'BTC-USDT', side: 'BUY', type: 'MARKET', quantity: '0.001' }); }); },
 *         onEvent(e) { if (e.kind === 'ACK') open++; else if (e.terminal) open--; },
 *       };
 *     }
 *
 * Each strategy runs in its own worker thread. submit() and cancel() validate at the edge (field names, symbols,
 * tick and lot grids, minimum quantity and notional, client order id) and write one fixed-size record into the
 * strategy's queue — submits into its order ring, cancels into its cancel ring; they answer at once and never block:
 * a full ring answers QUEUE_FULL (nothing is dropped silently). Cancels are never held up by submits: the daemon reads
 * the cancel ring first, every cycle, whatever the strategy's queues hold, so QUEUE_FULL on a cancel means only that
 * the daemon has not yet read that many cancels (see cancel()). Fields of the API the record cannot carry (route, algo, trailingOffset) are refused (UNKNOWN_FIELD); an
 * order naming another strategy (`strategy`) is refused (STRATEGY_MISMATCH): a worker submits as itself.
 * What the daemon checks for every record anyway is not checked twice: an order whose notional the core cannot count
 * exactly, a pinned venue that does not list the symbol, a client order id in use come back as a REFUSED event with
 * that code. What happens next comes back as events, in order, through onEvent.
 *
 * Market data of the strategy's configured symbols arrives through shared memory too (no message per update):
 *  - `ctx.topOfBook(symbol)`: the latest consolidated top of book (best bid and ask over the venues whose books
 *    are usable, with venue, fee-adjusted price and each venue's own best bid and ask); undefined until the first
 *    book. A slow strategy gets the newest top, never a backlog;
 *  - `onMarket(top)`: called when the top of one of its symbols changed (conflated: if it changed three times
 *    while the strategy was busy, onMarket sees the newest once);
 *  - `onTrade(trade)`: every trade at a venue in one of its symbols, in order. If the strategy falls so far behind
 *    that its trade ring fills up, newer trades are not written and counted: `trade.lost` on the next trade it
 *    gets, and `ctx.tradesLost` in total.
 * The TopOfBook and MarketTrade objects are reused (nothing is allocated per update): read them in the callback
 * (or right after topOfBook()) and copy the numbers you keep. Their decimal fields (bid, ask, price...) are made
 * when read. A sleeping worker is woken for market data at most once per 2 ms (see
 * src/intake/ring/market-channel.ts); a busy one reads it each time its event loop turns.
 */
import type { Clock } from '../model/clock.js';
import type { ErrorCode } from '../model/errors.js';
import type { Instrument, InstrumentRegistry } from '../model/instrument.js';
import type { OrderState, OrderType, Priority, Side, TimeInForce } from '../model/order.js';
import type { EventKind } from '../intake/ring/event-record.js';
import type { OrderSnapshot } from '../intake/ring/transport.js';

export type { Clock, ErrorCode, EventKind, Instrument, InstrumentRegistry, OrderState, OrderType, Priority, Side, TimeInForce };

/** An order as a strategy writes it: decimals as strings (or numbers), like the HTTP API body. */
export interface StrategyOrder {
  readonly symbol: string;
  readonly side: Side;
  /** Default LIMIT. */
  readonly type?: OrderType;
  /** Default GTC for limit orders, IOC for MARKET and STOP. */
  readonly timeInForce?: TimeInForce;
  readonly postOnly?: boolean;
  /** Limit price (LIMIT, STOP_LIMIT), on the instrument's tick grid. */
  readonly price?: string | number;
  /** Stop price (STOP, STOP_LIMIT). */
  readonly stopPrice?: string | number;
  /** On the instrument's lot grid, at least its minimum quantity. */
  readonly quantity: string | number;
  /** 1 to 32 ASCII letters and digits; the daemon makes one when absent. */
  readonly clientOrderId?: string;
  /** Default NORMAL. */
  readonly priority?: Priority;
  /** Pin a venue (bypasses the routing table). */
  readonly venue?: string;
  /** Free u32 echoed in every event about this order (default 0). */
  readonly tag?: number;
}

/** What to cancel: the daemon order id (from the ACK), the seq submit() returned, or the client order id. */
export type CancelTarget =
  | { readonly orderId: number }
  | { readonly seq: number }
  | { readonly clientOrderId: string };

/**
 * Answer of submit() and cancel(). `seq` numbers the record among this strategy's submits and cancels (one sequence
 * over both, up by 1 at each record); events about it carry the same seq. A refusal consumed no seq and wrote nothing.
 * Where it starts: a worker the daemon starts with the daemon starts one above every seq of this strategy's orders
 * the daemon holds — after a daemon restart, the orders its journal gave back (open, and finished ones still retained)
 * keep the seqs they had: openOrders() and RESYNC list them, their events carry them, a cancel by one of them cancels
 * that order — or at 1 when it holds none; a restarted worker (ctx.restarts) goes on from its predecessors'. So a seq
 * never names two orders the daemon holds. Seqs are not a count over the strategy's whole life: a daemon that holds
 * none of its orders starts it at 1 again. Key what must outlive the daemon by order id or client order id.
 */
export type SubmitResult =
  | { readonly ok: true; readonly seq: number }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

/** One venue's own best bid and ask in a TopOfBook: all 0 when its book is not usable (resyncing, crossed, stale) or that side is empty. */
export interface VenueTop {
  readonly venue: string;
  /** Index in ctx.venues. */
  readonly venueIndex: number;
  readonly bidTicks: number;
  readonly bidLots: number;
  readonly askTicks: number;
  readonly askLots: number;
}

/**
 * The consolidated top of book of one symbol: the best bid and ask over the venues whose books are usable, ranked
 * net of each venue's taker fee (what a taker really gets or pays), as the daemon's consolidated book ranks them.
 * Integers are ticks and lots of the instrument. A side with no order has ticks and lots 0 and undefined decimals.
 * Reused and refreshed in place: copy what you keep.
 */
export interface TopOfBook {
  readonly symbol: string;
  readonly symbolIndex: number;
  /** Best bid price in ticks (0: no bid). */
  readonly bidTicks: number;
  /** Quantity at the best bid at its venue, in lots. */
  readonly bidLots: number;
  /** Venue of the best bid (undefined: no bid). */
  readonly bidVenue: string | undefined;
  /** The best bid net of its venue's taker fee, in millionths of a tick: bidTicks x (1,000,000 - fee in millionths). */
  readonly bidAdjusted: number;
  readonly askTicks: number;
  readonly askLots: number;
  readonly askVenue: string | undefined;
  /** The best ask plus its venue's taker fee, in millionths of a tick: askTicks x (1,000,000 + fee in millionths). */
  readonly askAdjusted: number;
  /** Decimal texts, made when read (undefined for an empty side). */
  readonly bid: string | undefined;
  readonly bidQty: string | undefined;
  readonly ask: string | undefined;
  readonly askQty: string | undefined;
  /** The fee-adjusted prices as decimal text. */
  readonly bidNet: string | undefined;
  readonly askNet: string | undefined;
  /** Each venue's own best bid and ask, in ctx.venues order. */
  readonly venues: readonly VenueTop[];
  /** The daemon's wall time when this top was published (ms since the epoch). */
  readonly ts: number;
  /** How many times this symbol's top has changed so far (grows by one per change published). */
  readonly updates: number;
}

/** A public trade at a venue. Reused for every trade: copy what you keep. */
export interface MarketTrade {
  readonly symbol: string;
  readonly symbolIndex: number;
  readonly venue: string;
  readonly venueIndex: number;
  readonly priceTicks: number;
  readonly qtyLots: number;
  /** Decimal texts, made when read. */
  readonly price: string;
  readonly qty: string;
  /** The side that took liquidity (BUY: a buyer lifted an ask). */
  readonly side: Side;
  /** The venue's time of the trade (ms since the epoch; 0 when the venue gave none). */
  readonly venueTs: number;
  /** The daemon's wall time when it passed the trade on. */
  readonly ts: number;
  /** Trades not delivered just before this one because the strategy's trade ring was full (0 normally). */
  readonly lost: number;
}

/** The state of one open order, as answered by openOrders() and carried by RESYNC (declared by the ring transport). */
export type { OrderSnapshot };

/**
 * One event about this strategy's orders. Integers are ticks and lots of the instrument; use
 * `ctx.instruments.at(e.symbolIndex)` (or ctx.instrument(e.symbol)) to turn them into decimals.
 */
export interface StrategyEvent {
  readonly kind: EventKind;
  /**
   * Daemon order id (0 for REFUSED, and for CANCEL_REJECTED of a cancel by seq or client order id that named no known
   * order; a cancel by order id is answered with the id it named, its own order or not: ORDER_NOT_FOUND either way).
   */
  readonly orderId: number;
  /**
   * Seq of the record the event is about: the SUBMIT; for a CANCEL_REJECTED the daemon answers at once (no such order,
   * not cancelable), the CANCEL; for one the venue sends later, the order's SUBMIT (the venue's refusal names the order).
   */
  readonly seq: number;
  readonly tag: number;
  readonly symbol: string | undefined;
  readonly symbolIndex: number;
  readonly side: Side;
  /** State of the order after the event (undefined for REFUSED and RESYNC). */
  readonly state: OrderState | undefined;
  /** Why (REFUSED, DENIED, REJECTED, CANCELED, EXPIRED, CANCEL_REJECTED). */
  readonly code: ErrorCode | undefined;
  /** Cumulative filled lots after the event. */
  readonly filledLots: number;
  /** FILL: the fill price; otherwise the order's limit price. */
  readonly priceTicks: number;
  /** FILL: the fill quantity; otherwise the order quantity. */
  readonly qtyLots: number;
  readonly liquidity: 'MAKER' | 'TAKER' | undefined;
  readonly ts: number;
  /** True when no further event about this order (or refused seq) will come. */
  readonly terminal: boolean;
  /**
   * RESYNC only: how many events were lost because the event queue was full; after a restart, the events the failed
   * incarnation did not read and those written while no worker ran.
   */
  readonly lost: number;
  /**
   * RESYNC only: this strategy's open orders right after the loss (null when the daemon offers no snapshot).
   * Events that happened before the snapshot are not delivered again. A submit of yours that is not listed is not
   * necessarily finished: see readSeq.
   */
  readonly orders: readonly OrderSnapshot[] | null;
  /**
   * RESYNC only (0 otherwise, and when orders is null): the seq of the last record the daemon had taken from this
   * strategy's order ring when the snapshot was taken (0: none yet). The snapshot is taken on the daemon's thread that
   * reads the rings, between two reads, so it is exact. For a submit of yours with seq S that is not in `orders`:
   *  - S <= readSeq: the daemon had read it; it is finished (an order that ended, or refused): forget it;
   *  - S > readSeq and S in `withdrawn`: a cancel of yours withdrew it before it was read (REFUSED ORDER_WITHDRAWN,
   *    which came before this RESYNC or was among the lost events), or the daemon took it ahead of an earlier submit of a
   *    lower priority that waited in the ring for room, and it is finished (refused, or its order ended): forget it;
   *  - S > readSeq otherwise: not read yet (still in the order ring, or written after the snapshot): it is not gone —
   *    its events (ACK then its order's events, or REFUSED / ORDER_WITHDRAWN if a cancel of yours gets it first) come
   *    after this RESYNC. Keep it; forgetting it and placing another leaves a live order nobody tracks.
   * Only submits move it: cancels travel in their own ring, read ahead of submits, and a cancel of a submit still
   * unread withdraws it there (so a withdrawn submit's seq stays above readSeq until the ring's head passes it). After a
   * restart seqs go on from the earlier incarnations' and so does readSeq: a restarted worker starts only once the
   * daemon has read everything they published, so its first RESYNC has every submit of theirs at or below readSeq.
   * After a daemon restart readSeq starts at the highest seq of this strategy's orders the daemon holds (those its
   * journal gave back): the new worker's first seq minus 1 (see SubmitResult).
   */
  readonly readSeq: number;
  /**
   * RESYNC only (null otherwise, and when orders is null): seqs above readSeq, ascending, of submits the daemon is done
   * with: those a cancel of yours withdrew from the order ring before the daemon read them, and those it took ahead of
   * a waiting lower-priority submit that are finished (one taken ahead whose order is open is in `orders`). They are
   * finished, though above readSeq.
   */
  readonly withdrawn: readonly number[] | null;
}

export interface StrategyLog {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Handle of a timer from ctx.every / ctx.after. */
export interface TimerHandle {
  cancel(): void;
}

export interface StrategyContext {
  /** Strategy id from the configuration. */
  readonly id: string;
  /** Symbols this strategy may trade (pre-trade risk denies the others). */
  readonly symbols: readonly string[];
  /** `params` from the strategy's configuration entry (plain data). */
  readonly params: Readonly<Record<string, unknown>>;
  /** Every configured instrument (indices match event symbolIndex). */
  readonly instruments: InstrumentRegistry;
  /** Shorthand for instruments.get(symbol). */
  instrument(symbol: string): Instrument | undefined;
  /** Venue names, in the daemon's order. */
  readonly venues: readonly string[];
  readonly clock: Clock;
  readonly log: StrategyLog;
  /** Validates and queues an order. Never blocks; QUEUE_FULL when the order ring is full. */
  submit(order: StrategyOrder): SubmitResult;
  /**
   * Queues a cancel in the strategy's cancel ring, which the daemon reads before any submit and whatever its queues
   * hold. Never blocks; QUEUE_FULL only when the cancel ring is full (that many cancels not yet read by the daemon),
   * never because of submits. The outcome arrives as events:
   *  - the order was taken already (an ACK came or will come first): CANCELED (at once if it was still queued in the
   *    daemon, no venue saw it), or PENDING_CANCEL then CANCELED, or CANCEL_REJECTED (seq: this cancel's, when the
   *    daemon answers at once: ORDER_NOT_FOUND, ORDER_NOT_CANCELABLE, RISK_CANCEL_RATE);
   *  - the submit named by `seq` or `clientOrderId` was still waiting in the strategy's order ring: it is withdrawn
   *    there — REFUSED with code ORDER_WITHDRAWN and the submit's seq (terminal; no ACK, no order id: it never becomes
   *    an order and no venue sees it). A second cancel of it: CANCEL_REJECTED, ORDER_NOT_CANCELABLE while the
   *    withdrawn record is still in the ring, ORDER_NOT_FOUND once the daemon has passed it.
   * A cancel acts only on submits written before it (a later submit with the same client order id goes on); by
   * `clientOrderId`, on every one still waiting that carries the id.
   */
  cancel(target: CancelTarget): SubmitResult;
  /**
   * Runs fn; the submits and cancels it makes become visible to the daemon together when it returns (one
   * publish per ring instead of one per record: cheaper for bursts, e.g. replacing a ladder of quotes; the submits
   * first, so a cancel never arrives before a submit written ahead of it; and cancels followed by a submit are published
   * as that submit is written, so a replacement never arrives before the cancel written ahead of it). A full ring
   * inside the batch first publishes what is pending, then answers QUEUE_FULL as usual.
   */
  batch<T>(fn: () => T): T;
  /** Calls fn every `ms` milliseconds until canceled or the strategy stops. Errors are logged. */
  every(ms: number, fn: () => void): TimerHandle;
  /** Calls fn once after `ms` milliseconds (unless canceled or the strategy stops). */
  after(ms: number, fn: () => void): TimerHandle;
  /** Asks the daemon for this strategy's open orders. */
  openOrders(): Promise<readonly OrderSnapshot[]>;
  /** True once the daemon asked the strategy to stop (submit answers TRADING_HALTED from then on). */
  readonly stopping: boolean;
  /**
   * How many times the daemon has restarted this strategy after it failed (daemon.workers.restart): 0 on its first
   * start. A restarted strategy is a new instance (module state starts over) whose first event, right after start(),
   * is a RESYNC listing its open orders (those its earlier incarnations left); its seqs go on from theirs. Its start()
   * can look at this to not place again what it places on a first start. It counts restarts within the daemon's run: a
   * worker started by a daemon that restarted is a first start (0); the orders the daemon resumed from its journal are
   * in openOrders(), with their seqs (below the new worker's: see SubmitResult).
   */
  readonly restarts: number;
  /**
   * The latest consolidated top of book of one of this strategy's symbols (read now: the newest there is);
   * undefined before its first book and for a symbol the strategy is not configured with.
   */
  topOfBook(symbol: string): TopOfBook | undefined;
  /** Trades of this strategy's symbols not delivered because its trade ring was full, in total (only with onTrade). */
  readonly tradesLost: number;
}

export interface Strategy {
  /** Called once, after the module is loaded; the daemon waits for it (a rejected promise fails the start). */
  start?(ctx: StrategyContext): void | Promise<void>;
  /** Called for each event, in order. An exception is logged and counted; the strategy keeps running. */
  onEvent?(event: StrategyEvent, ctx: StrategyContext): void;
  /** Called when the top of book of one of the strategy's symbols changed; the newest top, not every step. */
  onMarket?(top: TopOfBook, ctx: StrategyContext): void;
  /** Called for each trade at a venue in one of the strategy's symbols, in order (only strategies with it get trades). */
  onTrade?(trade: MarketTrade, ctx: StrategyContext): void;
  /** Called once at shutdown; may still cancel() (submit is refused). Awaited up to the stop timeout. */
  stop?(ctx: StrategyContext): void | Promise<void>;
}

export type StrategyFactory = (ctx: StrategyContext) => Strategy | Promise<Strategy>;

/** What a strategy module default-exports. */
export type StrategyModule = Strategy | StrategyFactory;

/**
 * Identity helper for strategies compiled together with Switchyard (it keeps the inferred types). Modules
 * loaded from YAML should not import it at run time: use `satisfies StrategyModule` or a typed function.
 */
export function defineStrategy<T extends StrategyModule>(strategy: T): T {
  return strategy;
}
