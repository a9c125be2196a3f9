/**
 * The router: for each symbol a precomputed 256-slot table of venue indices (see routing-table.ts) and a cursor.
 * Each order of the symbol takes the slot under the cursor and moves the cursor on by one (mod 256), so the orders
 * of a symbol walk its table in sequence: whatever their sizes, every 256 consecutive orders split exactly as the
 * slot counts say, and the slot counts are the weights to within one slot (1/256, under 0.4 % of the flow). The
 * table is a smooth weighted round robin, so any run of consecutive orders is within two orders of its share.
 * If the slot's venue is unusable (circuit breaker open) the next usable slot is taken. route() allocates nothing.
 *
 * The tables can be rebuilt for new weights at any time between dispatch cycles (configuration reload, adaptive
 * weights from the market: see adaptive-weights.ts); a venue the configuration gives weight 0 never gets a slot.
 */
import { buildSlots, slotCounts, SLOT_COUNT, MAX_VENUES } from './routing-table.js';

/** One symbol's routing weights by venue name (venues not named have weight 0). */
export type VenueWeights = Readonly<Record<string, number>>;

export class Router {
  readonly venueNames: readonly string[];
  readonly symbols: readonly string[];
  readonly venueCount: number;
  readonly symbolCount: number;
  private readonly venueByName: ReadonlyMap<string, number>;
  /** 256 slots per symbol, symbol i at [i * 256, (i + 1) * 256). */
  private readonly table: Uint8Array;
  /** Per symbol: the next slot (a Uint8Array wraps at 256 by itself). */
  private readonly cursor: Uint8Array;
  /** 1 when the symbol has at least one venue with weight > 0. */
  private readonly routable: Uint8Array;
  /** Configured weight of venue v for symbol s at [s * venueCount + v]. */
  private readonly weights: Float64Array;
  /** The weights the table was last built from (the configured ones, or adaptive ones): same layout. */
  private readonly effective: Float64Array;

  /**
   * @param venueNames venue names; the index of a name is its venue index (configuration order).
   * @param symbols symbol names by instrument index.
   * @param weights per symbol (same order as `symbols`) the weight of each venue that lists it. A symbol whose
   *   weights are all zero (or missing) has no route: route() returns -1 for it (NO_ROUTE).
   * Throws RangeError on duplicate venue names, more than 256 venues, an unknown venue in the weights,
   *   a negative or non-finite weight, or a weights list whose length differs from the symbol list.
   */
  constructor(venueNames: readonly string[], symbols: readonly string[], weights: readonly VenueWeights[]) {
    if (venueNames.length > MAX_VENUES) throw new RangeError(`at most ${MAX_VENUES} venues, got ${venueNames.length}`);
    if (weights.length !== symbols.length) {
      throw new RangeError(`weights for ${weights.length} symbols, expected ${symbols.length}`);
    }
    const byName = new Map<string, number>();
    venueNames.forEach((name, i) => {
      if (byName.has(name)) throw new RangeError(`duplicate venue ${name}`);
      byName.set(name, i);
    });
    this.venueNames = [...venueNames];
    this.symbols = [...symbols];
    this.venueCount = venueNames.length;
    this.symbolCount = symbols.length;
    this.venueByName = byName;
    this.table = new Uint8Array(SLOT_COUNT * symbols.length);
    this.routable = new Uint8Array(symbols.length);
    this.weights = new Float64Array(symbols.length * venueNames.length);
    this.effective = new Float64Array(symbols.length * venueNames.length);
    this.cursor = new Uint8Array(symbols.length);

    for (let s = 0; s < symbols.length; s++) {
      const row = new Array<number>(venueNames.length).fill(0);
      let any = false;
      for (const [venue, w] of Object.entries(weights[s]!)) {
        const v = byName.get(venue);
        if (v === undefined) throw new RangeError(`${symbols[s]}: unknown venue ${venue} in routing weights`);
        if (!Number.isFinite(w) || w < 0) throw new RangeError(`${symbols[s]}: weight of ${venue} must be a finite number >= 0, got ${w}`);
        row[v] = w;
        this.weights[s * venueNames.length + v] = w;
        if (w > 0) any = true;
      }
      if (any) {
        this.table.set(buildSlots(row), s * SLOT_COUNT);
        this.routable[s] = 1;
      }
    }
    this.effective.set(this.weights);
  }

  /**
   * Build from configuration: venues in configuration order, symbols by instrument index, and
   * routing[symbol][venue] = weight. Throws RangeError for a routing entry naming an unknown symbol or venue.
   */
  static fromConfig(
    venues: readonly { readonly name: string }[],
    symbols: readonly string[],
    routing: Readonly<Record<string, VenueWeights>>,
  ): Router {
    const known = new Set(symbols);
    for (const symbol of Object.keys(routing)) {
      if (!known.has(symbol)) throw new RangeError(`routing names unknown symbol ${symbol}`);
    }
    return new Router(
      venues.map((v) => v.name),
      symbols,
      symbols.map((s) => (Object.prototype.hasOwnProperty.call(routing, s) ? routing[s]! : {})),
    );
  }

  /**
   * Take over another router's tables (configuration reload): same venues and symbols in the same order, new
   * weights. Copies in place between dispatch cycles, so routing switches atomically.
   */
  adopt(other: Router): void {
    if (other.venueNames.join('\n') !== this.venueNames.join('\n') || other.symbols.join('\n') !== this.symbols.join('\n')) {
      throw new RangeError('a reload cannot change the venues or symbols of the router');
    }
    this.table.set(other.table);
    this.routable.set(other.routable);
    this.weights.set(other.weights);
    this.effective.set(other.effective);
  }

  /**
   * The venue index for the next order of symbol `symbolIndex`, or -1 when no usable venue has a slot; moves the
   * symbol's cursor past the slot taken. `available[v]` non-zero means venue v is usable; without it every venue is.
   * Slots of an unusable venue are passed over, so the usable venues share the flow in proportion to their slots.
   * Allocates nothing.
   */
  route(symbolIndex: number, available?: Uint8Array): number {
    const slot = this.nextSlot(symbolIndex, available);
    if (slot < 0) return -1;
    this.cursor[symbolIndex] = slot + 1;
    return this.table[symbolIndex * SLOT_COUNT + slot]!;
  }

  /** The venue route() would give now, without moving the cursor (estimates: the fee an order would pay). */
  peek(symbolIndex: number, available?: Uint8Array): number {
    const slot = this.nextSlot(symbolIndex, available);
    return slot < 0 ? -1 : this.table[symbolIndex * SLOT_COUNT + slot]!;
  }

  /** The first slot at or after the cursor whose venue is usable, or -1. */
  private nextSlot(symbolIndex: number, available: Uint8Array | undefined): number {
    const routable = this.routable[symbolIndex]; // undefined for an index that is out of range or not an integer
    if (routable === undefined) throw new RangeError(`no symbol at index ${symbolIndex}`);
    if (routable === 0) return -1;
    const cursor = this.cursor[symbolIndex]!;
    if (available === undefined) return cursor;
    const base = symbolIndex * SLOT_COUNT;
    for (let i = 0; i < SLOT_COUNT; i++) {
      const slot = (cursor + i) & 0xff;
      if (available[this.table[base + slot]!]) return slot;
    }
    return -1;
  }

  /**
   * Rebuilds a symbol's table from new weights by venue index (adaptive routing), in place: the next route() uses
   * it. Only venues with a configured weight > 0 keep theirs (the configuration decides where a symbol may go); when
   * none of those has a weight > 0 here the configured weights are used. Returns true when the table changed.
   * Allocates (the apportionment): call it off the hot path.
   */
  setWeights(symbolIndex: number, weights: ArrayLike<number>): boolean {
    if (!(symbolIndex >= 0 && symbolIndex < this.symbolCount)) throw new RangeError(`no symbol at index ${symbolIndex}`);
    if (weights.length !== this.venueCount) throw new RangeError(`weights for ${weights.length} venues, expected ${this.venueCount}`);
    if (this.routable[symbolIndex] === 0) return false;
    const base = symbolIndex * this.venueCount;
    const row = new Array<number>(this.venueCount).fill(0);
    let any = false;
    let same = true;
    for (let v = 0; v < this.venueCount; v++) {
      const w = weights[v]!;
      if (!Number.isFinite(w) || w < 0) throw new RangeError(`weight of ${this.venueNames[v]} must be a finite number >= 0, got ${w}`);
      row[v] = this.weights[base + v]! > 0 ? w : 0;
      if (row[v]! > 0) any = true;
    }
    if (!any) for (let v = 0; v < this.venueCount; v++) row[v] = this.weights[base + v]!;
    for (let v = 0; v < this.venueCount; v++) if (row[v] !== this.effective[base + v]) same = false;
    if (same) return false;
    this.table.set(buildSlots(row), symbolIndex * SLOT_COUNT);
    for (let v = 0; v < this.venueCount; v++) this.effective[base + v] = row[v]!;
    return true;
  }

  /** The weights a symbol's table was last built from, by venue name (venues that list the symbol). */
  effectiveWeights(symbolIndex: number): Record<string, number> {
    if (!(symbolIndex >= 0 && symbolIndex < this.symbolCount)) throw new RangeError(`no symbol at index ${symbolIndex}`);
    const out: Record<string, number> = {};
    for (let v = 0; v < this.venueCount; v++) {
      if (this.listsSymbol(v, symbolIndex)) out[this.venueNames[v]!] = this.effective[symbolIndex * this.venueCount + v]!;
    }
    return out;
  }

  /** Venue index by name, -1 when not configured. */
  venueIndex(name: string): number {
    return this.venueByName.get(name) ?? -1;
  }

  venueName(venueIndex: number): string {
    const name = this.venueNames[venueIndex];
    if (name === undefined) throw new RangeError(`no venue at index ${venueIndex}`);
    return name;
  }

  /** True when the venue has a routing weight > 0 for the symbol (the check for an order pinned to a venue). */
  listsSymbol(venueIndex: number, symbolIndex: number): boolean {
    if (!(venueIndex >= 0 && venueIndex < this.venueCount && symbolIndex >= 0 && symbolIndex < this.symbolCount)) return false;
    return this.weights[symbolIndex * this.venueCount + venueIndex]! > 0;
  }

  /** True when at least one venue has a weight > 0 for the symbol. */
  hasRoute(symbolIndex: number): boolean {
    return this.routable[symbolIndex] === 1;
  }

  /**
   * Slot counts of the venues that list the symbol (weight > 0), in venue order, for GET /v1/routes/:symbol.
   * A listed venue with a tiny weight may have 0 slots (it still takes orders pinned to it).
   */
  slots(symbolIndex: number): Record<string, number> {
    if (!(symbolIndex >= 0 && symbolIndex < this.symbolCount)) throw new RangeError(`no symbol at index ${symbolIndex}`);
    const counts = this.routable[symbolIndex] === 1
      ? slotCounts(this.table.subarray(symbolIndex * SLOT_COUNT, (symbolIndex + 1) * SLOT_COUNT), this.venueCount)
      : new Array<number>(this.venueCount).fill(0);
    const out: Record<string, number> = {};
    for (let v = 0; v < this.venueCount; v++) {
      if (this.listsSymbol(v, symbolIndex)) out[this.venueNames[v]!] = counts[v]!;
    }
    return out;
  }

  /** A copy of the symbol's 256 slots (venue indices), for inspection and tests. */
  table256(symbolIndex: number): Uint8Array {
    if (!(symbolIndex >= 0 && symbolIndex < this.symbolCount)) throw new RangeError(`no symbol at index ${symbolIndex}`);
    return this.table.slice(symbolIndex * SLOT_COUNT, (symbolIndex + 1) * SLOT_COUNT);
  }
}
