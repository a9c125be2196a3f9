/**
 * Reads from the venue, all through the rate limiter at query priority (venue failures count for the breaker): the
 * daemon's queries (lookup, openOrders, fillsSince), an order's refresh (after a refused or unanswered cancel, or an
 * adoption), and the fetch of fills a snapshot shows we have not had (the venue's filled quantity is ahead of ours and
 * the stream does not catch up). Every snapshot the adapter learns goes to the ledger through applySnapshot here.
 */
import type { VenueFill, VenueOrderStatus } from '../../src/execution/venue.js';
import type { Instrument } from '../../src/model/instrument.js';
import { type AdapterContext, type QueryKind, accountFailure, errText } from './adapter-context.js';
import { asVenueError } from './errors.js';
import { type FillFee, fillFee } from './fees.js';
import type { TrackedOrder } from './tracked-order.js';
import type { OrderSnapshot } from './types.js';

const GAP_DELAY_MS = 300;

export class VenueQueries {
  constructor(private readonly ctx: AdapterContext) {}

  /** A read through the rate limiter (query priority); venue failures count for the circuit breaker. */
  async query<T>(kind: QueryKind, instrument: Instrument, fn: () => Promise<T>, account = true): Promise<T> {
    try {
      const r = await this.ctx.limiter.run(this.ctx.hooks.queryCosts(kind, instrument), 'query', fn);
      if (account) this.ctx.breaker.success();
      return r;
    } catch (err) {
      const e = asVenueError(err);
      if (account) accountFailure(this.ctx.breaker, e);
      throw e;
    }
  }

  async lookup(clientOrderId: string, instrument: Instrument, venueOrderId?: string): Promise<VenueOrderStatus | null> {
    const t = this.ctx.ledger.get(clientOrderId);
    // by the venue order id when the order is bound to one (ours, or the caller's: the journal after a restart)
    const vid = t?.venueOrderId ?? (venueOrderId === '' ? undefined : venueOrderId);
    const snap = await this.query('order', instrument, () => this.ctx.hooks.fetchOrder({ clientOrderId, venueOrderId: vid, instrument }));
    if (snap === null) return null;
    if (t !== undefined) this.applySnapshot(snap);
    return this.status(snap);
  }

  async openOrders(instruments: readonly Instrument[]): Promise<VenueOrderStatus[]> {
    const out: VenueOrderStatus[] = [];
    for (const inst of instruments) {
      const list = await this.query('open', inst, () => this.ctx.hooks.fetchOpen(inst));
      for (const s of list) out.push(this.status(s));
    }
    return out;
  }

  async fillsSince(sinceMs: number, instruments: readonly Instrument[]): Promise<VenueFill[]> {
    const out: VenueFill[] = [];
    const clientIds = new Map<string, string | null>();
    for (const inst of instruments) {
      const trades = await this.query('trades', inst, () => this.ctx.hooks.fetchTrades(inst, { sinceMs }));
      for (const tr of trades) {
        if (tr.ts < sinceMs) continue;
        let cid = tr.clientOrderId;
        if ((cid === undefined || cid === '') && tr.venueOrderId !== undefined) {
          cid = this.ctx.ledger.byVenueId(tr.venueOrderId)?.clientOrderId;
          if (cid === undefined) {
            let known = clientIds.get(tr.venueOrderId);
            if (known === undefined) {
              const snap = await this.query('order', inst, () => this.ctx.hooks.fetchOrder({ clientOrderId: undefined, venueOrderId: tr.venueOrderId, instrument: inst }));
              known = snap?.clientOrderId ?? null;
              clientIds.set(tr.venueOrderId, known);
            }
            cid = known ?? undefined;
          }
        }
        const price = inst.priceToTicks(tr.price);
        const qty = inst.qtyToLots(tr.qty);
        if (!price.ok || !qty.ok) {
          this.ctx.log.error({ venue: this.ctx.name, code: 'OFF_GRID_FILL', tradeId: tr.tradeId, price: tr.price, qty: tr.qty }, 'fill off the instrument grid left out of fillsSince');
          continue;
        }
        out.push({
          clientOrderId: cid ?? '',
          // what binds the fill to an order: the daemon applies it only to the order bound to this venue order id
          venueOrderId: tr.venueOrderId ?? '',
          tradeId: tr.tradeId,
          instrument: inst,
          priceTicks: price.value,
          qtyLots: qty.value,
          // The same fee rule as the reports (common/fees.ts): a fill reads the same on every path.
          ...feeFields(fillFee(tr.fee, tr.liquidity, inst, price.value, qty.value, this.ctx.fees)),
          liquidity: tr.liquidity,
          ts: tr.ts,
        });
      }
    }
    out.sort((a, b) => a.ts - b.ts);
    return out;
  }

  private status(s: OrderSnapshot): VenueOrderStatus {
    const lots = s.instrument.qtyToLots(s.filledQty);
    return {
      clientOrderId: s.clientOrderId ?? '',
      venueOrderId: s.venueOrderId ?? '',
      instrument: s.instrument,
      state: s.state,
      filledLots: lots.ok ? lots.value : 0,
      ...orderFieldsOf(s, this.ctx.hooks.venueSymbol(s.instrument)),
    };
  }

  applySnapshot(s: OrderSnapshot): TrackedOrder | undefined {
    const t = this.ctx.ledger.applySnapshot(s);
    if (t !== undefined && t.hasGap) this.scheduleGap(t, GAP_DELAY_MS);
    return t;
  }

  /** Asks the venue for an order's state and fills (after a refused or unanswered cancel). */
  async refresh(t: TrackedOrder): Promise<void> {
    try {
      const snap = await this.query('order', t.instrument, () => this.ctx.hooks.fetchOrder(t));
      if (snap !== null) this.applySnapshot(snap);
      if (t.hasGap) {
        this.ctx.counters.gapFills++;
        const trades = await this.query('orderTrades', t.instrument, () =>
          this.ctx.hooks.fetchTrades(t.instrument, { venueOrderId: t.venueOrderId, sinceMs: t.sentAt > 0 ? t.sentAt - this.ctx.settings.clockSkewMs : undefined }),
        );
        for (const tr of trades) this.ctx.ledger.applyTrade(tr);
      }
    } catch (err) {
      this.ctx.log.warn({ venue: this.ctx.name, clientOrderId: t.clientOrderId, err: errText(err) }, 'order refresh failed');
    }
  }

  /** The venue's filled quantity is ahead of the fills we know: fetch the order's trades unless the stream catches up. */
  private scheduleGap(t: TrackedOrder, delayMs: number, attempt = 0): void {
    if (t.gapFetching || this.ctx.stopped || attempt > 8) return;
    t.gapFetching = true;
    this.ctx.later(delayMs, () => void this.fillGap(t, attempt));
  }

  private async fillGap(t: TrackedOrder, attempt: number): Promise<void> {
    try {
      if (!t.hasGap) return;
      this.ctx.counters.gapFills++;
      const since = t.sentAt > 0 ? t.sentAt - this.ctx.settings.clockSkewMs : undefined;
      const trades = await this.query('orderTrades', t.instrument, () =>
        this.ctx.hooks.fetchTrades(t.instrument, { venueOrderId: t.venueOrderId, sinceMs: since }),
      );
      for (const tr of trades) this.ctx.ledger.applyTrade(tr);
    } catch (err) {
      this.ctx.log.warn({ venue: this.ctx.name, clientOrderId: t.clientOrderId, err: errText(err) }, 'fetching missing fills failed');
    } finally {
      t.gapFetching = false;
    }
    if (t.hasGap) this.scheduleGap(t, Math.min(5000, 500 * 2 ** attempt), attempt + 1);
  }
}

function feeFields(f: FillFee): { fee: string; feeCurrency: string; feeEstimated?: boolean } {
  return f.feeEstimated ? { fee: f.fee, feeCurrency: f.feeCurrency, feeEstimated: true } : { fee: f.fee, feeCurrency: f.feeCurrency };
}

/** What the order is, in ticks and lots, for the daemon's ownership check (undefined where unstated or off grid). */
function orderFieldsOf(s: OrderSnapshot, venueSymbol: string | undefined): Pick<VenueOrderStatus, 'side' | 'type' | 'priceTicks' | 'qtyLots' | 'symbolMatches'> {
  const price = s.price === undefined ? undefined : s.instrument.priceToTicks(s.price);
  const qty = s.origQty === undefined ? undefined : s.instrument.qtyToLots(s.origQty);
  return {
    side: s.side,
    type: s.type,
    priceTicks: price?.ok === true ? price.value : undefined,
    qtyLots: qty?.ok === true ? qty.value : undefined,
    symbolMatches: venueSymbol === undefined || s.venueSymbol === undefined ? undefined : s.venueSymbol === venueSymbol,
  };
}
