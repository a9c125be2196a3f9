/**
 * The venues as GET /health and the metrics show them: available to the router or not, and why not; for a venue
 * whose start is retried (RestartingVenue), its start state, failures and next attempt.
 */
import type { VenueAdapter } from '../execution/venue.js';
import { RestartingVenue, type VenueGate } from '../execution/venue-supervisor.js';

/** Per venue for GET /health: available to the router or not, and why not. */
export function venueHealth(
  venues: readonly VenueAdapter[],
  available: Uint8Array,
  gate: VenueGate,
  now: number,
): { status: 'ok' | 'degraded'; venues: Record<string, unknown>[] } {
  const list = venues.map((v, i) => {
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
  return { status: list.every((v) => v.available) ? 'ok' : 'degraded', venues: list };
}

/** Per venue for the metrics: up (available to the router) and how many times its start was retried. */
export function venueMetrics(venues: readonly VenueAdapter[], available: Uint8Array): { venue: string; up: boolean; startRetries: number }[] {
  return venues.map((v, i) => ({
    venue: v.name,
    up: available[i] === 1,
    startRetries: v instanceof RestartingVenue ? v.status().retries : 0,
  }));
}
