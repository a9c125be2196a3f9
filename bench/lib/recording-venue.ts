/**
 * The venue of the stress test: records every order it is handed (which producer, which of its orders, in
 * handoff order) and answers like an exchange that takes and fills everything at once: right after the batch
 * call returns (next turn of the event loop, as an adapter's I/O would) it reports ACCEPTED and a FILL for the
 * whole quantity through the report sink, so every order ends FILLED and its slot is recycled.
 *
 * Producers name their orders with client order ids `P<producer, 3 digits>S<seq>` (stressClientOrderId): the
 * venue sees nothing else that identifies a producer. Anything else handed to it is counted as foreign.
 */
import { performance } from 'node:perf_hooks';
import type { CancelRequest, OrderBatch, ReportSink, VenueAdapter } from '../../src/execution/venue.js';

/** The client order id of a producer's seq-th order (1-based): letters and digits, at most 32 characters. */
export function stressClientOrderId(producer: number, seq: number): string {
  return `P${String(producer).padStart(3, '0')}S${seq}`;
}

const P = 80; // 'P'
const S = 83; // 'S'
const ZERO = 48;

/** The producer a client order id names (stressClientOrderId), or -1 when it is not one. */
export function stressProducerOf(cid: string): number {
  return isStressClientOrderId(cid) ? digits(cid, 1, 4) : -1;
}

/** The seq a client order id names (stressClientOrderId), or -1 when it is not one. */
export function stressSeqOf(cid: string): number {
  return isStressClientOrderId(cid) ? digits(cid, 5, cid.length) : -1;
}

function isStressClientOrderId(cid: string): boolean {
  return cid.length >= 6 && cid.charCodeAt(0) === P && cid.charCodeAt(4) === S;
}

export class RecordingVenue implements VenueAdapter {
  /** Times each (producer, seq) was handed over: index producer * (orders + 1) + seq. */
  readonly counts: Uint16Array;
  /** Per producer, its seqs in handoff order (up to 2 x orders entries; beyond that only counted). */
  readonly handoffs: Int32Array[];
  readonly handoffCount: Int32Array;
  /** Orders handed over whose client order id names no producer or seq of this run. */
  foreign = 0;
  /** Orders handed over, in all. */
  total = 0;
  /** Distinct (producer, seq) handed over. */
  distinct = 0;
  batches = 0;
  /** performance.now() of the last batch handed over. */
  lastHandoffAt = 0;
  private pendingIds: Float64Array;
  private pendingPrice: Float64Array;
  private pendingQty: Float64Array;
  private pending = 0;
  private scheduled = false;
  private stopped = false;

  constructor(
    readonly name: string,
    private readonly sink: ReportSink,
    readonly producers: number,
    readonly orders: number,
  ) {
    this.counts = new Uint16Array(producers * (orders + 1));
    this.handoffs = Array.from({ length: producers }, () => new Int32Array(2 * orders));
    this.handoffCount = new Int32Array(producers);
    this.pendingIds = new Float64Array(1 << 16);
    this.pendingPrice = new Float64Array(1 << 16);
    this.pendingQty = new Float64Array(1 << 16);
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.stopped = true;
  }

  cancel(_request: CancelRequest): void {
    // nothing rests here: every order is filled as soon as it arrives
  }

  submit(batch: OrderBatch): void {
    this.batches++;
    this.lastHandoffAt = performance.now();
    for (let i = 0; i < batch.count; i++) {
      this.total++;
      this.record(batch.clientOrderId(i));
      this.answerLater(batch.orderId(i), batch.priceTicks(i), batch.qtyLots(i));
    }
  }

  private record(cid: string): void {
    const producer = stressProducerOf(cid);
    const seq = stressSeqOf(cid);
    if (producer < 0 || producer >= this.producers || seq < 1 || seq > this.orders) {
      this.foreign++;
      return;
    }
    const k = producer * (this.orders + 1) + seq;
    const c = this.counts[k]!;
    if (c === 0) this.distinct++;
    if (c < 0xffff) this.counts[k] = c + 1;
    const h = this.handoffCount[producer]!;
    if (h < this.handoffs[producer]!.length) this.handoffs[producer]![h] = seq;
    this.handoffCount[producer] = h + 1;
  }

  private answerLater(orderId: number, priceTicks: number, qtyLots: number): void {
    if (this.pending === this.pendingIds.length) this.growPending();
    this.pendingIds[this.pending] = orderId;
    this.pendingPrice[this.pending] = priceTicks;
    this.pendingQty[this.pending] = qtyLots;
    this.pending++;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.answer);
    }
  }

  private readonly answer = (): void => {
    this.scheduled = false;
    if (this.stopped) return;
    const n = this.pending;
    this.pending = 0;
    for (let i = 0; i < n; i++) {
      const orderId = this.pendingIds[i]!;
      this.sink.report(this.name, { kind: 'ACCEPTED', orderId, venueOrderId: `v${orderId}` });
      this.sink.report(this.name, {
        kind: 'FILL', orderId, tradeId: `t${orderId}`, priceTicks: this.pendingPrice[i]!, qtyLots: this.pendingQty[i]!, fee: '0', feeCurrency: 'USDT', liquidity: 'TAKER', venueTs: 0,
      });
    }
  };

  private growPending(): void {
    const grow = (a: Float64Array): Float64Array => {
      const b = new Float64Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.pendingIds = grow(this.pendingIds);
    this.pendingPrice = grow(this.pendingPrice);
    this.pendingQty = grow(this.pendingQty);
  }
}

/** The decimal number in cid[from, to), or -1 when it is not all digits (or empty, or too long). */
function digits(cid: string, from: number, to: number): number {
  if (to <= from || to - from > 9) return -1;
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = cid.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}
