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
