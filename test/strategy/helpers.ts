import type { InstrumentSpec } from '../../src/model/instrument.js';
import { clientOrderIdText, OrderRecord, readOrderRecord } from '../../src/intake/ring/order-record.js';
import type { RingConsumer } from '../../src/intake/ring/spsc-ring.js';

export const INSTRUMENTS: readonly InstrumentSpec[] = [
  { symbol: 'BTC-USDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001', minQty: '0.00001', minNotional: '5' },
  { symbol: 'ETH-USDT', base: 'ETH', quote: 'USDT', tickSize: '0.01', lotSize: '0.0001', minQty: '0.0001', minNotional: '5' },
];
export const VENUES = ['sim-a', 'sim-b'];

export interface Rec {
  op: number;
  seq: number;
  tag: number;
  symbol: number;
  side: number;
  type: number;
  timeInForce: number;
  priority: number;
  venue: number;
  priceTicks: number;
  qtyLots: number;
  orderId: number;
  targetSeq: number;
  cid: string | undefined;
}

/** Reads every record now in the ring into plain objects. */
export function drain(ring: RingConsumer, into: Rec[] = []): Rec[] {
  const r = new OrderRecord();
  ring.poll(1 << 20, (off) => {
    readOrderRecord(ring, off, r);
    into.push({
      op: r.op, seq: r.seq, tag: r.tag, symbol: r.symbol, side: r.side, type: r.type, timeInForce: r.timeInForce, priority: r.priority, venue: r.venue,
      priceTicks: r.priceTicks, qtyLots: r.qtyLots, orderId: r.orderId, targetSeq: r.targetSeq, cid: clientOrderIdText(r),
    });
  });
  return into;
}

/**
 * Reads every record now in a strategy's order ring (SUBMITs) and cancel ring (CANCELs), in the strategy's order
 * (their one sequence).
 */
export function drainAll(rings: { readonly orders: RingConsumer; readonly cancels: RingConsumer }, into: Rec[] = []): Rec[] {
  const both = drain(rings.cancels, drain(rings.orders)).sort((a, b) => a.seq - b.seq);
  into.push(...both);
  return into;
}

/** Polls `done` (driving `step` first) until it holds or the deadline passes. */
export async function until(done: () => boolean, step: () => Promise<unknown> | void = () => undefined, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await step();
    if (done()) return;
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
