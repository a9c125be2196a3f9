/**
 * Text of bytes that are one character each (ASCII: client order ids, trade ids, fees and currencies as the journal and
 * the rings hold them), made by one native copy: a flat string. Building it one String.fromCharCode at a time made a
 * rope of one-character pieces that every later hash (Map lookups by client order id), comparison or serialisation
 * flattened again: about twice the cost of making it and using it once.
 */
type Latin1Slice = (this: Uint8Array, start: number, end: number) => string;

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice?: Latin1Slice }).latin1Slice;

/** bytes[start, end) as text, one character per byte (Latin-1: for ASCII bytes, the ASCII text). */
export function byteText(bytes: Uint8Array, start: number, end: number): string {
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
