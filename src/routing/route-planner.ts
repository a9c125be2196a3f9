/**
 * RoutePlanner: where a marketable order goes, decided from the venue books net of each venue's taker fee, with
 * nothing allocated per decision (every output is a preallocated typed array or a number field, reused).
 *
 * Inputs of a decision: symbol index, side (0 = BUY, 1 = SELL as in src/core/order-store.ts), quantity in lots (a
 * positive safe integer), limit price in ticks (0 = market: no limit) and `now` (monotonic ms, the clock of
 * MarketData.isUsable: the caller reads its clock once per dispatch and passes it, so the planner reads no clock).
 * The venue constraints are typed arrays owned by the planner and written in place by the caller (defaults in
 * brackets); `vs` = venue * symbols + symbol:
 *   - usable[v]            1 = the venue may receive orders (breaker closed, started) [1];
 *   - headroom[v]          orders its rate limit can still take now; < 1 = skipped [Infinity];
 *   - lotStep[vs]          the venue's quantity step in instrument lots (positive integer); a child is floored to it [1];
 *   - minNotionalUnits[vs] ticks x lots; a child whose qty x limit price is below it is not sent [the instrument's];
 *   - baseBalanceLots[vs]  a sell child never exceeds it [Infinity = unknown / unlimited];
 *   - quoteBalanceUnits[vs] (ticks x lots) a buy child never needs more: qty x its limit price x (1 + fee) <= it
 *                          [Infinity]. This cap is computed in doubles and rounded down (never over the balance).
 *
 * A venue is ELIGIBLE for a decision when usable[v] = 1, headroom[v] >= 1, MarketData.isUsable(v, symbol, now) (its
 * book is synced, not crossed, not stale) and its balance is not exhausted (buy: quote > 0; sell: base >= its lot
 * step). Only eligible venues are looked at. Each venue's ladder is walked at most `maxLevels` levels deep (default
 * 20), never past the parent's limit in RAW price (buy: price <= limit, sell: price >= limit). Fees: taker fee in
 * millionths (consolidated-book.ts: FEE_SCALE = 1e6), adjusted price = ticks x (FEE_SCALE + fee) for asks (what a buy
 * pays), ticks x (FEE_SCALE - fee) for bids (what a sell receives): integers, so the ranking of levels is exact.
 *
 * best(): the one venue for the whole order. For each eligible venue, its FILL = what one IOC child there could take
 * (its levels within the limit and `maxLevels`, capped by balance, floored to its lot step, 0 when below its min
 * notional) and the fee-adjusted notional of that fill. Ranking: a venue that fills the whole quantity first; then
 * the larger fill; then (equal fills, so equal quantity) the better fee-adjusted notional (= better average price);
 * then the lower taker fee; then the lower venue index. A venue with fill 0 (no level within the limit) is still a
 * candidate, ranked last. Returns the venue index, or -1 when no venue is eligible. `bestFill` and `bestWorstPrice`
 * tell what the chosen venue could fill and the worst raw price it would take.
 *
 * sweep(): the order split across venues. The planner merges the eligible venues' ladders itself (as
 * ConsolidatedSide.rebuild does: a cursor per venue, the best adjusted price next, ties to the lower venue index),
 * rather than walking MarketData's consolidated book, because that book holds `depth` levels in all (not per venue),
 * includes venues this decision must skip (usable, headroom, balance) and is refreshed at the staleness sweep's
 * granularity; the merge is at most venues x maxLevels steps (the planner keeps each venue book's ladders, which
 * MarketData creates once and fills in place). Each level taken adds to its venue's child, up to the
 * venue's balance cap at that level's price (a buy's cap falls as its price rises; when the cap is reached the venue
 * takes nothing more). Then, per venue: the quantity is floored to the lot step; the child's limit price is the
 * worst raw price of the levels its floored quantity needs (its levels are a prefix of its ladder); a child whose
 * quantity x price is below the venue's min notional is dropped. One pass: what flooring or a drop removes is not
 * re-offered to other venues, it goes to the rest. At most one child per venue; children are listed in the order
 * their venues were first reached (best level first). Results:
 *   childCount, childVenue[i], childQty[i] (lots), childPrice[i] (ticks, to be sent IOC at it), i < childCount;
 *   restLots = quantity - sum(childQty) (exact: every quantity is an integer double);
 *   restVenue = where the rest would rest when restLots > 0: the eligible venue with the best fee-adjusted price at
 *   the parent's limit, i.e. the lowest taker fee, ties to the lower venue index, and a venue already given a child
 *   needs headroom >= 2; its balance must cover the rest too, with its child (sell: base >= child + rest; buy: quote
 *   >= (child qty x child price + rest x limit) x (1 + fee), in doubles, as the buy cap) (-1 when none, or when
 *   restLots is 0).
 *
 * Bad input (side not 0/1, symbol out of range, quantity not a positive safe integer, limit not a safe integer >= 0)
 * throws RangeError: programming errors, not market conditions. Construction errors are RangeErrors too.
 */
import { FEE_SCALE } from '../market/consolidated-book.js';
import type { MarketData } from '../market/market-data.js';
import type { BookLadder } from '../market/venue-book.js';

export const ROUTE_BUY = 0;
export const ROUTE_SELL = 1;

export interface RoutePlannerOptions {
  /** Levels of each venue's ladder walked at most. Default 20. */
  readonly maxLevels?: number;
}

export class RoutePlanner {
  readonly venueCount: number;
  readonly symbolCount: number;
  readonly maxLevels: number;
  /** Taker fee per venue in millionths of the price: the market data's own (MarketData.fee), so both rank alike. */
  readonly fee: Int32Array;

  // constraints, written by the caller
  readonly usable: Uint8Array;
  readonly headroom: Float64Array;
  readonly lotStep: Float64Array;
  readonly minNotionalUnits: Float64Array;
  readonly baseBalanceLots: Float64Array;
  readonly quoteBalanceUnits: Float64Array;

  // sweep results
  childCount = 0;
  readonly childVenue: Int32Array;
  readonly childQty: Float64Array;
  readonly childPrice: Float64Array;
  restLots = 0;
  restVenue = -1;

  // best results
  bestFill = 0;
  bestWorstPrice = 0;

  // scratch
  private readonly eligible: Uint8Array;
  private readonly cursor: Int32Array;
  private readonly alloc: Float64Array;
  private readonly firstOrder: Int32Array;
  private readonly fill: Float64Array;
  private readonly cost: Float64Array;
  private readonly worst: Float64Array;
  /** The merge's head of each venue: adjusted and raw price of the level at its cursor. */
  private readonly headAdj: Float64Array;
  /** Ladders by venue * symbols + symbol (the VenueBooks never change). */
  private readonly asks: BookLadder[];
  private readonly bids: BookLadder[];

  constructor(readonly market: MarketData, options: RoutePlannerOptions = {}) {
    const venues = market.venues.length;
    const symbols = market.instruments.list.length;
    if (venues < 1) throw new RangeError('route planner: no venues');
    const maxLevels = options.maxLevels ?? 20;
    if (!Number.isSafeInteger(maxLevels) || maxLevels < 1) throw new RangeError(`route planner: maxLevels must be a positive integer, got ${maxLevels}`);
    this.venueCount = venues;
    this.symbolCount = symbols;
    this.maxLevels = maxLevels;
    this.fee = market.fee;
    this.usable = new Uint8Array(venues).fill(1);
    this.headroom = new Float64Array(venues).fill(Infinity);
    this.lotStep = new Float64Array(venues * symbols).fill(1);
    this.minNotionalUnits = new Float64Array(venues * symbols);
    for (let v = 0; v < venues; v++) {
      for (let s = 0; s < symbols; s++) this.minNotionalUnits[v * symbols + s] = market.instruments.list[s]!.minNotionalUnits;
    }
    this.baseBalanceLots = new Float64Array(venues * symbols).fill(Infinity);
    this.quoteBalanceUnits = new Float64Array(venues * symbols).fill(Infinity);
    this.childVenue = new Int32Array(venues);
    this.childQty = new Float64Array(venues);
    this.childPrice = new Float64Array(venues);
    this.eligible = new Uint8Array(venues);
    this.cursor = new Int32Array(venues);
    this.alloc = new Float64Array(venues);
    this.firstOrder = new Int32Array(venues);
    this.fill = new Float64Array(venues);
    this.cost = new Float64Array(venues);
    this.worst = new Float64Array(venues);
    this.headAdj = new Float64Array(venues);
    this.asks = [];
    this.bids = [];
    for (let v = 0; v < venues; v++) {
      for (let sy = 0; sy < symbols; sy++) {
        this.asks.push(market.book(v, sy).asks);
        this.bids.push(market.book(v, sy).bids);
      }
    }
  }

  /** Sets a venue x symbol lot step (a positive integer number of instrument lots). */
  setLotStep(venue: number, symbol: number, lots: number): void {
    if (!Number.isSafeInteger(lots) || lots < 1) throw new RangeError(`route planner: lot step must be a positive integer, got ${lots}`);
    this.lotStep[this.at(venue, symbol)] = lots;
  }

  private at(venue: number, symbol: number): number {
    if (!(venue >= 0 && venue < this.venueCount) || !(symbol >= 0 && symbol < this.symbolCount)) {
      throw new RangeError(`route planner: no venue ${venue} / symbol ${symbol}`);
    }
    return venue * this.symbolCount + symbol;
  }

  private check(symbol: number, side: number, qtyLots: number, limitTicks: number): void {
    if (!(symbol >= 0 && symbol < this.symbolCount && (symbol | 0) === symbol)) throw new RangeError(`route planner: no symbol at index ${symbol}`);
    if (side !== ROUTE_BUY && side !== ROUTE_SELL) throw new RangeError(`route planner: side must be 0 (buy) or 1 (sell), got ${side}`);
    if (!Number.isSafeInteger(qtyLots) || qtyLots < 1) throw new RangeError(`route planner: quantity must be a positive integer of lots, got ${qtyLots}`);
    if (!Number.isSafeInteger(limitTicks) || limitTicks < 0) throw new RangeError(`route planner: limit must be an integer of ticks >= 0, got ${limitTicks}`);
  }

  /**
   * Largest quantity of a buy child at limit `price` that venue v's quote balance pays for, fee included
   * (qty x price x (1 + fee) <= balance), rounded down; Infinity when the balance is.
   */
  private buyCap(vs: number, v: number, price: number): number {
    const bal = this.quoteBalanceUnits[vs]!;
    if (bal === Infinity) return Infinity;
    const per = price * ((FEE_SCALE + this.fee[v]!) / FEE_SCALE);
    let q = Math.floor(bal / per);
    while (q > 0 && q * per > bal) q--;
    return q;
  }

  /** Whether venue v's balance pays for the rest at the limit besides its child (the first n children): see sweep(). */
  private restFits(v: number, symbol: number, buy: boolean, limit: number, n: number): boolean {
    const vs = v * this.symbolCount + symbol;
    let qty = 0;
    let price = 0;
    for (let k = 0; k < n; k++) {
      if (this.childVenue[k] === v) {
        qty = this.childQty[k]!;
        price = this.childPrice[k]!;
      }
    }
    if (!buy) return this.baseBalanceLots[vs]! >= qty + this.restLots;
    const bal = this.quoteBalanceUnits[vs]!;
    if (bal === Infinity) return true;
    return (qty * price + this.restLots * limit) * ((FEE_SCALE + this.fee[v]!) / FEE_SCALE) <= bal;
  }

  /** Marks the eligible venues (see the header); returns how many. */
  private markEligible(symbol: number, side: number, now: number): number {
    const S = this.symbolCount;
    let n = 0;
    for (let v = 0; v < this.venueCount; v++) {
      const vs = v * S + symbol;
      let e = 0;
      if (this.usable[v] === 1 && this.headroom[v]! >= 1 && this.market.isUsable(v, symbol, now)) {
        e = side === ROUTE_BUY ? (this.quoteBalanceUnits[vs]! > 0 ? 1 : 0) : (this.baseBalanceLots[vs]! >= this.lotStep[vs]! ? 1 : 0);
      }
      this.eligible[v] = e;
      n += e;
    }
    return n;
  }

  /**
   * The single venue with the best fee-adjusted average price for the whole quantity (ranking in the header), or -1
   * when no venue is eligible. Sets bestFill and bestWorstPrice. Allocates nothing.
   */
  best(symbol: number, side: number, qtyLots: number, limitTicks: number, now: number): number {
    this.check(symbol, side, qtyLots, limitTicks);
    this.bestFill = 0;
    this.bestWorstPrice = 0;
    if (this.markEligible(symbol, side, now) === 0) return -1;
    const S = this.symbolCount;
    const buy = side === ROUTE_BUY;
    let best = -1;
    for (let v = 0; v < this.venueCount; v++) {
      if (this.eligible[v] !== 1) continue;
      this.walkOne(v, symbol, buy, qtyLots, limitTicks, v * S + symbol);
      if (best < 0 || this.beats(v, best, qtyLots, buy)) best = v;
    }
    this.bestFill = this.fill[best]!;
    this.bestWorstPrice = this.worst[best]!;
    return best;
  }

  /** Whether venue a ranks before venue b (b < a in index, so equal rank keeps b). */
  private beats(a: number, b: number, qty: number, buy: boolean): boolean {
    const fa = this.fill[a]!;
    const fb = this.fill[b]!;
    const fullA = fa === qty;
    const fullB = fb === qty;
    if (fullA !== fullB) return fullA;
    if (fa !== fb) return fa > fb;
    if (fa > 0) {
      const ca = this.cost[a]!;
      const cb = this.cost[b]!;
      if (ca !== cb) return buy ? ca < cb : ca > cb;
    }
    return this.fee[a]! < this.fee[b]!;
  }

  /**
   * What one IOC child at venue v could take: fill[v] (lots), cost[v] (sum of price x qty x (FEE_SCALE +/- fee)),
   * worst[v] (worst raw price needed; 0 when nothing).
   */
  private walkOne(v: number, symbol: number, buy: boolean, qty: number, limit: number, vs: number): void {
    const ladder = buy ? this.asks[vs]! : this.bids[vs]!;
    const levels = ladder.count < this.maxLevels ? ladder.count : this.maxLevels;
    const sellCap = buy ? Infinity : this.baseBalanceLots[vs]!;
    let filled = 0;
    for (let i = 0; i < levels && filled < qty; i++) {
      const p = ladder.price[i]!;
      if (limit > 0 && (buy ? p > limit : p < limit)) break;
      let cap = buy ? this.buyCap(vs, v, p) : sellCap;
      if (cap > qty) cap = qty;
      if (cap <= filled) break;
      const room = cap - filled;
      const lq = ladder.qty[i]!;
      filled += lq < room ? lq : room;
    }
    const step = this.lotStep[vs]!;
    filled = step === 1 ? filled : Math.floor(filled / step) * step;
    // cost and worst price of the floored quantity (a prefix of the ladder)
    let left = filled;
    let notional = 0;
    let worst = 0;
    for (let i = 0; left > 0; i++) {
      const lq = ladder.qty[i]!;
      const t = lq < left ? lq : left;
      worst = ladder.price[i]!;
      notional += worst * t;
      left -= t;
    }
    if (filled > 0 && filled * worst < this.minNotionalUnits[vs]!) {
      filled = 0;
      notional = 0;
      worst = 0;
    }
    const f = this.fee[v]!;
    this.fill[v] = filled;
    this.cost[v] = notional * (buy ? FEE_SCALE + f : FEE_SCALE - f);
    this.worst[v] = worst;
  }

  /** Sets venue v's merge head to level c of its ladder, or marks it walked out (eligible 2: still there for the rest). */
  private head(v: number, ladder: BookLadder, c: number, buy: boolean, limit: number): void {
    if (c >= ladder.count || c >= this.maxLevels) {
      this.eligible[v] = 2;
      return;
    }
    const p = ladder.price[c]!;
    if (limit > 0 && (buy ? p > limit : p < limit)) {
      this.eligible[v] = 2;
      return;
    }
    this.headAdj[v] = p * (buy ? FEE_SCALE + this.fee[v]! : FEE_SCALE - this.fee[v]!);
  }

  /**
   * Splits the order across the eligible venues in fee-adjusted price order (rules in the header). Results in
   * childCount / childVenue / childQty / childPrice, restLots, restVenue. Allocates nothing. Returns childCount.
   */
  sweep(symbol: number, side: number, qtyLots: number, limitTicks: number, now: number): number {
    this.check(symbol, side, qtyLots, limitTicks);
    this.childCount = 0;
    this.restLots = qtyLots;
    this.restVenue = -1;
    if (this.markEligible(symbol, side, now) === 0) return 0;
    const V = this.venueCount;
    const S = this.symbolCount;
    const buy = side === ROUTE_BUY;
    const maxLevels = this.maxLevels;
    const cursor = this.cursor;
    const alloc = this.alloc;
    cursor.fill(0);
    alloc.fill(0);
    let reached = 0;
    let remaining = qtyLots;
    const ladders = buy ? this.asks : this.bids;
    const headAdj = this.headAdj;
    for (let v = 0; v < V; v++) if (this.eligible[v] === 1) this.head(v, ladders[v * S + symbol]!, 0, buy, limitTicks);
    // merge: each step takes the best adjusted head among the venues still active (eligible[v] === 1)
    while (remaining > 0) {
      let bv = -1;
      let bAdj = 0;
      for (let v = 0; v < V; v++) {
        if (this.eligible[v] !== 1) continue;
        const adj = headAdj[v]!;
        if (bv < 0 || (buy ? adj < bAdj : adj > bAdj)) {
          bv = v;
          bAdj = adj;
        }
      }
      if (bv < 0) break;
      const vs = bv * S + symbol;
      const ladder = ladders[vs]!;
      const c = cursor[bv]!;
      const p = ladder.price[c]!;
      const cap = buy ? this.buyCap(vs, bv, p) : this.baseBalanceLots[vs]!;
      const a = alloc[bv]!;
      if (cap <= a) {
        this.eligible[bv] = 2; // balance reached: nothing more from this venue
        continue;
      }
      const room = cap - a;
      const lq = ladder.qty[c]!;
      let t = lq < room ? lq : room;
      if (t > remaining) t = remaining;
      if (a === 0) this.firstOrder[reached++] = bv;
      alloc[bv] = a + t;
      remaining -= t;
      cursor[bv] = c + 1;
      this.head(bv, ladder, c + 1, buy, limitTicks);
    }
    // children: floor to the lot step, price = worst level needed, drop below min notional
    let n = 0;
    let sent = 0;
    for (let k = 0; k < reached; k++) {
      const v = this.firstOrder[k]!;
      const vs = v * S + symbol;
      const step = this.lotStep[vs]!;
      const a = alloc[v]!;
      const q = step === 1 ? a : Math.floor(a / step) * step;
      if (q <= 0) continue;
      const ladder = ladders[vs]!;
      let left = q;
      let worst = 0;
      for (let i = 0; left > 0; i++) {
        const lq = ladder.qty[i]!;
        worst = ladder.price[i]!;
        left -= lq < left ? lq : left;
      }
      if (q * worst < this.minNotionalUnits[vs]!) continue;
      this.childVenue[n] = v;
      this.childQty[n] = q;
      this.childPrice[n] = worst;
      alloc[v] = -1; // marks "has a child" for the rest venue's headroom
      sent += q;
      n++;
    }
    this.childCount = n;
    this.restLots = qtyLots - sent;
    if (this.restLots > 0) {
      let rv = -1;
      for (let v = 0; v < V; v++) {
        if (this.eligible[v] === 0) continue;
        if (alloc[v] === -1 && this.headroom[v]! < 2) continue;
        if (!this.restFits(v, symbol, buy, limitTicks, n)) continue;
        if (rv < 0 || this.fee[v]! < this.fee[rv]!) rv = v;
      }
      this.restVenue = rv;
    }
    return n;
  }
}
