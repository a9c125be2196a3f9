/**
 * A list of strings as ONE MessagePack array of str values: how the daemon's Lua scripts take a batch (the events of
 * a publish, the replies and acks of a flush) in one argument, which the script unpacks with Redis's built-in
 * `cmsgpack.unpack`. Passed as separate arguments, node-redis writes every value into the command's text by string
 * concatenation (a rope V8 flattens again at the socket: the largest part of what the event publisher allocated) and
 * Redis parses each one as a bulk string; packed, the batch is written once into a reused buffer and goes out as one
 * Buffer argument.
 *
 * Each str gets the header its longest possible UTF-8 form needs (3 bytes per UTF-16 unit): str8 below 256 bytes,
 * str16 below 65,536, else str32 — valid MessagePack, not always the shortest. The array header is always array32.
 */
const charCodeAt = String.prototype.charCodeAt;

/** Strings this long or shorter are written byte by byte when they are ASCII (a native write costs more). */
const SHORT = 48;

export class PackedStrings {
  private buf: Buffer;
  private pos = 5;
  private n = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(initialBytes, 64));
  }

  /** Values pushed since begin(). */
  get count(): number {
    return this.n;
  }

  /** Start a new list (what was pushed before is forgotten). */
  begin(): void {
    this.pos = 5;
    this.n = 0;
  }

  push(s: string): void {
    const len = s.length;
    const most = 3 * len;
    if (this.buf.length - this.pos < most + 5) this.grow(most + 5);
    const buf = this.buf;
    let at = this.pos;
    const head = most < 256 ? 2 : most < 65536 ? 3 : 5;
    const start = at + head;
    let bytes = -1;
    if (len <= SHORT) {
      let i = 0;
      for (; i < len; i++) {
        const c = charCodeAt.call(s, i);
        if (c >= 0x80) break;
        buf[start + i] = c;
      }
      if (i === len) bytes = len;
    }
    if (bytes < 0) bytes = buf.write(s, start);
    if (head === 2) {
      buf[at++] = 0xd9;
      buf[at] = bytes;
    } else if (head === 3) {
      buf[at++] = 0xda;
      buf.writeUInt16BE(bytes, at);
    } else {
      buf[at++] = 0xdb;
      buf.writeUInt32BE(bytes, at);
    }
    this.pos = start + bytes;
    this.n++;
  }

  /** A str of these UTF-8 bytes as they are (text made as bytes already: an event's JSON). */
  pushBytes(b: Uint8Array): void {
    const bytes = b.length;
    if (this.buf.length - this.pos < bytes + 5) this.grow(bytes + 5);
    const buf = this.buf;
    let at = this.pos;
    if (bytes < 256) {
      buf[at++] = 0xd9;
      buf[at++] = bytes;
    } else if (bytes < 65536) {
      buf[at++] = 0xda;
      buf.writeUInt16BE(bytes, at);
      at += 2;
    } else {
      buf[at++] = 0xdb;
      buf.writeUInt32BE(bytes, at);
      at += 4;
    }
    buf.set(b, at);
    this.pos = at + bytes;
    this.n++;
  }

  /** The list as MessagePack (a copy: the writer is reused at once). */
  finish(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf[0] = 0xdd;
    this.buf.writeUInt32BE(this.n, 1);
    this.buf.copy(out, 0, 0, this.pos);
    return out;
  }

  private grow(need: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + need));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}
