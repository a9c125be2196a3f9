/**
 * One load client's accounting (bench:load): every order it sends is counted once, and settles once — by its
 * acknowledgement (the venue's ACCEPT, or its first fill) or by an error counted by code (a refusal at submit, a
 * DENY/REJECT event, a transport failure, NO_ACK when nothing came before the drain ended). Nothing is retried:
 * orders = acks + errors + inFlight, and inFlight is 0 once the client has drained.
 *
 * Orders are numbered 1, 2, 3 ... per client (sent() hands out the next number); a number's send time and state
 * live in slot (n & mask) of fixed arrays of twice the window (nothing allocated per order). The next order goes
 * only when the window has room and its slot is free: an order that waits much longer than the others holds the
 * client back when its slot comes round again, never a slot taken twice.
 */
import { LatencyHistogram } from './histogram.js';

export class LoadTally {
  orders = 0;
  acks = 0;
  fills = 0;
  errors = 0;
  inFlight = 0;
  /** Events about orders no longer waiting (after their ack or error) or not ours: counted, not used. */
  late = 0;
  readonly errorsByCode = new Map<string, number>();
  readonly latency = new LatencyHistogram();
  /** performance.now() of the first send and of the last settle. */
  firstSendMs = 0;
  lastSettleMs = 0;
  private readonly sentAt: Float64Array;
  private readonly number: Float64Array;
  private readonly mask: number;
  /** The last number handed out. */
  counter = 0;

  constructor(readonly window: number) {
    if (!Number.isInteger(window) || window < 1) throw new RangeError('window must be a whole number >= 1');
    let size = 1;
    while (size < 2 * window) size *= 2;
    this.sentAt = new Float64Array(size);
    this.number = new Float64Array(size).fill(-1);
    this.mask = size - 1;
  }

  /** Room in the window for one more order, and its slot free. */
  canSend(): boolean {
    return this.inFlight < this.window && this.number[(this.counter + 1) & this.mask] === -1;
  }

  /** The next order is sent now (call only when canSend()); returns its number. */
  sent(nowMs: number): number {
    const n = ++this.counter;
    const slot = n & this.mask;
    if (this.number[slot] !== -1) throw new Error(`load tally: slot of order ${n} still held by order ${this.number[slot]}`);
    this.number[slot] = n;
    this.sentAt[slot] = nowMs;
    if (this.orders === 0) this.firstSendMs = nowMs;
    this.orders++;
    this.inFlight++;
    return n;
  }

  /** Whether order n is still waiting for its ack or error. */
  waiting(n: number): boolean {
    return n >= 0 && this.number[n & this.mask] === n;
  }

  ack(n: number, nowMs: number): void {
    const slot = n & this.mask;
    if (n < 0 || this.number[slot] !== n) {
      this.late++;
      return;
    }
    this.number[slot] = -1;
    this.inFlight--;
    this.acks++;
    this.latency.record((nowMs - this.sentAt[slot]!) * 1000);
    this.lastSettleMs = nowMs;
  }

  error(n: number, code: string, nowMs: number): void {
    const slot = n & this.mask;
    if (n < 0 || this.number[slot] !== n) {
      this.late++;
      return;
    }
    this.number[slot] = -1;
    this.inFlight--;
    this.countError(code);
    this.lastSettleMs = nowMs;
  }

  /** Every order still waiting becomes an error `code` (after the drain). */
  expireAll(code: string, nowMs: number): void {
    for (let slot = 0; slot <= this.mask; slot++) {
      if (this.number[slot] === -1) continue;
      this.number[slot] = -1;
      this.inFlight--;
      this.countError(code);
    }
    if (this.inFlight !== 0) throw new Error(`load tally: ${this.inFlight} in flight after expiring every slot`);
    void nowMs;
  }

  private countError(code: string): void {
    this.errors++;
    this.errorsByCode.set(code, (this.errorsByCode.get(code) ?? 0) + 1);
  }
}

/** The sum of several clients' tallies (latencies merged). */
export interface TallySum {
  orders: number;
  acks: number;
  fills: number;
  errors: number;
  inFlight: number;
  late: number;
  errorsByCode: Record<string, number>;
  latency: LatencyHistogram;
  firstSendMs: number;
  lastSettleMs: number;
}

export function sumTallies(ts: readonly LoadTally[]): TallySum {
  const s: TallySum = {
    orders: 0, acks: 0, fills: 0, errors: 0, inFlight: 0, late: 0, errorsByCode: {}, latency: new LatencyHistogram(),
    firstSendMs: Infinity, lastSettleMs: 0,
  };
  for (const t of ts) {
    s.orders += t.orders;
    s.acks += t.acks;
    s.fills += t.fills;
    s.errors += t.errors;
    s.inFlight += t.inFlight;
    s.late += t.late;
    for (const [k, v] of t.errorsByCode) s.errorsByCode[k] = (s.errorsByCode[k] ?? 0) + v;
    s.latency.merge(t.latency);
    if (t.orders > 0 && t.firstSendMs < s.firstSendMs) s.firstSendMs = t.firstSendMs;
    if (t.lastSettleMs > s.lastSettleMs) s.lastSettleMs = t.lastSettleMs;
  }
  if (s.firstSendMs === Infinity) s.firstSendMs = 0;
  return s;
}
