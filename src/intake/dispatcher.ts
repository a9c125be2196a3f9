import type { VenueBatcher } from '../execution/batcher.js';
import { NO_VENUE, ROUTE_BEST, ROUTE_SWEEP, TYPE_CODE, type OrderStore } from '../core/order-store.js';
import type { OrderTracker } from '../core/order-tracker.js';
import { systemClock } from '../model/clock.js';
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
/** Default mode: how long the loop keeps polling after its last work before it sleeps, µs. */
export const DEFAULT_SPIN_US = 200;
/** Busy-poll mode: how long the loop keeps polling in a tight loop after its last work before it sleeps, µs. */
export const DEFAULT_BUSY_POLL_SPIN_US = 1_000_000;
/** Busy-poll mode: the longest one polling slice holds the event loop before it yields (I/O, timers), ms. */
const BUSY_POLL_SLICE_MS = 0.1;
/** Default mode: the longest one polling slice holds the event loop, ms. */
const SPIN_SLICE_MS = 0.02;
/** Idle polls between two clock reads. */
const POLLS_PER_CLOCK_READ = 32;
/** A slice ends after this many idle polls whatever the clock says (an injected clock may stand still). */
const MAX_IDLE_POLLS_PER_SLICE = 1 << 16;

/** Producers drained at the start of every cycle (strategy rings); returns how many records it took. */
export interface IntakeSource {
  drain(budget: number): number;
  /** True while records are waiting (so the loop keeps going without sleeping). */
  pending(): boolean;
  /** Called at the start of every cycle, before drain (e.g. hold the events the cycle writes until its end). */
  beginCycle?(): void;
  /** Called at the end of every cycle, after the venues got their batches (e.g. wake the strategies that got events). */
  endCycle?(): void;
}

/**
 * How the loop waits for work when it has none (daemon.dispatch in the configuration). When it has a doorbell to
 * sleep on (worker strategies' rings), the loop polls the rings in a tight loop in slices — 20 µs, or 0.1 ms with
 * busyPoll — and yields to the event loop (setImmediate) between two slices, so I/O (API, journal, venues) and timers
 * run; it dispatches as soon as a record is there (tens of ns after it was published, not an event-loop turn later).
 * It goes on while the last record it took from a ring is under `spinUs` old, then sleeps on the doorbell
 * (Atomics.waitAsync: no CPU while idle); an order that arrives then pays the wake-up (a futex notify and an event-loop
 * wake-up, several µs). Orders that come another way (API, Redis, the daemon's own) run a cycle through wake() and do
 * not start a spin: the rings are polled for the rings' sake only.
 *  - default (busyPoll false): spinUs 200 µs, friendly to a 2-core machine: the loop polls only right after work;
 *  - busyPoll: spinUs 1 s by default: for a machine with a core to spare (the daemon's thread takes a whole core while
 *    orders flow, and the workers poll for their events too, worker-protocol.ts BUSY_POLL_WORKER_SPIN_US).
 * Without a doorbell (no worker strategies) each wake() runs one cycle and nothing polls.
 */
export interface DispatchPolicy {
  readonly busyPoll?: boolean;
  /** Default DEFAULT_SPIN_US, or DEFAULT_BUSY_POLL_SPIN_US with busyPoll. */
  readonly spinUs?: number;
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
  /** wake() asked for a cycle: the next turn runs one whatever the sources hold. */
  private cycleWanted = false;
  private stopped = false;
  private busyPoll = false;
  /** How long the loop polls after its last work before it sleeps, ms. */
  private spinMs = DEFAULT_SPIN_US / 1000;
  /** Monotonic ms (injected: setPolicy). */
  private monoMs: () => number = systemClock.monoMs;
  /** monoMs of the last cycle that took records from the rings (the spin is measured from it). */
  private lastWork = 0;
  /** Set by halt: every order still queued is denied with it, none is dispatched. */
  private haltDeny: OrderUpdate | undefined;
  /** 1 = venue may receive orders (its circuit breaker is closed). */
  readonly available: Uint8Array;
  /** 1 = the venue is closed because another daemon holds its account's lease (VenueGate writes it): what an order pinned to it is told. */
  readonly leasedElsewhere: Uint8Array;
  /** Orders dispatched (routed or denied) so far. */
  dispatched = 0;
  /** Queue entries dropped because their slot was released (and maybe reused) since they were queued. */
  staleEntries = 0;
  /** Times the loop went to sleep on the doorbell (metrics, tests). */
  sleeps = 0;

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
    this.leasedElsewhere = new Uint8Array(router.venueCount);
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
   * keeps polling for a short time (DispatchPolicy: much faster than a wake-up for an order that follows soon), then
   * sleeps on the doorbell.
   */
  setSleeper(sleeper: () => Promise<unknown>): void {
    this.sleeper = sleeper;
    this.wake();
  }

  /** How the loop waits for work (see DispatchPolicy); `monoMs`: the monotonic clock it measures its spin with. */
  setPolicy(policy: DispatchPolicy, monoMs?: () => number): void {
    const busy = policy.busyPoll === true;
    const spinUs = policy.spinUs ?? (busy ? DEFAULT_BUSY_POLL_SPIN_US : DEFAULT_SPIN_US);
    if (!Number.isFinite(spinUs) || spinUs < 0) throw new RangeError(`dispatch spinUs must be a non-negative number of µs, got ${spinUs}`);
    this.busyPoll = busy;
    this.spinMs = spinUs / 1000;
    if (monoMs !== undefined) this.monoMs = monoMs;
    this.wake();
  }

  /** True while the loop waits on the doorbell with no cycle scheduled (it polls nothing then). */
  get asleep(): boolean {
    return this.sleeping && !this.scheduled;
  }

  /** The policy in force. */
  get policy(): Required<DispatchPolicy> {
    return { busyPoll: this.busyPoll, spinUs: this.spinMs * 1000 };
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

  /**
   * Ask for a cycle soon (after the current I/O callbacks). The cycle runs even when no queue or ring holds an order:
   * a caller may have added to a venue's batch (resend, release, a parent's children), which goes out at the end of a
   * cycle.
   */
  wake(): void {
    this.cycleWanted = true;
    this.schedule();
  }

  /** The next turn of the loop (its own polling slices: no cycle unless there is work). */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.cycle);
  }

  private readonly cycle = (): void => {
    this.scheduled = false;
    this.turn();
  };

  /** Woken by the doorbell: the turn runs at once (a setImmediate more would cost one more event-loop phase). */
  private readonly woken = (): void => {
    this.sleeping = false;
    if (!this.scheduled) this.turn();
  };

  private turn(): void {
    if (this.stopped) return;
    if (this.sleeper !== undefined) {
      // asked for a cycle (wake): when the sources have nothing (the slice would not pump), run one anyway, so that
      // batches added outside a cycle go out
      if (this.cycleWanted) {
        this.cycleWanted = false;
        if (this.queues.size === 0 && !this.sourcesPending()) this.pump();
      }
      this.pollSlice(this.busyPoll ? BUSY_POLL_SLICE_MS : SPIN_SLICE_MS);
      return;
    }
    // no doorbell: one cycle per wake(), and again while there is more
    this.pump();
    if (this.queues.size > 0 || this.sourcesPending()) this.schedule();
  }

  /**
   * Polls the sources in a tight loop, pumping whenever there is work, for at most `sliceMs`; then yields to the event
   * loop (setImmediate) if there was work within spinMs, else sleeps on the doorbell.
   */
  private pollSlice(sliceMs: number): void {
    let now = this.monoMs();
    const end = now + sliceMs;
    let idle = 0;
    let idleTotal = 0;
    for (;;) {
      const ringWork = this.sourcesPending();
      if (ringWork || this.queues.size > 0) {
        this.pump();
        if (this.stopped) return;
        idle = 0;
        now = this.monoMs();
        // the spin waits for the rings' next record: orders from the API, Redis or the daemon itself wake the loop
        // (wake()) and are no reason to keep polling the rings
        if (ringWork) this.lastWork = now;
        if (now >= end) break;
        continue;
      }
      if (now - this.lastWork >= this.spinMs) break;
      if (++idle < POLLS_PER_CLOCK_READ) continue;
      idle = 0;
      now = this.monoMs();
      if (now >= end || now - this.lastWork >= this.spinMs) break;
      if ((idleTotal += POLLS_PER_CLOCK_READ) >= MAX_IDLE_POLLS_PER_SLICE) break;
    }
    if (this.queues.size > 0 || this.sourcesPending() || now - this.lastWork < this.spinMs) this.schedule();
    else if (!this.sleeping) this.sleep();
  }

  private sleep(): void {
    this.sleeping = true;
    this.sleeps++;
    void this.sleeper!().then(this.woken);
  }

  /**
   * Takes what the sources (worker rings) hold now, synchronously, without dispatching the queues; returns how many
   * records it took. A stop calls it once the strategies' workers have ended: the cancels their stop hooks wrote are
   * acted on (submits are refused, intake being closed) whether or not the loop got a turn between the writes and
   * the worker's exit — in busy-poll mode, or while polling after work, the loop's next slice comes after the
   * exit's callback, which goes on to stop the loop.
   */
  drainSources(): number {
    let total = 0;
    for (let i = 0; i < this.sources.length; i++) {
      const source = this.sources[i]!;
      while (source.pending()) {
        const n = source.drain(this.maxPerCycle);
        if (n === 0) break; // its strategy's queues are full: they hold the orders, the loop dispatches them
        total += n;
      }
    }
    for (let i = 0; i < this.sources.length; i++) this.sources[i]!.endCycle?.();
    return total;
  }

  /** One dispatch cycle, synchronously. Returns how many orders it dispatched. */
  pump(): number {
    for (let i = 0; i < this.sources.length; i++) this.sources[i]!.beginCycle?.();
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
    for (let i = 0; i < this.sources.length; i++) this.sources[i]!.endCycle?.();
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
      this.tracker.applySlot(slot, this.deny[pinned === NO_VENUE ? 'NO_ROUTE' : this.leasedElsewhere[pinned] === 1 ? 'VENUE_LEASED' : 'VENUE_UNAVAILABLE']);
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
