/**
 * Flood of new orders against a fake whose order rate limit is small, so the test runs in seconds. Measures:
 *  - refusals: requests the venue refused for rate limiting (the adapter's own count of 429 / -1015 / 50011 answers);
 *  - bans (418);
 *  - the order rate kept: the steady-state rate once the first window's burst is out — (n - limit) orders between the
 *    limit-th and the last order to reach the venue — as a share of the allowed rate (limit / window). Times are the
 *    venue's own order creation times.
 */
import { expect } from 'vitest';
import type { VenueOrder } from '../../src/execution/venue.js';
import { batch, order, until } from './helpers.js';
import { type Rig, type Target, rig } from './scenarios.js';

export interface FloodResult {
  readonly rig: Rig;
  readonly orders: VenueOrder[];
  /** Venue creation times of our orders, sorted. */
  readonly created: number[];
  readonly firstSubmit: number;
  /** Steady-state orders per second over the allowed rate. */
  readonly keptRatio: number;
}

export async function flood(
  t: Target,
  n: number,
  limit: number,
  windowMs: number,
  venueExtra: Record<string, unknown>,
  fakeOptions: Record<string, unknown>,
  oneOrderPerSubmit: boolean,
): Promise<FloodResult> {
  const r = await rig(t, { requestTimeoutMs: 5000, ...venueExtra }, fakeOptions);
  const orders = Array.from({ length: n }, () => order({ instrument: r.btc, price: '50000', qty: '0.001' }));
  const firstSubmit = Date.now();
  if (oneOrderPerSubmit) for (const o of orders) r.adapter.submit(batch(o));
  else r.adapter.submit(batch(...orders));
  await until(
    () => orders.every((o) => r.sink.has(o.orderId, 'ACCEPTED') || r.sink.has(o.orderId, 'REJECTED')),
    `${n} orders answered`,
    60_000,
  );
  const ours = new Set(orders.map((o) => o.clientOrderId));
  const created = r.fake
    .orders({ account: 'main' })
    .filter((o) => ours.has(o.clientOrderId))
    .map((o) => o.created)
    .sort((a, b) => a - b);
  // steady state: from the last order of the first window's burst to the last order, (n - limit) orders went out
  const span = (created[created.length - 1]! - created[limit - 1]!) / 1000;
  const keptRatio = (n - limit) / span / (limit / (windowMs / 1000));
  return { rig: r, orders, created, firstSubmit, keptRatio };
}

/** Every order ACCEPTED once, none REJECTED, exactly one venue order each. */
export function expectAllAccepted(f: FloodResult): void {
  for (const o of f.orders) expect(f.rig.sink.kinds(o.orderId)).toEqual(['ACCEPTED']);
  expect(f.created.length).toBe(f.orders.length);
}

/** No window of `windowMs` at the venue holds more than `limit` of our orders. */
export function expectWithinLimit(f: FloodResult, limit: number, windowMs: number): void {
  let worst = 0;
  for (let i = 0, j = 0; i < f.created.length; i++) {
    while (f.created[i]! - f.created[j]! >= windowMs) j++;
    worst = Math.max(worst, i - j + 1);
  }
  expect(worst).toBeLessThanOrEqual(limit);
}
