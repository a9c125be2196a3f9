/**
 * JSON written straight into bytes, as JSON.stringify then UTF-8 would give them, without making strings: what a
 * snapshot capture writes its rows with (hundreds of thousands of rows would otherwise be as many strings to
 * collect), the live event stream its events (an arena: see the constructor) and the history file store its lines.
 * The caller makes room first (`reserve` with `bound` sizes); writes do not check. Integers, ASCII strings, booleans and
 * null are written byte by byte; other numbers and strings with non-ASCII characters go through JSON.stringify and
 * TextEncoder (rare: prices, quantities and times are integers, ids ASCII).
 */
import { writeDigits } from '../model/ids.js';

/** String.prototype.charCodeAt as a constant: see src/model/json-text.ts (a megamorphic `text.charCodeAt` per char). */
const charCodeAt = String.prototype.charCodeAt;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Most bytes a number takes ("-1.2345678901234567e+308"). */
export const NUMBER_BOUND = 25;

/** Most bytes a string takes in JSON (quotes, and every UTF-16 unit as a 6-byte escape at worst). */
export function stringBound(s: string | undefined): number {
  return s === undefined ? 4 : 2 + 6 * s.length;
}

/** The UTF-8 bytes of a text fragment (keys and punctuation, made once). */
export function fragment(text: string): Uint8Array {
  return encoder.encode(text);
}

const HEX = '0123456789abcdef';
/** `00` to `99`: the ASCII of each two-digit number at twice its value. */
const DIGIT_PAIRS = Uint8Array.from({ length: 200 }, (_, i) => 48 + (i % 2 === 0 ? Math.floor(i / 20) : (i >> 1) % 10));
const NULL = fragment('null');
const TRUE = fragment('true');
const FALSE = fragment('false');

export class JsonBytes {
  buf: Uint8Array = new Uint8Array(0);
  pos = 0;
  /** Where the message being written began (begin()). */
  private mark = 0;

  /**
   * `chunkBytes` 0 (a writer of one text): reserve grows the buffer, copying what was written. Above 0 (an arena of
   * messages made one after the other, each handed out as a view of its bytes): when the buffer is short, reserve
   * begins a new one of at least chunkBytes, taking along only the message being written; what was written before
   * stays where it is, so a buffer is never written twice and every view made of it stays valid (as Node's own Buffer
   * pool does). One class for both: the writes see one kind of writer.
   */
  constructor(private readonly chunkBytes = 0) {}

  /** A message begins here (view() and text() give what was written since). */
  begin(): void {
    this.mark = this.pos;
  }

  /** Room for `n` more bytes (see the constructor). Writes do not check: every writer makes room first. */
  reserve(n: number): void {
    if (this.buf.length - this.pos >= n) return;
    if (this.chunkBytes > 0) {
      const len = this.pos - this.mark;
      const next = new Uint8Array(Math.max(this.chunkBytes, len + n));
      next.set(this.buf.subarray(this.mark, this.pos));
      this.buf = next;
      this.mark = 0;
      this.pos = len;
      return;
    }
    const next = new Uint8Array(Math.max(this.pos + n, this.buf.length * 2, 256));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** The message's bytes (since begin()), as a Buffer viewing them (not a copy). */
  view(): Buffer {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + this.mark, this.pos - this.mark);
  }

  /**
   * The message's bytes (since begin()) as a Uint8Array viewing them: cheaper to make than view()'s Buffer, for bytes
   * that are only copied from (the live stream's events).
   */
  bytes(): Uint8Array {
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset + this.mark, this.pos - this.mark);
  }

  /** The message's bytes (since begin()) as text. */
  text(): string {
    return decoder.decode(this.buf.subarray(this.mark, this.pos));
  }

  /**
   * Bytes as they are (keys and punctuation made once with fragment()). Above 12 bytes one TypedArray.set (a
   * native copy) is cheaper than the loop, below the loop is (measured on Node 20: an event of the live stream,
   * writeStreamEvent, took 850-890 ns this way, 880-920 ns with set() from 8 bytes and 970-1,070 ns with the loop alone).
   */
  raw(bytes: Uint8Array): void {
    const n = bytes.length;
    if (n > 12) {
      this.buf.set(bytes, this.pos);
      this.pos += n;
      return;
    }
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = bytes[i]!;
    this.pos = p;
  }

  byte(c: number): void {
    this.buf[this.pos++] = c;
  }

  bool(v: boolean): void {
    this.raw(v ? TRUE : FALSE);
  }

  null(): void {
    this.raw(NULL);
  }

  /** A number as JSON.stringify writes it. */
  num(n: number): void {
    if (!Number.isSafeInteger(n)) {
      this.ascii(Number.isFinite(n) ? String(n) : 'null');
      return;
    }
    if (n < 0) {
      this.byte(0x2d);
      n = -n;
    }
    if (n < 1e9) {
      this.small(n);
      return;
    }
    // beyond 1e9 (times in ms, big ids): the digits above the last nine, then those nine
    const high = Math.floor(n / 1e9);
    this.small(high);
    this.nine(n - high * 1e9);
  }

  /** The digits of a non-negative safe integer in base 10 or 36 (lower case), most significant first (writeDigits). */
  digits(n: number, base: number): void {
    this.pos = writeDigits(this.buf, this.pos, n, base);
  }

  /**
   * The decimal digits of an integer 0 <= x < 1e9, two at a time from DIGIT_PAIRS (in int32 arithmetic: `x | 0` tells
   * the compiler so, and a division by a constant becomes a multiplication).
   */
  private small(x: number): void {
    x |= 0;
    const len = x < 1e4 ? (x < 10 ? 1 : x < 100 ? 2 : x < 1e3 ? 3 : 4) : x < 1e6 ? (x < 1e5 ? 5 : 6) : x < 1e7 ? 7 : x < 1e8 ? 8 : 9;
    const b = this.buf;
    const end = this.pos + len;
    let p = end;
    while (x >= 100) {
      const q = (x / 100) | 0;
      const r = (x - q * 100) << 1;
      b[--p] = DIGIT_PAIRS[r + 1]!;
      b[--p] = DIGIT_PAIRS[r]!;
      x = q;
    }
    if (x >= 10) {
      b[--p] = DIGIT_PAIRS[(x << 1) + 1]!;
      b[--p] = DIGIT_PAIRS[x << 1]!;
    } else {
      b[--p] = 48 + x;
    }
    this.pos = end;
  }

  /** An integer 0 <= x < 1e9 as exactly nine digits (zeros first), as small() writes them. */
  private nine(x: number): void {
    x |= 0;
    const b = this.buf;
    let p = this.pos + 9;
    this.pos = p;
    for (let i = 0; i < 4; i++) {
      const q = (x / 100) | 0;
      const r = (x - q * 100) << 1;
      b[--p] = DIGIT_PAIRS[r + 1]!;
      b[--p] = DIGIT_PAIRS[r]!;
      x = q;
    }
    b[--p] = 48 + x;
  }

  /** A string as JSON.stringify writes it (undefined: null). */
  str(s: string | undefined): void {
    if (s === undefined) {
      this.null();
      return;
    }
    const b = this.buf;
    const start = this.pos;
    let p = start;
    b[p++] = 0x22;
    for (let i = 0; i < s.length; i++) {
      const c = charCodeAt.call(s, i);
      if (c >= 0x20 && c < 0x80 && c !== 0x22 && c !== 0x5c) {
        b[p++] = c;
      } else if (c >= 0x80) {
        // not ASCII: the whole string again, as JSON.stringify writes it, in UTF-8 (rare)
        this.pos = start + encoder.encodeInto(JSON.stringify(s), b.subarray(start)).written;
        return;
      } else if (c === 0x22 || c === 0x5c) {
        b[p++] = 0x5c;
        b[p++] = c;
      } else {
        b[p++] = 0x5c;
        if (c === 0x08) b[p++] = 0x62;
        else if (c === 0x09) b[p++] = 0x74;
        else if (c === 0x0a) b[p++] = 0x6e;
        else if (c === 0x0c) b[p++] = 0x66;
        else if (c === 0x0d) b[p++] = 0x72;
        else {
          b[p++] = 0x75;
          b[p++] = 0x30;
          b[p++] = 0x30;
          b[p++] = HEX.charCodeAt(c >> 4);
          b[p++] = HEX.charCodeAt(c & 15);
        }
      }
    }
    b[p++] = 0x22;
    this.pos = p;
  }

  /**
   * `"text"` for a text that needs no escaping by construction (enum names, the instrument's decimal texts); one that
   * turns out to hold anything else is written as str() would (at most stringBound bytes either way).
   */
  plain(text: string): void {
    // one pass: copied as it is checked; a character that needs more leaves pos where it was, for str() to write over
    const b = this.buf;
    let p = this.pos;
    b[p++] = 0x22;
    for (let i = 0; i < text.length; i++) {
      const c = charCodeAt.call(text, i);
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
        this.str(text);
        return;
      }
      b[p++] = c;
    }
    b[p++] = 0x22;
    this.pos = p;
  }

  /** Text that is JSON already (a name table's entry), as it is: at most 3 bytes a UTF-16 unit. */
  json(text: string): void {
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < text.length; i++) {
      const c = charCodeAt.call(text, i);
      if (c >= 0x80) {
        this.pos += encoder.encodeInto(text, b.subarray(this.pos)).written;
        return;
      }
      b[p++] = c;
    }
    this.pos = p;
  }

  /** ASCII text as it is (no quotes, no escapes). */
  private ascii(text: string): void {
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < text.length; i++) b[p++] = charCodeAt.call(text, i);
    this.pos = p;
  }
}
