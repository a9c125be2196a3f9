import type { TrackerListener } from '../core/order-tracker.js';
import type { OrderStore, OrderView } from '../core/order-store.js';
import { parseSignedDecimal, pow10, signedDecimalText } from '../model/decimal.js';
import { FeeMemo } from './fee-memo.js';
import type { OrderUpdate, Transition } from '../model/lifecycle.js';

/** One fee sum: what a strategy paid (positive) or got back (negative) at a venue, in one currency. */
export interface FeeSum {
  readonly strategy: string;
  readonly venue: string;
  readonly currency: string;
  /** Exact decimal text. */
  readonly amount: string;
  readonly fills: number;
  /** Fills of the sum whose fee the venue did not report (estimated from the configured bps). */
  readonly estimatedFills: number;
}

interface Sum {
  units: bigint;
  scale: number;
  fills: number;
  estimated: number;
}

/**
 * Fees summed per strategy, venue and currency, exactly (bigint decimal units, never floats), for PnL. Fed by the
 * order tracker's applied FILL transitions, so a duplicate fill is never counted twice and a journal replay
 * rebuilds the same sums; journal snapshots carry them (`export` / `import`). A fill journaled before fee
 * currencies were recorded has currency '' and counts in its instrument's quote currency (what it was).
 * Off the hot path: once per fill.
 */
export class FeeLedger implements TrackerListener {
  /** Acts on fills only (the tracker calls it for nothing else). */
  readonly fillsOnly = true;
  private readonly sums = new Map<string, Sum>();
  private readonly feeMemo = new FeeMemo();
  /**
   * Per strategy index, the sum of its last fill's venue and currency (a strategy's next fill is usually at the same
   * venue in the same currency: no key made, nothing allocated, however the strategies' fills interleave).
   */
  private readonly lastSums: ({ venue: string; currency: string; sum: Sum } | undefined)[] = [];

  constructor(
    private readonly store: OrderStore,
    private readonly strategyIds: readonly string[],
  ) {}

  onTransition(order: OrderView, update: OrderUpdate, _t: Transition): void {
    if (update.kind !== 'FILL') return;
    if (this.store.parent[order.slot] !== 0) return; // a child's fill is counted once, as its parent's fill
    const f = update.fill;
    const currency = f.feeCurrency !== '' ? f.feeCurrency : this.store.instrument(order.slot).quote;
    this.add(order.strategyIndex, f.venue, currency, f.fee, f.feeEstimated === true);
  }

  private add(strategyIndex: number, venue: string, currency: string, amount: string, estimated: boolean): void {
    const p = this.feeMemo.parse(amount);
    if (p === undefined) return; // the lifecycle took the fill; a fee that is not a decimal cannot be summed
    const last = this.lastSums[strategyIndex];
    let s: Sum | undefined;
    if (last !== undefined && last.venue === venue && last.currency === currency) s = last.sum;
    else {
      const key = `${this.strategyIds[strategyIndex] ?? `#${strategyIndex}`}\u0000${venue}\u0000${currency}`;
      s = this.sums.get(key);
      if (s === undefined) {
        s = { units: 0n, scale: 0, fills: 0, estimated: 0 };
        this.sums.set(key, s);
      }
      if (last === undefined) this.lastSums[strategyIndex] = { venue, currency, sum: s };
      else {
        last.venue = venue;
        last.currency = currency;
        last.sum = s;
      }
    }
    if (p.scale > s.scale) {
      s.units *= pow10(p.scale - s.scale);
      s.scale = p.scale;
    }
    // a fee at the sum's scale (the usual case) is added as it is: no bigint product by 10^0 made per fill
    s.units += p.scale === s.scale ? p.units : p.units * pow10(s.scale - p.scale);
    s.fills++;
    if (estimated) s.estimated++;
  }

  /** Every sum, sorted by strategy, venue, currency. */
  list(): FeeSum[] {
    const out: FeeSum[] = [];
    for (const [key, s] of this.sums) {
      const [strategy, venue, currency] = key.split('\u0000') as [string, string, string];
      out.push({ strategy, venue, currency, amount: signedDecimalText(s.units, s.scale), fills: s.fills, estimatedFills: s.estimated });
    }
    return out.sort((a, b) => (a.strategy + a.venue + a.currency < b.strategy + b.venue + b.currency ? -1 : 1));
  }

  /** For journal snapshots. */
  export(): FeeSum[] {
    return this.list();
  }

  /** Restore what `export` gave (a snapshot); replaces the sums. */
  import(sums: readonly FeeSum[]): void {
    this.sums.clear();
    this.lastSums.length = 0;
    for (const x of sums) {
      const p = parseSignedDecimal(x.amount);
      if (p === undefined) continue;
      this.sums.set(`${x.strategy}\u0000${x.venue}\u0000${x.currency}`, { units: p.units, scale: p.scale, fills: x.fills, estimated: x.estimatedFills });
    }
  }
}

