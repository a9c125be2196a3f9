/**
 * JSON text of a string, the same bytes JSON.stringify gives, for the order store's name tables (made once per name).
 * Messages written per order (order views, the live event stream, the history rows) are written as bytes instead
 * (src/journal/json-bytes.ts).
 */
/**
 * String.prototype.charCodeAt, called as `charCodeAt.call(text, i)` on the per-order paths. `text.charCodeAt(i)` loads
 * the method from the string at every call, and a site that sees strings of many representations (flat, concatenated,
 * sliced, internalized, two-byte) goes megamorphic in V8: each char then costs a generic property load and call, about
 * 3.5x slower than through this constant, whose call V8 inlines (measured on Node 20; it showed as `Builtins_LoadIC`
 * at 6.6 % of the dispatch thread under perf in a worker flood). A binding imported from another module is not folded
 * into a constant the same way (measured: barely faster), so each module that needs it keeps its own.
 */
const charCodeAt = String.prototype.charCodeAt;

/** A string as JSON: printable ASCII but the quote and the backslash is copied as it is; anything else escaped. */
export function jsonString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = charCodeAt.call(s, i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return JSON.stringify(s);
  }
  return `"${s}"`;
}
