/** The internal crossing book as the configuration sets it up: which strategies cross, and their windows. */
import type { Config } from '../config/index.js';
import type { OrderStore } from '../execution/order-store.js';
import type { OrderTracker } from '../execution/order-tracker.js';
import type { Clock } from '../model/clock.js';
import type { InstrumentRegistry } from '../model/instrument.js';
import type { Router } from '../routing/router.js';
import { InternalCrossing } from './internal-crossing.js';

export interface CrossingParts {
  readonly store: OrderStore;
  readonly tracker: OrderTracker;
  readonly instruments: InstrumentRegistry;
  readonly clock: Clock;
  readonly router: Router;
  /** Per venue: 1 = the router may use it. */
  readonly available: Uint8Array;
  /** Crossed quantity and taker fees saved, per symbol (the metrics). */
  readonly crossed: (symbol: string, qty: number, feesSaved: number) => void;
  /** The taker fee of venue v in bps, from the configuration in force (it may be reloaded). */
  readonly venueTakerBps: (v: number) => number;
}

export function internalCrossingFor(config: Config, p: CrossingParts): InternalCrossing {
  const { instruments } = p;
  return new InternalCrossing(p.store, p.tracker, instruments, {
    enabled: Uint8Array.from(config.strategies, (st) => (st.crossing.enabled ? 1 : 0)),
    windowMs: Float64Array.from(config.strategies, (st) => st.crossing.windowMs),
  }, p.clock, {
    crossed: (sym, lots, saved) => p.crossed(instruments.at(sym).symbol, Number(instruments.at(sym).lotsToQty(lots)), saved),
  }, (sym, lots) => {
    // the fee the order would have paid at the venue the router would send it to
    const v = p.router.route(sym, lots, p.available);
    return v < 0 ? 0 : p.venueTakerBps(v);
  });
}
