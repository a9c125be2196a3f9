/**
 * Text of bytes that are one character each (ASCII: client order ids, trade ids, fees and currencies as the journal and
 * the rings hold them), made flat in one step. Building it one String.fromCharCode at a time made a rope of
 * one-character pieces that every later hash (Map lookups by client order id), comparison or serialisation flattened
 * again: about twice the cost of making it and using it once. Up to SHORT_TEXT bytes, one String.fromCharCode call
 * with every byte as an argument (a reused array per length) makes the flat string for about half of what the native
 * copy's call costs (20–55 ns against 65–125 ns, 1 to 11 bytes); longer texts take the native copy. None: ''.
 */
type Latin1Slice = (this: Uint8Array, start: number, end: number) => string;

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice?: Latin1Slice }).latin1Slice;

/** Texts of at most this many bytes are made by String.fromCharCode (above, the native copy is cheaper). */
const SHORT_TEXT = 16;

/** Per length, the array of char codes String.fromCharCode is applied to (reused: filled, applied, done). */
const codes: number[][] = Array.from({ length: SHORT_TEXT + 1 }, (_, n) => new Array<number>(n).fill(0));
const fromCharCode = String.fromCharCode;

/** bytes[start, end) as text, one character per byte (Latin-1: for ASCII bytes, the ASCII text). */
export function byteText(bytes: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n <= 0) return '';
  if (n <= SHORT_TEXT) {
    const a = codes[n]!;
    for (let i = 0; i < n; i++) a[i] = bytes[start + i]!;
    return fromCharCode.apply(null, a);
  }
  if (latin1Slice !== undefined) return latin1Slice.call(bytes, start, end);
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

const LATIN1_ONLY = /^[\x00-\xff]*$/;

/**
 * The same text in V8's one-byte representation when every character fits in one (else `text` itself). A string cut
 * from a file that holds any character beyond Latin-1 anywhere — config/paper.yaml's comments have em dashes — is
 * two-byte, and so is every text it becomes part of: each venue, symbol, currency and strategy name from the config
 * made every event's JSON, answer and trade id two-byte, flattened as UTF-16 and transcoded again to be sent (5.7 % of
 * the dispatch thread in `String::WriteToFlat<unsigned short>` on the WebSocket path, under perf). The config loader
 * passes its strings through this.
 */
export function oneByteText(text: string): string {
  if (!LATIN1_ONLY.test(text)) return text;
  return Buffer.from(text, 'latin1').toString('latin1');
}
