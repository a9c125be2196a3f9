/**
 * JSON written straight into bytes, as JSON.stringify then UTF-8 would give them, without making strings: what a
 * snapshot capture writes its rows with (hundreds of thousands of rows would otherwise be as many strings to
 * collect). The caller makes room first (`bound` sizes); writes do not check. Integers, ASCII strings, booleans and
 * null are written byte by byte; other numbers and strings with non-ASCII characters go through JSON.stringify and
 * TextEncoder (rare: prices, quantities and times are integers, ids ASCII).
 */
/** String.prototype.charCodeAt as a constant: see src/model/json-text.ts (a megamorphic `text.charCodeAt` per char). */
const charCodeAt = String.prototype.charCodeAt;

const encoder = new TextEncoder();

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
const NULL = fragment('null');
const TRUE = fragment('true');
const FALSE = fragment('false');

export class JsonBytes {
  buf: Uint8Array = new Uint8Array(0);
  pos = 0;

  raw(bytes: Uint8Array): void {
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < bytes.length; i++) b[p++] = bytes[i]!;
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
    this.digits(n, 10);
  }

  /** The digits of a non-negative safe integer in base 10 or 36 (lower case), most significant first. */
  digits(n: number, base: number): void {
    let len = 0;
    for (let x = n; ; len++) {
      x = Math.floor(x / base);
      if (x === 0) break;
    }
    const b = this.buf;
    const end = this.pos + len + 1;
    let p = end;
    let x = n;
    do {
      const d = x % base;
      b[--p] = d < 10 ? 48 + d : 87 + d;
      x = Math.floor(x / base);
    } while (x > 0);
    this.pos = end;
  }

  /** A string as JSON.stringify writes it (undefined: null). */
  str(s: string | undefined): void {
    if (s === undefined) {
      this.null();
      return;
    }
    for (let i = 0; i < s.length; i++) {
      if (charCodeAt.call(s, i) >= 0x80) {
        this.pos += encoder.encodeInto(JSON.stringify(s), this.buf.subarray(this.pos)).written;
        return;
      }
    }
    const b = this.buf;
    let p = this.pos;
    b[p++] = 0x22;
    for (let i = 0; i < s.length; i++) {
      const c = charCodeAt.call(s, i);
      if (c === 0x22 || c === 0x5c) {
        b[p++] = 0x5c;
        b[p++] = c;
      } else if (c >= 0x20) {
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

  /** ASCII text as it is (no quotes, no escapes). */
  private ascii(text: string): void {
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < text.length; i++) b[p++] = charCodeAt.call(text, i);
    this.pos = p;
  }
}
