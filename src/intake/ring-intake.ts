import { NO_VENUE, OrderView, ROUTE_DEFAULT, type NewOrderFields } from '../core/order-store.js';
import { byteText } from '../model/byte-text.js';
import type { OrderTracker, TrackerListener } from '../core/order-tracker.js';
import { systemClock, type Clock } from '../model/clock.js';
import type { ErrorCode } from '../model/errors.js';
import type { OrderUpdate, Transition } from '../model/lifecycle.js';
import { ORDER_STATES, isOpen, type OrderState } from '../model/order.js';
import type { Router } from '../routing/router.js';
import {
  EV_ACK, EV_CANCEL_REJECTED, EV_REFUSED, EventRecord, LIQUIDITY_MAKER, LIQUIDITY_TAKER, NO_CODE,
  errorCodeIndex, eventKindOfLifecycle, orderStateIndex,
} from './ring/event-record.js';
import {
  OP_CANCEL, OP_SUBMIT, OP_TAKEN, OP_WITHDRAWN, OrderRecord, markTaken, markWithdrawn, readOrderRecord, recordClientOrderIdIs,
  recordClientOrderIdLength, recordClientOrderIdsEqual, recordOp, recordPriority, recordSeq, recordTag, validateOrderRecord,
} from './ring/order-record.js';
import type { RingConsumer } from './ring/spsc-ring.js';
import type { RingEndpoint, StrategySnapshot } from './ring/transport.js';
import type { IntakeSource } from './dispatcher.js';
import type { OrderIntake } from './order-intake.js';
import { PRIORITY_LEVELS, type StrategyQueues } from './strategy-queues.js';

/** Cancel-by-seq window: a strategy can cancel by seq any of its last SEQ_WINDOW submits. */
const CREATED_INDEX = orderStateIndex('CREATED');
const SEQ_WINDOW = 1 << 16;
/**
 * A look past a waiting submit (takeAhead) remembers this many waiting submits with a client order id to compare a
 * later one's with; past that, a later submit carrying a client order id waits its turn (it might reuse one of theirs).
 */
const HELD_CIDS = 64;
/** Per strategy, what takeAhead last looked at and found nothing to take: head, records, its three queues, withdrawals. */
const AHEAD_KEY = 6;

/**
 * Worker strategies' order and cancel rings -> the strategy queues, and order events -> their event rings.
 * Each SUBMIT read from a ring is answered on the event ring: ACK with the order id, or REFUSED with a code; a CANCEL
 * is acted on at once (its order's events follow), or answered CANCEL_REJECTED (or REFUSED when malformed).
 *
 * Cancels and submits travel apart (transport.ts): each cycle takes the cancel rings first, whatever the strategies'
 * queues hold, then the order rings (each poll of an order ring first takes the cancels published since: a submit is
 * never taken before a cancel written ahead of it). A SUBMIT is taken only while the strategy's queue for ITS priority
 * has room, so a strategy that floods fills its own order ring and its producer gets QUEUE_FULL; nothing is dropped,
 * nothing refused for want of room. A full queue holds back only the submits of its own priority and the lower ones
 * written after them, never a submit of a higher priority: while the head of the ring waits (its queue full), the
 * records behind it are looked at (takeAhead) and a submit whose priority is above every waiting one's and whose queue
 * has room is taken at once, in place — marked OP_TAKEN and skipped when the head gets there, as a withdrawn one is. So a
 * HIGH submit never waits behind a LOW one of its strategy whose queue is full (the LOW queue is served after every
 * strategy's NORMAL orders: it could wait for as long as they came, risk-reducing orders included). Order is kept where
 * it means something: within a priority (FIFO, as the queues are), for a submit carrying the client order id of a
 * waiting one (it waits too: the first one written takes the id), behind a CANCEL record in the order ring, and for
 * cancels (those published before a submit is taken are read first, as for the head). (An enhancer that moves an order
 * to a full queue gets it refused QUEUE_FULL, as on the API.) Its cancels are not held up by any of that: a cancel needs
 * no queue room and has its own ring, full only when the daemon has not read that many cancels; a strategy can also
 * withdraw the submits still waiting in its ring (below).
 *
 * A cancel keeps the strategy's own order of work: the SUBMIT it names may have been read (it is then an order: queued,
 * CANCELED at once without reaching a venue, or at a venue, PENDING_CANCEL) or may still be in the order ring, written
 * before the cancel (the producer publishes its order ring first, so it is there to be seen). Such a SUBMIT is
 * withdrawn: marked in place in the ring (OP_WITHDRAWN; the daemon's thread owns the slots it has not released) and
 * answered at once REFUSED ORDER_WITHDRAWN — it never becomes an order and no venue sees it; when the ring's head gets
 * to it, it is skipped. So a cancel by seq or client order id of a submit the strategy wrote just before never answers
 * ORDER_NOT_FOUND, and never waits for that submit's queue to have room. A withdrawal is not counted against the
 * strategy's cancel rate (nothing goes to a venue). Only SUBMITs written before the cancel (lower seq) are candidates.
 *
 * The producer sequence (one over both rings, up by 1 at each record) is checked as each record is read: a record whose
 * seq is not the producer's next one there (a repeat, a step back, a jump ahead, not a seq at all: a writer that
 * bypasses the SDK) is refused BAD_REQUEST, counted as a FIFO violation, and moves neither ring's last-read seq
 * (isNextSubmitSeq, isNextCancelSeq): before, a valid but wrong seq was taken and moved readSeq, so a RESYNC's
 * "every submit up to readSeq was read" could name submits never read (a jump) or go back (a step back). Nothing is
 * allocated per record unless the record carries its own client order id.
 *
 * Publishing and wake-ups: an event is published at once (a worker that is awake reads it right away) — but to a
 * worker that polls after its activity (the busy-polling dispatcher's), those of a dispatch cycle (ACKs and refusals
 * as records are read, SUBMITTED or DENIED as orders are dispatched, the events of cancels) are published together at
 * its end (beginCycle .. endCycle), right after the venues got the cycle's batches (and with every 64th in a long
 * cycle): one atomic store per strategy and cycle, not one per event before the venue has the order
 * (HostedStrategy.holdEvents). A sleeping worker is not notified per event: its endpoint owes it
 * one wake-up, rung at the end of the dispatcher's cycle (endCycle: even when the busy-polling loop holds the event
 * loop) or, for events written outside a cycle, at the end of the event-loop iteration (the endpoint's setImmediate).
 * So N events to an idle worker in one iteration cost one Atomics.notify, not N.
 */
export class RingIntake implements IntakeSource, TrackerListener {
  private readonly rec = new OrderRecord();
  private readonly ev = new EventRecord();
  private readonly fields: NewOrderFields = {
    strategy: 0, symbol: 0, side: 0, type: 0, tif: 0, postOnly: false, priority: 1,
    priceTicks: 0, stopTicks: 0, qtyLots: 0, venue: NO_VENUE, clientOrderId: undefined, producerSeq: 0, tag: 0, route: ROUTE_DEFAULT, parent: 0, algo: 0, paramA: 0, paramB: 0, arrivalMid: 0,
  };
  /** Hosted strategy by daemon strategy index (undefined = an API-only strategy). */
  private readonly hosted: (RingEndpoint | undefined)[];
  /** Per strategy, the seq of the last record read from its order ring (all below it there are read). */
  private readonly lastSeq: Float64Array;
  /** Per strategy, the seq of the last record read from its cancel ring. */
  private readonly lastCancelSeq: Float64Array;
  /** Per strategy, SUBMITs this intake marked withdrawn in its order ring and has not reached yet. */
  private readonly withdrawn: Int32Array;
  /** Per strategy, SUBMITs this intake took ahead of their turn (OP_TAKEN) and its head has not reached yet. */
  private readonly ahead: Int32Array;
  /** Per strategy, AHEAD_KEY numbers: the state a look past its waiting head found nothing to take in (NaN: none). */
  private readonly aheadKey: Float64Array;
  /** Byte offsets of the waiting submits with a client order id a look past the head has met (takeAhead). */
  private readonly heldCids = new Int32Array(HELD_CIDS);
  /** Set by takeable: it stopped at a SUBMIT whose queue is full (the records behind it may be looked at). */
  private blocked = false;
  /** Set by a drain pass when a ring held more than its share (another pass may take the rest). */
  private more = false;
  /** Set before each poll of an order ring: its first record looks at the cancel ring again first (onRecord). */
  private recheckCancels = false;
  private readonly idBySeq: Float64Array[];
  private current: RingEndpoint | undefined;
  private currentStrategy = 0;
  /** Daemon strategy index of each of `strategies`. */
  private readonly strategyIndex: Int32Array;
  /** The ring (index in `strategies`) the next drain starts with. */
  private startAt = 0;
  /** Records whose sequence number was not the previous one + 1. */
  fifoViolations = 0;
  /** Records taken from the rings. */
  taken = 0;
  /** SUBMITs withdrawn from their order ring by a cancel before they were read (answered REFUSED ORDER_WITHDRAWN). */
  withdrawals = 0;
  /** SUBMITs taken ahead of an earlier one of a lower priority that waited in the ring for room in its queue. */
  takenAhead = 0;

  constructor(
    private readonly strategies: readonly RingEndpoint[],
    strategyIndexOf: (id: string) => number,
    strategyCount: number,
    private readonly intake: OrderIntake,
    private readonly tracker: OrderTracker,
    private readonly queues: StrategyQueues,
    private readonly router: Router,
    private readonly symbolCount: number,
    /** Time of refusals (events about an order carry the order's own times). */
    private readonly clock: Clock = systemClock,
    /**
     * A submit refused here, never an order (switchyard_rejects_total, as the API edges count theirs); not a cancel
     * refused, nor a submit withdrawn by its cancel.
     */
    private readonly onSubmitRefused: (code: ErrorCode) => void = () => {},
  ) {
    this.hosted = new Array<RingEndpoint | undefined>(strategyCount);
    this.strategyIndex = new Int32Array(strategies.length);
    strategies.forEach((h, i) => {
      const s = strategyIndexOf(h.id);
      if (s < 0) throw new RangeError(`hosted strategy ${h.id} is not configured`);
      this.hosted[s] = h;
      this.strategyIndex[i] = s;
    });
    this.lastSeq = new Float64Array(strategyCount);
    this.lastCancelSeq = new Float64Array(strategyCount);
    this.withdrawn = new Int32Array(strategyCount);
    this.ahead = new Int32Array(strategyCount);
    this.aheadKey = new Float64Array(strategyCount * AHEAD_KEY).fill(NaN);

    this.idBySeq = Array.from({ length: strategyCount }, (_, s) => (this.hosted[s] === undefined ? new Float64Array(0) : new Float64Array(SEQ_WINDOW)));
  }

  pending(): boolean {
    for (let i = 0; i < this.strategies.length; i++) {
      const h = this.strategies[i]!;
      if (h.orders.hasRecords() || h.cancels.hasRecords()) return true;
    }
    return false;
  }

  /**
   * Takes up to `budget` records from the rings: the cancel rings first, then the order rings; from each kind first up
   * to an equal share of the budget from each ring, then what is left, starting one ring further on each call. A ring
   * that always holds a whole budget (a flooding worker) must not keep the others' records in their rings cycle after
   * cycle: taken first in configuration order, it did (their workers got QUEUE_FULL, their cancels waited), before the
   * strategy queues' fair shares could see them. Cancels are taken whatever the strategies' queues hold.
   */
  drain(budget: number): number {
    const k = this.strategies.length;
    if (k === 0 || budget <= 0) return 0;
    this.more = false;
    let total = this.drainPass(true, Math.ceil(budget / k), budget, 0);
    if (this.more && total < budget) total = this.drainPass(true, budget, budget, total);
    if (total < budget) {
      this.more = false;
      total = this.drainPass(false, Math.ceil((budget - total) / k), budget, total);
      if (this.more && total < budget) total = this.drainPass(false, budget, budget, total);
    }
    if (++this.startAt >= k) this.startAt = 0;
    this.taken += total;
    return total;
  }

  /**
   * One pass over the cancel rings (`cancels`) or the order rings from `startAt`: up to `share` records from each,
   * `budget` in all; returns the new total. An order ring gives no more than its head's SUBMITs have room for in their
   * own priorities' queues (takeable); when its head waits for room, the submits of higher priorities behind it may be
   * taken in place (takeAhead).
   */
  private drainPass(cancels: boolean, share: number, budget: number, total: number): number {
    const k = this.strategies.length;
    for (let i = 0, j = this.startAt; i < k && total < budget; i++, j = j + 1 === k ? 0 : j + 1) {
      const s = this.strategyIndex[j]!;
      const h = this.strategies[j]!;
      let limit = share;
      if (limit > budget - total) limit = budget - total;
      if (limit <= 0) continue;
      this.current = h;
      this.currentStrategy = s;
      let n = 0;
      if (cancels) {
        n = h.cancels.poll(limit, this.onCancelRecord);
        if (n === limit) this.more = true;
      } else {
        const room = this.takeable(h.orders, s, limit);
        const blocked = this.blocked;
        if (room > 0) {
          this.recheckCancels = true;
          n = h.orders.poll(room, this.onRecord);
          this.recheckCancels = false;
          // took all it could see: more may have been published meanwhile (another pass looks)
          if (n === room) this.more = true;
        }
        if (blocked && n < limit) n += this.takeAhead(h, s, limit - n);
      }
      total += n;
    }
    return total;
  }

  /**
   * How many of the first `max` records of strategy `s`'s order ring can be taken now: up to the first SUBMIT whose
   * priority's queue would be full (it waits, and what follows it, in ring order). Other records (withdrawn, a cancel, a
   * malformed one, refused when read) need no room. Reads two bytes per record in place; allocates nothing.
   */
  private takeable(ring: RingConsumer, s: number, max: number): number {
    this.blocked = false;
    let n = ring.available();
    if (n > max) n = max;
    const q = this.queues;
    let high = q.capacity - q.length(s, 0);
    let normal = q.capacity - q.length(s, 1);
    let low = q.capacity - q.length(s, 2);
    // every queue has room for all of them (the common case): nothing to look at
    if (high >= n && normal >= n && low >= n) return n;
    for (let i = 0; i < n; i++) {
      const off = ring.offsetAt(i);
      if (recordOp(ring, off) !== OP_SUBMIT) continue;
      const p = recordPriority(ring, off);
      if (p === 0 ? high-- <= 0 : p === 1 ? normal-- <= 0 : p === 2 && low-- <= 0) {
        this.blocked = true;
        return i;
      }
    }
    return n;
  }

  /**
   * The head of strategy `s`'s order ring is a SUBMIT waiting for room in its queue: takes, in place, up to `max` of
   * the SUBMITs behind it that need not wait for it (see the class comment), each answered as if read in its turn and
   * marked OP_TAKEN; returns how many it took. A submit waits when an earlier one waiting has its priority or a higher
   * one, or its client order id, or its own queue is full; the look ends at a record out of seq order or not a SUBMIT
   * (a CANCEL in the order ring keeps its place), at a waiting HIGH submit, or once no priority above the waiting ones
   * has room. The cancels published since this cycle's cancel pass are read first (as a poll of the ring does).
   * A look that found nothing is not repeated until the ring, the strategy's queues or the withdrawals changed.
   * Reads the records in place; allocates nothing.
   */
  private takeAhead(h: RingEndpoint, s: number, max: number): number {
    if (h.cancels.hasRecords()) {
      h.cancels.poll(h.cancels.capacity, this.onCancelRecord);
      this.current = h;
    }
    const ring = h.orders;
    const q = this.queues;
    const n = ring.available();
    const position = ring.position;
    let high = q.capacity - q.length(s, 0);
    let normal = q.capacity - q.length(s, 1);
    let low = q.capacity - q.length(s, 2);
    const key = this.aheadKey;
    const k = s * AHEAD_KEY;
    if (key[k] === position && key[k + 1] === n && key[k + 2] === high && key[k + 3] === normal && key[k + 4] === low
      && key[k + 5] === this.withdrawals) return 0;
    key[k] = position;
    key[k + 1] = n;
    key[k + 2] = high;
    key[k + 3] = normal;
    key[k + 4] = low;
    key[k + 5] = this.withdrawals;
    /** The highest priority (lowest index) among the waiting submits met so far; PRIORITY_LEVELS: none yet. */
    let waiting = PRIORITY_LEVELS;
    let cids = 0;
    let cidsOverflow = false;
    let prev = this.lastSeq[s]!;
    const cancelsRead = this.lastCancelSeq[s]!;
    let taken = 0;
    for (let i = 0; i < n && taken < max; i++) {
      const off = ring.offsetAt(i);
      const seq = recordSeq(ring, off);
      // out of seq order (a repeat, a step back, a jump past the cancels read): refused in its turn, nothing overtakes it
      if (!isSeq(seq) || !(seq > prev) || seq > (cancelsRead > prev ? cancelsRead : prev) + 1) break;
      prev = seq;
      const op = recordOp(ring, off);
      if (op === OP_WITHDRAWN || op === OP_TAKEN) continue;
      if (op !== OP_SUBMIT) break;
      const p = recordPriority(ring, off);
      if (p >= PRIORITY_LEVELS) break; // refused in its turn
      const cid = recordClientOrderIdLength(ring, off) > 0;
      if (p < waiting && (p === 0 ? high : p === 1 ? normal : low) > 0 && !(cid && this.reusesHeldCid(ring, off, cids, cidsOverflow))) {
        if (p === 0) high--;
        else if (p === 1) normal--;
        else low--;
        this.takeAt(h, s, off);
        taken++;
        continue;
      }
      // it waits for its turn, and so does every later submit of its priority or a lower one
      if (p < waiting) waiting = p;
      if (cid) {
        if (cids < HELD_CIDS) this.heldCids[cids++] = off;
        else cidsOverflow = true;
      }
      if (waiting === 0 || (high <= 0 && (waiting === 1 || normal <= 0))) break;
    }
    if (taken > 0) {
      key[k] = NaN; // the queues changed: look again next time
      this.takenAhead += taken;
    }
    return taken;
  }

  /** The SUBMIT at `off` carries the client order id of one of the first `count` waiting ones (or may: overflow). */
  private reusesHeldCid(ring: RingConsumer, off: number, count: number, overflow: boolean): boolean {
    if (overflow) return true;
    for (let i = 0; i < count; i++) if (recordClientOrderIdsEqual(ring, this.heldCids[i]!, off)) return true;
    return false;
  }

  /** Takes the SUBMIT at `off` of `h`'s order ring ahead of its turn: answered now, skipped when the head gets there. */
  private takeAt(h: RingEndpoint, s: number, off: number): void {
    const rec = readOrderRecord(h.orders, off, this.rec);
    this.accept(h, s, rec);
    markTaken(h.orders, off);
    this.ahead[s]!++;
  }

  /** The dispatcher's cycle begins: the events it writes may reach each strategy together, at its end (endCycle). */
  beginCycle(): void {
    for (let i = 0; i < this.strategies.length; i++) this.strategies[i]!.holdEvents();
  }

  /**
   * The dispatcher's cycle ended: publish the events each strategy got in it (one atomic store each) and wake those
   * that sleep (one notify each).
   */
  endCycle(): void {
    for (let i = 0; i < this.strategies.length; i++) this.strategies[i]!.wake();
  }

  /** A record of a cancel ring: CANCELs only (a SUBMIT there would skip its queue's bound and order: BAD_REQUEST). */
  private readonly onCancelRecord = (offset: number): void => {
    const h = this.current!;
    const s = this.currentStrategy;
    const rec = readOrderRecord(h.cancels, offset, this.rec);
    if (!this.isNextCancelSeq(s, rec.seq)) {
      this.fifoViolations++;
      this.refuse(h, rec, 'BAD_REQUEST');
      return;
    }
    this.lastCancelSeq[s] = rec.seq;
    const invalid = validateOrderRecord(rec, this.symbolCount, this.router.venueCount) ?? (rec.op === OP_CANCEL ? null : 'BAD_REQUEST');
    if (invalid !== null) {
      this.refuse(h, rec, invalid);
      return;
    }
    this.cancel(h, s, rec);
  };

  /** A record of an order ring. */
  private readonly onRecord = (offset: number): void => {
    const h = this.current!;
    const s = this.currentStrategy;
    if (this.recheckCancels) {
      // The cancels published since this cycle's cancel pass, first: the producer publishes a cancel before any submit
      // written after it, so every cancel written before a submit this poll takes (all published before the poll read
      // the order ring's tail) is visible now. Read after them, such a submit would reach a venue ahead of the cancel
      // (a cancel-replace whose replacement trades with the order being canceled). One look per poll, not per record.
      this.recheckCancels = false;
      if (h.cancels.hasRecords()) {
        h.cancels.poll(h.cancels.capacity, this.onCancelRecord);
        this.current = h;
      }
    }
    if (this.withdrawn[s]! > 0 || this.ahead[s]! > 0) {
      const op = recordOp(h.orders, offset);
      if (op === OP_WITHDRAWN || op === OP_TAKEN) {
        // withdrawn by a cancel while it waited in the ring (answered then: REFUSED ORDER_WITHDRAWN), or taken ahead of
        // its turn (answered then)
        if (op === OP_WITHDRAWN) this.withdrawn[s]!--;
        else this.ahead[s]!--;
        const seq = recordSeq(h.orders, offset);
        if (this.isNextSubmitSeq(s, seq)) this.lastSeq[s] = seq;
        else this.fifoViolations++;
        return;
      }
    }
    const rec = readOrderRecord(h.orders, offset, this.rec);
    if (!this.isNextSubmitSeq(s, rec.seq)) {
      // not the producer's next record: refused, readSeq kept (see isNextSubmitSeq)
      this.fifoViolations++;
      this.refuse(h, rec, 'BAD_REQUEST');
      return;
    }
    this.lastSeq[s] = rec.seq;
    this.accept(h, s, rec);
  };

  /**
   * `seq`, read at the head of strategy `s`'s order ring, is the producer's next record there: one sequence runs over
   * both rings, up by 1 at each record (strategy-runtime.ts), so the records between the last one read from the order
   * ring and this one are cancels — and every cancel written before a submit is read before it (onRecord reads the
   * cancel ring first). So it is above the last order-ring seq and at most one above the highest seq read from either
   * ring. Any other (a repeat, a step back, a jump ahead, not a seq at all: a writer that bypasses the SDK) is refused
   * BAD_REQUEST and does not move readSeq, which must keep meaning "every submit up to it was read".
   */
  private isNextSubmitSeq(s: number, seq: number): boolean {
    const last = this.lastSeq[s]!;
    const cancels = this.lastCancelSeq[s]!;
    return isSeq(seq) && seq > last && seq <= (cancels > last ? cancels : last) + 1;
  }

  /**
   * `seq`, read from strategy `s`'s cancel ring, is the producer's next cancel: above every seq read from either ring
   * (a submit written after a cancel is read after it), and at most one above that plus the order ring's records not
   * read yet (the producer publishes a cancel only after every submit written before it). Any other is refused
   * BAD_REQUEST and moves nothing (the bound of the order ring's check above).
   */
  private isNextCancelSeq(s: number, seq: number): boolean {
    const last = this.lastSeq[s]!;
    const cancels = this.lastCancelSeq[s]!;
    const read = cancels > last ? cancels : last;
    return isSeq(seq) && seq > read && seq <= read + 1 + this.current!.orders.available();
  }

  /** A record of strategy `s`'s order ring, read (its seq noted): refused, a cancel acted on, or a new order ACKed. */
  private accept(h: RingEndpoint, s: number, rec: OrderRecord): void {
    const invalid = validateOrderRecord(rec, this.symbolCount, this.router.venueCount);
    if (invalid !== null) {
      this.refuse(h, rec, invalid);
      return;
    }
    if (rec.op === OP_CANCEL) {
      this.cancel(h, s, rec);
      return;
    }
    if (rec.venue !== NO_VENUE && !this.router.listsSymbol(rec.venue, rec.symbol)) {
      this.refuse(h, rec, 'UNKNOWN_VENUE');
      return;
    }
    const f = this.fields;
    f.strategy = s;
    f.symbol = rec.symbol;
    f.side = rec.side;
    f.type = rec.type;
    f.tif = rec.timeInForce;
    f.postOnly = rec.postOnly;
    f.priority = rec.priority;
    f.priceTicks = rec.priceTicks;
    f.stopTicks = rec.stopTicks;
    f.qtyLots = rec.qtyLots;
    f.venue = rec.venue;
    f.clientOrderId = rec.clientOrderIdLength === 0 ? undefined : asciiText(rec.clientOrderId, rec.clientOrderIdLength);
    f.producerSeq = rec.seq;
    f.route = ROUTE_DEFAULT; // the strategy's route (submitFields resolves it)
    f.tag = rec.tag;
    const slot = this.intake.submitFields(f);
    if (slot < 0) {
      this.refuse(h, rec, this.intake.refusal.code);
      return;
    }
    const store = this.tracker.store;
    const id = store.id[slot]!;
    this.idBySeq[s]![rec.seq % SEQ_WINDOW] = id;
    // ACK carries what the event record promises for a new order: state CREATED, its symbol, side, price, quantity —
    // the order's, which the strategy's enhancer may have changed from the record's (submitFields)
    const ev = this.ev.reset();
    ev.kind = EV_ACK;
    ev.seq = rec.seq;
    ev.tag = rec.tag;
    ev.orderId = id;
    ev.symbol = rec.symbol;
    ev.side = rec.side;
    ev.state = CREATED_INDEX;
    ev.priceTicks = store.priceTicks[slot]!;
    ev.qtyLots = store.qtyLots[slot]!;
    // the order's creation time: no clock read (on Node 20 each one allocates a boxed double)
    ev.ts = store.createdAt[slot]!;
    h.publishEvent(ev);
  }

  private cancel(h: RingEndpoint, s: number, rec: OrderRecord): void {
    let slot = -1;
    if (rec.orderId > 0) slot = this.tracker.slotOf(rec.orderId);
    else if (rec.targetSeq > 0) {
      // above the last record read from the order ring: the submit, if it is one, is still there
      if (rec.targetSeq > this.lastSeq[s]! && this.withdraw(h, s, rec)) return;
      const id = this.idBySeq[s]![rec.targetSeq % SEQ_WINDOW]!;
      const candidate = id > 0 ? this.tracker.slotOf(id) : -1;
      if (candidate >= 0 && this.tracker.store.producerSeq[candidate] === rec.targetSeq) slot = candidate;
    } else {
      slot = this.tracker.slotOfClientOrderId(asciiText(rec.clientOrderId, rec.clientOrderIdLength));
      if (slot < 0 && this.withdraw(h, s, rec)) return;
    }
    if (slot < 0 || this.tracker.store.strategy[slot] !== s) {
      this.answer(h, EV_CANCEL_REJECTED, rec.seq, rec.tag, rec.orderId, 'ORDER_NOT_FOUND');
      return;
    }
    const r = this.intake.strategyCancel(slot);
    if (!r.ok) this.answer(h, EV_CANCEL_REJECTED, rec.seq, rec.tag, this.tracker.store.id[slot]!, r.code);
  }

  /**
   * Looks for the SUBMIT a cancel names (by targetSeq or client order id) among the records of the strategy's order
   * ring not read yet and written before the cancel; withdraws it (REFUSED ORDER_WITHDRAWN now, skipped when reached)
   * — by client order id, every such SUBMIT carrying the id (a retried submit would otherwise go on once the first
   * one, withdrawn, no longer holds the id).
   * One already withdrawn and still in the ring: CANCEL_REJECTED ORDER_NOT_CANCELABLE (once passed it is forgotten:
   * ORDER_NOT_FOUND) — unless, by client order id, a SUBMIT after it reuses the id (withdrawn, it never took the id):
   * that one is withdrawn. False when there is none (ORDER_NOT_FOUND then).
   * A scan of at most the ring's unread records, only for a cancel whose target is not an order yet.
   */
  private withdraw(h: RingEndpoint, s: number, rec: OrderRecord): boolean {
    const ring = h.orders;
    const n = ring.available();
    const read = this.lastSeq[s]!;
    const bySeq = rec.targetSeq > 0;
    /** A record the cancel names was found withdrawn already (by client order id: a later SUBMIT may still reuse it). */
    let withdrawnMatch = false;
    /** SUBMITs withdrawn by this cancel (by client order id, every one written before it: see below). */
    let taken = 0;
    for (let i = 0; i < n; i++) {
      const off = ring.offsetAt(i);
      const seq = recordSeq(ring, off);
      if (!(seq < rec.seq)) break; // written after the cancel (seqs increase along the ring)
      if (seq <= read) continue; // read already (this intake is within a poll of this ring)
      if (bySeq ? seq !== rec.targetSeq : !recordClientOrderIdIs(ring, off, rec)) {
        if (bySeq && seq > rec.targetSeq) break;
        continue;
      }
      const op = recordOp(ring, off);
      if (op === OP_WITHDRAWN) {
        // by client order id, the id is free again once withdrawn: a later SUBMIT reusing it is the one to withdraw
        withdrawnMatch = true;
        if (bySeq) break;
        continue;
      }
      if (op !== OP_SUBMIT) {
        if (bySeq) return false;
        continue;
      }
      markWithdrawn(ring, off);
      this.withdrawn[s]!++;
      this.withdrawals++;
      this.answer(h, EV_REFUSED, seq, recordTag(ring, off), 0, 'ORDER_WITHDRAWN');
      if (bySeq) return true;
      // by client order id, the later ones too: read in turn they would have been refused DUPLICATE_CLIENT_ORDER_ID
      // (the first being an order then); left in the ring, the first withdrawn, the next would become a live order
      taken++;
    }
    if (taken > 0) return true;
    if (withdrawnMatch) {
      this.answer(h, EV_CANCEL_REJECTED, rec.seq, rec.tag, 0, 'ORDER_NOT_CANCELABLE');
      return true;
    }
    return false;
  }

  /** A record refused: REFUSED with its code, and a submit (anything but a cancel) counted as an order refused. */
  private refuse(h: RingEndpoint, rec: OrderRecord, code: ErrorCode): void {
    if (rec.op !== OP_CANCEL) this.onSubmitRefused(code);
    this.answer(h, EV_REFUSED, rec.seq, rec.tag, 0, code);
  }

  private answer(h: RingEndpoint, kind: number, seq: number, tag: number, orderId: number, code: ErrorCode | undefined): void {
    const ev = this.ev.reset();
    ev.kind = kind;
    ev.seq = seq;
    ev.tag = tag;
    ev.orderId = orderId;
    ev.code = code === undefined ? NO_CODE : errorCodeIndex(code);
    ev.ts = this.clock.now();
    h.publishEvent(ev);
  }

  /** Order events of hosted strategies go back on their event rings. */
  onTransition(order: OrderView, update: OrderUpdate, t: Transition): void {
    const h = this.hosted[order.strategyIndex];
    if (h === undefined || order.parentId !== 0) return; // a strategy sees its parent orders, not their children
    const kind = eventKindOfLifecycle(t.event, t.to);
    if (kind === 0) return;
    const ev = this.ev.reset();
    ev.kind = kind;
    ev.orderId = order.id;
    ev.seq = order.producerSeq;
    ev.tag = order.tag;
    ev.symbol = order.symbolIndex;
    ev.side = this.tracker.store.side[order.slot]!;
    ev.state = t.toIndex;
    ev.code = errorCodeIndex(order.reason);
    ev.filledLots = order.filledLots;
    ev.ts = order.updatedAt;
    if (update.kind === 'FILL') {
      ev.priceTicks = update.fill.priceTicks;
      ev.qtyLots = update.fill.qtyLots;
      ev.liquidity = update.fill.liquidity === 'MAKER' ? LIQUIDITY_MAKER : LIQUIDITY_TAKER;
    } else {
      // the event record's contract: otherwise the order's limit price and quantity
      ev.priceTicks = order.priceTicks;
      ev.qtyLots = order.qtyLots;
    }
    h.publishEvent(ev);
  }

  /**
   * The seq the first worker of strategy `s` starts at (StrategyHost `firstSeq`, at the daemon's start, before the worker
   * exists): one above every seq the daemon knows for the strategy — the seqs of its orders the daemon holds (after a
   * daemon restart, those the journal gave back: open ones, and finished ones still retained, whose events and snapshot
   * entries carry their seq) and those of every record read from its rings. So a new submit never gets the seq of an
   * order the daemon holds: its events, a RESYNC and a cancel by seq name one order each.
   *
   * The intake reads on from there, as if the records up to it had been read: readSeq (snapshot) is firstSeq - 1, a
   * record at or below it is a FIFO violation, and a cancel by seq of a held order among the last SEQ_WINDOW seqs finds
   * it (idBySeq). Allocates (once per strategy at start).
   */
  firstSeq(s: number): number {
    if (this.hosted[s] === undefined) throw new RangeError(`strategy ${s} has no rings`);
    const store = this.tracker.store;
    let last = Math.max(this.lastSeq[s]!, this.lastCancelSeq[s]!);
    const held: number[] = []; // slots of the strategy's orders that came from its rings
    for (let slot = 0; slot < store.capacity; slot++) {
      if (store.id[slot]! < 0 || store.strategy[slot] !== s || !(store.producerSeq[slot]! > 0)) continue;
      held.push(slot);
      if (store.producerSeq[slot]! > last) last = store.producerSeq[slot]!;
    }
    this.lastSeq[s] = last;
    this.lastCancelSeq[s] = last;
    // within the window each index holds one seq at most: no held order hides another
    const bySeq = this.idBySeq[s]!;
    for (const slot of held) {
      const seq = store.producerSeq[slot]!;
      if (seq > last - SEQ_WINDOW) bySeq[seq % SEQ_WINDOW] = store.id[slot]!;
    }
    return last + 1;
  }

  /**
   * What a strategy's RESYNC (and ctx.openOrders()) is answered with: its open orders, and how far the daemon had read
   * its order ring (transport.ts StrategySnapshot). Called on the daemon's thread between two drains, so `readSeq` is
   * exact: every record up to it was read; after it, only those taken ahead of their turn (in `orders`, or finished:
   * `withdrawn`). A RESYNC is rare: this allocates.
   */
  snapshot(strategyId: string, strategyIndex: number): StrategySnapshot {
    void strategyId;
    const orders = this.tracker.list(true)
      .filter((o) => o.strategyIndex === strategyIndex && o.parentId === 0)
      .map((o) => ({
        orderId: o.id,
        seq: o.producerSeq,
        tag: o.tag,
        clientOrderId: o.clientOrderId,
        symbol: o.symbol,
        side: o.side,
        type: o.type,
        state: o.state as OrderState,
        priceTicks: o.priceTicks,
        qtyLots: o.qtyLots,
        filledLots: o.filledLots,
      }))
      .filter((o) => isOpen(o.state));
    const readSeq = strategyIndex >= 0 && strategyIndex < this.lastSeq.length ? this.lastSeq[strategyIndex]! : 0;
    return { orders, readSeq, withdrawn: this.finishedUnread(strategyIndex) };
  }

  /**
   * Seqs of the SUBMITs of strategy `s`'s order ring that the ring's head has not reached yet (all above its readSeq)
   * and that are done with: withdrawn (answered REFUSED ORDER_WITHDRAWN when the cancel was read), or taken ahead of
   * their turn (takeAhead) and refused, or their order finished. One taken ahead whose order is open is in the
   * snapshot's orders.
   */
  private finishedUnread(s: number): number[] {
    const out: number[] = [];
    const h = this.hosted[s];
    if (h === undefined) return out;
    let marked = this.withdrawn[s]! + this.ahead[s]!;
    if (marked === 0) return out;
    const ring = h.orders;
    const n = ring.available();
    for (let i = 0; i < n && marked > 0; i++) {
      const off = ring.offsetAt(i);
      const op = recordOp(ring, off);
      if (op !== OP_WITHDRAWN && op !== OP_TAKEN) continue;
      marked--;
      const seq = recordSeq(ring, off);
      if (op === OP_WITHDRAWN || !this.isOpenOrder(s, seq)) out.push(seq);
    }
    return out;
  }

  /** Strategy `s`'s submit `seq` is an open order (one taken ahead: idBySeq names it, seqs above readSeq being recent). */
  private isOpenOrder(s: number, seq: number): boolean {
    const id = this.idBySeq[s]![seq % SEQ_WINDOW]!;
    const slot = id > 0 ? this.tracker.slotOf(id) : -1;
    const store = this.tracker.store;
    return slot >= 0 && store.producerSeq[slot] === seq && store.strategy[slot] === s && isOpen(ORDER_STATES[store.state[slot]!]!);
  }
}

/**
 * A producer sequence number: a whole number from 1 to 2^53 - 1 (validateOrderRecord refuses any other BAD_REQUEST).
 * A record whose seq is not one, or not the next one (strategy code writing its ring directly, not through the SDK), is
 * refused and counted as a FIFO violation, but it does not move its ring's last-read seq: that is readSeq in a RESYNC
 * ("every record up to it was read"), the bound of a cancel's withdrawal scan and of the next check. A record with the
 * next seq that is refused for another field was read and answered: it moves it.
 */
function isSeq(seq: number): boolean {
  return Number.isSafeInteger(seq) && seq > 0;
}

function asciiText(bytes: Uint8Array, length: number): string {
  return byteText(bytes, 0, length);
}
