/**
 * The router: for each symbol a precomputed 256-slot table of venue indices (see routing-table.ts) and the
 * symbol's FNV-1a hash. An order goes to slot (hash XOR low 32 bits of its quantity) & 0xFF; if that venue is
 * unusable (circuit breaker open) the next usable slot is taken. route() allocates nothing.
 */
import { buildSlots, slotCounts, SLOT_COUNT, MAX_VENUES } from './routing-table.js';
import { symbolHash as hashSymbol } from './symbol-hash.js';

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
  private readonly hashes: Uint32Array;
  /** 1 when the symbol has at least one venue with weight > 0. */
  private readonly routable: Uint8Array;
  /** weight of venue v for symbol s at [s * venueCount + v]. */
  private readonly weights: Float64Array;

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
    this.hashes = new Uint32Array(symbols.length);
    this.routable = new Uint8Array(symbols.length);
    this.weights = new Float64Array(symbols.length * venueNames.length);

    for (let s = 0; s < symbols.length; s++) {
      this.hashes[s] = hashSymbol(symbols[s]!);
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
  }

  /**
   * The venue index for an order of `qtyLots` on symbol `symbolIndex`, or -1 when no usable venue has a slot.
   * `available[v]` non-zero means venue v is usable; without it every venue is. Allocates nothing.
   */
  route(symbolIndex: number, qtyLots: number, available?: Uint8Array): number {
    const routable = this.routable[symbolIndex]; // undefined for an index that is out of range or not an integer
    if (routable === undefined) throw new RangeError(`no symbol at index ${symbolIndex}`);
    if (routable === 0) return -1;
    const base = symbolIndex * SLOT_COUNT;
    // ToUint32 (>>> 0) is exact modulo 2^32 for every integer a double holds, so qty 2^32 + 5 routes like 5.
    const slot = (this.hashes[symbolIndex]! ^ (qtyLots >>> 0)) & 0xff;
    if (available === undefined) return this.table[base + slot]!;
    for (let i = 0; i < SLOT_COUNT; i++) {
      const v = this.table[base + ((slot + i) & 0xff)]!;
      if (available[v]) return v;
    }
    return -1;
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

  /** The symbol's routing hash (FNV-1a 32 of its UTF-8 bytes). */
  symbolHash(symbolIndex: number): number {
    const h = this.hashes[symbolIndex];
    if (h === undefined) throw new RangeError(`no symbol at index ${symbolIndex}`);
    return h;
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
