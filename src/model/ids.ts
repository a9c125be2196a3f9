/**
 * Order ids and client order ids.
 * OrderId: a positive safe integer from one monotonic counter per daemon (seeded above the last id on restart).
 * ClientOrderId: what the venue sees. Alphanumeric, 1..32 characters: the one format valid on both Binance
 * (^[.A-Z:/a-z0-9_-]{1,36}$) and OKX (alphanumeric, at most 32).
 */
export type OrderId = number;

export class OrderIdCounter {
  private last: number;

  constructor(start = 0) {
    if (!Number.isSafeInteger(start) || start < 0) throw new RangeError('OrderIdCounter start must be a non-negative safe integer');
    this.last = start;
  }

  next(): OrderId {
    return ++this.last;
  }

  /** The last id handed out (0 when none). */
  current(): OrderId {
    return this.last;
  }

  /** Make sure later ids are above `id` (used after replaying a journal). */
  advancePast(id: OrderId): void {
    if (id > this.last) this.last = id;
  }
}

/** Most characters of a client order id. */
export const MAX_CLIENT_ORDER_ID = 32;

const CLIENT_ORDER_ID_RE = /^[A-Za-z0-9]{1,32}$/;

export function isValidClientOrderId(value: unknown): value is string {
  return typeof value === 'string' && CLIENT_ORDER_ID_RE.test(value);
}

/**
 * Client order id the daemon assigns when the client gives none: a per-daemon prefix (letters and digits,
 * from the daemon instance) followed by the order id in base 36. Unique as long as the prefix differs
 * between daemon instances trading the same account.
 */
export function makeClientOrderId(prefix: string, id: OrderId): string {
  if (!isClientIdPrefix(prefix)) throw new RangeError(`client order id prefix "${prefix}" is not 0 to 31 letters and digits`);
  return derivedClientOrderId(prefix, id);
}

const CLIENT_ID_PREFIX_RE = /^[A-Za-z0-9]{0,31}$/;

/**
 * makeClientOrderId for a prefix already checked with isClientIdPrefix (the order store checks its own once): the id
 * (a non-negative safe integer) in base 36 is letters and digits, so only the length is left to check (per order, no
 * regular expression).
 */
export function derivedClientOrderId(prefix: string, id: OrderId): string {
  const text = prefix + id.toString(36);
  if (text.length > MAX_CLIENT_ORDER_ID || !Number.isSafeInteger(id) || id < 0) throw new RangeError(`client order id "${text}" is not valid`);
  return text;
}

/**
 * The digits of `n`, a non-negative safe integer, in base 10 or 36 (lower case), most significant first, into
 * buf[at, …) (the caller has room: at most 16 bytes); where they end. Counted by powers of the base (exact beyond the
 * largest safe integer in both bases), then written from the last: one division a digit, in int32 arithmetic once
 * what is left is below 2^31 (an order id always is). The order id of a derived client order id (order store,
 * journal, stream events, snapshots).
 */
export function writeDigits(buf: Uint8Array, at: number, n: number, base: number): number {
  let len = 1;
  for (let p = base; p <= n; p *= base) len++;
  const end = at + len;
  let p = end;
  let x = n;
  while (x > 0x7fffffff) {
    const q = Math.floor(x / base);
    const d = x - q * base;
    buf[--p] = d < 10 ? 48 + d : 87 + d;
    x = q;
  }
  let y = x | 0;
  do {
    const q = (y / base) | 0;
    const d = y - q * base;
    buf[--p] = d < 10 ? 48 + d : 87 + d;
    y = q;
  } while (y > 0);
  return end;
}

/** Whether `prefix` can begin the client order ids the daemon derives (letters and digits, room for an id). */
export function isClientIdPrefix(prefix: string): boolean {
  return CLIENT_ID_PREFIX_RE.test(prefix);
}
