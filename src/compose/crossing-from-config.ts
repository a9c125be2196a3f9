/** The internal crossing book as the configuration sets it up: which strategies cross, and their windows. */
import type { Config } from '../config/index.js';
import type { OrderStore } from '../core/order-store.js';
import type { OrderTracker } from '../core/order-tracker.js';
import type { Clock } from '../model/clock.js';
import type { InstrumentRegistry } from '../model/instrument.js';
import type { Router } from '../routing/router.js';
import type { Metrics } from '../telemetry/metrics.js';
import { InternalCrossing } from '../crossing/internal-crossing.js';

export interface CrossingParts {
  readonly store: OrderStore;
  readonly tracker: OrderTracker;
  readonly instruments: InstrumentRegistry;
  readonly clock: Clock;
  readonly router: Router;
  /** Per venue: 1 = the router may use it. */
  readonly available: Uint8Array;
  /** Where crossed quantities and the taker fees they saved are counted (per symbol). */
  readonly metrics: Metrics;
  /** The taker fee of venue v in bps (decimal text), from the configuration in force (it may be reloaded). */
  readonly venueTakerBps: (v: number) => string;
}

export function internalCrossingFor(config: Config, p: CrossingParts): InternalCrossing {
  const { instruments } = p;
  return new InternalCrossing(p.store, p.tracker, instruments, {
    enabled: Uint8Array.from(config.strategies, (st) => (st.crossing.enabled ? 1 : 0)),
    windowMs: Float64Array.from(config.strategies, (st) => st.crossing.windowMs),
  }, p.clock, {
    // Prometheus counts in doubles: the exact decimals become numbers here, at the telemetry edge
    crossed: (sym, lots, saved) => p.metrics.crossed(instruments.at(sym).symbol, Number(instruments.at(sym).lotsToQty(lots)), Number(saved)),
  }, (sym, lots) => {
    // the fee the order would have paid at the venue the router would send it to
    const v = p.router.peek(sym, p.available);
    return v < 0 ? '0' : p.venueTakerBps(v);
  });
}
