/**
 * Metrics of the venue balances (src/risk/venue-balances.ts), filled when /metrics is scraped:
 *   switchyard_balance_difference{venue,currency}      venue total - expected total at the last comparison
 *   switchyard_balance_differences_total{venue}        comparisons that found a difference (per currency)
 * The gauge is a double (a metric, not money); the exact decimal is on GET /v1/balances.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { VenueBalances } from '../risk/venue-balances.js';

export function registerBalanceMetrics(registry: Registry, balances: VenueBalances): void {
  const registers = [registry];
  new Gauge({
    name: 'switchyard_balance_difference',
    help: 'Venue balance total minus what the daemon expected (its last reading moved by our fills) at the last reconciliation',
    labelNames: ['venue', 'currency'],
    registers,
    collect() {
      this.reset();
      for (const r of balances.list()) if (r.difference !== null) this.set({ venue: r.venue, currency: r.currency }, Number(r.difference));
    },
  });
  new Counter({
    name: 'switchyard_balance_differences_total',
    help: 'Balance reconciliations that found a currency whose venue total differed from the expected one',
    labelNames: ['venue'],
    registers,
    collect() {
      this.reset();
      for (const s of balances.status()) if (s.source === 'venue') this.inc({ venue: s.venue }, s.differences);
    },
  });
}
