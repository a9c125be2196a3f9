/**
 * The snapshot document: JSON (v 2) holding every order held (open and retained finished ones, in id order), the id
 * counter, risk positions, marks and fee remainders, fee sums, and the name table its indexes refer to (v 1: no
 * name table). The daemon makes it in chunks (snapshot-capture.ts); takeSnapshot (order-replay.ts) makes the same
 * document at once.
 */
import type { FeeSum } from '../risk/fee-ledger.js';
import type { NameTable } from './name-table.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The snapshot: every order held, the id counter and risk positions, as JSON. */
export interface OrderSnapshot {
  /** 2: with `names`; 1: written before name tables. */
  readonly v: 1 | 2;
  /** What the rows' strategy, symbol and venue indexes and the position cells refer to (absent in v 1). */
  readonly names?: NameTable;
  readonly lastOrderId: number;
  /** feeRemainders: base fees below one lot not yet netted (absent in snapshots written before them). */
  readonly risk: { positions: number[]; marks: number[]; feeRemainders?: Record<string, string> };
  readonly orders: readonly RestoredOrderRow[];
  /** Fee sums per strategy, venue and currency (absent in snapshots written before them). */
  readonly fees?: readonly FeeSum[];
  /** The journal state parts (state-parts.ts), by name (absent in snapshots written before them). */
  readonly parts?: Readonly<Record<string, unknown>>;
}

/** One order in a snapshot (short keys: snapshots hold up to the retention limit of orders). */
export interface RestoredOrderRow {
  id: number;
  f: { strategy: number; symbol: number; side: number; type: number; tif: number; postOnly: boolean; priority: number;
    priceTicks: number; stopTicks: number; qtyLots: number; venue: number; clientOrderId: string; producerSeq: number; tag: number;
    /** Route code and parent order id (0: none): absent in snapshots written before routes, read as 0. */
    route?: number; parent?: number;
    /**
     * Algo code, paramA, paramB and the arrival mid (ticks, may be a half tick; 0: unknown): absent in snapshots
     * written before algorithms, read as 0.
     */
    algo?: number; pa?: number; pb?: number; am?: number };
  c: number;
  u: number;
  s: string;
  ven: string | null;
  vid: string | null;
  fl: number;
  fn: number;
  rp: number;
  tr: boolean;
  sbc: string | null;
  r: string | null;
  /** The order's fees so far per currency (store.feeTexts: "USDT:0.01;BTC:0.00001"), null: none; absent in rows written before them. */
  fee?: string | null;
  t: string[];
  /**
   * An amend waiting for its venue's answer: the asked price (ticks), new total (lots) and the replacement client
   * order id ('' = none); present only for such orders (PENDING_UPDATE, or PENDING_CANCEL asked while one was).
   */
  amd?: [number, number, string];
}

export function encodeSnapshot(snapshot: OrderSnapshot): Uint8Array {
  return encoder.encode(JSON.stringify(snapshot));
}

export function decodeSnapshot(bytes: Uint8Array): OrderSnapshot {
  const s = JSON.parse(decoder.decode(bytes)) as OrderSnapshot;
  if ((s.v !== 1 && s.v !== 2) || !Array.isArray(s.orders) || (s.v === 2 && s.names === undefined)) {
    throw new RangeError('not an order snapshot (version 1 or 2)');
  }
  return s;
}

