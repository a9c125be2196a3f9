/**
 * The daemon's order state without venues, for the snapshot tests: store, tracker, risk accounting, fee ledger and
 * execution quality (per-order fees), and the moves a test drives it with (new orders, the dispatcher's SUBMIT, any lifecycle update).
 */
import { STATE_CODE, type OrderStore } from '../../src/core/order-store.js';
import { OrderTracker } from '../../src/core/order-tracker.js';
import { encodeSnapshot } from '../../src/journal/order-snapshot.js';
import { takeSnapshot } from '../../src/journal/order-replay.js';
import { SnapshotCapture, type CaptureOptions } from '../../src/journal/snapshot-capture.js';
import type { PieceSink } from '../../src/journal/snapshot-writer.js';
import { ManualClock } from '../../src/model/clock.js';
import { OrderIdCounter } from '../../src/model/ids.js';
import type { OrderUpdate } from '../../src/model/lifecycle.js';
import type { OrderType } from '../../src/model/order.js';
import { FeeLedger } from '../../src/risk/fee-ledger.js';
import { PreTradeRisk } from '../../src/risk/pre-trade-risk.js';
import { RiskAccounting } from '../../src/risk/risk-accounting.js';
import { ExecutionQuality } from '../../src/telemetry/execution-quality.js';
import { newOrderFields, testInstruments, testStore } from '../helpers/model.js';
import { tempDir } from './helpers.js';
import { JournalRecorder } from '../../src/journal/journal-recorder.js';
import { Journal } from '../../src/journal/journal.js';

const CREATED = STATE_CODE.CREATED;

/** The daemon's order state and its listeners, without venues: a test drives it. */
export interface Rig {
  readonly store: OrderStore;
  readonly tracker: OrderTracker;
  readonly clock: ManualClock;
  readonly risk: PreTradeRisk;
  readonly fees: FeeLedger;
  readonly ids: OrderIdCounter;
  readonly accounting: RiskAccounting;
  /** Per-order fees (store.feeTexts) and slippage, as the daemon keeps them. */
  readonly quality: ExecutionQuality;
}

export function makeRig(retainFinished: number): Rig {
  const instruments = testInstruments();
  const symbols = instruments.list.map((i) => i.symbol);
  const store = testStore({ instruments, capacity: 16 });
  const clock = new ManualClock();
  const tracker = new OrderTracker(store, clock, { retainFinished });
  const risk = new PreTradeRisk(instruments, [{ id: 'alpha', symbols }, { id: 'beta', symbols }], {});
  for (const ins of instruments.list) risk.setMark(ins.index, 1000);
  const accounting = new RiskAccounting(risk);
  tracker.listen(accounting);
  const fees = new FeeLedger(store, ['alpha', 'beta']);
  tracker.listen(fees);
  const quality = new ExecutionQuality(tracker.store);
  tracker.listen(quality, 'execution-quality');
  return { store, tracker, clock, risk, fees, ids: new OrderIdCounter(), accounting, quality };
}

/** The synchronous snapshot now (the reference). */
export function syncSnapshot(r: Rig): Uint8Array {
  return encodeSnapshot(takeSnapshot(r.tracker, r.ids.current(), r.risk, r.fees));
}

/** A capture of the rig's state; one unit of work per step unless told (stepMs 0: steps do not depend on time). */
export function captureOf(r: Rig, options: CaptureOptions = {}): SnapshotCapture {
  return new SnapshotCapture({ store: r.store, ids: r.ids, risk: r.risk, fees: r.fees }, { stepMs: 0, ...options });
}



export interface NewOrder {
  strategy: number;
  symbol: number;
  sell: boolean;
  type: number;
  priceTicks: number;
  qtyLots: number;
  givenId: boolean;
}

const TYPES: readonly OrderType[] = ['LIMIT', 'MARKET', 'STOP', 'STOP_LIMIT'];
const SYMBOLS = ['BTC-USDT', 'ETH-USDT', 'SOL-USDT'];

export function createOrder(r: Rig, o: NewOrder): number {
  const id = r.ids.next();
  const type = TYPES[o.type % TYPES.length]!;
  const fields = newOrderFields(r.store, {
    strategy: o.strategy % 2 === 0 ? 'alpha' : 'beta', symbol: SYMBOLS[o.symbol % 3]!, side: o.sell ? 'SELL' : 'BUY', type,
    priceTicks: type === 'MARKET' || type === 'STOP' ? 0 : o.priceTicks, stopTicks: type.startsWith('STOP') ? o.priceTicks : 0,
    qtyLots: o.qtyLots, clientOrderId: o.givenId ? `given${id}` : undefined, producerSeq: id * 3, tag: id & 0xff,
  });
  return r.tracker.create(id, fields);
}

/**
 * What the dispatcher does with a CREATED order: riskPriceTicks and the reservation, then SUBMIT (no record between).
 * A child order (parent id not 0) is submitted by its parent (src/parents) without either: the parent's reservation
 * covers it, and replay (risk-accounting.ts) reserves nothing for it.
 */
export function dispatch(r: Rig, slot: number, venue: string): void {
  const s = r.store;
  if (s.state[slot] !== CREATED) return;
  if (s.parent[slot] !== 0) {
    r.tracker.applySlot(slot, { kind: 'SUBMIT', venue });
    return;
  }
  const price = s.priceTicks[slot]! > 0 ? s.priceTicks[slot]! : r.risk.markOf(s.symbol[slot]!);
  s.setRiskPrice(slot, price);
  r.risk.reserve(s.strategy[slot]!, s.symbol[slot]!, s.side[slot]!, price, s.qtyLots[slot]!);
  r.tracker.applySlot(slot, { kind: 'SUBMIT', venue });
}

let tradeSeq = 0;

/** Texts JSON escapes or encodes in every way: quotes, backslashes, control characters, non-ASCII, a lone surrogate. */
const TEXTS = ['user "quoted" é', 'back\\slash', 'line\nbreak\ttab\u0001\u001f\u007f', 'emoji 🚀 and 中文', 'lone \ud800 surrogate', ''];

/** An update of kind `k` (mod 14) for the order in `slot`; `n` varies its details. */
export function updateFor(r: Rig, slot: number, k: number, n: number): OrderUpdate {
  const s = r.store;
  const venue = n % 2 === 0 ? 'v1' : 'v2';
  switch (k % 14) {
    // amends: a new total above what filled; a confirmation now and then rebinds the client order id (cancel-replace)
    case 11: return { kind: 'AMEND_REQUEST', priceTicks: 900 + (n % 200), qtyLots: s.filledLots[slot]! + 1 + (n % 50), clientOrderId: n % 2 === 0 ? `r${s.id[slot]}x${n}` : undefined };
    case 12: return {
      kind: 'AMENDED', priceTicks: s.amendPriceTicks[slot]! || 950, qtyLots: s.amendQtyLots[slot]! || s.qtyLots[slot]!,
      clientOrderId: n % 3 === 0 ? `r${s.id[slot]}x${n}` : undefined, venueOrderId: n % 3 === 0 ? `VR${n}` : undefined,
    };
    case 13: return { kind: 'AMEND_REJECT', reason: n % 2 === 0 ? 'VENUE_REJECTED: no' : undefined };
    case 0: return { kind: 'ACCEPT', venueOrderId: n % 3 === 0 ? undefined : `V${s.id[slot]}-${n}` };
    case 1: {
      const rest = s.qtyLots[slot]! - s.filledLots[slot]!;
      const qty = Math.max(1, Math.min(rest, 1 + (n % 7)));
      // a trade id seen before now and then (a duplicate fill is ignored)
      const tradeId = n % 5 === 0 ? `T${n % 3}` : `T${++tradeSeq}`;
      return {
        kind: 'FILL',
        fill: {
          orderId: s.id[slot]!, tradeId, venue, priceTicks: 900 + (n % 200), qtyLots: qty, fee: `0.0${n % 10}`,
          feeCurrency: n % 4 === 0 ? '' : 'USDT', liquidity: n % 2 === 0 ? 'MAKER' : 'TAKER', ts: r.clock.now(), venueTs: n,
        },
      };
    }
    case 2: return { kind: 'CANCEL_REQUEST' };
    case 3: return { kind: 'CANCELED', reason: n % 2 === 0 ? undefined : TEXTS[n % TEXTS.length] };
    case 4: return { kind: 'CANCEL_REJECT', reason: n % 2 === 0 ? 'too late' : undefined };
    case 5: return { kind: 'REJECT', reason: n % 2 === 0 ? 'INSUFFICIENT_BALANCE' : `venue says no \\ ${n}` };
    case 6: return { kind: 'EXPIRE' };
    case 7: return { kind: 'TRIGGER' };
    case 8: return { kind: 'DENY', reason: 'NO_ROUTE' };
    case 9: return { kind: 'SUBMIT', venue };
    default: return { kind: 'ROUTE', venue };
  }
}

/** A sink that keeps the pieces in memory (copies: the capture reuses its buffers). */
export class MemorySink implements PieceSink {
  readonly pieces: Uint8Array[] = [];

  write(bytes: Uint8Array, length: number, done?: () => void): void {
    this.pieces.push(bytes.slice(0, length));
    done?.();
  }

  text(): string {
    return Buffer.concat(this.pieces).toString();
  }
}

/** A whole capture at once, as text. */
export function captureText(capture: SnapshotCapture): string {
  const sink = new MemorySink();
  capture.captureNow(sink);
  return sink.text();
}

/**
 * A rig whose tracker records into a fresh journal in a temporary directory (names written first); `cleanups` gets
 * the directory's removal.
 */
export async function journaledRig(prefix: string, cleanups: (() => void)[]): Promise<{ r: Rig; journal: Journal; dir: string }> {
  const t = tempDir(prefix, true);
  cleanups.push(t.cleanup);
  const r = makeRig(100);
  const recorder = new JournalRecorder(r.store);
  r.tracker.listen(recorder, 'journal');
  const journal = await Journal.open(t.dir, { maxDelayMs: 1, onError: (e) => recorder.fail(e) });
  recorder.attach(journal);
  recorder.writeNames();
  return { r, journal, dir: t.dir };
}
