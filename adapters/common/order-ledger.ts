/**
 * The adapter's own record of the orders it handles: client order id <-> daemon order id <-> venue order id, the
 * trade ids already reported, what the venue last said. Every report to the daemon goes out from here, so the rules
 * that keep reports consistent live in one place:
 *  - an order is recorded (with its client order id) before anything is sent;
 *  - ACCEPTED once, before the first fill; REJECTED only for an order never accepted; CANCELED / EXPIRED once;
 *  - a REJECTED order the venue shows later (its lookup lagged past the validity window) is ACCEPTED after all: a
 *    correction the lifecycle knows (REJECTED -> ACCEPTED), so its fills are never lost;
 *  - a FILL once per venue trade id, whichever source told us first (response, stream, REST poll, reconciliation);
 *  - prices and quantities convert exactly to ticks and lots; a value off the instrument grid is refused and logged
 *    loudly (never rounded) — see README;
 *  - a terminal state (filled, canceled, expired, rejected) is never undone by an older snapshot.
 * Fees are reported as the venue stated them, in their own currency (common/fees.ts: one rule per venue, positive
 * = paid); only a trade without any fee gets an estimate from the configured maker/taker bps, marked as such.
 * Each FILL carries the venue's own trade time.
 */
import type { Logger } from 'pino';
import type { CancelRequest, ExecutionReport, ReportSink } from '../../src/execution/venue.js';
import type { Instrument } from '../../src/model/instrument.js';
import { fillFee } from './fees.js';
import { type Mismatch, orderMismatches } from './order-match.js';
import { TrackedOrder } from './tracked-order.js';
import { type OrderSnapshot, type OrderSpec, TERMINAL_STATES, type TradeEvent } from './types.js';

export interface LedgerStats {
  accepted: number;
  rejected: number;
  fills: number;
  /** Trades heard again (stream duplicates, REST polls of known trades): not reported twice. */
  duplicateTrades: number;
  /** Fills or snapshots with values off the instrument grid: refused, logged. */
  offGrid: number;
  /** Trades for orders not (yet) known, kept briefly in case the order's acknowledgement is late. */
  orphans: number;
  /** Orders reported REJECTED that the venue showed later (ACCEPTED again: see accept()). */
  corrected: number;
  /** Venue orders found under one of our client order ids that are not ours (order-match.ts): left alone. */
  foreign: number;
}

export interface LedgerFees {
  readonly makerBps: string;
  readonly takerBps: string;
}

const ORPHAN_TTL_MS = 10_000;

export class OrderLedger {
  private readonly byCid = new Map<string, TrackedOrder>();
  private readonly byVid = new Map<string, TrackedOrder>();
  private readonly orphans = new Map<string, Array<{ trade: TradeEvent; at: number }>>();
  /**
   * Venue order ids that hold one of our client order ids but are not our orders (another program trading with the
   * same keys): their reports are never applied to ours. Only collisions land here, so it stays tiny.
   */
  private readonly foreign = new Set<string>();
  readonly stats: LedgerStats = { accepted: 0, rejected: 0, fills: 0, duplicateTrades: 0, offGrid: 0, orphans: 0, corrected: 0, foreign: 0 };

  constructor(
    private readonly venue: string,
    private readonly sink: ReportSink,
    private readonly log: Logger,
    private readonly fees: LedgerFees,
    private readonly now: () => number,
    /** The venue's symbol text for an instrument, as snapshots state it (undefined: the symbol is not compared). */
    private readonly venueSymbol: (instrument: Instrument) => string | undefined = () => undefined,
  ) {}

  /** Records a new order before it is sent. */
  add(spec: OrderSpec): TrackedOrder {
    const existing = this.byCid.get(spec.clientOrderId);
    if (existing !== undefined && !existing.done) {
      this.log.error({ venue: this.venue, clientOrderId: spec.clientOrderId, orderId: spec.orderId, previous: existing.orderId }, 'client order id reused while the previous order is not final');
    }
    const t = new TrackedOrder(spec);
    this.byCid.set(spec.clientOrderId, t);
    return t;
  }

  /**
   * An order this adapter did not place (placed before a restart; a cancel for it): tracked from now on, taken as
   * accepted. Its trades are reported again from the start (the lifecycle ignores trade ids it has seen).
   */
  adopt(req: CancelRequest, qtyLots = Number.MAX_SAFE_INTEGER): TrackedOrder {
    const known = this.byCid.get(req.clientOrderId);
    if (known !== undefined) return known;
    const t = new TrackedOrder({
      orderId: req.orderId,
      clientOrderId: req.clientOrderId,
      instrument: req.instrument,
      side: 'BUY',
      type: 'LIMIT',
      timeInForce: 'GTC',
      postOnly: false,
      priceTicks: 0,
      stopTicks: 0,
      qtyLots,
    });
    t.adopted = true;
    t.accepted = true;
    t.phase = 'LIVE';
    this.byCid.set(req.clientOrderId, t);
    if (req.venueOrderId !== undefined) this.index(t, req.venueOrderId);
    return t;
  }

  get(clientOrderId: string): TrackedOrder | undefined {
    return this.byCid.get(clientOrderId);
  }

  byVenueId(venueOrderId: string): TrackedOrder | undefined {
    return this.byVid.get(venueOrderId);
  }

  find(clientOrderId: string | undefined, venueOrderId: string | undefined): TrackedOrder | undefined {
    if (clientOrderId !== undefined && clientOrderId !== '') {
      const t = this.byCid.get(clientOrderId);
      if (t !== undefined) return t;
    }
    if (venueOrderId !== undefined && venueOrderId !== '') return this.byVid.get(venueOrderId);
    return undefined;
  }

  /** Why the venue's order `s`, found under t's client order id, is not t (empty: it is t). See order-match.ts. */
  mismatches(t: TrackedOrder, s: OrderSnapshot): Mismatch[] {
    return orderMismatches(t, s, this.venueSymbol(t.instrument));
  }

  /** Whether a venue order id is known to be someone else's order under one of our client order ids. */
  isForeign(venueOrderId: string | undefined): boolean {
    return venueOrderId !== undefined && venueOrderId !== '' && this.foreign.has(venueOrderId);
  }

  /**
   * A venue order holds t's client order id but is not t: logged once (code DUPLICATE_CLIENT_ORDER_ID), never
   * tracked under t's order id, never canceled; its trades are dropped.
   */
  markForeign(t: TrackedOrder, venueOrderId: string | undefined, venueState: string | undefined, mismatches: readonly string[]): void {
    if (venueOrderId !== undefined && venueOrderId !== '') {
      if (this.foreign.has(venueOrderId)) return;
      this.foreign.add(venueOrderId);
      this.orphans.delete(venueOrderId);
    }
    this.stats.foreign++;
    this.log.error(
      { venue: this.venue, code: 'DUPLICATE_CLIENT_ORDER_ID', orderId: t.orderId, clientOrderId: t.clientOrderId, venueOrderId, venueState, mismatches },
      'an order at the venue holds our client order id but is not ours: left alone (not adopted, never canceled)',
    );
  }

  /**
   * The order a report is about, or undefined when it is not one of ours. A client order id is unique only among
   * a venue account's open orders, so a report under our client order id is ours only if its venue order id is the
   * one our order is bound to; an order not bound yet (answer lost, duplicate answer) is bound only by a snapshot
   * that states what we sent (a trade alone waits as an orphan until a snapshot or an answer binds its order).
   * Adopted orders (placed before a restart) were checked by whoever adopted them.
   */
  private owner(clientOrderId: string | undefined, venueOrderId: string | undefined, s?: OrderSnapshot): TrackedOrder | undefined {
    const vid = venueOrderId === '' ? undefined : venueOrderId;
    if (vid !== undefined && this.foreign.has(vid)) return undefined;
    const t = this.find(clientOrderId, vid);
    if (t === undefined || vid === undefined || t.venueOrderId === vid || t.previousVids?.includes(vid) === true) return t;
    if (t.venueOrderId !== undefined) {
      this.markForeign(t, vid, s?.state, [`venue order id ${vid} (ours is ${t.venueOrderId})`]);
      return undefined;
    }
    if (t.adopted) return t;
    if (s === undefined) return undefined;
    const bad = this.mismatches(t, s);
    if (bad.length === 0) return t;
    // Only a stated difference proves the order is someone else's; a report that leaves something out binds
    // nothing (the answer to our request, or a fuller report, will).
    if (bad.some((m) => m.stated)) this.markForeign(t, vid, s.state, bad.map((m) => m.text));
    return undefined;
  }


  /** Orders the venue has and that are not final yet. */
  live(): TrackedOrder[] {
    const out: TrackedOrder[] = [];
    for (const t of this.byCid.values()) if (t.phase === 'LIVE') out.push(t);
    return out;
  }

  /** Orders given up on (see TrackedOrder.givenUp) and not corrected since, while retained. */
  givenUp(): TrackedOrder[] {
    const out: TrackedOrder[] = [];
    for (const t of this.byCid.values()) if (t.givenUp && t.terminal === 'REJECTED') out.push(t);
    return out;
  }

  /** Every order not DONE (queued, sent, unknown or live). */
  open(): TrackedOrder[] {
    const out: TrackedOrder[] = [];
    for (const t of this.byCid.values()) if (t.phase !== 'DONE') out.push(t);
    return out;
  }

  get size(): number {
    return this.byCid.size;
  }

  private index(t: TrackedOrder, venueOrderId: string): void {
    if (venueOrderId === '') return;
    t.venueOrderId = venueOrderId;
    this.byVid.set(venueOrderId, t);
    const waiting = this.orphans.get(venueOrderId);
    if (waiting !== undefined) {
      this.orphans.delete(venueOrderId);
      for (const w of waiting) this.applyTrade(w.trade);
    }
  }

  /** A report about an order, as is (amend answers: amends.ts). */
  report(report: ExecutionReport): void {
    this.emit(report);
  }

  /**
   * A cancel-replace amend moved the order to a new venue order (new client order id and/or venue order id): indexed
   * under both, the old ids kept (a late report of the old venue order, a fill that raced, is still ours).
   */
  rebind(t: TrackedOrder, clientOrderId: string | undefined, venueOrderId: string | undefined): void {
    if (venueOrderId !== undefined && t.venueOrderId !== undefined) (t.previousVids ??= []).push(t.venueOrderId);
    t.filledBase = t.filledLots;
    t.venueFilledLots = t.filledLots + t.refusedLots;
    if (clientOrderId !== undefined) {
      t.setClientOrderId(clientOrderId);
      this.byCid.set(clientOrderId, t);
    }
    if (venueOrderId !== undefined) this.index(t, venueOrderId);
  }

  /** The order is gone at the venue (a cancel-replace whose replacement was not placed): CANCELED once. */
  closeCanceled(t: TrackedOrder, reason: string): void {
    if (t.terminal === undefined) t.terminal = 'CANCELED';
    if (!t.finalReported) {
      t.finalReported = true;
      this.emit({ kind: 'CANCELED', orderId: t.orderId, reason });
    }
    this.settle(t);
  }

  private emit(report: ExecutionReport): void {
    try {
      this.sink.report(this.venue, report);
    } catch (err) {
      this.log.error({ venue: this.venue, err, kind: report.kind, orderId: report.orderId }, 'report sink threw');
    }
  }

  /** The venue has the order (answer to the place request, or a snapshot / trade saying so). */
  accept(t: TrackedOrder, venueOrderId?: string): void {
    // called with the venue order id only by what proves the order ours (the answer to our request, a lookup that
    // matched): never someone else's, whatever a report said before
    if (venueOrderId !== undefined && this.foreign.delete(venueOrderId)) {
      this.log.warn({ venue: this.venue, orderId: t.orderId, clientOrderId: t.clientOrderId, venueOrderId }, 'a venue order taken for another program\'s is ours after all');
    }
    if (venueOrderId !== undefined && venueOrderId !== '' && t.venueOrderId !== venueOrderId) this.index(t, venueOrderId);
    if (t.accepted) return;
    if (t.finalReported) {
      if (t.terminal !== 'REJECTED') {
        // canceled before it was ever sent: the venue cannot have it
        this.log.error({ venue: this.venue, orderId: t.orderId, clientOrderId: t.clientOrderId }, 'venue reports an order that was never sent');
        return;
      }
      // Reported REJECTED (no answer and not found within the request's validity window), and now the venue shows
      // it: the venue's word wins. ACCEPTED corrects the rejection (the lifecycle reopens the order) and its fills
      // follow; nothing is lost.
      this.stats.corrected++;
      this.log.warn({ venue: this.venue, code: 'REJECTION_CORRECTED', orderId: t.orderId, clientOrderId: t.clientOrderId }, 'the venue reports an order that was reported rejected: corrected, the order is live');
      t.finalReported = false;
      t.terminal = undefined;
      t.givenUp = false;
      t.phase = 'LIVE';
      t.doneAt = 0;
    }
    t.accepted = true;
    if (t.phase !== 'DONE') t.phase = 'LIVE';
    this.stats.accepted++;
    this.emit({ kind: 'ACCEPTED', orderId: t.orderId, venueOrderId: t.venueOrderId ?? '' });
  }

  /** The order is not at the venue and never will be. */
  reject(t: TrackedOrder, reason: string): void {
    if (t.accepted || t.finalReported) {
      if (!t.finalReported) this.log.error({ venue: this.venue, orderId: t.orderId, reason }, 'rejection for an order the venue accepted: ignored');
      return;
    }
    t.finalReported = true;
    t.terminal = 'REJECTED';
    t.phase = 'DONE';
    t.doneAt = this.now();
    this.stats.rejected++;
    this.emit({ kind: 'REJECTED', orderId: t.orderId, reason });
  }

  cancelRejected(t: TrackedOrder, reason: string): void {
    this.emit({ kind: 'CANCEL_REJECTED', orderId: t.orderId, reason });
  }

  /** Canceled before it was ever sent. */
  canceledUnsent(t: TrackedOrder): void {
    t.terminal = 'CANCELED';
    t.finalReported = true;
    t.phase = 'DONE';
    t.doneAt = this.now();
    this.emit({ kind: 'CANCELED', orderId: t.orderId, reason: 'canceled before it was sent to the venue' });
  }

  /** Applies what the venue says about an order; returns the order, or undefined when it is not ours. */
  applySnapshot(s: OrderSnapshot): TrackedOrder | undefined {
    const t = this.owner(s.clientOrderId, s.venueOrderId, s);
    if (t === undefined) return undefined;
    // A venue order the order was moved away from (cancel-replace): its end is not the order's; its fills come as trades.
    if (s.venueOrderId !== undefined && t.previousVids?.includes(s.venueOrderId) === true) return t;
    // The cancel leg of a cancel-replace in flight: held until the answer says whether a replacement was placed.
    if (t.replacing && s.state === 'CANCELED' && (s.venueOrderId === undefined || s.venueOrderId === '' || s.venueOrderId === t.venueOrderId)) {
      t.heldCancel = s;
      return t;
    }
    if (s.venueOrderId !== undefined && s.venueOrderId !== '' && t.venueOrderId !== s.venueOrderId) this.index(t, s.venueOrderId);
    if (s.state === 'REJECTED') {
      this.reject(t, s.reason ?? 'VENUE_REJECTED: rejected by the venue');
      return t;
    }
    this.accept(t);
    const own = this.lots(t, s.filledQty, 'snapshot');
    // the venue order it is bound to counts from 0 again after a cancel-replace
    const lots = own === undefined ? undefined : own + t.filledBase;
    if (lots !== undefined && lots > t.venueFilledLots) t.venueFilledLots = lots;
    if (TERMINAL_STATES.has(s.state) && t.terminal === undefined) {
      t.terminal = s.state;
      if ((s.state === 'CANCELED' || s.state === 'EXPIRED') && !t.finalReported) {
        t.finalReported = true;
        this.emit(
          s.state === 'CANCELED'
            ? { kind: 'CANCELED', orderId: t.orderId, reason: s.reason }
            : { kind: 'EXPIRED', orderId: t.orderId, reason: s.reason },
        );
      }
    }
    this.settle(t);
    return t;
  }

  /**
   * Applies one trade. 'reported': a FILL went out; 'duplicate': already reported; 'refused': off grid (logged);
   * 'unknown': not one of our orders (kept a few seconds in case its acknowledgement is late).
   */
  applyTrade(tr: TradeEvent): 'reported' | 'duplicate' | 'refused' | 'unknown' {
    const t = this.owner(tr.clientOrderId, tr.venueOrderId);
    if (t === undefined) {
      if (tr.venueOrderId !== undefined && tr.venueOrderId !== '' && !this.foreign.has(tr.venueOrderId)) {
        const list = this.orphans.get(tr.venueOrderId) ?? [];
        if (list.length < 100) list.push({ trade: tr, at: this.now() });
        this.orphans.set(tr.venueOrderId, list);
        this.stats.orphans++;
      }
      return 'unknown';
    }
    // (a trade of a venue order it was moved away from by a cancel-replace does not bind it back)
    if (tr.venueOrderId !== undefined && tr.venueOrderId !== '' && t.venueOrderId !== tr.venueOrderId && t.previousVids?.includes(tr.venueOrderId) !== true) {
      this.index(t, tr.venueOrderId);
    }
    if (t.tradeIds.has(tr.tradeId)) {
      this.stats.duplicateTrades++;
      return 'duplicate';
    }
    t.tradeIds.add(tr.tradeId);
    const inst = t.instrument;
    const price = inst.priceToTicks(tr.price);
    const qty = inst.qtyToLots(tr.qty);
    if (!price.ok || !qty.ok || qty.value <= 0) {
      this.stats.offGrid++;
      if (qty.ok) t.refusedLots += qty.value;
      else t.offGrid = true;
      this.log.error(
        {
          venue: this.venue,
          code: 'OFF_GRID_FILL',
          orderId: t.orderId,
          clientOrderId: t.clientOrderId,
          tradeId: tr.tradeId,
          price: tr.price,
          qty: tr.qty,
          tickSize: inst.tick.text,
          lotSize: inst.lot.text,
          priceError: price.ok ? undefined : price.error,
          qtyError: qty.ok ? undefined : qty.error,
        },
        'fill off the instrument grid: NOT reported (configure the instrument with the venue tick and lot size); reconcile by hand',
      );
      this.settle(t);
      return 'refused';
    }
    this.accept(t);
    if (t.filledLots + qty.value > t.qtyLots) {
      this.log.error({ venue: this.venue, orderId: t.orderId, tradeId: tr.tradeId, filledLots: t.filledLots, qtyLots: t.qtyLots, fillLots: qty.value }, 'fill beyond the order quantity');
    }
    const fee = fillFee(tr.fee, tr.liquidity, inst, price.value, qty.value, this.fees);
    t.filledLots += qty.value;
    if (t.filledLots + t.refusedLots > t.venueFilledLots) t.venueFilledLots = t.filledLots + t.refusedLots;
    this.stats.fills++;
    this.emit({
      kind: 'FILL',
      orderId: t.orderId,
      tradeId: tr.tradeId,
      priceTicks: price.value,
      qtyLots: qty.value,
      fee: fee.fee,
      feeCurrency: fee.feeCurrency,
      ...(fee.feeEstimated ? { feeEstimated: true } : {}),
      liquidity: tr.liquidity,
      venueTs: tr.ts,
    });
    this.settle(t);
    return 'reported';
  }

  /** Lots of a quantity text, or undefined (logged) when it is off the grid. */
  lots(t: TrackedOrder, text: string, what: string): number | undefined {
    const r = t.instrument.qtyToLots(text);
    if (r.ok) return r.value;
    this.stats.offGrid++;
    this.log.error({ venue: this.venue, code: 'OFF_GRID_QTY', orderId: t.orderId, what, qty: text, lotSize: t.instrument.lot.text, error: r.error }, 'venue quantity off the lot grid');
    return undefined;
  }

  private settle(t: TrackedOrder): void {
    if (t.phase === 'DONE' || t.terminal === undefined) return;
    if (t.offGrid || t.filledLots + t.refusedLots >= t.venueFilledLots) {
      t.phase = 'DONE';
      t.doneAt = this.now();
    }
  }

  /** Forgets final orders older than `retainMs` and stale orphan trades. */
  prune(retainMs: number): void {
    const now = this.now();
    for (const [cid, t] of this.byCid) {
      if (t.phase === 'DONE' && now - t.doneAt > retainMs) {
        this.byCid.delete(cid);
        if (t.venueOrderId !== undefined && this.byVid.get(t.venueOrderId) === t) this.byVid.delete(t.venueOrderId);
        for (const vid of t.previousVids ?? []) if (this.byVid.get(vid) === t) this.byVid.delete(vid);
      }
    }
    for (const [vid, list] of this.orphans) {
      const kept = list.filter((w) => now - w.at < ORPHAN_TTL_MS);
      if (kept.length === 0) this.orphans.delete(vid);
      else this.orphans.set(vid, kept);
    }
  }
}
