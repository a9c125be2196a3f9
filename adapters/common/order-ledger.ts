/**
 * The adapter's own record of the orders it handles: client order id <-> daemon order id <-> venue order id, the
 * trade ids already reported, what the venue last said. Every report to the daemon goes out from here, so the rules
 * that keep reports consistent live in one place:
 *  - an order is recorded (with its client order id) before anything is sent;
 *  - ACCEPTED once, before the first fill; REJECTED only for an order never accepted; CANCELED / EXPIRED once;
 *  - a FILL once per venue trade id, whichever source told us first (response, stream, REST poll, reconciliation);
 *  - prices and quantities convert exactly to ticks and lots; a value off the instrument grid is refused and logged
 *    loudly (never rounded) — see README;
 *  - a terminal state (filled, canceled, expired, rejected) is never undone by an older snapshot.
 * Fees are reported in the quote currency: the venue's fee when it is in the quote or the base currency (base fee
 * x price), else an estimate from the configured maker/taker bps.
 */
import type { Logger } from 'pino';
import type { CancelRequest, ExecutionReport, ReportSink } from '../../src/execution/venue.js';
import { feeText } from '../../src/model/decimal.js';
import type { Instrument } from '../../src/model/instrument.js';
import type { OrderType, Side, TimeInForce } from '../../src/model/order.js';
import { decimalText, mulDecimal } from './decimal-text.js';
import { type OrderSnapshot, type OrderSpec, TERMINAL_STATES, type TradeEvent, type VenueState } from './types.js';

/**
 * QUEUED: recorded, waiting for rate-limit tokens (not sent). SENT: on its way. UNKNOWN: sent, no usable answer
 * (timeout, lost connection): being looked up. LIVE: the venue has it. DONE: final at the venue and fully reported.
 */
export type Phase = 'QUEUED' | 'SENT' | 'UNKNOWN' | 'LIVE' | 'DONE';

export class TrackedOrder implements OrderSpec {
  readonly orderId: number;
  readonly clientOrderId: string;
  readonly instrument: Instrument;
  readonly side: Side;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly postOnly: boolean;
  readonly priceTicks: number;
  readonly stopTicks: number;
  readonly qtyLots: number;
  venueOrderId: string | undefined = undefined;
  phase: Phase = 'QUEUED';
  accepted = false;
  /** Epoch ms when the request carrying it went out (0 = not yet). */
  sentAt = 0;
  /** Lots reported to the daemon as fills. */
  filledLots = 0;
  /** Lots of fills refused (off grid): accounted for, never reported. */
  refusedLots = 0;
  /** A fill quantity could not even be converted: the order is closed as soon as it is terminal. */
  offGrid = false;
  /** The venue's cumulative filled lots (largest seen). */
  venueFilledLots = 0;
  readonly tradeIds = new Set<string>();
  /** Final state at the venue, once seen (sticky). */
  terminal: VenueState | undefined = undefined;
  /** REJECTED / CANCELED / EXPIRED has been reported. */
  finalReported = false;
  cancelWanted = false;
  cancelInFlight = false;
  gapFetching = false;
  /** Created for a cancel of an order this adapter never placed (e.g. after a restart). */
  adopted = false;
  doneAt = 0;

  constructor(spec: OrderSpec) {
    this.orderId = spec.orderId;
    this.clientOrderId = spec.clientOrderId;
    this.instrument = spec.instrument;
    this.side = spec.side;
    this.type = spec.type;
    this.timeInForce = spec.timeInForce;
    this.postOnly = spec.postOnly;
    this.priceTicks = spec.priceTicks;
    this.stopTicks = spec.stopTicks;
    this.qtyLots = spec.qtyLots;
  }

  get done(): boolean {
    return this.phase === 'DONE';
  }

  /** The venue reports more filled than we have accounted for. */
  get hasGap(): boolean {
    return !this.offGrid && this.venueFilledLots > this.filledLots + this.refusedLots;
  }
}

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
  readonly stats: LedgerStats = { accepted: 0, rejected: 0, fills: 0, duplicateTrades: 0, offGrid: 0, orphans: 0 };

  constructor(
    private readonly venue: string,
    private readonly sink: ReportSink,
    private readonly log: Logger,
    private readonly fees: LedgerFees,
    private readonly now: () => number,
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

  /** Orders the venue has and that are not final yet. */
  live(): TrackedOrder[] {
    const out: TrackedOrder[] = [];
    for (const t of this.byCid.values()) if (t.phase === 'LIVE') out.push(t);
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

  private emit(report: ExecutionReport): void {
    try {
      this.sink.report(this.venue, report);
    } catch (err) {
      this.log.error({ venue: this.venue, err, kind: report.kind, orderId: report.orderId }, 'report sink threw');
    }
  }

  /** The venue has the order (answer to the place request, or a snapshot / trade saying so). */
  accept(t: TrackedOrder, venueOrderId?: string): void {
    if (venueOrderId !== undefined && venueOrderId !== '' && t.venueOrderId !== venueOrderId) this.index(t, venueOrderId);
    if (t.accepted) return;
    if (t.finalReported) {
      this.log.error({ venue: this.venue, orderId: t.orderId, clientOrderId: t.clientOrderId }, 'venue reports an order that was reported rejected');
      return;
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
    const t = this.find(s.clientOrderId, s.venueOrderId);
    if (t === undefined) return undefined;
    if (s.venueOrderId !== undefined && s.venueOrderId !== '' && t.venueOrderId !== s.venueOrderId) this.index(t, s.venueOrderId);
    if (s.state === 'REJECTED') {
      this.reject(t, s.reason ?? 'VENUE_REJECTED: rejected by the venue');
      return t;
    }
    this.accept(t);
    const lots = this.lots(t, s.filledQty, 'snapshot');
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
    const t = this.find(tr.clientOrderId, tr.venueOrderId);
    if (t === undefined) {
      if (tr.venueOrderId !== undefined && tr.venueOrderId !== '') {
        const list = this.orphans.get(tr.venueOrderId) ?? [];
        if (list.length < 100) list.push({ trade: tr, at: this.now() });
        this.orphans.set(tr.venueOrderId, list);
        this.stats.orphans++;
      }
      return 'unknown';
    }
    if (tr.venueOrderId !== undefined && tr.venueOrderId !== '' && t.venueOrderId !== tr.venueOrderId) this.index(t, tr.venueOrderId);
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
    const fee = this.feeOf(t, tr, price.value, qty.value);
    t.filledLots += qty.value;
    if (t.filledLots + t.refusedLots > t.venueFilledLots) t.venueFilledLots = t.filledLots + t.refusedLots;
    this.stats.fills++;
    this.emit({
      kind: 'FILL',
      orderId: t.orderId,
      tradeId: tr.tradeId,
      priceTicks: price.value,
      qtyLots: qty.value,
      fee,
      liquidity: tr.liquidity,
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

  private feeOf(t: TrackedOrder, tr: TradeEvent, priceTicks: number, qtyLots: number): string {
    const inst = t.instrument;
    if (tr.fee !== undefined) {
      const amount = decimalText(tr.fee.amount);
      if (amount !== undefined) {
        if (tr.fee.currency === inst.quote) return amount;
        if (tr.fee.currency === inst.base) {
          const price = decimalText(tr.price);
          if (price !== undefined) return mulDecimal(amount, price);
        }
      }
    }
    return feeText(inst.tick, inst.lot, priceTicks, qtyLots, tr.liquidity === 'MAKER' ? this.fees.makerBps : this.fees.takerBps);
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
      }
    }
    for (const [vid, list] of this.orphans) {
      const kept = list.filter((w) => now - w.at < ORPHAN_TTL_MS);
      if (kept.length === 0) this.orphans.delete(vid);
      else this.orphans.set(vid, kept);
    }
  }
}
