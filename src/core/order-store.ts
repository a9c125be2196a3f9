import { ERROR_CATALOGUE, isErrorCode, type ErrorCode } from '../model/errors.js';
import { derivedClientOrderId, isClientIdPrefix, writeDigits, type OrderId } from '../model/ids.js';
import { jsonString } from '../model/json-text.js';
import type { Instrument, InstrumentRegistry } from '../model/instrument.js';
import {
  ORDER_STATES, ORDER_TYPES, PRIORITIES, ROUTES, stateIndex, TIME_IN_FORCES,
  type Order, type Route, type OrderState, type OrderType, type Priority, type Side, type TimeInForce,
} from '../model/order.js';
import { IdMap } from './id-map.js';

/** String.prototype.charCodeAt as a constant: see src/model/json-text.ts (a megamorphic `text.charCodeAt` per char). */
const charCodeAt = String.prototype.charCodeAt;

/** Codes of the order fields kept as small integers. */

/** The trade keys of a store.tradeIds entry, as a list. */
export function tradeIdList(t: Set<string> | string | undefined): string[] {
  return t === undefined ? [] : typeof t === 'string' ? [t] : [...t];
}

export const STATE_CODE: Readonly<Record<OrderState, number>> = Object.fromEntries(ORDER_STATES.map((s, i) => [s, i])) as Record<OrderState, number>;
export const TYPE_CODE: Readonly<Record<OrderType, number>> = Object.fromEntries(ORDER_TYPES.map((s, i) => [s, i])) as Record<OrderType, number>;
export const TIF_CODE: Readonly<Record<TimeInForce, number>> = Object.fromEntries(TIME_IN_FORCES.map((s, i) => [s, i])) as Record<TimeInForce, number>;
export const PRIORITY_CODE: Readonly<Record<Priority, number>> = Object.fromEntries(PRIORITIES.map((s, i) => [s, i])) as Record<Priority, number>;
export const BUY = 0;
export const SELL = 1;
export const NO_VENUE = 255;
/** How an order is routed (store.route; the journal's ORDER record keeps it, 0 in records written before routes). */
export const ROUTE_TABLE = 0;
export const ROUTE_BEST = 1;
export const ROUTE_SWEEP = 2;
/** In NewOrderFields only: the strategy's configured route for the symbol (the intake resolves it). */
export const ROUTE_DEFAULT = 255;
/** Execution algorithm of a parent order (store.algo): none, TWAP slices, an iceberg's shown part. */
export const ALGO_NONE = 0;
export const ALGO_TWAP = 1;
export const ALGO_ICEBERG = 2;
/** Route codes by name (the codes index ROUTES). */
export const ROUTE_CODE: Readonly<Record<Route, number>> = { table: ROUTE_TABLE, best: ROUTE_BEST, sweep: ROUTE_SWEEP };
export const NO_STATE = 255;
const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];
const ERROR_INDEX: Readonly<Record<string, number>> = Object.fromEntries(ERROR_CODES.map((c, i) => [c, i]));
const REASON_NONE = 255;
const REASON_TEXT = 254;
const CREATED = STATE_CODE.CREATED;

/**
 * Told before an order's fields in a slot are first written while a journal snapshot is being captured: the
 * capture (src/journal/snapshot-capture.ts) then copies the slot as it was (copy-on-write). Set only meanwhile.
 */
export interface SlotWriteHook {
  beforeWrite(slot: number): void;
}

/** The fields of a new order, as integers (what the decoders produce and the dispatcher consumes). */
export interface NewOrderFields {
  strategy: number;
  symbol: number;
  side: number;
  type: number;
  tif: number;
  postOnly: boolean;
  priority: number;
  priceTicks: number;
  stopTicks: number;
  qtyLots: number;
  /** Pinned venue index, or NO_VENUE. */
  venue: number;
  /** A client order id given by the producer; undefined = made by the daemon from the order id. */
  clientOrderId: string | undefined;
  /** The producer's own sequence number and tag (strategy rings), 0 otherwise. */
  producerSeq: number;
  tag: number;
  /** ROUTE_TABLE, ROUTE_BEST, ROUTE_SWEEP (or ROUTE_DEFAULT before the intake resolves it). */
  route: number;
  /** The id of the parent order this one is a child of (a sweep's slice), 0 for an order of its own. */
  parent: number;
  /** ALGO_NONE, ALGO_TWAP, ALGO_ICEBERG. */
  algo: number;
  /**
   * Parameters of the order's type or algorithm, 0 when it has none: TRAILING_STOP: paramA = trailing offset in ticks;
   * TWAP: paramA = horizon ms, paramB = interval ms; ICEBERG: paramA = display quantity in lots.
   */
  paramA: number;
  paramB: number;
  /** The consolidated mid (ticks, may be a half tick) when the order was received; 0 = no market data then. */
  arrivalMid: number;
}

/**
 * Every order the daemon holds, as a struct of typed arrays indexed by slot, with a free list of slots and an
 * id -> slot hash. Creating, routing and submitting an order writes numbers into preallocated arrays: nothing is
 * allocated per order in steady state. The store grows by doubling when full (the only allocation, amortised).
 * `OrderView` gives an `Order`-shaped view of a slot for the lifecycle and for the edges.
 */
export class OrderStore {
  capacity: number;
  id: Float64Array;
  strategy: Uint16Array;
  symbol: Uint16Array;
  side: Uint8Array;
  type: Uint8Array;
  tif: Uint8Array;
  postOnly: Uint8Array;
  priority: Uint8Array;
  state: Uint8Array;
  /** The venue the order is at (or pinned to, before it is sent). */
  venue: Uint8Array;
  /** The venue the producer pinned, or NO_VENUE (routing table). */
  pinned: Uint8Array;
  stateBeforeCancel: Uint8Array;
  triggered: Uint8Array;
  reasonCode: Uint8Array;
  priceTicks: Float64Array;
  stopTicks: Float64Array;
  qtyLots: Float64Array;
  filledLots: Float64Array;
  filledNotional: Float64Array;
  riskPriceTicks: Float64Array;
  /** See Order.amendPriceTicks / amendQtyLots: the terms a pending amend asks for (after one, the terms it replaced). */
  amendPriceTicks: Float64Array;
  amendQtyLots: Float64Array;
  createdAt: Float64Array;
  updatedAt: Float64Array;
  /** Monotonic ms when the order was handed to its venue (submit-to-ack latency). */
  submittedAt: Float64Array;
  producerSeq: Float64Array;
  tag: Uint32Array;
  /** ROUTE_TABLE, ROUTE_BEST or ROUTE_SWEEP. */
  route: Uint8Array;
  /** Parent order id of a child order, 0 otherwise. */
  parent: Float64Array;
  /** See NewOrderFields. */
  algo: Uint8Array;
  paramA: Float64Array;
  paramB: Float64Array;
  arrivalMid: Float64Array;
  /**
   * Per slot: how many times it was released (mod 2^30). Whatever keeps a slot number across time (strategy
   * queues, batches waiting for the disk) keeps this with it: a slot released and reused since holds another order,
   * and the old entry must not act on it (see isCurrent).
   */
  generation: Int32Array;
  clientIds: (string | undefined)[];
  venueOrderIds: (string | undefined)[];
  /** See Order.amendClientOrderId (undefined = none). */
  amendClientIds: (string | undefined)[];
  reasonTexts: (string | undefined)[];
  /** Per slot: the one trade key of an order filled once (most are), a set from the second fill on; undefined = none. */
  tradeIds: (Set<string> | string | undefined)[];
  /**
   * Per slot: the order's fees so far, exact decimals per currency in the order first paid, "USDT:0.0123" or
   * "USDT:0.01;BTC:0.00001" (src/telemetry/execution-quality.ts keeps it on every applied FILL); undefined = none.
   */
  feeTexts: (string | undefined)[];
  /** Set while a journal snapshot is captured (see SlotWriteHook), null otherwise: one branch per write. */
  writeHook: SlotWriteHook | null = null;
  private freeList: Int32Array;
  private freeCount: number;
  private readonly venueIndexByName: ReadonlyMap<string, number>;
  /**
   * The names as JSON texts (jsonString, made once): strategies and venues by index, symbols by instrument index. What
   * the event and order-view writers put out for them, without escaping a name again for every message.
   */
  readonly strategyJson: readonly string[];
  readonly venueJson: readonly string[];
  readonly symbolJson: readonly string[];
  private readonly ids: IdMap;
  private used = 0;
  /** venueIndex's last name and its answer (a name not in venueNames included: NO_VENUE). */
  private lastVenueName: string | undefined = undefined;
  private lastVenueIndex = NO_VENUE;

  constructor(
    readonly instruments: InstrumentRegistry,
    /** Strategy ids by index. */
    readonly strategyIds: readonly string[],
    /** Venue names by index (the internal crossing book included). */
    readonly venueNames: readonly string[],
    /** Prefix of client order ids the daemon makes (fixed length: see daemon.ts). */
    readonly clientIdPrefix: string,
    initialCapacity = 1 << 16,
  ) {
    if (venueNames.length >= NO_VENUE) throw new RangeError(`at most ${NO_VENUE - 1} venues`);
    if (!isClientIdPrefix(clientIdPrefix)) throw new RangeError(`client id prefix "${clientIdPrefix}" is not 0 to 31 letters and digits`);
    this.venueIndexByName = new Map(venueNames.map((n, i) => [n, i]));
    this.strategyJson = strategyIds.map(jsonString);
    this.venueJson = venueNames.map(jsonString);
    this.symbolJson = instruments.list.map((i) => jsonString(i.symbol));
    this.capacity = 0;
    this.id = new Float64Array(0);
    this.strategy = new Uint16Array(0);
    this.symbol = new Uint16Array(0);
    this.side = new Uint8Array(0);
    this.type = new Uint8Array(0);
    this.tif = new Uint8Array(0);
    this.postOnly = new Uint8Array(0);
    this.priority = new Uint8Array(0);
    this.state = new Uint8Array(0);
    this.venue = new Uint8Array(0);
    this.pinned = new Uint8Array(0);
    this.stateBeforeCancel = new Uint8Array(0);
    this.triggered = new Uint8Array(0);
    this.reasonCode = new Uint8Array(0);
    this.priceTicks = new Float64Array(0);
    this.stopTicks = new Float64Array(0);
    this.qtyLots = new Float64Array(0);
    this.filledLots = new Float64Array(0);
    this.filledNotional = new Float64Array(0);
    this.riskPriceTicks = new Float64Array(0);
    this.amendPriceTicks = new Float64Array(0);
    this.amendQtyLots = new Float64Array(0);
    this.createdAt = new Float64Array(0);
    this.updatedAt = new Float64Array(0);
    this.submittedAt = new Float64Array(0);
    this.producerSeq = new Float64Array(0);
    this.tag = new Uint32Array(0);
    this.route = new Uint8Array(0);
    this.parent = new Float64Array(0);
    this.algo = new Uint8Array(0);
    this.paramA = new Float64Array(0);
    this.paramB = new Float64Array(0);
    this.arrivalMid = new Float64Array(0);
    this.generation = new Int32Array(0);
    this.clientIds = [];
    this.venueOrderIds = [];
    this.amendClientIds = [];
    this.reasonTexts = [];
    this.tradeIds = [];
    this.feeTexts = [];
    this.freeList = new Int32Array(0);
    this.freeCount = 0;
    this.grow(Math.max(16, initialCapacity));
    this.ids = new IdMap(this, 'sequential'); // ids come from OrderIdCounter
  }

  /** Orders held (open and retained finished ones). */
  get size(): number {
    return this.used;
  }

  /** Take a slot for a new order in CREATED (the caller stamps createdAt and updatedAt). */
  create(id: OrderId, f: NewOrderFields): number {
    if (this.freeCount === 0) {
      this.grow(this.capacity * 2);
      this.ids.resize();
    }
    const slot = this.freeList[--this.freeCount]!;
    if (this.writeHook !== null) this.writeHook.beforeWrite(slot);
    this.used++;
    this.id[slot] = id;
    this.strategy[slot] = f.strategy;
    this.symbol[slot] = f.symbol;
    this.side[slot] = f.side;
    this.type[slot] = f.type;
    this.tif[slot] = f.tif;
    this.postOnly[slot] = f.postOnly ? 1 : 0;
    this.priority[slot] = f.priority;
    this.state[slot] = CREATED;
    this.venue[slot] = f.venue;
    this.pinned[slot] = f.venue;
    this.stateBeforeCancel[slot] = NO_STATE;
    this.triggered[slot] = 0;
    this.reasonCode[slot] = REASON_NONE;
    this.priceTicks[slot] = f.priceTicks;
    this.stopTicks[slot] = f.stopTicks;
    this.qtyLots[slot] = f.qtyLots;
    this.filledLots[slot] = 0;
    this.filledNotional[slot] = 0;
    this.riskPriceTicks[slot] = 0;
    this.amendPriceTicks[slot] = 0;
    this.amendQtyLots[slot] = 0;
    this.submittedAt[slot] = 0;
    this.producerSeq[slot] = f.producerSeq;
    this.tag[slot] = f.tag;
    this.route[slot] = f.route === ROUTE_DEFAULT ? ROUTE_TABLE : f.route;
    this.parent[slot] = f.parent;
    this.algo[slot] = f.algo;
    this.paramA[slot] = f.paramA;
    this.paramB[slot] = f.paramB;
    this.arrivalMid[slot] = f.arrivalMid;
    this.clientIds[slot] = f.clientOrderId;
    this.venueOrderIds[slot] = undefined;
    this.amendClientIds[slot] = undefined;
    this.reasonTexts[slot] = undefined;
    this.tradeIds[slot] = undefined;
    this.feeTexts[slot] = undefined;
    this.ids.insert(slot);
    return slot;
  }

  /** The price risk reserved the order at (its limit, or the mark for a market order), set at dispatch. */
  setRiskPrice(slot: number, priceTicks: number): void {
    if (this.writeHook !== null) this.writeHook.beforeWrite(slot);
    this.riskPriceTicks[slot] = priceTicks;
  }

  /**
   * A TRAILING_STOP's best trade price so far (held in its stopTicks, see src/parents/stop-emulation.ts): a write like
   * any other, told to the snapshot's copy-on-write hook.
   */
  setStopTicks(slot: number, ticks: number): void {
    if (this.writeHook !== null) this.writeHook.beforeWrite(slot);
    this.stopTicks[slot] = ticks;
  }

  /** Slot of an order id, or -1. */
  slotOf(id: OrderId): number {
    return this.ids.get(id);
  }

  /** True when `slot` still holds the order it held at `generation` (not released since). */
  isCurrent(slot: number, generation: number): boolean {
    return this.generation[slot] === generation && this.id[slot]! >= 0;
  }

  /** Forget an order (its slot is reused; its generation moves on, so old handles to it no longer match). */
  release(slot: number): void {
    if (this.writeHook !== null) this.writeHook.beforeWrite(slot);
    this.generation[slot] = (this.generation[slot]! + 1) & 0x3fffffff; // stays a small integer: no boxing
    this.ids.remove(this.id[slot]!);
    this.clientIds[slot] = undefined;
    this.venueOrderIds[slot] = undefined;
    this.amendClientIds[slot] = undefined;
    this.reasonTexts[slot] = undefined;
    this.tradeIds[slot] = undefined;
    this.feeTexts[slot] = undefined;
    this.id[slot] = -1;
    this.freeList[this.freeCount++] = slot;
    this.used--;
  }

  /** Index of a venue name, or NO_VENUE. */
  venueIndex(name: string | undefined): number {
    if (name === undefined) return NO_VENUE;
    // every order's SUBMIT names its venue (OrderView's venue setter): most name the one the previous named
    if (name === this.lastVenueName) return this.lastVenueIndex;
    const index = this.venueIndexByName.get(name) ?? NO_VENUE;
    this.lastVenueName = name;
    this.lastVenueIndex = index;
    return index;
  }

  clientOrderId(slot: number): string {
    return this.clientIds[slot] ?? derivedClientOrderId(this.clientIdPrefix, this.id[slot]!);
  }

  /** Write the client order id's ASCII into `buf` at `off` (no string made for ids the daemon derives). Returns its length. */
  writeClientOrderId(slot: number, buf: Uint8Array, off: number): number {
    const given = this.clientIds[slot];
    const text = given ?? this.clientIdPrefix;
    for (let i = 0; i < text.length; i++) buf[off + i] = charCodeAt.call(text, i);
    if (given !== undefined) return given.length;
    return writeDigits(buf, off + text.length, this.id[slot]!, 36) - off;
  }

  instrument(slot: number): Instrument {
    return this.instruments.at(this.symbol[slot]!);
  }

  reason(slot: number): ErrorCode | string | undefined {
    const c = this.reasonCode[slot]!;
    if (c === REASON_NONE) return undefined;
    if (c === REASON_TEXT) return this.reasonTexts[slot];
    return ERROR_CODES[c];
  }

  setReason(slot: number, reason: ErrorCode | string | undefined): void {
    if (reason === undefined) {
      this.reasonCode[slot] = REASON_NONE;
    } else if (isErrorCode(reason)) {
      this.reasonCode[slot] = ERROR_INDEX[reason]!;
    } else {
      this.reasonCode[slot] = REASON_TEXT;
      this.reasonTexts[slot] = reason;
    }
  }

  private grow(capacity: number): void {
    const old = this.capacity;
    const f64 = (a: Float64Array): Float64Array => { const b = new Float64Array(capacity); b.set(a); return b; };
    const u8 = (a: Uint8Array): Uint8Array => { const b = new Uint8Array(capacity); b.set(a); return b; };
    const u16 = (a: Uint16Array): Uint16Array => { const b = new Uint16Array(capacity); b.set(a); return b; };
    this.id = f64(this.id);
    this.strategy = u16(this.strategy);
    this.symbol = u16(this.symbol);
    this.side = u8(this.side);
    this.type = u8(this.type);
    this.tif = u8(this.tif);
    this.postOnly = u8(this.postOnly);
    this.priority = u8(this.priority);
    this.state = u8(this.state);
    this.venue = u8(this.venue);
    this.pinned = u8(this.pinned);
    this.stateBeforeCancel = u8(this.stateBeforeCancel);
    this.triggered = u8(this.triggered);
    this.reasonCode = u8(this.reasonCode);
    this.priceTicks = f64(this.priceTicks);
    this.stopTicks = f64(this.stopTicks);
    this.qtyLots = f64(this.qtyLots);
    this.filledLots = f64(this.filledLots);
    this.filledNotional = f64(this.filledNotional);
    this.riskPriceTicks = f64(this.riskPriceTicks);
    this.amendPriceTicks = f64(this.amendPriceTicks);
    this.amendQtyLots = f64(this.amendQtyLots);
    this.createdAt = f64(this.createdAt);
    this.updatedAt = f64(this.updatedAt);
    this.submittedAt = f64(this.submittedAt);
    this.producerSeq = f64(this.producerSeq);
    this.route = u8(this.route);
    this.parent = f64(this.parent);
    this.algo = u8(this.algo);
    this.paramA = f64(this.paramA);
    this.paramB = f64(this.paramB);
    this.arrivalMid = f64(this.arrivalMid);
    const tag = new Uint32Array(capacity);
    tag.set(this.tag);
    this.tag = tag;
    const generation = new Int32Array(capacity);
    generation.set(this.generation);
    this.generation = generation;
    for (let i = old; i < capacity; i++) {
      this.clientIds.push(undefined);
      this.venueOrderIds.push(undefined);
      this.amendClientIds.push(undefined);
      this.reasonTexts.push(undefined);
      this.tradeIds.push(undefined);
      this.feeTexts.push(undefined);
      this.id[i] = -1;
    }
    const free = new Int32Array(capacity);
    free.set(this.freeList.subarray(0, this.freeCount));
    // New slots are taken lowest first.
    for (let i = capacity - 1; i >= old; i--) free[this.freeCount++] = i;
    this.freeList = free;
    this.capacity = capacity;
  }
}

/**
 * An `Order`-shaped live view of one slot. The tracker keeps one and moves it from slot to slot to run the
 * lifecycle without allocating; the edges (API) make their own with `OrderStore.view`. A view is valid while its
 * order is held (finished orders are forgotten after the retention limit).
 */
export class OrderView implements Order {
  slot = -1;

  constructor(private readonly s: OrderStore) {}

  at(slot: number): this {
    this.slot = slot;
    return this;
  }

  /** The order as it is now, detached from the store: what an answer given later must show (see OrderCopy). */
  detach(): OrderCopy {
    return new OrderCopy(this, this.s);
  }

  get id(): OrderId { return this.s.id[this.slot]!; }
  get strategyIndex(): number { return this.s.strategy[this.slot]!; }
  get symbolIndex(): number { return this.s.symbol[this.slot]!; }
  get venueIndex(): number { return this.s.venue[this.slot]!; }
  get strategy(): string { return this.s.strategyIds[this.s.strategy[this.slot]!]!; }
  get symbol(): string { return this.s.instruments.at(this.s.symbol[this.slot]!).symbol; }
  get side(): Side { return this.s.side[this.slot] === BUY ? 'BUY' : 'SELL'; }
  get type(): OrderType { return ORDER_TYPES[this.s.type[this.slot]!]!; }
  get timeInForce(): TimeInForce { return TIME_IN_FORCES[this.s.tif[this.slot]!]!; }
  get postOnly(): boolean { return this.s.postOnly[this.slot] === 1; }
  get priority(): Priority { return PRIORITIES[this.s.priority[this.slot]!]!; }
  get priceTicks(): number { return this.s.priceTicks[this.slot]!; }
  /** Written only by the lifecycle: an amend the venue confirmed. */
  set priceTicks(v: number) { this.s.priceTicks[this.slot] = v; }
  get stopTicks(): number { return this.s.stopTicks[this.slot]!; }
  get qtyLots(): number { return this.s.qtyLots[this.slot]!; }
  set qtyLots(v: number) { this.s.qtyLots[this.slot] = v; }
  get clientOrderId(): string { return this.s.clientOrderId(this.slot); }
  /** Rebinding to a new client order id (a cancel-replace amend); the tracker indexes it (OrderTracker.applySlot). */
  set clientOrderId(v: string) { this.s.clientIds[this.slot] = v; }
  get amendPriceTicks(): number { return this.s.amendPriceTicks[this.slot]!; }
  set amendPriceTicks(v: number) { this.s.amendPriceTicks[this.slot] = v; }
  get amendQtyLots(): number { return this.s.amendQtyLots[this.slot]!; }
  set amendQtyLots(v: number) { this.s.amendQtyLots[this.slot] = v; }
  get amendClientOrderId(): string { return this.s.amendClientIds[this.slot] ?? ''; }
  set amendClientOrderId(v: string) { this.s.amendClientIds[this.slot] = v === '' ? undefined : v; }
  get createdAt(): number { return this.s.createdAt[this.slot]!; }

  get state(): OrderState { return ORDER_STATES[this.s.state[this.slot]!]!; }
  set state(v: OrderState) { this.s.state[this.slot] = stateIndex(v); }
  get venue(): string | undefined {
    const v = this.s.venue[this.slot]!;
    return v === NO_VENUE ? undefined : this.s.venueNames[v];
  }
  set venue(name: string | undefined) { this.s.venue[this.slot] = this.s.venueIndex(name); }
  get venueOrderId(): string | undefined { return this.s.venueOrderIds[this.slot]; }
  set venueOrderId(v: string | undefined) { this.s.venueOrderIds[this.slot] = v; }
  get filledLots(): number { return this.s.filledLots[this.slot]!; }
  set filledLots(v: number) { this.s.filledLots[this.slot] = v; }
  get filledNotional(): number { return this.s.filledNotional[this.slot]!; }
  set filledNotional(v: number) { this.s.filledNotional[this.slot] = v; }
  get triggered(): boolean { return this.s.triggered[this.slot] === 1; }
  set triggered(v: boolean) { this.s.triggered[this.slot] = v ? 1 : 0; }
  get stateBeforeCancel(): OrderState | undefined {
    const c = this.s.stateBeforeCancel[this.slot]!;
    return c === NO_STATE ? undefined : ORDER_STATES[c];
  }
  set stateBeforeCancel(v: OrderState | undefined) { this.s.stateBeforeCancel[this.slot] = v === undefined ? NO_STATE : stateIndex(v); }
  get riskPriceTicks(): number { return this.s.riskPriceTicks[this.slot]!; }
  set riskPriceTicks(v: number) { this.s.riskPriceTicks[this.slot] = v; }
  get reason(): ErrorCode | string | undefined { return this.s.reason(this.slot); }
  set reason(v: ErrorCode | string | undefined) { this.s.setReason(this.slot, v); }
  get updatedAt(): number { return this.s.updatedAt[this.slot]!; }
  set updatedAt(v: number) { this.s.updatedAt[this.slot] = v; }
  get tradeIds(): Set<string> {
    const t = this.s.tradeIds[this.slot];
    if (t !== undefined && typeof t !== 'string') return t;
    const set = new Set<string>(t === undefined ? [] : [t]);
    this.s.tradeIds[this.slot] = set;
    return set;
  }
  hasTradeId(key: string): boolean {
    const t = this.s.tradeIds[this.slot];
    return t === undefined ? false : typeof t === 'string' ? t === key : t.has(key);
  }
  addTradeId(key: string): void {
    const t = this.s.tradeIds[this.slot];
    if (t === undefined) this.s.tradeIds[this.slot] = key;
    else if (typeof t === 'string') {
      if (t !== key) this.s.tradeIds[this.slot] = new Set([t, key]);
    } else t.add(key);
  }
  /** Monotonic ms when the order was handed to its venue; 0 once answered. */
  get submittedAt(): number { return this.s.submittedAt[this.slot]!; }
  set submittedAt(v: number) { this.s.submittedAt[this.slot] = v; }
  /** The producer's sequence number and tag (orders from strategy rings). */
  get producerSeq(): number { return this.s.producerSeq[this.slot]!; }
  get tag(): number { return this.s.tag[this.slot]!; }
  get route(): Route { return ROUTES[this.s.route[this.slot]!] ?? 'table'; }
  /** The parent order's id for a child order (a sweep's slice), 0 otherwise. */
  get parentId(): number { return this.s.parent[this.slot]!; }
  /** ALGO_NONE, ALGO_TWAP or ALGO_ICEBERG. */
  get algoCode(): number { return this.s.algo[this.slot]!; }
  get paramA(): number { return this.s.paramA[this.slot]!; }
  get paramB(): number { return this.s.paramB[this.slot]!; }
  /** The consolidated mid in ticks when the order was received (0: no market data then). */
  get arrivalMid(): number { return this.s.arrivalMid[this.slot]!; }
}

/** The trade ids of an order copy that has none (shared: a copy replaces its array, never changes it). */
const NO_TRADES: readonly string[] = Object.freeze([]);

/**
 * An order as it was at one moment, detached from the store (OrderView.detach): for an answer given after a wait (the
 * dispatcher's decision, the journal's, the venue's). A view reads whatever its slot holds when it is read, and a
 * finished order beyond daemon.retainFinishedOrders is forgotten — its slot released and given to a new order — at
 * any time: an answer read through a view then named another order, or none. An answer is made from current(): the
 * order as it is then while the store still holds it, this copy once it was forgotten.
 */
export class OrderCopy implements Order {
  readonly strategy: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly postOnly: boolean;
  readonly priority: Priority;
  priceTicks: number;
  readonly stopTicks: number;
  qtyLots: number;
  readonly id: OrderId;
  clientOrderId: string;
  amendPriceTicks: number;
  amendQtyLots: number;
  amendClientOrderId: string;
  readonly createdAt: number;
  state: OrderState;
  venue: string | undefined;
  venueOrderId: string | undefined;
  filledLots: number;
  filledNotional: number;
  triggered: boolean;
  riskPriceTicks: number;
  stateBeforeCancel: OrderState | undefined;
  reason: ErrorCode | string | undefined;
  updatedAt: number;
  readonly route: Route;
  readonly parentId: number;
  readonly arrivalMid: number;
  readonly algoCode: number;
  readonly paramA: number;
  readonly paramB: number;
  /** The order's fees then (OrderStore.feeTexts), undefined for none. */
  readonly feeText: string | undefined;
  private trades: readonly string[];
  /** Where the order was held, and the slot's generation then (current()). */
  private readonly store: OrderStore;
  private readonly slot: number;
  private readonly generation: number;

  constructor(v: OrderView, s: OrderStore) {
    const slot = v.slot;
    this.store = s;
    this.slot = slot;
    this.generation = s.generation[slot]!;
    this.strategy = v.strategy;
    this.symbol = v.symbol;
    this.side = v.side;
    this.type = v.type;
    this.timeInForce = v.timeInForce;
    this.postOnly = v.postOnly;
    this.priority = v.priority;
    this.priceTicks = v.priceTicks;
    this.stopTicks = v.stopTicks;
    this.qtyLots = v.qtyLots;
    this.id = v.id;
    this.clientOrderId = v.clientOrderId;
    this.amendPriceTicks = v.amendPriceTicks;
    this.amendQtyLots = v.amendQtyLots;
    this.amendClientOrderId = v.amendClientOrderId;
    this.createdAt = v.createdAt;
    this.state = v.state;
    this.venue = v.venue;
    this.venueOrderId = v.venueOrderId;
    this.filledLots = v.filledLots;
    this.filledNotional = v.filledNotional;
    this.triggered = v.triggered;
    this.riskPriceTicks = v.riskPriceTicks;
    this.stateBeforeCancel = v.stateBeforeCancel;
    this.reason = v.reason;
    this.updatedAt = v.updatedAt;
    this.route = v.route;
    this.parentId = v.parentId;
    this.arrivalMid = v.arrivalMid;
    this.algoCode = v.algoCode;
    this.paramA = v.paramA;
    this.paramB = v.paramB;
    this.feeText = s.feeTexts[slot];
    const t = s.tradeIds[slot];
    this.trades = t === undefined ? NO_TRADES : typeof t === 'string' ? [t] : [...t];
  }

  /**
   * The order as it is now when the store still holds it (a live view: an answer shows what happened since the copy, an
   * internal cross's fill, say), else this copy (the order was forgotten and its slot may hold another).
   */
  current(): Order {
    return this.store.isCurrent(this.slot, this.generation) ? new OrderView(this.store).at(this.slot) : this;
  }

  get tradeIds(): Set<string> {
    return new Set(this.trades);
  }
  hasTradeId(key: string): boolean {
    return this.trades.includes(key);
  }
  addTradeId(key: string): void {
    if (!this.trades.includes(key)) this.trades = [...this.trades, key];
  }
}
