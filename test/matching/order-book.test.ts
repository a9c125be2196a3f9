/** Unit tests: each order type, STP mode, amendment and edge case of the crossing engine. */
import { describe, expect, it } from 'vitest';
import { OrderBook, OrderInfo } from '../../src/matching/order-book.js';
import {
  type BookSnapshot,
  CancelReason as R,
  MAX_PRICE,
  MAX_QTY,
  OrderType as T,
  Side,
  Status,
  StpMode as Stp,
} from '../../src/matching/types.js';
import { Prng } from '../../adapters/paper/prng.js';
import type { PriceLadder } from '../../src/matching/price-levels.js';
import { RecordingSink } from './helpers.js';

const B = Side.BUY;
const S = Side.SELL;

function mk(windowTicks = 1024, initialCapacity = 16) {
  const sink = new RecordingSink();
  const book = new OrderBook(sink, { windowTicks, initialCapacity });
  return { book, sink };
}

/** Events of one call, without its accept event. */
function after(sink: RecordingSink) {
  return sink.take().filter((e) => e[0] !== 'accept');
}

function depth(book: OrderBook, side: number): [number, number][] {
  const n = book.levelCount(side);
  const p = new Float64Array(n);
  const q = new Float64Array(n);
  book.depth(side, n, p, q);
  return Array.from(p, (price, i) => [price, q[i]]);
}

describe('LIMIT', () => {
  it('rests, then fills at the maker price with price-time priority', () => {
    const { book, sink } = mk();
    book.limit(1, 1, S, 101, 5);
    book.limit(2, 2, S, 100, 5);
    book.limit(3, 3, S, 100, 5);
    sink.take();
    expect(book.bestAsk()).toBe(100);
    expect(book.limit(4, 4, B, 101, 12)).toBe(Status.OK);
    expect(after(sink)).toEqual([
      ['fill', 2, 4, 2, 4, 100, 5, 0, 7],
      ['fill', 3, 4, 3, 4, 100, 5, 0, 2],
      ['fill', 1, 4, 1, 4, 101, 2, 3, 0],
    ]);
    expect(book.lastPrice()).toBe(101);
    expect(depth(book, S)).toEqual([[101, 3]]);
    expect(book.bestBid()).toBeNaN();
  });

  it('rests the remainder after a partial fill and never rests crossed', () => {
    const { book, sink } = mk();
    book.limit(1, 0, S, 100, 3);
    sink.take();
    book.limit(2, 1, B, 102, 10);
    expect(after(sink)).toEqual([
      ['fill', 1, 2, 0, 1, 100, 3, 0, 7],
      ['rest', 2, 1, B, 102, 7],
    ]);
    expect(book.bestBid()).toBe(102);
    expect(book.bestAsk()).toBeNaN();
  });

  it('emits accept with the order as given', () => {
    const { book, sink } = mk();
    book.submit(9, 3, S, T.LIMIT, 50, 4, Stp.NONE, 77);
    expect(sink.take()).toEqual([
      ['accept', 9, 3, S, T.LIMIT, 50, 4, 0],
      ['rest', 9, 3, S, 50, 4],
    ]);
  });
});

describe('MARKET', () => {
  it('sweeps levels and cancels the remainder when the side runs out', () => {
    const { book, sink } = mk();
    book.limit(1, 0, B, 99, 2);
    book.limit(2, 0, B, 98, 2);
    sink.take();
    book.market(3, 1, S, 5);
    expect(after(sink)).toEqual([
      ['fill', 1, 3, 0, 1, 99, 2, 0, 3],
      ['fill', 2, 3, 0, 1, 98, 2, 0, 1],
      ['cancel', 3, 1, 1, 0, R.MARKET_REMAINDER],
    ]);
    expect(book.restingCount).toBe(0);
  });

  it('on an empty book cancels everything and ignores the price', () => {
    const { book, sink } = mk();
    expect(book.submit(1, 0, B, T.MARKET, -5, 4)).toBe(Status.OK);
    expect(sink.take()).toEqual([
      ['accept', 1, 0, B, T.MARKET, 0, 4, 0],
      ['cancel', 1, 0, 4, 0, R.MARKET_REMAINDER],
    ]);
  });
});

describe('IOC', () => {
  it('fills what it can within its price and cancels the rest', () => {
    const { book, sink } = mk();
    book.limit(1, 0, S, 100, 2);
    book.limit(2, 0, S, 102, 2);
    sink.take();
    book.ioc(3, 1, B, 101, 5);
    expect(after(sink)).toEqual([
      ['fill', 1, 3, 0, 1, 100, 2, 0, 3],
      ['cancel', 3, 1, 3, 0, R.IOC_REMAINDER],
    ]);
    expect(book.has(3)).toBe(false);
    expect(depth(book, S)).toEqual([[102, 2]]);
  });
});

describe('FOK', () => {
  it('is killed before any fill when it cannot be filled completely', () => {
    const { book, sink } = mk();
    book.limit(1, 0, S, 100, 2);
    book.limit(2, 0, S, 101, 2);
    book.limit(3, 0, S, 103, 10);
    sink.take();
    book.fok(4, 1, B, 101, 5);
    expect(after(sink)).toEqual([['cancel', 4, 1, 5, 0, R.FOK_KILL]]);
    expect(depth(book, S)).toEqual([
      [100, 2],
      [101, 2],
      [103, 10],
    ]);
  });

  it('fills completely across levels when it can', () => {
    const { book, sink } = mk();
    book.limit(1, 0, S, 100, 2);
    book.limit(2, 0, S, 101, 3);
    sink.take();
    book.fok(4, 1, B, 101, 5);
    expect(after(sink)).toEqual([
      ['fill', 1, 4, 0, 1, 100, 2, 0, 3],
      ['fill', 2, 4, 0, 1, 101, 3, 0, 0],
    ]);
  });

  it('skips CANCEL_OLDEST makers of its owner and fails on any other STP interaction', () => {
    const { book, sink } = mk();
    book.limit(1, 7, S, 100, 5); // same owner
    book.limit(2, 0, S, 100, 5);
    sink.take();
    book.fok(3, 7, B, 100, 6, Stp.CANCEL_OLDEST);
    expect(after(sink)).toEqual([['cancel', 3, 7, 6, 0, R.FOK_KILL]]);
    book.fok(4, 7, B, 100, 5, Stp.CANCEL_OLDEST);
    expect(after(sink)).toEqual([
      ['cancel', 1, 7, 5, 0, R.STP],
      ['fill', 2, 4, 0, 7, 100, 5, 0, 0],
    ]);
    book.limit(5, 7, S, 100, 5);
    book.limit(6, 0, S, 100, 5);
    sink.take();
    book.fok(8, 7, B, 100, 5, Stp.DECREMENT);
    expect(after(sink)).toEqual([['cancel', 8, 7, 5, 0, R.FOK_KILL]]);
    book.fok(9, 7, B, 100, 5, Stp.NONE);
    expect(after(sink)).toEqual([['fill', 5, 9, 7, 7, 100, 5, 0, 0]]);
  });
});

describe('POST_ONLY', () => {
  it('rests when it does not cross, is refused when it would (including at the same price)', () => {
    const { book, sink } = mk();
    book.limit(1, 0, S, 100, 2);
    sink.take();
    book.postOnly(2, 1, B, 100, 3);
    expect(after(sink)).toEqual([['cancel', 2, 1, 3, 0, R.POST_ONLY_REJECT]]);
    book.postOnly(3, 1, B, 99, 3);
    expect(after(sink)).toEqual([['rest', 3, 1, B, 99, 3]]);
    const info = new Float64Array(OrderInfo.LENGTH);
    expect(book.getOrder(3, info)).toBe(true);
    expect(info[OrderInfo.TYPE]).toBe(T.POST_ONLY);
  });

  it('a price change that would cross is refused and leaves the order as it was', () => {
    const { book, sink } = mk();
    book.limit(1, 0, S, 100, 2);
    book.postOnly(2, 1, B, 98, 3);
    book.limit(3, 1, B, 98, 3);
    sink.take();
    expect(book.changePrice(2, 100)).toBe(Status.WOULD_CROSS);
    expect(sink.take()).toEqual([]);
    expect(book.changePrice(2, 99)).toBe(Status.OK);
    expect(after(sink)).toEqual([['rest', 2, 1, B, 99, 3]]);
  });
});

describe('STOP and STOP_LIMIT', () => {
  it('a buy stop triggers on a trade at or above its stop price and enters as MARKET', () => {
    const { book, sink } = mk();
    book.limit(1, 0, S, 100, 1);
    book.limit(2, 0, S, 105, 10);
    book.stop(3, 5, B, 101, 4);
    expect(book.pendingStopCount).toBe(1);
    book.limit(10, 0, B, 90, 1);
    sink.take();
    book.market(4, 1, B, 1); // trades at 100: below the stop
    expect(after(sink)).toEqual([['fill', 1, 4, 0, 1, 100, 1, 0, 0]]);
    expect(book.pendingStopCount).toBe(1);
    book.limit(5, 0, S, 101, 1);
    book.market(6, 1, B, 1); // trades at 101: triggers
    expect(after(sink)).toEqual([
      ['rest', 5, 0, S, 101, 1],
      ['fill', 5, 6, 0, 1, 101, 1, 0, 0],
      ['trigger', 3, 5, B, 101],
      ['fill', 2, 3, 0, 5, 105, 4, 6, 0],
    ]);
    expect(book.pendingStopCount).toBe(0);
  });

  it('a sell stop-limit triggers on a trade at or below its stop and rests as LIMIT', () => {
    const { book, sink } = mk();
    book.limit(1, 0, B, 100, 1);
    book.stopLimit(2, 5, S, 100, 103, 4);
    sink.take();
    book.market(3, 1, S, 1);
    expect(after(sink)).toEqual([
      ['fill', 1, 3, 0, 1, 100, 1, 0, 0],
      ['trigger', 2, 5, S, 100],
      ['rest', 2, 5, S, 103, 4],
    ]);
    expect(book.bestAsk()).toBe(103);
  });

  it('triggers at once when the last price already satisfies it; never before the first trade', () => {
    const { book, sink } = mk();
    book.stop(1, 0, S, 1000, 1);
    expect(after(sink)).toEqual([]);
    expect(book.pendingStopCount).toBe(1);
    book.limit(2, 0, B, 50, 1);
    book.market(3, 0, S, 1); // last = 50 <= 1000: pending sell stop fires; nothing left to hit
    expect(after(sink)).toEqual([
      ['rest', 2, 0, B, 50, 1],
      ['fill', 2, 3, 0, 0, 50, 1, 0, 0],
      ['trigger', 1, 0, S, 1000],
      ['cancel', 1, 0, 1, 0, R.MARKET_REMAINDER],
    ]);
    book.stopLimit(4, 0, B, 40, 60, 2); // last 50 >= 40
    expect(after(sink)).toEqual([
      ['trigger', 4, 0, B, 40],
      ['rest', 4, 0, B, 60, 2],
    ]);
  });

  it('uses every trade of the call: a sweep through the stop price triggers it', () => {
    const { book, sink } = mk();
    book.limit(1, 0, B, 105, 1);
    book.market(2, 0, S, 1); // last = 105
    book.stop(3, 0, S, 102, 1); // pending: 105 > 102
    book.limit(4, 0, S, 100, 1);
    book.limit(5, 0, S, 103, 1);
    book.limit(6, 0, B, 90, 5);
    sink.take();
    book.market(7, 1, B, 2); // prints 100 then 103: last ends above 102, but 100 <= 102 fired it
    expect(after(sink)).toEqual([
      ['fill', 4, 7, 0, 1, 100, 1, 0, 1],
      ['fill', 5, 7, 0, 1, 103, 1, 0, 0],
      ['trigger', 3, 0, S, 102],
      ['fill', 6, 3, 0, 0, 90, 1, 4, 0],
    ]);
  });

  it('cascades, lowest buy stop first, FIFO at one stop price', () => {
    const { book, sink } = mk();
    book.limit(1, 0, S, 100, 1);
    book.limit(2, 0, S, 101, 1);
    book.limit(3, 0, S, 102, 1);
    book.limit(4, 0, S, 103, 1);
    book.stop(10, 0, B, 101, 1);
    book.stop(11, 0, B, 100, 1);
    book.stop(12, 0, B, 101, 1);
    book.stop(13, 0, B, 120, 1);
    sink.take();
    book.market(20, 0, B, 1); // 100 -> fires 11 (stop 100) -> 101 -> fires 10, then 12 -> 102, 103
    expect(after(sink)).toEqual([
      ['fill', 1, 20, 0, 0, 100, 1, 0, 0],
      ['trigger', 11, 0, B, 100],
      ['fill', 2, 11, 0, 0, 101, 1, 0, 0],
      ['trigger', 10, 0, B, 101],
      ['fill', 3, 10, 0, 0, 102, 1, 0, 0],
      ['trigger', 12, 0, B, 101],
      ['fill', 4, 12, 0, 0, 103, 1, 0, 0],
    ]);
    expect(book.pendingStopCount).toBe(1);
    expect(book.has(13)).toBe(true);
  });

  it('pending stops can be cancelled and reduced but not re-priced', () => {
    const { book, sink } = mk();
    book.stopLimit(1, 0, B, 100, 101, 5);
    sink.take();
    expect(book.reduce(1, 3)).toBe(Status.OK);
    const info = new Float64Array(OrderInfo.LENGTH);
    book.getOrder(1, info);
    expect(Array.from(info)).toEqual([B, T.STOP_LIMIT, 101, 3, 0, 0, 100]);
    expect(book.changePrice(1, 90)).toBe(Status.NOT_ALLOWED);
    expect(book.cancel(1)).toBe(Status.OK);
    expect(sink.take()).toEqual([['cancel', 1, 0, 3, 0, R.USER]]);
    expect(book.pendingStopCount).toBe(0);
  });
});

describe('self-trade prevention', () => {
  function setup() {
    const { book, sink } = mk();
    book.limit(1, 7, S, 100, 4); // same owner as the taker
    book.limit(2, 0, S, 100, 4);
    sink.take();
    return { book, sink };
  }

  it('NONE trades with itself', () => {
    const { book, sink } = setup();
    book.limit(3, 7, B, 100, 2, Stp.NONE);
    expect(after(sink)).toEqual([['fill', 1, 3, 7, 7, 100, 2, 2, 0]]);
  });

  it('CANCEL_NEWEST cancels the taker and keeps the maker', () => {
    const { book, sink } = setup();
    book.limit(3, 7, B, 100, 6, Stp.CANCEL_NEWEST);
    expect(after(sink)).toEqual([['cancel', 3, 7, 6, 0, R.STP]]);
    expect(depth(book, S)).toEqual([[100, 8]]);
  });

  it('CANCEL_OLDEST cancels the maker and keeps matching', () => {
    const { book, sink } = setup();
    book.limit(3, 7, B, 100, 6, Stp.CANCEL_OLDEST);
    expect(after(sink)).toEqual([
      ['cancel', 1, 7, 4, 0, R.STP],
      ['fill', 2, 3, 0, 7, 100, 4, 0, 2],
      ['rest', 3, 7, B, 100, 2],
    ]);
  });

  it('CANCEL_BOTH cancels maker and taker', () => {
    const { book, sink } = setup();
    book.limit(3, 7, B, 100, 6, Stp.CANCEL_BOTH);
    expect(after(sink)).toEqual([
      ['cancel', 1, 7, 4, 0, R.STP],
      ['cancel', 3, 7, 6, 0, R.STP],
    ]);
    expect(depth(book, S)).toEqual([[100, 4]]);
  });

  it('DECREMENT reduces both by the smaller quantity without a trade', () => {
    const { book, sink } = setup();
    book.limit(3, 7, B, 100, 6, Stp.DECREMENT); // maker 4 gone, taker 6 -> 2, then trades 2 with order 2
    expect(after(sink)).toEqual([
      ['cancel', 1, 7, 4, 0, R.STP_DECREMENT],
      ['cancel', 3, 7, 4, 2, R.STP_DECREMENT],
      ['fill', 2, 3, 0, 7, 100, 2, 2, 0],
    ]);
    const s2 = setup();
    s2.book.limit(3, 7, B, 100, 3, Stp.DECREMENT); // taker gone, maker 4 -> 1 keeps its place
    expect(after(s2.sink)).toEqual([
      ['cancel', 1, 7, 3, 1, R.STP_DECREMENT],
      ['cancel', 3, 7, 3, 0, R.STP_DECREMENT],
    ]);
    const info = new Float64Array(OrderInfo.LENGTH);
    s2.book.getOrder(1, info);
    expect(info[OrderInfo.QTY]).toBe(1);
    expect(depth(s2.book, S)).toEqual([[100, 5]]);
    const s3 = setup();
    s3.book.limit(3, 7, B, 100, 4, Stp.DECREMENT); // equal: both gone
    expect(after(s3.sink)).toEqual([
      ['cancel', 1, 7, 4, 0, R.STP_DECREMENT],
      ['cancel', 3, 7, 4, 0, R.STP_DECREMENT],
    ]);
    expect(s3.book.has(1)).toBe(false);
  });

  it('different owners trade normally whatever the mode', () => {
    const { book, sink } = setup();
    book.limit(3, 8, B, 100, 1, Stp.CANCEL_BOTH);
    expect(after(sink)).toEqual([['fill', 1, 3, 7, 8, 100, 1, 3, 0]]);
  });
});

describe('cancel, reduce, changePrice', () => {
  it('cancel removes the order and reports unknown ids', () => {
    const { book, sink } = mk();
    book.limit(1, 2, B, 100, 5);
    sink.take();
    expect(book.cancel(1)).toBe(Status.OK);
    expect(sink.take()).toEqual([['cancel', 1, 2, 5, 0, R.USER]]);
    expect(book.cancel(1)).toBe(Status.UNKNOWN_ID);
    expect(book.bestBid()).toBeNaN();
    expect(book.levelCount(B)).toBe(0);
  });

  it('reduce keeps queue priority; invalid quantities are refused', () => {
    const { book, sink } = mk();
    book.limit(1, 0, S, 100, 5);
    book.limit(2, 0, S, 100, 5);
    sink.take();
    expect(book.reduce(1, 2)).toBe(Status.OK);
    expect(book.reduce(1, 2)).toBe(Status.OK); // same quantity: no-op
    expect(book.reduce(1, 3)).toBe(Status.INVALID_QTY);
    expect(book.reduce(1, 0)).toBe(Status.INVALID_QTY);
    expect(book.reduce(1, 1.5)).toBe(Status.INVALID_QTY);
    expect(book.reduce(99, 1)).toBe(Status.UNKNOWN_ID);
    expect(sink.take()).toEqual([]);
    expect(depth(book, S)).toEqual([[100, 7]]);
    book.market(3, 0, B, 3);
    expect(after(sink)).toEqual([
      ['fill', 1, 3, 0, 0, 100, 2, 0, 1],
      ['fill', 2, 3, 0, 0, 100, 1, 4, 0],
    ]);
  });

  it('changePrice loses priority, may trade, and the same price is a no-op', () => {
    const { book, sink } = mk();
    book.limit(1, 0, S, 100, 5);
    book.limit(2, 0, S, 100, 5);
    book.limit(3, 0, B, 98, 3);
    sink.take();
    expect(book.changePrice(1, 100)).toBe(Status.OK);
    expect(sink.take()).toEqual([]);
    expect(book.changePrice(1, 101)).toBe(Status.OK);
    expect(book.changePrice(1, 100)).toBe(Status.OK); // now behind order 2
    expect(after(sink)).toEqual([
      ['rest', 1, 0, S, 101, 5],
      ['rest', 1, 0, S, 100, 5],
    ]);
    book.market(4, 0, B, 6);
    expect(after(sink)).toEqual([
      ['fill', 2, 4, 0, 0, 100, 5, 0, 1],
      ['fill', 1, 4, 0, 0, 100, 1, 4, 0],
    ]);
    // Re-price through the book: trades as a taker, the rest rests at the new price.
    expect(book.changePrice(3, 101)).toBe(Status.OK);
    expect(after(sink)).toEqual([['fill', 1, 3, 0, 0, 100, 3, 1, 0]]);
    expect(book.changePrice(77, 1)).toBe(Status.UNKNOWN_ID);
    expect(book.changePrice(1, 0)).toBe(Status.INVALID_PRICE);
  });
});

describe('validation', () => {
  it('returns status codes, emits nothing and leaves the book unchanged', () => {
    const { book, sink } = mk();
    book.limit(1, 0, B, 100, 5);
    book.stop(2, 0, B, 200, 5);
    sink.take();
    const cases: [number, number[]][] = [
      [Status.INVALID_ID, [-1, 0, B, T.LIMIT, 100, 1]],
      [Status.INVALID_ID, [1.5, 0, B, T.LIMIT, 100, 1]],
      [Status.INVALID_ID, [2 ** 53, 0, B, T.LIMIT, 100, 1]],
      [Status.INVALID_SIDE, [3, 0, 2, T.LIMIT, 100, 1]],
      [Status.INVALID_QTY, [3, 0, B, T.LIMIT, 100, 0]],
      [Status.INVALID_QTY, [3, 0, B, T.LIMIT, 100, Number.NaN]],
      [Status.INVALID_OWNER, [3, -1, B, T.LIMIT, 100, 1]],
      [Status.INVALID_OWNER, [3, 2 ** 31, B, T.LIMIT, 100, 1]],
      [Status.INVALID_TYPE, [3, 0, B, 7, 100, 1]],
      [Status.INVALID_PRICE, [3, 0, B, T.LIMIT, 0, 1]],
      [Status.INVALID_PRICE, [3, 0, B, T.IOC, MAX_PRICE + 1, 1]],
      [Status.INVALID_PRICE, [3, 0, B, T.STOP, 0, 1]],
      [Status.DUPLICATE_ID, [1, 0, S, T.LIMIT, 100, 1]],
      [Status.DUPLICATE_ID, [2, 0, S, T.MARKET, 0, 1]],
    ];
    for (const [status, [id, owner, side, type, price, qty]] of cases) {
      expect(book.submit(id, owner, side, type, price, qty, Stp.NONE, 0)).toBe(status);
    }
    expect(book.submit(3, 0, B, T.LIMIT, 100, 1, 5)).toBe(Status.INVALID_STP);
    expect(sink.take()).toEqual([]);
    expect(book.restingCount).toBe(1);
    expect(book.pendingStopCount).toBe(1);
  });

  it('levelQty is 0 at a price no level can have (not an integer tick, an unknown side), also inside the window', () => {
    const { book } = mk();
    book.limit(1, 0, B, 100, 5);
    book.limit(2, 0, S, 105, 7);
    expect(book.levelQty(B, 100)).toBe(5);
    expect(book.levelQty(S, 105)).toBe(7);
    for (const [side, price] of [[B, 100.5], [B, 99.25], [S, 104.5], [S, 105.75], [B, Number.NaN], [S, Infinity], [2, 100], [B, -3]]) {
      expect(book.levelQty(side, price)).toBe(0);
    }
  });

  it('accepts ids up to 2^53 - 1 and reuses an id once its order is gone', () => {
    const { book, sink } = mk();
    const big = Number.MAX_SAFE_INTEGER;
    expect(book.limit(big, 0, B, 100, 1)).toBe(Status.OK);
    expect(book.limit(big - 1, 0, B, 100, 1)).toBe(Status.OK);
    expect(book.limit(big, 0, B, 100, 1)).toBe(Status.DUPLICATE_ID);
    book.market(2 ** 40, 0, S, 1);
    expect(book.has(big)).toBe(false);
    expect(book.limit(big, 0, B, 100, 1)).toBe(Status.OK);
    sink.take();
  });
});

describe('snapshot and restore', () => {
  it('round-trips through JSON: same book, queue order, stops and last price', () => {
    const { book, sink } = mk();
    book.limit(1, 1, B, 99, 5, Stp.DECREMENT);
    book.limit(2, 2, B, 99, 3);
    book.postOnly(3, 3, B, 97, 2);
    book.limit(4, 4, S, 101, 7);
    book.limit(5, 5, S, 103, 1);
    book.market(6, 6, S, 1); // last = 99, order 1 now 4
    book.stop(7, 7, S, 95, 2, Stp.CANCEL_BOTH);
    book.stopLimit(8, 8, B, 110, 111, 3);
    book.stopLimit(9, 9, B, 105, 106, 3);
    const snap = book.snapshot();
    const copy = JSON.parse(JSON.stringify(snap)) as BookSnapshot;
    const other = mk(2048, 4);
    expect(other.book.restore(copy)).toBe(Status.OK);
    expect(other.book.snapshot()).toEqual(snap);
    expect(other.sink.take()).toEqual([]);
    expect(snap.lastPrice).toBe(99);
    expect(snap.stops.filter((_, i) => i % 8 === 0)).toEqual([9, 8, 7]);
    // Both continue identically.
    sink.take();
    for (const b of [book, other.book]) {
      b.market(20, 0, S, 10);
      b.limit(21, 0, B, 103, 3);
    }
    expect(other.sink.take()).toEqual(sink.take());
    expect(other.book.snapshot()).toEqual(book.snapshot());
  });

  it('refuses malformed snapshots and keeps the current book', () => {
    const { book } = mk();
    book.limit(1, 0, B, 100, 1);
    const good = book.snapshot();
    const bad: unknown[] = [
      null,
      { ...good, version: 2 },
      { ...good, orders: [1, 0, 0, 100] },
      { ...good, orders: [1, 0, 0, 100, 1, 0, 0, 1, 0, 0, 100, 1, 0, 0] }, // duplicate id
      { ...good, orders: [1, 0, 0, 100, 1, 0, 0, 2, 0, 1, 100, 1, 0, 0] }, // crossed
      { ...good, orders: [1, 0, 0, 0, 1, 0, 0] },
      { ...good, stops: [5, 0, 0, T.STOP, 90, 0, 1, 0], lastPrice: 95 }, // would already trigger
      { ...good, stops: [5, 0, 0, T.LIMIT, 90, 0, 1, 0] },
    ];
    for (const s of bad) expect(book.restore(s as BookSnapshot)).toBe(Status.INVALID_SNAPSHOT);
    expect(book.snapshot()).toEqual(good);
  });

  it('restore replaces whatever the book held', () => {
    const { book } = mk();
    book.limit(1, 0, B, 100, 1);
    book.restore({ version: 1, lastPrice: null, orders: [2, 0, 1, 200, 4, 0, 0], stops: [] });
    expect(book.has(1)).toBe(false);
    expect(book.bestAsk()).toBe(200);
    expect(book.bestBid()).toBeNaN();
    expect(book.lastPrice()).toBeNaN();
  });
});

describe('capacity and price range', () => {
  it('grows past its initial capacity and keeps every order reachable', () => {
    const { book, sink } = mk(1024, 4);
    const n = 20_000;
    for (let i = 1; i <= n; i++) book.limit(i * 1_000_003, i % 5, i & 1, i & 1 ? 10_000 + (i % 300) : 9_999 - (i % 300), 1 + (i % 7));
    expect(book.restingCount).toBe(n);
    for (let i = 1; i <= n; i += 2) expect(book.cancel(i * 1_000_003)).toBe(Status.OK);
    expect(book.restingCount).toBe(n / 2);
    for (let i = 2; i <= n; i += 2) expect(book.has(i * 1_000_003)).toBe(true);
    book.market(1, 0, S, 10 ** 9);
    expect(book.restingCount).toBe(0);
    expect(book.bestBid()).toBeNaN();
    sink.take();
  });

  it('handles far-apart prices with a small window without memory proportional to the distance', () => {
    const { book, sink } = mk(1024, 4);
    const prices = [1, 5_000, 1_000_000, 2 ** 40, 2 ** 52, 777, 1_000_001];
    prices.forEach((p, i) => book.limit(i + 1, 0, S, p, 1));
    expect(book.bestAsk()).toBe(1);
    expect(depth(book, S).map(([p]) => p)).toEqual([...prices].sort((a, b) => a - b));
    book.market(100, 0, B, 2);
    expect(book.bestAsk()).toBe(5_000);
    book.cancel(2);
    expect(book.bestAsk()).toBe(1_000_000);
    // Bids far below and far above the current window.
    book.limit(200, 0, B, 10, 1);
    book.limit(201, 0, B, 999_999, 1);
    book.limit(202, 0, B, 3, 1);
    expect(book.bestBid()).toBe(999_999);
    book.cancel(201);
    expect(book.bestBid()).toBe(10);
    book.market(300, 0, B, 4); // sweeps 1e6, 1e6+1, 2^40, 2^52
    expect(sink.take().filter((e) => e[0] === 'fill').map((e) => e[5])).toEqual([1, 777, 1_000_000, 1_000_001, 2 ** 40, 2 ** 52]);
    expect(book.bestAsk()).toBeNaN();
  });
});

describe('level totals stop at MAX_QTY (2^53 - 1 lots)', () => {
  it('refuses an order that would take its level past MAX_QTY, with no event and the book unchanged', () => {
    const { book, sink } = mk();
    expect(book.limit(1, 0, S, 100, MAX_QTY - 5)).toBe(Status.OK);
    expect(book.limit(2, 0, S, 100, 5)).toBe(Status.OK); // exactly MAX_QTY
    sink.take();
    expect(book.limit(3, 0, S, 100, 1)).toBe(Status.LEVEL_TOTAL_OVERFLOW);
    expect(book.postOnly(4, 0, S, 100, 1)).toBe(Status.LEVEL_TOTAL_OVERFLOW);
    expect(sink.take()).toEqual([]);
    expect(depth(book, S)).toEqual([[100, MAX_QTY]]);
    expect(book.has(3)).toBe(false);
    // Other prices and the other side are unaffected; taking from the level makes room again.
    expect(book.limit(5, 0, S, 101, MAX_QTY)).toBe(Status.OK);
    expect(book.limit(6, 0, B, 99, MAX_QTY)).toBe(Status.OK);
    book.market(7, 0, B, 2);
    expect(book.limit(8, 0, S, 100, 2)).toBe(Status.OK);
    expect(book.limit(9, 0, S, 100, 1)).toBe(Status.LEVEL_TOTAL_OVERFLOW);
    expect(depth(book, S)).toEqual([
      [100, MAX_QTY],
      [101, MAX_QTY],
    ]);
  });

  it('refuses a price change onto a full level and leaves the order where it was', () => {
    const { book, sink } = mk();
    book.limit(1, 0, B, 100, MAX_QTY);
    book.limit(2, 0, B, 99, 7);
    sink.take();
    expect(book.changePrice(2, 100)).toBe(Status.LEVEL_TOTAL_OVERFLOW);
    expect(sink.take()).toEqual([]);
    expect(depth(book, B)).toEqual([
      [100, MAX_QTY],
      [99, 7],
    ]);
    book.reduce(1, MAX_QTY - 7);
    expect(book.changePrice(2, 100)).toBe(Status.OK);
    expect(depth(book, B)).toEqual([[100, MAX_QTY]]);
  });

  it('keeps pending stop levels within MAX_QTY, and cancels a triggered stop-limit that finds its level full', () => {
    const { book, sink } = mk();
    expect(book.stopLimit(1, 0, B, 105, 90, MAX_QTY)).toBe(Status.OK);
    expect(book.stopLimit(2, 0, B, 105, 91, 1)).toBe(Status.LEVEL_TOTAL_OVERFLOW);
    expect(book.cancel(1)).toBe(Status.OK);
    // A stop-limit that will rest at 90 where bids already hold MAX_QTY - 1 lots.
    book.limit(10, 0, B, 90, MAX_QTY - 1);
    book.stopLimit(11, 3, B, 105, 90, 2);
    book.limit(12, 0, S, 105, 1);
    sink.take();
    book.limit(13, 0, B, 105, 1); // trades at 105: the stop triggers, cannot trade (no asks), cannot rest
    expect(after(sink)).toEqual([
      ['fill', 12, 13, 0, 0, 105, 1, 0, 0],
      ['trigger', 11, 3, B, 105],
      ['cancel', 11, 3, 2, 0, R.LEVEL_TOTAL_OVERFLOW],
    ]);
    expect(depth(book, B)).toEqual([[90, MAX_QTY - 1]]);
    // Triggering at once (last price already through the stop) is checked on entry.
    expect(book.stopLimit(14, 0, B, 100, 90, 2)).toBe(Status.LEVEL_TOTAL_OVERFLOW);
    expect(book.stopLimit(15, 0, B, 100, 90, 1)).toBe(Status.OK);
    expect(depth(book, B)).toEqual([[90, MAX_QTY]]);
  });

  it('FOK decides exactly with totals up to MAX_QTY', () => {
    const { book, sink } = mk();
    book.limit(1, 0, S, 100, MAX_QTY - 5);
    book.limit(2, 0, S, 101, 3);
    book.limit(3, 0, S, 102, 2);
    sink.take();
    book.fok(4, 0, B, 101, MAX_QTY); // 2 short
    expect(after(sink)).toEqual([['cancel', 4, 0, MAX_QTY, 0, R.FOK_KILL]]);
    book.fok(5, 0, B, 102, MAX_QTY); // exactly enough
    expect(after(sink)).toEqual([
      ['fill', 1, 5, 0, 0, 100, MAX_QTY - 5, 0, 5],
      ['fill', 2, 5, 0, 0, 101, 3, 0, 2],
      ['fill', 3, 5, 0, 0, 102, 2, 0, 0],
    ]);
    // Two full levels: the sum of the book (about 2^54) is never formed.
    book.limit(6, 0, S, 100, MAX_QTY);
    book.limit(7, 0, S, 101, MAX_QTY);
    sink.take();
    book.fok(8, 0, B, 100, MAX_QTY);
    expect(after(sink)).toEqual([['fill', 6, 8, 0, 0, 100, MAX_QTY, 0, 0]]);
    expect(depth(book, S)).toEqual([[101, MAX_QTY]]);
  });

  it('restore refuses a snapshot with a level past MAX_QTY', () => {
    const { book } = mk();
    const over = { version: 1 as const, lastPrice: null, orders: [1, 0, S, 100, MAX_QTY, 0, 0, 2, 0, S, 100, 1, 0, 0], stops: [] };
    expect(book.restore(over)).toBe(Status.INVALID_SNAPSHOT);
    const stopsOver = { version: 1 as const, lastPrice: null, orders: [], stops: [1, 0, B, T.STOP, 100, 0, MAX_QTY, 0, 2, 0, B, T.STOP, 100, 0, 1, 0] };
    expect(book.restore(stopsOver)).toBe(Status.INVALID_SNAPSHOT);
    const full = { version: 1 as const, lastPrice: null, orders: [1, 0, S, 100, MAX_QTY - 1, 0, 0, 2, 0, S, 100, 1, 0, 0], stops: [] };
    expect(book.restore(full)).toBe(Status.OK);
    expect(depth(book, S)).toEqual([[100, MAX_QTY]]);
  });
});

describe('no cliff: far prices and the price window', () => {
  it('a bid far above the rest, placed and cancelled again and again, keeps best, depth and matching right', () => {
    const { book, sink } = mk(1024, 16);
    for (let i = 0; i < 20; i++) book.limit(i + 1, 0, B, 100_000 - i, 1 + i);
    book.limit(50, 0, S, 300_000, 5);
    let id = 1000;
    for (let j = 0; j < 200; j++) {
      book.limit(++id, 1, B, 150_000 + (j % 3), 2);
      expect(book.bestBid()).toBe(150_000 + (j % 3));
      expect(book.levelCount(B)).toBe(21);
      expect(book.cancel(id)).toBe(Status.OK);
      expect(book.bestBid()).toBe(100_000);
    }
    // Sweep across the far level (above the window), the window and far-below levels.
    book.limit(++id, 1, B, 150_000, 2);
    book.limit(++id, 1, B, 20_000, 3);
    sink.take();
    book.market(9999, 2, S, 2 + 210 + 3);
    const fills = sink.take().filter((e) => e[0] === 'fill').map((e) => [e[5], e[6]]);
    expect(fills[0]).toEqual([150_000, 2]);
    expect(fills.slice(1, 21)).toEqual(Array.from({ length: 20 }, (_, i) => [100_000 - i, 1 + i]));
    expect(fills[21]).toEqual([20_000, 3]);
    expect(book.bestBid()).toBeNaN();
    expect(book.bestAsk()).toBe(300_000);
  });

  it('matches across the window and the overflows in price-time priority, and snapshots them', () => {
    const { book, sink } = mk(1024, 4);
    // Asks spread over far more than the window, some sharing prices (FIFO within a price).
    const prices = [5000, 1000, 90_000, 1000, 5000, 400_000, 1001, 90_000];
    prices.forEach((p, i) => book.limit(i + 1, 0, S, p, i + 1));
    const snap = book.snapshot();
    const other = mk(1024, 4);
    expect(other.book.restore(JSON.parse(JSON.stringify(snap)))).toBe(Status.OK);
    expect(other.book.snapshot()).toEqual(snap);
    for (const b of [book, other.book]) b.market(100, 0, B, 36);
    const fills = sink.take().filter((e) => e[0] === 'fill').map((e) => [e[1], e[5]]);
    expect(fills).toEqual([
      [2, 1000],
      [4, 1000],
      [7, 1001],
      [1, 5000],
      [5, 5000],
      [3, 90_000],
      [8, 90_000],
      [6, 400_000],
    ]);
    expect(other.sink.take().filter((e) => e[0] === 'fill').map((e) => [e[1], e[5]])).toEqual(fills);
  });
});

describe('memory', () => {
  it('an empty book holds a few KB; windows are allocated per side on first use, capacity on first growth', () => {
    const book = new OrderBook(new RecordingSink());
    const empty = book.heldBytes();
    expect(empty).toBeLessThan(4096);
    book.limit(1, 0, B, 100, 1);
    const oneSide = book.heldBytes();
    expect(oneSide - empty).toBeGreaterThanOrEqual(1024 * 4); // the bid window, at its first width
    expect(oneSide - empty).toBeLessThan(2 * 1024 * 4);
    book.limit(2, 0, S, 200, 1);
    const both = book.heldBytes();
    expect(both - oneSide).toBeGreaterThanOrEqual(1024 * 4); // the ask window
    for (let i = 3; i <= 20; i++) book.limit(i, 0, B, 100 - i, 1); // past the first 16 slots
    expect(book.heldBytes() - both).toBeGreaterThanOrEqual(1000 * 41); // grown to initialCapacity (1024)
    expect(book.restingCount).toBe(20);
    expect(depth(book, S)).toEqual([[200, 1]]);
    // preallocate: everything up front, as before.
    const pre = new OrderBook(new RecordingSink(), { preallocate: true });
    expect(pre.heldBytes()).toBeGreaterThanOrEqual(2 * 16384 * 4 + 1024 * 41);
    // A smaller window for an instrument with a narrow price range.
    const small = new OrderBook(new RecordingSink(), { windowTicks: 1024 });
    small.limit(1, 0, B, 100, 1);
    expect(small.heldBytes()).toBeLessThan(empty + 1024 * 4 + 1024);
  });

  it("a side's window grows with its active price range, up to windowTicks, and a narrow side's stays small", () => {
    const book = new OrderBook(new RecordingSink(), { initialCapacity: 4096 });
    let id = 1;
    // Asks within 40 ticks of 50,000; bids anywhere in 10,000 ticks below it, placed and cancelled at random.
    const rng = new Prng(7);
    const resting: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      if (resting.length > 500 && rng.int(0, 1) === 0) {
        const j = rng.int(0, resting.length - 1);
        expect(book.cancel(resting[j]!)).toBe(0);
        resting[j] = resting[resting.length - 1]!;
        resting.pop();
      } else {
        const side = rng.int(0, 1);
        const price = side === 0 ? 40_000 + rng.int(0, 9_999) : 50_001 + rng.int(0, 39);
        expect(book.limit(id, 0, side, price, 1)).toBe(0);
        resting.push(id++);
      }
    }
    // the bid window at 16,384 ticks (64 KB and its bitset), the ask window still at 1,024 (4 KB)
    const { bids, asks } = (book as unknown as { st: { bids: PriceLadder; asks: PriceLadder } }).st;
    expect(bids.width).toBe(16384);
    expect(asks.width).toBe(1024);
    expect(bids.heldBytes()).toBeGreaterThanOrEqual(16384 * 4);
    expect(asks.heldBytes()).toBeLessThan(2 * 1024 * 4);
  });
});
