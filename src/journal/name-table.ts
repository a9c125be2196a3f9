/**
 * The names behind the small indexes in the journal's records.
 *
 * The daemon holds strategy, instrument and venue as indexes into its configuration lists (typed arrays, no
 * strings on the hot path), and its ORDER and UPDATE records carry those indexes. An index means nothing without
 * the list it was taken from: a restart with the strategies reordered, an instrument inserted, a venue added (the
 * `internal` crossing venue comes after the configured ones and moves) would read every record against the wrong
 * entry. So the journal carries its own name table:
 *
 *  - a NAMES record (type 4, JSON) written at every start, before any other record of that run: the records after
 *    it, up to the next NAMES record, index into it;
 *  - the same table in every snapshot (`names`): the snapshot's rows and position cells index into it.
 *
 * Every reader starts at seq 1 or at a snapshot, so it meets a table before the first record that needs one. The
 * table also holds each instrument's tick and lot size: a stored price or quantity is a count of ticks or lots, and
 * it means something else once the size changed (such an instrument refuses the start).
 *
 * NameMapper translates a table's indexes into the running configuration's, by name. Orders of a strategy or
 * instrument that is no longer configured cannot live in the order store (every index there is a config index):
 * they are held aside here, with just enough state (open or not, filled lots, position) to tell whether the removal
 * strands something. Journals written before name tables (no NAMES record, version 1 snapshots) are read as before:
 * their indexes are taken as indexes into the running configuration.
 */
import { BUY, NO_VENUE, type OrderStore } from '../core/order-store.js';
import type { OrderTracker } from '../core/order-tracker.js';
import type { OrderUpdate } from '../model/lifecycle.js';
import { isOpen, type OrderState } from '../model/order.js';

import { POSITIONS_DROPPED_EVENT, type NameTable } from './names-record.js';

export { POSITIONS_DROPPED_EVENT, REC_NAMES, decodeNames, encodeNames, type NameTable } from './names-record.js';

/** The table of a store's configuration lists (what its indexes mean). */
export function namesOf(store: OrderStore): NameTable {
  return {
    v: 1,
    strategies: [...store.strategyIds],
    symbols: store.instruments.list.map((i) => ({ name: i.symbol, tick: i.tick.text, lot: i.lot.text })),
    venues: [...store.venueNames],
  };
}

/** An entry removed from the configuration that the journal still has open orders or a position on. */
export interface RemovedEntry {
  readonly kind: 'strategy' | 'symbol' | 'venue';
  readonly name: string;
  /** Ids of its open orders. */
  readonly openOrders: number[];
  /** Net position in lots (strategy or symbol), 0 when flat. */
  positionLots: number;
}

/** An order of a strategy or instrument that is not configured any more. */
interface HeldOrder {
  readonly id: number;
  readonly strategy: string;
  readonly symbol: string;
  readonly removed: 'strategy' | 'symbol';
  readonly side: number;
  readonly qtyLots: number;
  filledLots: number;
  open: boolean;
}

/** Position of a strategy x instrument cell that has no cell in the running configuration. */
interface StrandedPosition {
  readonly strategy: string;
  readonly symbol: string;
  readonly removed: 'strategy' | 'symbol';
  lots: number;
}

const REMOVED = -1;

export class NameMapper {
  /** Per table index: the configuration index, or -1 (removed). */
  strategy = new Int32Array(0);
  symbol = new Int32Array(0);
  venue = new Int32Array(0);
  /** Venue names by table index (what UPDATE records decode to). */
  venueNames: readonly string[] = [];
  private table: NameTable | null = null;
  private changedSize = new Uint8Array(0);
  private readonly held = new Map<number, HeldOrder>();
  private readonly stranded = new Map<string, StrandedPosition>();
  /** Open orders in the tracker whose venue (pinned or current) is no longer configured. */
  private readonly atRemovedVenue = new Map<number, string>();
  /** Instruments the journal holds orders or positions on, counted in another tick or lot size. */
  private readonly resized = new Set<string>();

  constructor(private readonly store: OrderStore) {
    this.use(null);
  }

  /** From now on records index into `table`; null: a journal written before name tables (config indexes). */
  use(table: NameTable | null): void {
    this.table = table;
    const s = this.store;
    if (table === null) {
      this.strategy = Int32Array.from(s.strategyIds, (_, i) => i);
      this.symbol = Int32Array.from(s.instruments.list, (_, i) => i);
      this.venue = Int32Array.from(s.venueNames, (_, i) => i);
      this.changedSize = new Uint8Array(s.instruments.list.length);
      this.venueNames = s.venueNames;
      return;
    }
    const strategyIndex = new Map(s.strategyIds.map((id, i) => [id, i]));
    this.strategy = Int32Array.from(table.strategies, (n) => strategyIndex.get(n) ?? REMOVED);
    this.symbol = Int32Array.from(table.symbols, (x) => s.instruments.list.find((i) => i.symbol === x.name)?.index ?? REMOVED);
    this.changedSize = Uint8Array.from(table.symbols, (x, j) => {
      const c = this.symbol[j]!;
      if (c === REMOVED) return 0;
      const ins = s.instruments.list[c]!;
      return ins.tick.text !== x.tick || ins.lot.text !== x.lot ? 1 : 0;
    });
    this.venue = Int32Array.from(table.venues, (n) => {
      const v = s.venueIndex(n);
      return v === NO_VENUE ? REMOVED : v;
    });
    this.venueNames = table.venues;
  }

  private strategyName(j: number): string {
    return (this.table === null ? this.store.strategyIds[j] : this.table.strategies[j]) ?? `#${j}`;
  }

  private symbolName(j: number): string {
    return (this.table === null ? this.store.instruments.list[j]?.symbol : this.table.symbols[j]?.name) ?? `#${j}`;
  }

  private venueName(j: number): string {
    return this.venueNames[j] ?? `#${j}`;
  }

  /**
   * Translates the strategy, instrument and pinned venue of an order (ORDER record or snapshot row) in place.
   * false: its strategy or instrument is not configured any more — the order is held aside, not created.
   */
  mapOrder(id: number, f: { strategy: number; symbol: number; venue: number; side: number; qtyLots: number }, filledLots: number, open: boolean): boolean {
    const st = this.strategy[f.strategy] ?? REMOVED;
    const sy = this.symbol[f.symbol] ?? REMOVED;
    if (st === REMOVED || sy === REMOVED) {
      const strategy = this.strategyName(f.strategy);
      const symbol = this.symbolName(f.symbol);
      this.held.set(id, { id, strategy, symbol, removed: st === REMOVED ? 'strategy' : 'symbol', side: f.side, qtyLots: f.qtyLots, filledLots, open });
      return false;
    }
    if (this.changedSize[f.symbol] === 1) this.resized.add(this.symbolName(f.symbol));
    f.strategy = st;
    f.symbol = sy;
    if (f.venue !== NO_VENUE) {
      const v = this.venue[f.venue] ?? REMOVED;
      if (v === REMOVED) {
        this.atRemovedVenue.set(id, this.venueName(f.venue));
        f.venue = NO_VENUE;
      } else f.venue = v;
    }
    return true;
  }

  /** The venue a restored order is at (snapshot rows keep its name): notes it when it is not configured. */
  noteVenueName(id: number, venue: string | undefined): void {
    if (venue !== undefined && this.store.venueIndex(venue) === NO_VENUE) this.atRemovedVenue.set(id, venue);
  }

  /** Whether the order is held aside (removed strategy or instrument); if so, applies the update to what is kept. */
  applyHeld(orderId: number, u: OrderUpdate): boolean {
    const h = this.held.get(orderId);
    if (h === undefined) return false;
    switch (u.kind) {
      case 'FILL': {
        h.filledLots += u.fill.qtyLots;
        if (h.filledLots >= h.qtyLots) h.open = false;
        const key = `${h.strategy}\u0000${h.symbol}`;
        const p = this.stranded.get(key) ?? { strategy: h.strategy, symbol: h.symbol, removed: h.removed, lots: 0 };
        p.lots += h.side === BUY ? u.fill.qtyLots : -u.fill.qtyLots;
        this.stranded.set(key, p);
        break;
      }
      case 'DENY':
      case 'REJECT':
      case 'CANCELED':
      case 'EXPIRE':
        h.open = false;
        break;
      default:
    }
    return true;
  }

  /** An update about an order in the tracker: notes a venue that is not configured any more. */
  noteUpdate(orderId: number, u: OrderUpdate): void {
    const venue = u.kind === 'SUBMIT' || u.kind === 'ROUTE' ? u.venue : u.kind === 'FILL' ? u.fill.venue : undefined;
    if (venue === undefined) return;
    if (this.store.venueIndex(venue) === NO_VENUE) this.atRemovedVenue.set(orderId, venue);
    else if (u.kind !== 'FILL') this.atRemovedVenue.delete(orderId);
  }

  /**
   * Risk state of a snapshot (positions per strategy x instrument cell, marks per instrument, fee remainders per
   * cell), moved from the table's layout to the configuration's. Positions of removed entries are kept aside.
   */
  mapRisk(state: { positions: number[]; marks: number[]; feeRemainders?: Record<string, string> }): typeof state {
    if (this.table === null) return state;
    const s = this.store;
    const n = s.instruments.list.length;
    const nj = this.table.symbols.length;
    const positions = new Array<number>(s.strategyIds.length * n).fill(0);
    const marks = new Array<number>(n).fill(0);
    const feeRemainders: Record<string, string> = {};
    const cellOf = (k: number): number => {
      const st = this.strategy[Math.floor(k / nj)] ?? REMOVED;
      const sy = this.symbol[k % nj] ?? REMOVED;
      return st === REMOVED || sy === REMOVED ? REMOVED : st * n + sy;
    };
    state.positions.forEach((lots, k) => {
      if (lots === 0) return;
      const c = cellOf(k);
      if (this.changedSize[k % nj] === 1) this.resized.add(this.symbolName(k % nj));
      if (c !== REMOVED) {
        positions[c] = lots;
        return;
      }
      const strategy = this.strategyName(Math.floor(k / nj));
      const symbol = this.symbolName(k % nj);
      const removed = (this.strategy[Math.floor(k / nj)] ?? REMOVED) === REMOVED ? 'strategy' : 'symbol';
      this.stranded.set(`${strategy}\u0000${symbol}`, { strategy, symbol, removed, lots });
    });
    state.marks.forEach((m, j) => {
      const c = this.symbol[j] ?? REMOVED;
      // a mark counted in another tick size would be misread: the next price sets it again
      if (c !== REMOVED && this.changedSize[j] === 0) marks[c] = m;
    });
    for (const [k, text] of Object.entries(state.feeRemainders ?? {})) {
      const c = cellOf(Number(k));
      if (c !== REMOVED) feeRemainders[String(c)] = text;
    }
    return { positions, marks, feeRemainders };
  }

  /** Whether any position of a removed entry is kept aside (only then do EVENT records need reading). */
  get hasStranded(): boolean {
    return this.stranded.size > 0;
  }

  /** The audit EVENT that closed out removed entries' positions: they are dropped again on replay. */
  applyEvent(body: { event?: unknown; positions?: unknown }): void {
    if (body.event !== POSITIONS_DROPPED_EVENT || !Array.isArray(body.positions)) return;
    for (const p of body.positions as { strategy?: unknown; symbol?: unknown }[]) this.stranded.delete(`${String(p.strategy)}\u0000${String(p.symbol)}`);
  }

  /** Instruments whose tick or lot size changed while the journal holds orders or positions on them. */
  resizedSymbols(): string[] {
    return [...this.resized].sort();
  }

  /** Removed entries that still have open orders or a position (after replay; `tracker` holds the other orders). */
  removedInUse(tracker: OrderTracker): RemovedEntry[] {
    const out = new Map<string, RemovedEntry>();
    const entry = (kind: RemovedEntry['kind'], name: string): RemovedEntry => {
      const key = `${kind}\u0000${name}`;
      let e = out.get(key);
      if (e === undefined) out.set(key, (e = { kind, name, openOrders: [], positionLots: 0 }));
      return e;
    };
    for (const h of this.held.values()) if (h.open) entry(h.removed, h.removed === 'strategy' ? h.strategy : h.symbol).openOrders.push(h.id);
    for (const p of this.stranded.values()) if (p.lots !== 0) entry(p.removed, p.removed === 'strategy' ? p.strategy : p.symbol).positionLots += p.lots;
    for (const [id, venue] of this.atRemovedVenue) {
      const slot = tracker.slotOf(id);
      if (slot >= 0 && tracker.isOpenSlot(slot)) entry('venue', venue).openOrders.push(id);
    }
    return [...out.values()].filter((e) => e.openOrders.length > 0 || e.positionLots !== 0);
  }

  /** Open orders held aside (removed strategy or instrument): closed out by a CANCELED record. */
  openHeldOrders(): number[] {
    return [...this.held.values()].filter((h) => h.open).map((h) => h.id);
  }

  /** Open tracker orders at a removed venue. */
  openAtRemovedVenues(tracker: OrderTracker): { id: number; slot: number; venue: string }[] {
    const out: { id: number; slot: number; venue: string }[] = [];
    for (const [id, venue] of this.atRemovedVenue) {
      const slot = tracker.slotOf(id);
      if (slot >= 0 && tracker.isOpenSlot(slot)) out.push({ id, slot, venue });
    }
    return out;
  }

  /** Positions of removed entries that are not flat. */
  strandedPositions(): { strategy: string; symbol: string; lots: number }[] {
    return [...this.stranded.values()].filter((p) => p.lots !== 0).map(({ strategy, symbol, lots }) => ({ strategy, symbol, lots }));
  }
}

/** Whether a snapshot row's state is open. */
export function openState(state: string): boolean {
  return isOpen(state as OrderState);
}
