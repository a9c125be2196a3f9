/**
 * The orders of a snapshot as they were at its seq: one row per order held then, copied field by field out of the
 * order store into arrays of its own (strings by reference — they never change —, trade ids copied: their sets
 * grow in place), and each row's JSON as the snapshot document holds it, written as bytes (json-bytes.ts): the
 * bytes JSON.stringify and UTF-8 give for a row of takeSnapshot, order-replay.ts (a test holds the two to the byte).
 */
import { BUY, NO_STATE, NO_VENUE, type OrderStore } from '../core/order-store.js';
import { makeClientOrderId } from '../model/ids.js';
import { ORDER_STATES } from '../model/order.js';
import { fragment, JsonBytes, NUMBER_BOUND, stringBound } from './json-bytes.js';

const QUOTE = 0x22;
const COMMA = 0x2c;
const NULL_BYTES = fragment('null');
const STATE_JSON: readonly Uint8Array[] = ORDER_STATES.map((s) => fragment(JSON.stringify(s)));
// A row's keys and punctuation, in takeSnapshot's order (order-replay.ts).
const K_ID = fragment('{"id":');
const K_STRATEGY = fragment(',"f":{"strategy":');
const K_SYMBOL = fragment(',"symbol":');
const K_SIDE = fragment(',"side":');
const K_TYPE = fragment(',"type":');
const K_TIF = fragment(',"tif":');
const K_POST_ONLY = fragment(',"postOnly":');
const K_PRIORITY = fragment(',"priority":');
const K_PRICE = fragment(',"priceTicks":');
const K_STOP = fragment(',"stopTicks":');
const K_QTY = fragment(',"qtyLots":');
const K_VENUE = fragment(',"venue":');
const K_CID = fragment(',"clientOrderId":');
const K_PRODUCER_SEQ = fragment(',"producerSeq":');
const K_TAG = fragment(',"tag":');
const K_ROUTE = fragment(',"route":');
const K_PARENT = fragment(',"parent":');
const K_ALGO = fragment(',"algo":');
const K_PARAM_A = fragment(',"pa":');
const K_PARAM_B = fragment(',"pb":');
const K_ARRIVAL_MID = fragment(',"am":');
const K_CREATED = fragment('},"c":');
const K_UPDATED = fragment(',"u":');
const K_STATE = fragment(',"s":');
const K_VEN = fragment(',"ven":');
const K_VID = fragment(',"vid":');
const K_FILLED = fragment(',"fl":');
const K_NOTIONAL = fragment(',"fn":');
const K_RISK_PRICE = fragment(',"rp":');
const K_TRIGGERED = fragment(',"tr":');
const K_SBC = fragment(',"sbc":');
const K_REASON = fragment(',"r":');
const K_FEE = fragment(',"fee":');
const K_TRADES = fragment(',"t":[');
const END = fragment(']}');
/** A pending amend's asked terms (see takeSnapshot's `amd`): after the trades, only for orders with one. */
const K_AMEND = fragment('],"amd":[');
const AMEND_END = fragment(']}');
const PENDING_UPDATE_CODE = ORDER_STATES.indexOf('PENDING_UPDATE');
const PENDING_CANCEL_CODE = ORDER_STATES.indexOf('PENDING_CANCEL');
/** A row without its strings and venue name: keys and punctuation (~300 bytes), 24 numbers (+2 spare), states, booleans. */
const ROW_FIXED_BOUND = 400 + 26 * NUMBER_BOUND + 2 * 32 + 10;

/** arr[i] = v, appending when i is the length (arrays only grow by one at the end here). */
function put<T>(arr: T[], i: number, v: T): void {
  if (i < arr.length) arr[i] = v;
  else arr.push(v);
}


export class OrderImage {
  /** Rows copied (may exceed `capacity` only through a bug: the capture checks it against the orders held). */
  rows = 0;
  /** Rows the typed arrays have room for. */
  capacity = 0;
  private id = new Float64Array(0);
  private strategy = new Uint16Array(0);
  private symbol = new Uint16Array(0);
  private side = new Uint8Array(0);
  private type = new Uint8Array(0);
  private tif = new Uint8Array(0);
  private postOnly = new Uint8Array(0);
  private priority = new Uint8Array(0);
  private pinned = new Uint8Array(0);
  private state = new Uint8Array(0);
  private venue = new Uint8Array(0);
  private triggered = new Uint8Array(0);
  private stateBeforeCancel = new Uint8Array(0);
  private priceTicks = new Float64Array(0);
  private stopTicks = new Float64Array(0);
  private qtyLots = new Float64Array(0);
  private producerSeq = new Float64Array(0);
  private tag = new Uint32Array(0);
  private route = new Uint8Array(0);
  private parent = new Float64Array(0);
  private algo = new Uint8Array(0);
  private paramA = new Float64Array(0);
  private paramB = new Float64Array(0);
  private arrivalMid = new Float64Array(0);
  private createdAt = new Float64Array(0);
  private updatedAt = new Float64Array(0);
  private filledLots = new Float64Array(0);
  private filledNotional = new Float64Array(0);
  private riskPriceTicks = new Float64Array(0);
  private amendPriceTicks = new Float64Array(0);
  private amendQtyLots = new Float64Array(0);
  private amendClientIds: (string | undefined)[] = [];
  private tradeStart = new Int32Array(0);
  private tradeCount = new Int32Array(0);
  private clientIds: (string | undefined)[] = [];
  private venueOrderIds: (string | undefined)[] = [];
  private reasons: (string | undefined)[] = [];
  private fees: (string | undefined)[] = [];
  private tradeIds: string[] = [];
  /** Per row: the store slot it was copied from, and its bytes in a SnapshotRowCache chunk (length 0: none, encode it). */
  private slotOf = new Int32Array(0);
  private cacheChunk = new Int32Array(0);
  private cacheOffset = new Int32Array(0);
  private cacheLength = new Int32Array(0);
  /** Trade ids held in `tradeIds`. */
  private trades = 0;

  /**
   * Empties the image and makes room for `rows` rows. Every column is kept from one capture to the next and only
   * grows, so a capture allocates nothing in proportion to the orders once they are as large as it needs (the string
   * columns are plain arrays grown by push — one made with a large length is a slow dictionary; release() empties
   * their entries).
   */
  reset(rows: number): void {
    this.rows = 0;
    this.trades = 0;
    if (rows <= this.capacity) return;
    const n = Math.max(rows, Math.ceil(this.capacity * 1.25));
    this.capacity = n;
    this.id = new Float64Array(n);
    this.strategy = new Uint16Array(n);
    this.symbol = new Uint16Array(n);
    this.side = new Uint8Array(n);
    this.type = new Uint8Array(n);
    this.tif = new Uint8Array(n);
    this.postOnly = new Uint8Array(n);
    this.priority = new Uint8Array(n);
    this.pinned = new Uint8Array(n);
    this.state = new Uint8Array(n);
    this.venue = new Uint8Array(n);
    this.triggered = new Uint8Array(n);
    this.stateBeforeCancel = new Uint8Array(n);
    this.priceTicks = new Float64Array(n);
    this.stopTicks = new Float64Array(n);
    this.qtyLots = new Float64Array(n);
    this.producerSeq = new Float64Array(n);
    this.tag = new Uint32Array(n);
    this.route = new Uint8Array(n);
    this.parent = new Float64Array(n);
    this.algo = new Uint8Array(n);
    this.paramA = new Float64Array(n);
    this.paramB = new Float64Array(n);
    this.arrivalMid = new Float64Array(n);
    this.createdAt = new Float64Array(n);
    this.updatedAt = new Float64Array(n);
    this.filledLots = new Float64Array(n);
    this.filledNotional = new Float64Array(n);
    this.riskPriceTicks = new Float64Array(n);
    this.amendPriceTicks = new Float64Array(n);
    this.amendQtyLots = new Float64Array(n);
    this.tradeStart = new Int32Array(n);
    this.tradeCount = new Int32Array(n);
    this.slotOf = new Int32Array(n);
    this.cacheChunk = new Int32Array(n);
    this.cacheOffset = new Int32Array(n);
    this.cacheLength = new Int32Array(n);
  }

  /**
   * Ends a capture. The columns stay for the next one, but not the strings of this one's orders: the image would keep
   * every held order's client order id, venue order id, reason, fee and trade ids alive until the next snapshot, long
   * after the tracker let them go (about 100 bytes an order: megabytes with a large retention).
   */
  release(): void {
    const n = this.rows;
    this.clientIds.fill(undefined, 0, n);
    this.venueOrderIds.fill(undefined, 0, n);
    this.reasons.fill(undefined, 0, n);
    this.fees.fill(undefined, 0, n);
    this.amendClientIds.fill(undefined, 0, n);
    this.tradeIds.fill('', 0, this.trades);
    this.reset(0);
  }

  /** The order ids of the rows (the sort key). */
  get ids(): Float64Array {
    return this.id;
  }

  /**
   * The order in `slot` as the next row, by its bytes in a row cache (chunk serial, offset, length): only its id is
   * copied (the sort key), the bytes are the row.
   */
  copyCached(s: OrderStore, slot: number, chunk: number, offset: number, length: number): void {
    const r = this.rows++;
    if (r >= this.capacity) return;
    this.id[r] = s.id[slot]!;
    this.slotOf[r] = slot;
    this.cacheChunk[r] = chunk;
    this.cacheOffset[r] = offset;
    this.cacheLength[r] = length;
    this.tradeStart[r] = this.trades;
    this.tradeCount[r] = 0;
    put(this.clientIds, r, undefined);
    put(this.venueOrderIds, r, undefined);
    put(this.reasons, r, undefined);
    put(this.fees, r, undefined);
    put(this.amendClientIds, r, undefined);
  }

  /** The store slot row `r` was copied from. */
  slot(r: number): number {
    return this.slotOf[r]!;
  }

  /** Bytes of row `r` in a row cache (0: none: encode it with writeRow), and where (cachedChunk, cachedOffset). */
  cachedLength(r: number): number {
    return this.cacheLength[r]!;
  }

  cachedChunk(r: number): number {
    return this.cacheChunk[r]!;
  }

  cachedOffset(r: number): number {
    return this.cacheOffset[r]!;
  }

  /** Copies the order in `slot` as the next row. */
  copy(s: OrderStore, slot: number): void {
    const r = this.rows++;
    if (r >= this.capacity) return;
    this.id[r] = s.id[slot]!;
    this.slotOf[r] = slot;
    this.cacheLength[r] = 0;
    this.strategy[r] = s.strategy[slot]!;
    this.symbol[r] = s.symbol[slot]!;
    this.side[r] = s.side[slot]!;
    this.type[r] = s.type[slot]!;
    this.tif[r] = s.tif[slot]!;
    this.postOnly[r] = s.postOnly[slot]!;
    this.priority[r] = s.priority[slot]!;
    this.pinned[r] = s.pinned[slot]!;
    this.state[r] = s.state[slot]!;
    this.venue[r] = s.venue[slot]!;
    this.triggered[r] = s.triggered[slot]!;
    this.stateBeforeCancel[r] = s.stateBeforeCancel[slot]!;
    this.priceTicks[r] = s.priceTicks[slot]!;
    this.stopTicks[r] = s.stopTicks[slot]!;
    this.qtyLots[r] = s.qtyLots[slot]!;
    this.producerSeq[r] = s.producerSeq[slot]!;
    this.tag[r] = s.tag[slot]!;
    this.route[r] = s.route[slot]!;
    this.parent[r] = s.parent[slot]!;
    this.algo[r] = s.algo[slot]!;
    this.paramA[r] = s.paramA[slot]!;
    this.paramB[r] = s.paramB[slot]!;
    this.arrivalMid[r] = s.arrivalMid[slot]!;
    this.createdAt[r] = s.createdAt[slot]!;
    this.updatedAt[r] = s.updatedAt[slot]!;
    this.filledLots[r] = s.filledLots[slot]!;
    this.filledNotional[r] = s.filledNotional[slot]!;
    this.riskPriceTicks[r] = s.riskPriceTicks[slot]!;
    put(this.clientIds, r, s.clientIds[slot]);
    put(this.venueOrderIds, r, s.venueOrderIds[slot]);
    put(this.reasons, r, s.reason(slot));
    put(this.fees, r, s.feeTexts[slot]);
    this.amendPriceTicks[r] = s.amendPriceTicks[slot]!;
    this.amendQtyLots[r] = s.amendQtyLots[slot]!;
    put(this.amendClientIds, r, s.amendClientIds[slot]);
    const trades = s.tradeIds[slot];
    const start = this.trades;
    this.tradeStart[r] = start;
    if (typeof trades === 'string') put(this.tradeIds, this.trades++, trades);
    else if (trades !== undefined) for (const t of trades) put(this.tradeIds, this.trades++, t);
    this.tradeCount[r] = this.trades - start;
  }

  /** Most bytes row `r` takes as JSON (see writeRow), with client id prefixes and venue names at most so long. */
  rowBound(r: number, prefixBytes: number, venueBytes: number): number {
    const cid = this.clientIds[r];
    let n = ROW_FIXED_BOUND + venueBytes + (cid !== undefined ? stringBound(cid) : 2 + prefixBytes + 11);
    n += stringBound(this.venueOrderIds[r]) + stringBound(this.reasons[r]) + stringBound(this.fees[r]);
    n += 16 + 2 * NUMBER_BOUND + stringBound(this.amendClientIds[r]);
    const t0 = this.tradeStart[r]!;
    const t1 = t0 + this.tradeCount[r]!;
    for (let t = t0; t < t1; t++) n += 1 + stringBound(this.tradeIds[t]);
    return n;
  }

  /**
   * Row `r` as JSON into `out`, keys in takeSnapshot's order and bytes as JSON.stringify gives them (room for
   * rowBound bytes first). `venueJson`: each venue name as JSON, by index; `prefix`: the store's client id prefix,
   * for the client order ids the daemon derived from the order id (prefix + the id in base 36, makeClientOrderId).
   */
  writeRow(r: number, out: JsonBytes, venueJson: readonly Uint8Array[], prefix: { readonly text: string; readonly bytes: Uint8Array }): void {
    const id = this.id[r]!;
    out.raw(K_ID);
    out.num(id);
    out.raw(K_STRATEGY);
    out.num(this.strategy[r]!);
    out.raw(K_SYMBOL);
    out.num(this.symbol[r]!);
    out.raw(K_SIDE);
    out.num(this.side[r] === BUY ? 0 : 1);
    out.raw(K_TYPE);
    out.num(this.type[r]!);
    out.raw(K_TIF);
    out.num(this.tif[r]!);
    out.raw(K_POST_ONLY);
    out.bool(this.postOnly[r] === 1);
    out.raw(K_PRIORITY);
    out.num(this.priority[r]!);
    out.raw(K_PRICE);
    out.num(this.priceTicks[r]!);
    out.raw(K_STOP);
    out.num(this.stopTicks[r]!);
    out.raw(K_QTY);
    out.num(this.qtyLots[r]!);
    out.raw(K_VENUE);
    out.num(this.pinned[r]!);
    out.raw(K_CID);
    const cid = this.clientIds[r];
    if (cid !== undefined) out.str(cid);
    else if (Number.isSafeInteger(id) && id >= 0) {
      out.byte(QUOTE);
      out.raw(prefix.bytes);
      out.digits(id, 36);
      out.byte(QUOTE);
    } else out.str(makeClientOrderId(prefix.text, id));
    out.raw(K_PRODUCER_SEQ);
    out.num(this.producerSeq[r]!);
    out.raw(K_TAG);
    out.num(this.tag[r]!);
    out.raw(K_ROUTE);
    out.num(this.route[r]!);
    out.raw(K_PARENT);
    out.num(this.parent[r]!);
    out.raw(K_ALGO);
    out.num(this.algo[r]!);
    out.raw(K_PARAM_A);
    out.num(this.paramA[r]!);
    out.raw(K_PARAM_B);
    out.num(this.paramB[r]!);
    out.raw(K_ARRIVAL_MID);
    out.num(this.arrivalMid[r]!);
    out.raw(K_CREATED);
    out.num(this.createdAt[r]!);
    out.raw(K_UPDATED);
    out.num(this.updatedAt[r]!);
    out.raw(K_STATE);
    out.raw(STATE_JSON[this.state[r]!] ?? NULL_BYTES);
    out.raw(K_VEN);
    const venue = this.venue[r]!;
    out.raw(venue === NO_VENUE ? NULL_BYTES : (venueJson[venue] ?? NULL_BYTES));
    out.raw(K_VID);
    out.str(this.venueOrderIds[r]);
    out.raw(K_FILLED);
    out.num(this.filledLots[r]!);
    out.raw(K_NOTIONAL);
    out.num(this.filledNotional[r]!);
    out.raw(K_RISK_PRICE);
    out.num(this.riskPriceTicks[r]!);
    out.raw(K_TRIGGERED);
    out.bool(this.triggered[r] === 1);
    out.raw(K_SBC);
    const sbc = this.stateBeforeCancel[r]!;
    out.raw(sbc === NO_STATE ? NULL_BYTES : (STATE_JSON[sbc] ?? NULL_BYTES));
    out.raw(K_REASON);
    out.str(this.reasons[r]);
    out.raw(K_FEE);
    out.str(this.fees[r]);
    out.raw(K_TRADES);
    const t0 = this.tradeStart[r]!;
    const t1 = t0 + this.tradeCount[r]!;
    for (let t = t0; t < t1; t++) {
      if (t > t0) out.byte(COMMA);
      out.str(this.tradeIds[t]!);
    }
    if (!this.amendPending(r)) {
      out.raw(END);
      return;
    }
    out.raw(K_AMEND);
    out.num(this.amendPriceTicks[r]!);
    out.byte(COMMA);
    out.num(this.amendQtyLots[r]!);
    out.byte(COMMA);
    out.str(this.amendClientIds[r] ?? '');
    out.raw(AMEND_END);
  }

  /** An amend waiting for its venue's answer (PENDING_UPDATE, or PENDING_CANCEL asked while it was). */
  private amendPending(r: number): boolean {
    const st = this.state[r]!;
    return st === PENDING_UPDATE_CODE || (st === PENDING_CANCEL_CODE && this.stateBeforeCancel[r] === PENDING_UPDATE_CODE);
  }
}
