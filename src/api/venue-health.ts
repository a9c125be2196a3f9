/**
 * The venues as GET /health and the metrics show them: available to the router or not, and why not; for a venue
 * whose start is retried (RestartingVenue), its start state, failures and next attempt. A market-data-only venue
 * (`trading: false`) is never available to the router by design: /health lists it with `trading: false` and does not
 * count it when it says whether the daemon is degraded, and it has no `switchyard_venue_up` series.
 */
import type { VenueAdapter } from '../execution/venue.js';
import { RestartingVenue, type VenueGate } from '../execution/venue-supervisor.js';

/** What the adapter placeholder of a `trading: false` venue says of itself (compose/venues-from-config.ts). */
export interface MarketDataOnly {
  readonly marketDataOnly: true;
}

/** Whether the adapter stands for a market-data-only venue (`trading: false`): it takes no orders. */
export function isMarketDataOnly(v: VenueAdapter): boolean {
  return (v as Partial<MarketDataOnly>).marketDataOnly === true;
}

/** Per venue for GET /health: available to the router or not, and why not. */
export function venueHealth(
  venues: readonly VenueAdapter[],
  available: Uint8Array,
  gate: VenueGate,
  now: number,
): { status: 'ok' | 'degraded'; venues: Record<string, unknown>[] } {
  const list = venues.map((v, i) => {
    if (isMarketDataOnly(v)) return { name: v.name, available: false, trading: false, reason: gate.reason(i) ?? 'market data only (trading: false)' };
    const up = available[i] === 1;
    const start = v instanceof RestartingVenue ? v.status() : undefined;
    return {
      name: v.name,
      available: up,
      ...(start !== undefined ? { state: start.state, startFailures: start.failures, startRetries: start.retries } : {}),
      ...(!up ? { reason: gate.reason(i) ?? 'VENUE_UNAVAILABLE' } : {}),
      ...(start?.lastError !== undefined && !up ? { lastError: start.lastError } : {}),
      ...(start?.nextAttemptAt !== undefined ? { nextAttemptInMs: Math.max(0, start.nextAttemptAt - now) } : {}),
    };
  });
  return { status: list.every((v) => v.available || v.trading === false) ? 'ok' : 'degraded', venues: list };
}

/** Per venue for the metrics: up (available to the router) and how many times its start was retried. */
export function venueMetrics(venues: readonly VenueAdapter[], available: Uint8Array): { venue: string; up: boolean; startRetries: number }[] {
  const out: { venue: string; up: boolean; startRetries: number }[] = [];
  venues.forEach((v, i) => {
    // never routed to by design: a venue_up of 0 would read as an outage
    if (isMarketDataOnly(v)) return;
    out.push({ venue: v.name, up: available[i] === 1, startRetries: v instanceof RestartingVenue ? v.status().retries : 0 });
  });
  return out;
}
