/**
 * The circuit breaker with the router: the fake Binance starts failing every request (503, before executing), the ccxt adapter's
 * breaker opens and reports the venue DOWN, the router (src/routing) sends Binance's share of BTC-USDT to OKX
 * (okx-ws), and when Binance recovers the breaker's probe closes it, the venue is UP and gets its share again.
 */
import { afterAll, expect, test } from 'vitest';
import type { ReportSink, VenueAdapter, VenueHealth } from '../../src/execution/venue.js';
import { Router } from '../../src/routing/router.js';
import { type FakeBinance, type FakeOkx, startFakeBinance, startFakeOkx } from '../venues/index.js';
import { RecordingSink, batch, makeAdapter, order, sharedInstruments, until, venueConfig } from './helpers.js';

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
});

test('a failing venue: breaker opens (DOWN), its share goes to the other venue, breaker closes (UP) when it recovers', async () => {
  const binance: FakeBinance = await startFakeBinance();
  closers.push(() => binance.close());
  const okx: FakeOkx = await startFakeOkx();
  closers.push(() => okx.close());
  const ins = sharedInstruments();
  const btc = ins.get('BTC-USDT')!;

  const router = new Router(['bin', 'okx'], ['BTC-USDT', 'ETH-USDT'], [{ bin: 1, okx: 1 }, { bin: 1, okx: 1 }]);
  const available = Uint8Array.of(1, 1);
  const sink = new RecordingSink();
  const healthSink: ReportSink = {
    report: (venue, r) => sink.report(venue, r),
    health: (venue: string, health: VenueHealth, reason?: string) => {
      sink.health(venue, health, reason);
      available[router.venueIndex(venue)] = health === 'UP' ? 1 : 0;
    },
  };
  const bin = makeAdapter(
    venueConfig('bin', 'ccxt', 'binance', binance, { circuitBreaker: { failureThreshold: 3, openMs: 200, maxOpenMs: 400 } }),
    ins.list,
    healthSink,
  );
  const okxAdapter = makeAdapter(venueConfig('okx', 'okx-ws', 'okx', okx), ins.list, healthSink);
  await bin.start();
  closers.push(() => bin.stop());
  await okxAdapter.start();
  closers.push(() => okxAdapter.stop());
  const adapters: VenueAdapter[] = [bin, okxAdapter];

  let lots = 100;
  /** Routes one 0.001+ BTC buy the way the dispatcher does and hands it to the chosen adapter. */
  const send = (): { orderId: number; venue: number } => {
    const qty = btc.lotsToQty(++lots);
    const venue = router.route(btc.index, available);
    expect(venue).toBeGreaterThanOrEqual(0);
    const o = order({ instrument: btc, price: '50000', qty });
    adapters[venue]!.submit(batch(o));
    return { orderId: o.orderId, venue };
  };
  const answered = (ids: number[]): boolean => ids.every((id) => sink.has(id, 'ACCEPTED') || sink.has(id, 'REJECTED'));

  // healthy: both venues get a share
  const before = Array.from({ length: 20 }, send);
  await until(() => answered(before.map((x) => x.orderId)), 'first orders answered');
  expect(new Set(before.map((x) => x.venue))).toEqual(new Set([0, 1]));
  expect(before.every((x) => sink.has(x.orderId, 'ACCEPTED'))).toBe(true);

  // Binance keeps failing: every request is answered 503 (before executing), the breaker opens after 3 in a row
  binance.faults.add({ kind: 'error', status: 503 });
  const failing: Array<{ orderId: number; venue: number }> = [];
  await until(() => {
    if (available[0] === 1) failing.push(send());
    return available[0] === 0;
  }, 'Binance DOWN');
  const binFailed = failing.filter((x) => x.venue === 0);
  expect(binFailed.length).toBeGreaterThanOrEqual(1); // their failed lookups count as failures in a row too
  expect(sink.health_.filter((h) => h.venue === 'bin').map((h) => h.health)).toEqual(['DOWN']);

  // while it is down, Binance's share goes to OKX
  const during = Array.from({ length: 30 }, send);
  expect(during.every((x) => x.venue === 1)).toBe(true);
  await until(() => during.every((x) => sink.has(x.orderId, 'ACCEPTED')), 'OKX takes the whole flow');

  // Binance recovers: the probe closes the breaker, the venue is UP and routed to again
  binance.faults.clear();
  // A 5xx says nothing about execution: the failing orders were unknown outcomes, looked up once the venue answers
  // again, and REJECTED VENUE_TIMEOUT after their validity window (none reached the venue)
  await until(() => answered(failing.map((x) => x.orderId)), 'the failing orders answered', 15_000);
  expect(binFailed.every((x) => sink.of(x.orderId).some((r) => r.kind === 'REJECTED' && r.reason.startsWith('VENUE_')))).toBe(true);
  expect(binance.orders({ account: 'main' })).toHaveLength(before.filter((x) => x.venue === 0).length);
  await until(() => available[0] === 1, 'Binance UP again');
  expect(sink.health_.filter((h) => h.venue === 'bin').map((h) => h.health)).toEqual(['DOWN', 'UP']);
  const after = Array.from({ length: 20 }, send);
  await until(() => answered(after.map((x) => x.orderId)), 'orders after recovery answered');
  expect(new Set(after.map((x) => x.venue))).toEqual(new Set([0, 1]));
  expect(after.every((x) => sink.has(x.orderId, 'ACCEPTED'))).toBe(true);
});
