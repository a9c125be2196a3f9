/**
 * The order path with market data and venues the test plays (they record what they are handed; the test gives their
 * answers): what the tests of parent orders (sweeps, emulated stops, algorithms) run on.
 */
import { buildOrderPath } from '../../src/compose/order-path.js';
import type { CancelRequest, ExecutionReport, OrderBatch, ReportSink, VenueAdapter } from '../../src/execution/venue.js';
import { toVenueOrders, type VenueOrder } from '../../src/execution/venue.js';
import { MarketData } from '../../src/market/market-data.js';
import { ManualClock } from '../../src/model/clock.js';
import type { OrderIntent } from '../../src/model/order.js';
import { PreTradeRisk } from '../../src/risk/pre-trade-risk.js';
import { Router } from '../../src/routing/router.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { intent, testInstruments } from '../helpers/model.js';
import { levels } from '../helpers/levels.js';

export class PlayedVenue implements VenueAdapter {
  readonly orders: VenueOrder[] = [];
  readonly cancels: CancelRequest[] = [];
  private seq = 0;
  /** What headroom() says: new orders its rate limits take now. */
  room = Infinity;
  constructor(readonly name: string, private readonly sink: ReportSink) {}
  headroom(): number {
    return this.room;
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  submit(batch: OrderBatch): void {
    this.orders.push(...toVenueOrders(batch));
  }
  cancel(request: CancelRequest): void {
    this.cancels.push(request);
  }
  report(r: ExecutionReport): void {
    this.sink.report(this.name, r);
  }
  accept(orderId: number): void {
    this.report({ kind: 'ACCEPTED', orderId, venueOrderId: `${this.name}-${orderId}` });
  }
  fill(orderId: number, priceTicks: number, qtyLots: number, fee = '0.01'): void {
    this.report({ kind: 'FILL', orderId, tradeId: `t${++this.seq}`, priceTicks, qtyLots, fee, feeCurrency: 'USDT', liquidity: 'TAKER', venueTs: 1 });
  }
  canceled(orderId: number, reason?: string): void {
    this.report({ kind: 'CANCELED', orderId, ...(reason === undefined ? {} : { reason }) });
  }
}

export const BTC = 0;

/**
 * `balances`: per venue index, its configured balances (as a paper venue's `paper.balances`); default none (untracked).
 * `cancelRate`: strategy alpha's `maxCancelsPerSecond` and `cancelBurst`; default none (unlimited).
 */
export function setup(
  fees: readonly string[] = ['0', '0', '0'],
  balances?: (index: number) => Readonly<Record<string, string>> | undefined,
  cancelRate?: { readonly maxCancelsPerSecond: number; readonly cancelBurst: number },
) {
  const instruments = testInstruments();
  const clock = new ManualClock();
  const names = ['a', 'b', 'c'];
  const market = new MarketData(instruments, names, fees, clock, { depth: 20, staleMs: 60_000 });
  const router = new Router(names, instruments.list.map((i) => i.symbol), instruments.list.map(() => ({ a: 1, b: 1, c: 1 })));
  const risk = new PreTradeRisk(instruments, [{ id: 'alpha', symbols: ['BTC-USDT', 'ETH-USDT'], ...cancelRate }], {});
  risk.setMark(BTC, 6_000_000);
  const venues: PlayedVenue[] = [];
  const path = buildOrderPath({
    instruments, risk, router, clock,
    log: createLogger('warn', 'test', { write: () => {} }),
    strategies: [{ id: 'alpha', weight: 1 }],
    venues: names,
    venue: (i, sink) => (venues[i] = new PlayedVenue(names[i]!, sink)),
    batch: names.map(() => ({ maxSize: 32, flushMs: 0 })),
    queueCapacity: 1024,
    retainFinished: 4096,
    clientIdPrefix: 'tst',
    journal: false,
    market,
    balances,
  });
  path.intake.open();
  const submit = (overrides: Partial<OrderIntent>) => {
    const r = path.intake.submit(intent({ route: 'sweep', ...overrides }));
    if (!r.ok) throw new Error(`${r.code} ${r.message}`);
    path.dispatcher.pump();
    return path.tracker.get(r.order.id)!;
  };
  const children = (parentId: number) => path.parents!.children(path.store.slotOf(parentId)).map((id) => path.tracker.get(id)!);
  const book = (v: number, asks: readonly (readonly [number, number])[], bids: readonly (readonly [number, number])[] = [[5_999_000, 1000]]) =>
    market.snapshot(v, BTC, levels(bids), levels(asks), 0);
  return { instruments, clock, market, router, risk, venues, path, submit, children, book };
}

