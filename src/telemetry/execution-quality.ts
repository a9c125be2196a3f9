/**
 * Execution quality (issue item "Execution quality"): every order records the consolidated mid at receipt
 * (store.arrivalMid, set by the intake); every fill its slippage against it in basis points and its fee.
 *
 * A tracker listener, told every applied FILL:
 *  - per order (children too), the fees so far as exact decimals per currency in store.feeTexts ("USDT:0.0123",
 *    "USDT:0.01;BTC:0.00001"); a fee currency '' is the instrument's quote. Fed by applied FILLs only, so a duplicate
 *    fill never counts twice, and a journal replay (which applies the FILL records through the tracker) rebuilds the
 *    same texts, provided this listener is registered before the replay runs; snapshots carry them.
 *  - for an order of its own (not a child: its fills are rolled up into its parent, which is observed) with an
 *    arrival mid, switchyard_slippage_bps{venue,route}: BUY (price - mid) / mid x 1e4, SELL (mid - price) / mid x 1e4
 *    (positive = paid away against the mid).
 *
 * The histogram is a TypedHistogram (typed-histogram.ts, like the submit-to-ack histogram): observing allocates
 * nothing and makes no label strings.
 */
import type { Metric, Registry } from 'prom-client';
import { TypedHistogram } from './typed-histogram.js';
import { BUY, type OrderStore, type OrderView } from '../core/order-store.js';
import type { OrderTracker, TrackerListener } from '../core/order-tracker.js';
import { addDecimal, isSignedDecimal } from '../model/decimal.js';
import type { OrderUpdate, Transition } from '../model/lifecycle.js';
import { ROUTES } from '../model/order.js';

/** Slippage buckets in basis points (upper bounds; +Inf after). */
export const SLIPPAGE_BPS_BUCKETS: readonly number[] = [-50, -25, -10, -5, -2, -1, -0.5, 0, 0.5, 1, 2, 5, 10, 25, 50, 100, 200];

export const SLIPPAGE_METRIC = 'switchyard_slippage_bps';

/** Label of a fill's venue the store does not know (a label never carries free text). */
const OTHER_VENUE = 'other';

/** One fee of an order: the currency and the exact sum paid (negative: rebates). */
export interface OrderFee {
  readonly currency: string;
  readonly amount: string;
}

/** The fees of a feeTexts entry, in the order first paid ([] for none). */
export function parseFeeTexts(text: string | undefined): OrderFee[] {
  if (text === undefined || text === '') return [];
  const out: OrderFee[] = [];
  for (const part of text.split(';')) {
    const colon = part.lastIndexOf(':');
    if (colon < 0) continue;
    out.push({ currency: part.slice(0, colon), amount: part.slice(colon + 1) });
  }
  return out;
}

/**
 * `text` (a feeTexts entry, undefined = none) with `amount` of `currency` added exactly. A fee that is not a decimal
 * leaves the text as it was (the lifecycle took the fill; such a fee cannot be summed).
 */
export function addFeeText(text: string | undefined, currency: string, amount: string): string | undefined {
  if (!isSignedDecimal(amount)) return text;
  // the separators never appear inside a currency of the text
  const cur = currency.includes(';') || currency.includes(':') ? currency.replace(/[;:]/g, '_') : currency;
  if (text === undefined || text === '') return `${cur}:${amount}`;
  const prefix = `${cur}:`;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf(';', start);
    if (end < 0) end = text.length;
    if (text.startsWith(prefix, start) && text.lastIndexOf(':', end - 1) === start + cur.length) {
      const sum = addDecimal(text.slice(start + prefix.length, end), amount);
      return `${text.slice(0, start)}${prefix}${sum}${text.slice(end)}`;
    }
    start = end + 1;
  }
  return `${text};${prefix}${amount}`;
}

/** Slippage in bps of a trade at `priceTicks` against `midTicks` (> 0): positive = paid away. */
export function slippageBps(buy: boolean, priceTicks: number, midTicks: number): number {
  return ((buy ? priceTicks - midTicks : midTicks - priceTicks) / midTicks) * 1e4;
}

/** The tracker listener of execution quality: per-order fees (store.feeTexts) and the slippage histogram. */
export class ExecutionQuality implements TrackerListener {
  /** Acts on fills only (the tracker calls it for nothing else). */
  readonly fillsOnly = true;
  private readonly histogram: TypedHistogram;
  private readonly otherVenue: number;
  /**
   * The currency of the last first fee text made and its `currency:` (a first fee text is then one string made per
   * order, not two: addFeeText's `${cur}:${amount}` makes `cur:` first).
   */
  private feeCurrency = '';
  private feePrefix = ':';

  constructor(
    private readonly store: OrderStore,
    /** The registry /metrics exposes (Metrics.registry); none: the histogram is kept but not exposed. */
    registry?: Registry,
    /** Whether the journal is being replayed (Metrics.replaying): fees are rebuilt, fills not observed again. */
    private readonly replay: { readonly replaying: boolean } = { replaying: false },
  ) {
    const labels = [...store.venueNames, OTHER_VENUE];
    this.otherVenue = labels.length - 1;
    this.histogram = new TypedHistogram(
      SLIPPAGE_METRIC,
      'Slippage of fills against the arrival mid in basis points (positive = paid away), by venue and route',
      [{ name: 'venue', values: labels }, { name: 'route', values: ROUTES }],
      SLIPPAGE_BPS_BUCKETS,
    );
    registry?.registerMetric(this.histogram as unknown as Metric);
  }

  onTransition(order: OrderView, update: OrderUpdate, _t: Transition): void {
    if (update.kind !== 'FILL') return;
    const s = this.store;
    const slot = order.slot;
    const f = update.fill;
    const currency = f.feeCurrency !== '' ? f.feeCurrency : s.instrument(slot).quote;
    const text = s.feeTexts[slot];
    if ((text === undefined || text === '') && isSignedDecimal(f.fee) && !currency.includes(';') && !currency.includes(':')) {
      // addFeeText's first text of a currency without separators, its prefix made once per currency
      if (currency !== this.feeCurrency) {
        this.feePrefix = `${currency}:`;
        this.feeCurrency = currency;
      }
      s.feeTexts[slot] = this.feePrefix + f.fee;
    } else s.feeTexts[slot] = addFeeText(text, currency, f.fee);
    // a child's fill is observed once, as its parent's fill; a replayed one was observed by the run that had it
    if (s.parent[slot] !== 0 || this.replay.replaying) return;
    const mid = s.arrivalMid[slot]!;
    if (!(mid > 0)) return;
    const venue = s.venueIndex(f.venue);
    const route = s.route[slot]!;
    const v = venue < this.otherVenue ? venue : this.otherVenue;
    this.histogram.observe(v * ROUTES.length + (route < ROUTES.length ? route : 0), slippageBps(s.side[slot] === BUY, f.priceTicks, mid));
  }

  /** Observations and their sum for one venue (name) and route (tests, diagnostics). */
  observed(venue: string, route: (typeof ROUTES)[number]): { count: number; sum: number } {
    const v = this.store.venueIndex(venue);
    return this.histogram.cell((v < this.otherVenue ? v : this.otherVenue) * ROUTES.length + ROUTES.indexOf(route));
  }
}
