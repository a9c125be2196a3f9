/**
 * The matching rules, as plain functions over a BookState (documented in order-book.ts):
 * `execute` runs a non-stop order type, `match` crosses a taker against the opposite side with
 * self-trade prevention, `canFill` is the FOK pre-check and `runTriggers` fires pending stops.
 * Hot path: no allocation, results go straight to the state's sink.
 */
import type { BookState } from './book-state.js';
import { F_SELL, F_STOP_LIMIT, F_STP_MASK, F_STP_SHIFT } from './order-pool.js';
import type { SortedLevels } from './sorted-levels.js';
import { CancelReason, OrderType, StpMode } from './types.js';

/** Limit key of a market order: below every real key, above an empty ladder's -Infinity. */
export const NO_LIMIT = -Number.MAX_VALUE;

/** Runs a non-stop order type (also entered by triggered stops). */
export function execute(
  st: BookState,
  id: number,
  owner: number,
  side: number,
  type: number,
  price: number,
  qty: number,
  stp: number,
): void {
  // Codes as literals (named in comments): an imported constant object costs a module cell load and a TDZ
  // check per use in optimised code. test/matching/codes.test.ts pins the values.
  switch (type) {
    case 0 /* OrderType.LIMIT */: {
      const limitKey = side === 0 ? -price : price;
      const rem = (side === 0 ? st.asks : st.bids).bestKey >= limitKey ? match(st, id, owner, side, limitKey, qty, stp) : qty;
      if (rem > 0) {
        // Always fits for a submitted order (checked on entry); a triggered STOP_LIMIT may find its level full.
        if (st.fits(side, price, rem)) st.rest(id, owner, side, price, rem, stp, false, true);
        else st.sink.onCancel(id, owner, rem, 0, 8 /* CancelReason.LEVEL_TOTAL_OVERFLOW */);
      }
      return;
    }
    case 1 /* OrderType.MARKET */: {
      // match only when the other side has a level (the same for LIMIT above: only when its best reaches the limit)
      const rem = (side === 0 ? st.asks : st.bids).count > 0 ? match(st, id, owner, side, NO_LIMIT, qty, stp) : qty;
      if (rem > 0) st.sink.onCancel(id, owner, rem, 0, 7 /* CancelReason.MARKET_REMAINDER */);
      return;
    }
    case 2 /* OrderType.IOC */: {
      const rem = match(st, id, owner, side, side === 0 ? -price : price, qty, stp);
      if (rem > 0) st.sink.onCancel(id, owner, rem, 0, 4 /* CancelReason.IOC_REMAINDER */);
      return;
    }
    case 3 /* OrderType.FOK */: {
      const limitKey = side === 0 ? -price : price;
      if (canFill(st, owner, side, limitKey, qty, stp)) match(st, id, owner, side, limitKey, qty, stp);
      else st.sink.onCancel(id, owner, qty, 0, 5 /* CancelReason.FOK_KILL */);
      return;
    }
    case 4 /* OrderType.POST_ONLY */: {
      if ((side === 0 ? st.asks : st.bids).bestKey >= (side === 0 ? -price : price)) {
        st.sink.onCancel(id, owner, qty, 0, 6 /* CancelReason.POST_ONLY_REJECT */);
      } else {
        st.rest(id, owner, side, price, qty, stp, true, true);
      }
      return;
    }
  }
}

/**
 * Matches a taker against the opposite side while its best key >= limitKey (key = -price for asks,
 * price for bids; NO_LIMIT for none). Returns the taker's open remainder, 0 when it was filled
 * or cancelled by STP (whose events are already emitted).
 */
export function match(st: BookState, tid: number, towner: number, tside: number, limitKey: number, qty: number, stp: number): number {
  const ladder = tside === 0 ? st.asks : st.bids;
  if (ladder.bestKey < limitKey) return qty;
  const pool = st.pool;
  const lv = st.levels;
  const sink = st.sink;
  const ids = st.ids;
  const oQty = pool.qty;
  const oNext = pool.next;
  const oPrev = pool.prev;
  const oOwner = pool.owner;
  const oId = pool.id;
  const lHead = lv.head;
  const lQty = lv.qty;
  const lCount = lv.count;
  let rem = qty;
  while (rem > 0) {
    const key = ladder.bestKey;
    if (key < limitKey) break;
    const level = ladder.bestLevel;
    const price = lv.price[level];
    let traded = false;
    let o = lHead[level];
    while (o >= 0) {
      const mo = oOwner[o];
      if (stp !== 0 && mo === towner) {
        rem = selfTrade(st, o, level, tid, towner, rem, stp);
        if (rem === 0) break;
        o = lHead[level];
        continue;
      }
      const mq = oQty[o];
      const mid = oId[o];
      traded = true;
      if (mq <= rem) {
        // The maker is filled completely: pop it off the head of the level.
        rem -= mq;
        const next = oNext[o];
        lHead[level] = next;
        if (next >= 0) oPrev[next] = -1;
        else lv.tail[level] = -1;
        lQty[level] -= mq;
        lCount[level]--;
        ids.remove(mid);
        pool.free(o);
        sink.onFill(mid, tid, mo, towner, price, mq, 0, rem);
        o = next;
        if (rem === 0) break;
      } else {
        const left = mq - rem;
        oQty[o] = left;
        lQty[level] -= rem;
        sink.onFill(mid, tid, mo, towner, price, rem, left, 0);
        rem = 0;
        break;
      }
    }
    if (traded) {
      st.last = price;
      if (price > st.hi) st.hi = price;
      if (price < st.lo) st.lo = price;
    }
    if (lHead[level] < 0) {
      ladder.remove(key);
      lv.free(level);
    }
  }
  return rem;
}

/** Applies the taker's STP mode against maker `o` (the head of `level`); returns the taker's new remainder. */
function selfTrade(st: BookState, o: number, level: number, tid: number, towner: number, rem: number, stp: number): number {
  const pool = st.pool;
  const sink = st.sink;
  const mid = pool.id[o];
  const mq = pool.qty[o];
  switch (stp) {
    case StpMode.CANCEL_NEWEST:
      sink.onCancel(tid, towner, rem, 0, CancelReason.STP);
      return 0;
    case StpMode.CANCEL_OLDEST:
      st.removeHead(o, level, mid);
      sink.onCancel(mid, towner, mq, 0, CancelReason.STP);
      return rem;
    case StpMode.CANCEL_BOTH:
      st.removeHead(o, level, mid);
      sink.onCancel(mid, towner, mq, 0, CancelReason.STP);
      sink.onCancel(tid, towner, rem, 0, CancelReason.STP);
      return 0;
    default: {
      // DECREMENT: both lose the smaller quantity; whichever reaches zero is gone.
      const d = mq < rem ? mq : rem;
      if (d === mq) {
        st.removeHead(o, level, mid);
      } else {
        pool.qty[o] = mq - d;
        st.levels.qty[level] -= d;
      }
      sink.onCancel(mid, towner, d, mq - d, CancelReason.STP_DECREMENT);
      sink.onCancel(tid, towner, d, rem - d, CancelReason.STP_DECREMENT);
      return rem - d;
    }
  }
}

/**
 * Whether a FOK taker would be filled completely (CANCEL_OLDEST makers skipped, other STP = no).
 * Exact: `need` only decreases from qty <= MAX_QTY by level totals / order quantities <= MAX_QTY.
 */
export function canFill(st: BookState, towner: number, tside: number, limitKey: number, qty: number, stp: number): boolean {
  const ladder = tside === 0 ? st.asks : st.bids;
  const pool = st.pool;
  const lv = st.levels;
  let need = qty;
  let level = ladder.bestLevel;
  while (level >= 0) {
    const price = lv.price[level];
    const key = tside === 0 ? -price : price;
    if (key < limitKey) return false;
    if (stp === StpMode.NONE) {
      need -= lv.qty[level];
      if (need <= 0) return true;
    } else {
      for (let o = lv.head[level]; o >= 0; o = pool.next[o]) {
        if (pool.owner[o] === towner) {
          if (stp === StpMode.CANCEL_OLDEST) continue;
          return false;
        }
        need -= pool.qty[o];
        if (need <= 0) return true;
      }
    }
    level = ladder.levelBelow(key);
  }
  return false;
}

/**
 * Fires pending stops reached by this call's trades (st.hi / st.lo), one at a time until none is
 * left: buy stops first (lowest stop, FIFO), then sell stops (highest, FIFO). Cascades naturally,
 * since each triggered order's own trades widen hi / lo.
 */
export function runTriggers(st: BookState): void {
  const pool = st.pool;
  const lv = st.levels;
  for (;;) {
    let ladder: SortedLevels;
    if (st.buyStops.size > 0 && -st.buyStops.topKey() <= st.hi) ladder = st.buyStops;
    else if (st.sellStops.size > 0 && st.sellStops.topKey() >= st.lo) ladder = st.sellStops;
    else return;
    const level = ladder.topLevel();
    const stopPrice = lv.price[level];
    const s = lv.head[level];
    const id = pool.id[s];
    const owner = pool.owner[s];
    const flags = pool.flags[s];
    const qty = pool.qty[s];
    const price = pool.price[s];
    const side = flags & F_SELL;
    st.ids.remove(id);
    st.unlink(s);
    pool.free(s);
    st.sink.onTrigger(id, owner, side, stopPrice);
    const type = (flags & F_STOP_LIMIT) !== 0 ? OrderType.LIMIT : OrderType.MARKET;
    execute(st, id, owner, side, type, price, qty, (flags & F_STP_MASK) >> F_STP_SHIFT);
  }
}
