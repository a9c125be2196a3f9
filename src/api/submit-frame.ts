/**
 * The common /v1/stream frame read straight from its bytes: submit ops, alone or as a batch, whose orders hold only
 * plain fields — `{"op":"submit","id":7,"order":{"strategy":"s1","symbol":"BTC-USDT","side":"BUY",…}}` or a JSON
 * array of such ops — without JSON.parse making an object and a string per key and value and parseJsonExact scanning
 * the text again. What it reads must be exactly what the general path (parseJsonExact, then the op's fields) would
 * make of the frame; whatever it is not sure of, it declines, and the general path reads the frame:
 *
 *  - the frame is pure ASCII (any other byte declines: the general path decodes UTF-8);
 *  - an op is an object with the keys `op` (exactly the string "submit"), `order` and optionally `id`, each once,
 *    in any order, and no other key (a duplicate key is refused by the general path, another key ignored by it);
 *  - `id` is a string without escapes, an integer of at most 15 digits with no sign (a double holds it exactly), or null;
 *  - `order` is an object whose keys are fields the decoder knows but `algo` (an object), each once, and whose values
 *    are strings without escapes, true, false, or integers as `id`'s (no fraction or exponent: those have exactness
 *    rules of their own, json-exact.ts);
 *  - whitespace between tokens as JSON allows it (space, tab, CR, LF);
 *  - a batch holds 1 to `maxOps` ops, and no op's own text is over `maxOpBytes` (those have refusals of their own).
 *
 * The ops are read into spans of the frame first (a frame that is not read whole is not read at all: the general path
 * executes nothing of a frame that is not JSON), then handed out one at a time (op) as the one op object the reader
 * holds, its order an OrderFields: no object per op or order, and the strings an order repeats (its strategy, symbol,
 * side, type, prices) made once and kept while they repeat. Neither must be kept by the caller past the next op.
 */
import { OrderFields } from '../intake/order-fields.js';
import { byteText } from '../model/byte-text.js';

/** The order fields read (decodeOrder's, but `algo`), in OrderFields order. */
const NAMES = [
  'strategy', 'symbol', 'side', 'type', 'timeInForce', 'postOnly', 'price', 'stopPrice', 'quantity',
  'clientOrderId', 'priority', 'venue', 'route', 'trailingOffset',
] as const;
const NF = NAMES.length;
const NAME_BYTES = NAMES.map((n) => Buffer.from(n, 'latin1'));
const CLIENT_ORDER_ID = NAMES.indexOf('clientOrderId');

/** Value kinds (per op and field present). */
const STRING = 1;
const NUMBER = 2;
const TRUE = 3;
const FALSE = 4;
const NULL = 5;

/** Ids up to this are handed out as small integers (V8's Smi on every build). */
const SMALL_INT = 0x3fffffff;

/** Most bytes of a string kept as bytes in SubmitFrameReader's cache (longer ones are compared as text). */
const CACHED_BYTES = 32;
/** SubmitFrameReader.cacheLength of an entry that holds nothing, and of one longer than CACHED_BYTES. */
const EMPTY_ENTRY = -1;
const LONG_ENTRY = -2;

/** Reading declined (a position never is negative). */
const NO = -1;

const EMPTY = Buffer.alloc(0);

/** A submit op as the general path's parsed op reads: what runOps looks at. */
export interface FrameOp {
  readonly op: 'submit';
  id: string | number | null;
  readonly order: OrderFields;
}

export class SubmitFrameReader {
  /** Ops in the frame read last (0: declined). */
  length = 0;
  /** Whether a frame is being handed out (a frame read meanwhile would overwrite it: the caller declines then). */
  busy = false;
  private bytes: Buffer = EMPTY;
  private cap = 0;
  private idKind = new Uint8Array(0);
  private idNum = new Float64Array(0);
  private idStart = new Int32Array(0);
  private idEnd = new Int32Array(0);
  /** Per op: a bit per field the order holds (1 << field). */
  private present = new Int32Array(0);
  /** Per op and field (op * NF + field), of the fields present: the value's kind, its span (a string's, between the quotes) or number. */
  private kind = new Uint8Array(0);
  private start = new Int32Array(0);
  private end = new Int32Array(0);
  private num = new Float64Array(0);
  /** Per field, the last two strings made (a value that repeats is not made again); the next to replace. */
  private readonly cache: (string | undefined)[] = new Array<string | undefined>(2 * NF).fill(undefined);
  private readonly cacheNext = new Uint8Array(NF);
  /**
   * The bytes of each cached string (cache index x CACHED_BYTES), compared with a value's bytes as bytes — not one
   * String.charCodeAt per character of strings of every shape —, and its length (EMPTY_ENTRY: none; LONG_ENTRY:
   * longer than CACHED_BYTES, compared as text).
   */
  private readonly cacheBytes = new Uint8Array(2 * NF * CACHED_BYTES);
  private readonly cacheLength = new Int32Array(2 * NF).fill(EMPTY_ENTRY);
  private readonly fields = new OrderFields();
  private readonly opObject: FrameOp = { op: 'submit', id: null, order: this.fields };
  /** Ops read into the spans by the current read (readOp's). */
  private count = 0;

  constructor() {
    this.grow(64);
  }

  /**
   * Reads `bytes` (a whole frame) when it is the common shape (above): the number of ops, or 0 when it is not (the
   * general path reads it). `maxOps`: most ops in a batch; `maxOpBytes`: most bytes of one op's own text.
   */
  read(bytes: Buffer, maxOps: number, maxOpBytes: number): number {
    this.length = 0;
    this.count = 0;
    const n = bytes.length;
    let p = ws(bytes, 0, n);
    if (p >= n) return 0;
    const c = bytes[p]!;
    if (c === 0x5b /* [ */) {
      p = ws(bytes, p + 1, n);
      if (p >= n || bytes[p] === 0x5d /* ] */) return 0; // (an empty batch is answered with nothing: general path)
      for (;;) {
        if (this.count >= maxOps) return 0;
        p = this.readOp(bytes, p, n, maxOpBytes);
        if (p === NO) return 0;
        p = ws(bytes, p, n);
        if (p >= n) return 0;
        const d = bytes[p]!;
        if (d === 0x2c /* , */) {
          p = ws(bytes, p + 1, n);
          continue;
        }
        if (d !== 0x5d /* ] */) return 0;
        p++;
        break;
      }
    } else if (c === 0x7b /* { */) {
      p = this.readOp(bytes, p, n, maxOpBytes);
      if (p === NO) return 0;
    } else return 0;
    if (ws(bytes, p, n) !== n) return 0;
    this.bytes = bytes;
    this.length = this.count;
    return this.count;
  }

  /** Op `i` of the frame read last, as the one op object (valid until the next call). */
  op(i: number): FrameOp {
    const b = this.bytes;
    const o = this.opObject;
    const k = this.idKind[i]!;
    if (k === NUMBER) {
      const v = this.idNum[i]!;
      o.id = v <= SMALL_INT ? v | 0 : v; // (as a small integer: a double read from the array would be boxed per op)
    } else o.id = k === STRING ? byteText(b, this.idStart[i]!, this.idEnd[i]!) : null;
    const f = this.fields;
    const base = i * NF;
    const has = this.present[i]!;
    f.strategy = (has & 1) !== 0 ? this.value(b, base, 0) : undefined;
    f.symbol = (has & 2) !== 0 ? this.value(b, base, 1) : undefined;
    f.side = (has & 4) !== 0 ? this.value(b, base, 2) : undefined;
    f.type = (has & 8) !== 0 ? this.value(b, base, 3) : undefined;
    f.timeInForce = (has & 16) !== 0 ? this.value(b, base, 4) : undefined;
    f.postOnly = (has & 32) !== 0 ? this.value(b, base, 5) : undefined;
    f.price = (has & 64) !== 0 ? this.value(b, base, 6) : undefined;
    f.stopPrice = (has & 128) !== 0 ? this.value(b, base, 7) : undefined;
    f.quantity = (has & 256) !== 0 ? this.value(b, base, 8) : undefined;
    f.clientOrderId = (has & 512) !== 0 ? this.value(b, base, 9) : undefined;
    f.priority = (has & 1024) !== 0 ? this.value(b, base, 10) : undefined;
    f.venue = (has & 2048) !== 0 ? this.value(b, base, 11) : undefined;
    f.route = (has & 4096) !== 0 ? this.value(b, base, 12) : undefined;
    f.trailingOffset = (has & 8192) !== 0 ? this.value(b, base, 13) : undefined;
    return o;
  }

  /** The frame is handed out: its bytes are let go. */
  done(): void {
    this.bytes = EMPTY;
    this.length = 0;
  }

  /** The value of a field the order holds. */
  private value(b: Buffer, base: number, field: number): unknown {
    const at = base + field;
    switch (this.kind[at]) {
      case NUMBER:
        return this.num[at]!;
      case TRUE:
        return true;
      case FALSE:
        return false;
      case NULL:
        return null;
      default:
        return this.str(b, this.start[at]!, this.end[at]!, field);
    }
  }

  /** The string of b[s, e) (ASCII), the one made before when it is one of the field's last two. */
  private str(b: Buffer, s: number, e: number, field: number): string {
    if (field === CLIENT_ORDER_ID) return byteText(b, s, e); // one per order: never repeats
    const c = this.cache;
    const first = 2 * field;
    if (this.cached(first, b, s, e)) return c[first]!;
    if (this.cached(first + 1, b, s, e)) return c[first + 1]!;
    const text = byteText(b, s, e);
    const next = this.cacheNext[field]!;
    const at = first + next;
    c[at] = text;
    const len = e - s;
    if (len <= CACHED_BYTES) {
      const bytes = this.cacheBytes;
      const to = at * CACHED_BYTES;
      for (let q = 0; q < len; q++) bytes[to + q] = b[s + q]!;
      this.cacheLength[at] = len;
    } else this.cacheLength[at] = LONG_ENTRY;
    this.cacheNext[field] = next ^ 1;
    return text;
  }

  /** Whether cache entry `at` holds the text of b[s, e). */
  private cached(at: number, b: Buffer, s: number, e: number): boolean {
    const len = this.cacheLength[at]!;
    if (len === LONG_ENTRY) return same(this.cache[at]!, b, s, e);
    if (len !== e - s) return false; // (EMPTY_ENTRY: no length matches)
    const bytes = this.cacheBytes;
    const from = at * CACHED_BYTES;
    for (let q = 0; q < len; q++) if (bytes[from + q] !== b[s + q]) return false;
    return true;
  }

  /** One op from its `{` at p: the position after its `}`, or NO. */
  private readOp(b: Buffer, p: number, n: number, maxOpBytes: number): number {
    if (b[p] !== 0x7b /* { */) return NO;
    const from = p;
    const k = this.count;
    if (k === this.cap) this.grow(2 * this.cap);
    this.idKind[k] = NULL;
    let seen = 0; // 1 op, 2 id, 4 order
    p = ws(b, p + 1, n);
    for (;;) {
      if (p >= n || b[p] !== 0x22 /* " */) return NO;
      const s = p + 1;
      const e = stringEnd(b, s, n);
      if (e === NO) return NO;
      p = ws(b, e + 1, n);
      if (p >= n || b[p] !== 0x3a /* : */) return NO;
      p = ws(b, p + 1, n);
      if (p >= n) return NO;
      const len = e - s;
      if (len === 2 && b[s] === 0x6f /* o */ && b[s + 1] === 0x70 /* p */) {
        if ((seen & 1) !== 0) return NO;
        seen |= 1;
        // exactly "submit"
        if (p + 7 >= n || b[p] !== 0x22 || b[p + 1] !== 0x73 || b[p + 2] !== 0x75 || b[p + 3] !== 0x62 || b[p + 4] !== 0x6d
          || b[p + 5] !== 0x69 || b[p + 6] !== 0x74 || b[p + 7] !== 0x22) return NO;
        p += 8;
      } else if (len === 2 && b[s] === 0x69 /* i */ && b[s + 1] === 0x64 /* d */) {
        if ((seen & 2) !== 0) return NO;
        seen |= 2;
        // a string, an integer or null
        p = this.scalar(b, p, n);
        const vk = this.valueKind;
        if (p === NO || vk === TRUE || vk === FALSE) return NO;
        this.idKind[k] = vk;
        this.idStart[k] = this.valueStart;
        this.idEnd[k] = this.valueEnd;
        this.idNum[k] = this.lastInteger;
      } else if (len === 5 && b[s] === 0x6f && b[s + 1] === 0x72 && b[s + 2] === 0x64 && b[s + 3] === 0x65 && b[s + 4] === 0x72) {
        if ((seen & 4) !== 0) return NO;
        seen |= 4;
        p = this.readOrder(b, p, n, k);
        if (p === NO) return NO;
      } else return NO;
      p = this.afterMember(b, p, n);
      if (p === NO) return NO;
      if (this.closed) break;
    }
    if ((seen & 5) !== 5 || p - from > maxOpBytes) return NO;
    this.count = k + 1;
    return p;
  }

  /** Op k's order from its `{` at p: the position after its `}`, or NO. */
  private readOrder(b: Buffer, p: number, n: number, k: number): number {
    if (b[p] !== 0x7b /* { */) return NO;
    const base = k * NF;
    const kind = this.kind;
    this.present[k] = 0;
    p = ws(b, p + 1, n);
    if (p < n && b[p] === 0x7d) return p + 1; // {}
    let seen = 0;
    for (;;) {
      if (p >= n || b[p] !== 0x22 /* " */) return NO;
      const s = p + 1;
      const field = fieldAt(b, s, n);
      if (field === NO || (seen & (1 << field)) !== 0) return NO;
      const e = s + NAME_BYTES[field]!.length; // its closing quote
      seen |= 1 << field;
      p = ws(b, e + 1, n);
      if (p >= n || b[p] !== 0x3a /* : */) return NO;
      p = ws(b, p + 1, n);
      if (p >= n) return NO;
      const at = base + field;
      p = this.scalar(b, p, n);
      if (p === NO) return NO;
      kind[at] = this.valueKind;
      this.start[at] = this.valueStart;
      this.end[at] = this.valueEnd;
      this.num[at] = this.lastInteger;
      p = this.afterMember(b, p, n);
      if (p === NO) return NO;
      if (this.closed) {
        this.present[k] = seen;
        return p;
      }
    }
  }

  /** The value read last (scalar()): its kind, and a string's bytes from valueStart to valueEnd (its closing quote). */
  private valueKind = 0;
  private valueStart = 0;
  private valueEnd = 0;
  /** afterMember() found the object's closing brace (else a comma). */
  private closed = false;

  /**
   * A value from p (past whitespace): a string without escapes, an integer (integer()), true, false or null — the
   * position after it (what it was in valueKind, valueStart/valueEnd, lastInteger), or NO.
   */
  private scalar(b: Buffer, p: number, n: number): number {
    const c = b[p]!;
    if (c === 0x22) {
      const e = stringEnd(b, p + 1, n);
      if (e === NO) return NO;
      this.valueKind = STRING;
      this.valueStart = p + 1;
      this.valueEnd = e;
      return e + 1;
    }
    if (c >= 0x30 && c <= 0x39) {
      this.valueKind = NUMBER;
      return this.integer(b, p, n);
    }
    if (c === 0x74 /* t */ && p + 3 < n && b[p + 1] === 0x72 && b[p + 2] === 0x75 && b[p + 3] === 0x65) {
      this.valueKind = TRUE;
      return p + 4;
    }
    if (c === 0x66 /* f */ && p + 4 < n && b[p + 1] === 0x61 && b[p + 2] === 0x6c && b[p + 3] === 0x73 && b[p + 4] === 0x65) {
      this.valueKind = FALSE;
      return p + 5;
    }
    if (c === 0x6e /* n */ && p + 3 < n && b[p + 1] === 0x75 && b[p + 2] === 0x6c && b[p + 3] === 0x6c) {
      this.valueKind = NULL;
      return p + 4;
    }
    return NO;
  }

  /** After an object member's value at p: past a ',' and whitespace (closed false) or past its '}' (closed true); or NO. */
  private afterMember(b: Buffer, p: number, n: number): number {
    p = ws(b, p, n);
    if (p >= n) return NO;
    const d = b[p]!;
    if (d === 0x2c /* , */) {
      this.closed = false;
      return ws(b, p + 1, n);
    }
    if (d !== 0x7d /* } */) return NO;
    this.closed = true;
    return p + 1;
  }

  /** The value of the integer read last (integer). */
  private lastInteger = 0;

  /**
   * An unsigned JSON integer of 1 to 15 digits from p (a digit): the position after it (its value in lastInteger), or
   * NO — a leading zero before a digit (not JSON), more digits (a double may not hold it), or a fraction or exponent
   * after it (exactness rules of their own).
   */
  private integer(b: Buffer, p: number, n: number): number {
    const from = p;
    let v = 0;
    while (p < n) {
      const c = b[p]!;
      if (c < 0x30 || c > 0x39) break;
      v = v * 10 + (c - 0x30);
      p++;
    }
    const digits = p - from;
    if (digits > 15 || (digits > 1 && b[from] === 0x30)) return NO;
    if (p < n && (b[p] === 0x2e /* . */ || b[p] === 0x65 /* e */ || b[p] === 0x45 /* E */)) return NO;
    this.lastInteger = v;
    return p;
  }

  private grow(cap: number): void {
    const k = new Uint8Array(cap);
    k.set(this.idKind);
    this.idKind = k;
    const num = new Float64Array(cap);
    num.set(this.idNum);
    this.idNum = num;
    const s = new Int32Array(cap);
    s.set(this.idStart);
    this.idStart = s;
    const e = new Int32Array(cap);
    e.set(this.idEnd);
    this.idEnd = e;
    const pr = new Int32Array(cap);
    pr.set(this.present);
    this.present = pr;
    const fk = new Uint8Array(cap * NF);
    fk.set(this.kind);
    this.kind = fk;
    const fs = new Int32Array(cap * NF);
    fs.set(this.start);
    this.start = fs;
    const fe = new Int32Array(cap * NF);
    fe.set(this.end);
    this.end = fe;
    const fn = new Float64Array(cap * NF);
    fn.set(this.num);
    this.num = fn;
    this.cap = cap;
  }
}

/** The first position at or after p that is not JSON whitespace (n: none). */
function ws(b: Buffer, p: number, n: number): number {
  while (p < n) {
    const c = b[p]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return p;
    p++;
  }
  return n;
}

/** Per byte in a string: 0 taken, 1 the closing quote, 2 declined (a control, a backslash, not ASCII). */
const IN_STRING = Uint8Array.from({ length: 256 }, (_, c) => (c === 0x22 ? 1 : c < 0x20 || c === 0x5c || c > 0x7e ? 2 : 0));

/** The closing quote of the string whose text starts at s, or NO: an escape, a control or a non-ASCII byte in it. */
function stringEnd(b: Buffer, s: number, n: number): number {
  for (let p = s; p < n; p++) {
    const k = IN_STRING[b[p]!]!;
    if (k !== 0) return k === 1 ? p : NO;
  }
  return NO;
}

/**
 * The fields a key may be by its first two characters, +1 (0: none), two at most ("st": strategy and stopPrice, "pr":
 * price and priority): a key is then compared with at most two names, and not scanned for its end first.
 */
const FIELD_FIRST = new Int8Array(128 * 128);
const FIELD_SECOND = new Int8Array(128 * 128);
NAMES.forEach((name, f) => {
  const at = (name.charCodeAt(0) << 7) | name.charCodeAt(1);
  if (FIELD_FIRST[at] === 0) FIELD_FIRST[at] = f + 1;
  else if (FIELD_SECOND[at] === 0) FIELD_SECOND[at] = f + 1;
  else throw new Error(`submit-frame: three fields begin as ${name.slice(0, 2)}`);
});

/**
 * The order field (NAMES index) whose name, then a closing quote, is at b[s…] (s: after the key's opening quote), or
 * NO: another key (whatever it holds: a key that is no field's name declines the frame).
 */
function fieldAt(b: Buffer, s: number, n: number): number {
  if (s + 2 >= n) return NO;
  const at = ((b[s]! & 0x7f) << 7) | (b[s + 1]! & 0x7f);
  const f = FIELD_FIRST[at]! - 1;
  if (f < 0) return NO;
  if (isName(b, s, n, f)) return f;
  const g = FIELD_SECOND[at]! - 1;
  return g >= 0 && isName(b, s, n, g) ? g : NO;
}

/** Whether b[s…] is field f's name then a closing quote. */
function isName(b: Buffer, s: number, n: number, f: number): boolean {
  const name = NAME_BYTES[f]!;
  const len = name.length;
  if (s + len >= n || b[s + len] !== 0x22) return false;
  for (let q = 2; q < len; q++) if (name[q] !== b[s + q]) return false;
  return b[s] === name[0] && b[s + 1] === name[1];
}

/** String.prototype.charCodeAt as a constant: see src/model/json-text.ts (a megamorphic `text.charCodeAt` per char). */
const charCodeAt = String.prototype.charCodeAt;

/** Whether `text` (ASCII) is the bytes b[s, e). */
function same(text: string, b: Buffer, s: number, e: number): boolean {
  const len = e - s;
  if (text.length !== len) return false;
  for (let q = 0; q < len; q++) if (charCodeAt.call(text, q) !== b[s + q]) return false;
  return true;
}
