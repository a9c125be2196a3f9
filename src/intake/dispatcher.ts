import type { VenueBatcher } from '../execution/batcher.js';
import { NO_VENUE, ROUTE_BEST, ROUTE_SWEEP, TYPE_CODE, type OrderStore } from '../core/order-store.js';
import type { OrderTracker } from '../core/order-tracker.js';
import { ERROR_CATALOGUE, type ErrorCode } from '../model/errors.js';
import type { OrderUpdate } from '../model/lifecycle.js';
import { ORDER_STATES } from '../model/order.js';
import type { PreTradeRisk } from '../risk/pre-trade-risk.js';
import type { SelfTradePrevention } from '../risk/self-trade.js';
import { ACTIVE, HALTED, type TradingStates } from '../risk/trading-states.js';
import type { Router } from '../routing/router.js';
import type { StrategyQueues } from './strategy-queues.js';

const CREATED = ORDER_STATES.indexOf('CREATED');
/** STOP, STOP_LIMIT and TRAILING_STOP have the type codes from STOP on. */
const STOP = TYPE_CODE.STOP;
/** takeOr: the order was taken as a parent. */
const SWEPT = -2;
/** Empty cycles before the loop sleeps on the doorbell. */
const IDLE_SPIN_CYCLES = 64;

/** Producers drained at the start of every cycle (strategy rings); returns how many records it took. */
export interface IntakeSource {
  drain(budget: number): number;
  /** True while records are waiting (so the loop keeps going without sleeping). */
  pending(): boolean;
}

/**
 * The internal crossing stage, when configured (src/crossing/internal-crossing.ts). `offer` returns true when it
 * took the order (the order was SUBMITTED to the crossing book); the rest then comes back through
 * `Dispatcher.release` when its crossing window ends.
 */
export interface CrossingStage {
  offer(slot: number): boolean;
}

/**
 * The parent orders the daemon holds (src/parents): `best` picks one venue from the market; `take` holds a sweep, an
 * emulated stop or an execution algorithm as a parent that sends children.
 */
export interface SmartRoutes {
  /** The venue for a `best` order, or -1 when no venue book can tell (the table decides then). */
  best(slot: number): number;
  /** A sweep, stop or algorithm order that passed risk: true when it is now held; false = route it whole. */
  take(slot: number): boolean;
}

/** Updates used on the hot path, made once. */
function denyUpdates(): Record<ErrorCode, OrderUpdate> {
  const out = {} as Record<ErrorCode, OrderUpdate>;
  for (const code of Object.keys(ERROR_CATALOGUE) as ErrorCode[]) out[code] = { kind: 'DENY', reason: code };
  return out;
}

/**
 * The single dispatching loop. Each cycle: drain the strategy rings into the strategy queues, then take orders in
 * priority and fair-share order (StrategyQueues), route, run pre-trade risk, offer to the internal crossing book or
 * mark SUBMITTED and add to the venue's batch; at the end hand over the cycle's batches. An order canceled while
 * queued is skipped. Nothing here allocates per order.
 */
export class Dispatcher {
  private scheduled = false;
  private readonly submitUpdates: OrderUpdate[];
  private readonly routeUpdates: OrderUpdate[];
  private readonly deny = denyUpdates();
  private readonly sources: IntakeSource[] = [];
  private crossing: CrossingStage | undefined;
  private smart: SmartRoutes | undefined;
  private states: TradingStates | undefined;
  private selfTrade: SelfTradePrevention | undefined;
  /** Resolves when a ring producer publishes (the doorbell); the loop sleeps on it when idle. */
  private sleeper: (() => Promise<unknown>) | undefined;
  private sleeping = false;
  private idleCycles = 0;
  private stopped = false;
  /** Set by halt: every order still queued is denied with it, none is dispatched. */
  private haltDeny: OrderUpdate | undefined;
  /** 1 = venue may receive orders (its circuit breaker is closed). */
  readonly available: Uint8Array;
  /** Orders dispatched (routed or denied) so far. */
  dispatched = 0;
  /** Queue entries dropped because their slot was released (and maybe reused) since they were queued. */
  staleEntries = 0;

  constructor(
    private readonly store: OrderStore,
    private readonly queues: StrategyQueues,
    private readonly tracker: OrderTracker,
    private readonly risk: PreTradeRisk,
    private readonly router: Router,
    private readonly batcher: VenueBatcher,
    private readonly maxPerCycle = 4096,
  ) {
    this.submitUpdates = router.venueNames.map((venue) => ({ kind: 'SUBMIT', venue }));
    this.routeUpdates = router.venueNames.map((venue) => ({ kind: 'ROUTE', venue }));
    this.available = new Uint8Array(router.venueCount).fill(1);
  }

  addSource(source: IntakeSource): void {
    this.sources.push(source);
  }

  setCrossing(crossing: CrossingStage): void {
    this.crossing = crossing;
  }

  setSmartRoutes(smart: SmartRoutes): void {
    this.smart = smart;
  }

  /** The trading states and the self-trade prevention every order is checked against before the limits. */
  setGuards(states: TradingStates, selfTrade: SelfTradePrevention): void {
    this.states = states;
    this.selfTrade = selfTrade;
  }

  /**
   * Ring producers wake the loop through `sleeper` (their shared doorbell). When there is nothing to do the loop
   * spins a few cycles (cheap, and much faster than a wake-up for bursts), then sleeps on the doorbell.
   */
  setSleeper(sleeper: () => Promise<unknown>): void {
    this.sleeper = sleeper;
    this.wake();
  }

  stop(): void {
    this.stopped = true;
  }

  /**
   * The journal failed: dispatch nothing more (no order may reach a venue without its records on disk). From the
   * next cycle on, every order still queued is DENIED with `code` (its waiters get their answer, its strategy its
   * event), and the rings are still drained so that every worker order is answered (intake refuses it).
   */
  halt(code: ErrorCode): void {
    this.haltDeny = this.deny[code];
    this.wake();
  }

  /** Ask for a cycle soon (after the current I/O callbacks). */
  wake(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.cycle);
  }

  private readonly cycle = (): void => {
    this.scheduled = false;
    if (this.stopped) return;
    const n = this.pump();
    if (this.queues.size > 0 || this.sourcesPending()) {
      this.idleCycles = 0;
      this.wake();
      return;
    }
    if (this.sleeper === undefined || this.sleeping) return;
    if (n > 0) this.idleCycles = 0;
    if (++this.idleCycles < IDLE_SPIN_CYCLES) {
      this.wake();
      return;
    }
    this.idleCycles = 0;
    this.sleeping = true;
    void this.sleeper().then(() => {
      this.sleeping = false;
      this.wake();
    });
  };

  /** One dispatch cycle, synchronously. Returns how many orders it dispatched. */
  pump(): number {
    for (let i = 0; i < this.sources.length; i++) this.sources[i]!.drain(this.maxPerCycle);
    let n = 0;
    while (n < this.maxPerCycle) {
      const slot = this.queues.shift();
      if (slot < 0) break;
      // An entry of an order canceled while queued and forgotten since: its slot may hold a newer order, which has
      // its own entry further back. Acting on this one would dispatch that order out of turn.
      if (!this.store.isCurrent(slot, this.queues.shiftedGeneration)) {
        this.staleEntries++;
        continue;
      }
      if (this.store.state[slot] === CREATED) {
        if (this.haltDeny === undefined) this.dispatchSlot(slot);
        else this.tracker.applySlot(slot, this.haltDeny);
        n++;
      }
    }
    this.batcher.endCycle();
    this.dispatched += n;
    return n;
  }

  private sourcesPending(): boolean {
    for (let i = 0; i < this.sources.length; i++) if (this.sources[i]!.pending()) return true;
    return false;
  }

  private dispatchSlot(slot: number): void {
    const s = this.store;
    const symbol = s.symbol[slot]!;
    const qty = s.qtyLots[slot]!;
    const strategy = s.strategy[slot]!;
    const side = s.side[slot]!;
    const pinned = s.pinned[slot]!;
    const states = this.states;
    // a venue HALTED by the operator is closed to routing (VenueGate); an order pinned to it is told why
    if (states !== undefined && states.restricted > 0 && pinned !== NO_VENUE && states.venueState(pinned) === HALTED) {
      this.tracker.applySlot(slot, this.deny.TRADING_HALTED);
      return;
    }
    const venue = this.pick(slot);
    if (venue < 0) {
      this.tracker.applySlot(slot, this.deny[pinned === NO_VENUE ? 'NO_ROUTE' : 'VENUE_UNAVAILABLE']);
      return;
    }
    if (states !== undefined && states.restricted > 0) {
      const state = states.effective(strategy, symbol, venue);
      if (state !== ACTIVE) {
        if (state === HALTED) {
          this.tracker.applySlot(slot, this.deny.TRADING_HALTED);
          return;
        }
        if (!this.risk.reduces(strategy, symbol, side, qty)) {
          this.tracker.applySlot(slot, this.deny.TRADING_REDUCING);
          return;
        }
      }
    }
    const price = s.priceTicks[slot]!;
    // an order the parent orders hold may send children to any venue: checked against all of them
    if (this.selfTrade !== undefined && this.selfTrade.crosses(strategy, symbol, this.held(slot) ? -1 : venue, side, price)) {
      this.tracker.applySlot(slot, this.deny.RISK_SELF_TRADE);
      return;
    }
    const code = this.risk.check(strategy, symbol, side, price, qty);
    if (code !== null) {
      this.tracker.applySlot(slot, this.deny[code]);
      return;
    }
    s.setRiskPrice(slot, price > 0 ? price : this.risk.markOf(symbol));
    if (this.crossing !== undefined && this.crossing.offer(slot)) return;
    const sent = this.held(slot) ? this.takeOr(slot, venue) : venue;
    if (sent === SWEPT) return;
    if (sent < 0) {
      this.tracker.applySlot(slot, this.deny.NO_ROUTE); // (the table had a venue a moment ago)
      return;
    }
    this.tracker.applySlot(slot, this.submitUpdates[sent]!);
    this.batcher.add(sent, slot);
  }

  /** Orders the parent orders may hold: sweeps, stops (emulated), execution algorithms. */
  private held(slot: number): boolean {
    const s = this.store;
    return this.smart !== undefined && (s.route[slot] === ROUTE_SWEEP || s.type[slot]! >= STOP || s.algo[slot] !== 0);
  }

  /**
   * An order the parent orders may hold: SWEPT when they took it, or else the venue that takes it whole — for a sweep
   * not swept (FOK, post-only, nothing to take now) the best venue for it, else the table's; for the others `venue`
   * (the pinned or picked one). -1: none.
   */
  private takeOr(slot: number, venue: number): number {
    const smart = this.smart!;
    if (smart.take(slot)) return SWEPT;
    if (this.store.route[slot] !== ROUTE_SWEEP || this.store.pinned[slot] !== NO_VENUE) return venue;
    const v = smart.best(slot);
    return v >= 0 ? v : this.router.route(this.store.symbol[slot]!, this.available);
  }

  /**
   * The venue for an order: its pinned venue if usable, else its route's choice — `best`: the market's (the table's
   * when no venue book can tell), `table`: the next slot of the symbol's table; an order the parent orders may hold
   * (sweep, stop, algorithm): the table's venue, peeked (a held order takes no slot). -1 when none.
   */
  private pick(slot: number): number {
    const s = this.store;
    const pinned = s.pinned[slot]!;
    if (pinned !== NO_VENUE) return this.available[pinned] === 1 ? pinned : -1;
    if (this.held(slot)) return this.router.peek(s.symbol[slot]!, this.available);
    if (s.route[slot] === ROUTE_BEST && this.smart !== undefined) {
      const v = this.smart.best(slot);
      if (v >= 0) return v;
    }
    return this.router.route(s.symbol[slot]!, this.available);
  }

  /**
   * Send again an order that is SUBMITTED to its venue but whose submission never arrived there (reconciliation
   * looked it up by client order id and the venue does not have it).
   */
  resend(slot: number): void {
    const venue = this.store.venue[slot]!;
    if (venue >= this.router.venueCount) return;
    this.batcher.add(venue, slot);
    this.wake();
  }

  /**
   * The rest of an order leaves the internal crossing book (its window ended): route it to a venue now. When no
   * venue can take it, it is canceled with NO_ROUTE (risk was reserved when it entered the crossing book).
   */
  release(slot: number): void {
    const venue = this.held(slot) ? this.takeOr(slot, this.pick(slot)) : this.pick(slot);
    if (venue === SWEPT) {
      this.wake();
      return;
    }
    if (venue < 0) {
      this.tracker.applySlot(slot, { kind: 'CANCELED', reason: 'NO_ROUTE' });
      return;
    }
    const t = this.tracker.applySlot(slot, this.routeUpdates[venue]!);
    if (t.outcome !== 'APPLIED') return;
    this.batcher.add(venue, slot);
    this.wake(); // the batch goes out at the end of the next cycle, not whenever another order comes
  }
}
