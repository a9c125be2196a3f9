/**
 * Which orders a list or a cancel-all is about: `GET /v1/orders` and `DELETE /v1/orders` take the same filters
 * (strategy, symbol, venue, side; the list also state, from, to, limit and cursor). Unknown parameters are refused,
 * never ignored. A list is one page of at most `limit` orders (default 100, at most 1000) in id order, after the
 * `cursor` (the last id of the previous page, as `nextCursor` gave it): one pass over the store's slots with a
 * bounded heap of the page's ids, so a page costs the same whatever the number of retained orders and holds at most
 * `limit` views (observed before paging: 100,000 retained orders answered in one 43.7 MB body, the event loop blocked
 * for a second).
 */
import { BUY, SELL, type OrderStore } from '../core/order-store.js';
import type { ErrorCode } from '../model/errors.js';
import { enumOf } from '../intake/order-decoder.js';
import { isOpen, ORDER_STATES, SIDES, type OrderState } from '../model/order.js';

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

export interface OrderFilter {
  /** Strategy index, or -1: any. */
  readonly strategy: number;
  readonly symbol: number;
  /** Venue index in the store (a configured venue, the crossing book or `smart`), or -1. */
  readonly venue: number;
  /** BUY / SELL code, or -1. */
  readonly side: number;
  /** 'open', 'all' or one state. */
  readonly state: 'open' | 'all' | OrderState;
  /** createdAt bounds (epoch ms, inclusive from, exclusive to). */
  readonly from: number;
  readonly to: number;
  /** Include the children of parent orders (the cancel-all does; a list shows parents only). */
  readonly children: boolean;
}

export type QueryParse<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; message: string; field: string };

const FILTER_KEYS = ['strategy', 'symbol', 'venue', 'side'] as const;
const LIST_KEYS = [...FILTER_KEYS, 'state', 'from', 'to', 'limit', 'cursor'] as const;

function bad(field: string, message: string, code: ErrorCode = 'INVALID_FIELD'): { ok: false; code: ErrorCode; message: string; field: string } {
  return { ok: false, code, message, field };
}

/** A time bound: epoch ms or an ISO 8601 time. */
function parseTime(text: string): number | undefined {
  if (/^\d{1,15}$/.test(text)) return Number(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const t = Date.parse(text);
  return Number.isFinite(t) ? t : undefined;
}

function parseFilter(q: URLSearchParams, store: OrderStore, allowed: readonly string[]): QueryParse<OrderFilter> {
  for (const key of new Set(q.keys())) {
    if (!allowed.includes(key)) return bad(key, `unknown query parameter ${key} (allowed: ${allowed.join(', ')})`, 'UNKNOWN_FIELD');
    if (q.getAll(key).length > 1) return bad(key, `${key} is given more than once`);
  }
  let strategy = -1;
  let symbol = -1;
  let venue = -1;
  let side = -1;
  const s = q.get('strategy');
  if (s !== null) {
    strategy = store.strategyIds.indexOf(s);
    if (strategy < 0) return bad('strategy', `unknown strategy ${s}`, 'UNKNOWN_STRATEGY');
  }
  const sym = q.get('symbol');
  if (sym !== null) {
    const ins = store.instruments.get(sym);
    if (ins === undefined) return bad('symbol', `unknown symbol ${sym}`, 'UNKNOWN_SYMBOL');
    symbol = ins.index;
  }
  const v = q.get('venue');
  if (v !== null) {
    venue = store.venueNames.indexOf(v);
    if (venue < 0) return bad('venue', `unknown venue ${v}`, 'UNKNOWN_VENUE');
  }
  const sd = q.get('side');
  if (sd !== null) {
    const up = enumOf(sd, SIDES); // in any ASCII case ("ſell" is not SELL: order-decoder.ts enumOf)
    if (up === undefined) return bad('side', 'side must be BUY or SELL');
    side = up === 'BUY' ? BUY : SELL;
  }
  let state: OrderFilter['state'] = 'all';
  const st = q.get('state');
  if (st !== null && st !== 'all') {
    if (st === 'open') state = 'open';
    else {
      const named = enumOf(st, ORDER_STATES);
      if (named === undefined) return bad('state', `state must be open, all or one of ${ORDER_STATES.join(', ')}`);
      state = named;
    }
  }
  let from = -Infinity;
  let to = Infinity;
  for (const [key, set] of [['from', (t: number) => (from = t)], ['to', (t: number) => (to = t)]] as const) {
    const text = q.get(key);
    if (text === null) continue;
    const t = parseTime(text);
    if (t === undefined) return bad(key, `${key} must be epoch milliseconds or an ISO 8601 time`);
    set(t);
  }
  return { ok: true, value: { strategy, symbol, venue, side, state, from, to, children: false } };
}

/** The filters of a cancel-all (strategy, symbol, venue, side; at least one, or `all=true`). Children included. */
export function parseCancelFilter(q: URLSearchParams, store: OrderStore): QueryParse<OrderFilter> {
  if (q.getAll('all').length > 1) return bad('all', 'all is given more than once');
  const all = q.get('all');
  const rest = new URLSearchParams(q);
  rest.delete('all');
  if (all !== null && all !== 'true') return bad('all', 'all must be true (or left out)');
  const r = parseFilter(rest, store, FILTER_KEYS);
  if (!r.ok) return r;
  if (all === null && [...rest.keys()].length === 0) {
    return bad('strategy', 'name what to cancel: strategy, symbol, venue or side (all=true cancels every open order)');
  }
  return { ok: true, value: { ...r.value, state: 'open', children: true } };
}

export interface ListQuery {
  readonly filter: OrderFilter;
  readonly limit: number;
  /** Orders with ids above this one (0: from the first). */
  readonly after: number;
}

export function parseListQuery(q: URLSearchParams, store: OrderStore): QueryParse<ListQuery> {
  const r = parseFilter(q, store, LIST_KEYS);
  if (!r.ok) return r;
  let limit = DEFAULT_PAGE;
  const l = q.get('limit');
  if (l !== null) {
    if (!/^\d{1,7}$/.test(l) || Number(l) < 1 || Number(l) > MAX_PAGE) return bad('limit', `limit must be a whole number from 1 to ${MAX_PAGE}`);
    limit = Number(l);
  }
  let after = 0;
  const c = q.get('cursor');
  if (c !== null) {
    if (!/^\d{1,15}$/.test(c)) return bad('cursor', 'cursor must be the nextCursor of a previous page');
    after = Number(c);
  }
  return { ok: true, value: { filter: r.value, limit, after } };
}

/** Whether the order in `slot` (held) passes the filter. */
export function matches(store: OrderStore, slot: number, f: OrderFilter): boolean {
  if (!f.children && store.parent[slot] !== 0) return false;
  if (f.strategy >= 0 && store.strategy[slot] !== f.strategy) return false;
  if (f.symbol >= 0 && store.symbol[slot] !== f.symbol) return false;
  if (f.venue >= 0 && store.venue[slot] !== f.venue) return false;
  if (f.side >= 0 && store.side[slot] !== f.side) return false;
  const created = store.createdAt[slot]!;
  if (created < f.from || created >= f.to) return false;
  if (f.state === 'all') return true;
  const state = ORDER_STATES[store.state[slot]!]!;
  return f.state === 'open' ? isOpen(state) : state === f.state;
}

/** Slots of every held order that passes the filter (the cancel-all: open orders only, bounded by the store). */
export function matchingSlots(store: OrderStore, f: OrderFilter): number[] {
  const out: number[] = [];
  for (let slot = 0; slot < store.capacity; slot++) if (store.id[slot]! >= 0 && matches(store, slot, f)) out.push(slot);
  return out;
}

/**
 * One page: the slots of the `limit` lowest ids above `after` that pass the filter, in id order, and the cursor of
 * the next page (null when this one is the last).
 */
export function pageOfOrders(store: OrderStore, query: ListQuery): { slots: number[]; nextCursor: string | null } {
  const { limit, after, filter } = query;
  // a max-heap of the page's ids (the largest on top, replaced by a lower one): at most limit + 1 entries
  const ids = new Float64Array(limit + 1);
  const slots = new Int32Array(limit + 1);
  let size = 0;
  const keep = limit + 1; // one more than the page: tells whether another page follows
  for (let slot = 0; slot < store.capacity; slot++) {
    const id = store.id[slot]!;
    if (id <= after || !matches(store, slot, filter)) continue;
    if (size < keep) {
      let i = size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (ids[p]! >= id) break;
        ids[i] = ids[p]!;
        slots[i] = slots[p]!;
        i = p;
      }
      ids[i] = id;
      slots[i] = slot;
    } else if (id < ids[0]!) {
      // replace the top and sift down
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= size) break;
        const r = l + 1;
        const c = r < size && ids[r]! > ids[l]! ? r : l;
        if (ids[c]! <= id) break;
        ids[i] = ids[c]!;
        slots[i] = slots[c]!;
        i = c;
      }
      ids[i] = id;
      slots[i] = slot;
    }
  }
  const order = Array.from({ length: size }, (_, k) => k).sort((a, b) => ids[a]! - ids[b]!);
  const more = size > limit;
  const page = (more ? order.slice(0, limit) : order).map((k) => slots[k]!);
  const last = page.length > 0 ? store.id[page[page.length - 1]!]! : after;
  return { slots: page, nextCursor: more ? String(last) : null };
}
