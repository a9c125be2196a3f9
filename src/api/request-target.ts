/**
 * The request target of an HTTP request (or WebSocket upgrade), parsed once and without throwing.
 *
 * `new URL(req.url, base)` throws on targets such as `//`, `/\` or `//:99999/` (it reads them as a host), and a throw
 * outside a request's try block ends the process. Here a target is only split, never resolved: the path is matched
 * against the routes exactly as sent (no dot-segment removal, no percent-decoding — a route decodes its own
 * parameters), so any path is either a route or a 404, and a target that is not a path at all is null (a 400).
 */
/** String.prototype.charCodeAt as a constant: see src/model/json-text.ts (a megamorphic `text.charCodeAt` per char). */
const charCodeAt = String.prototype.charCodeAt;

export interface RequestTarget {
  /** The path as sent, from its leading `/` up to `?` (exclusive). */
  readonly path: string;
  /** The query string after the first `?`, without it ('' when there is none). */
  readonly search: string;
}

/** Absolute form (`http://host:port/path?q`), which HTTP/1.1 servers must accept; the authority is ignored. */
const ABSOLUTE_FORM = /^https?:\/\/[^/?#]*/i;

/**
 * The path and query of `raw` (an origin-form `/path?query` or an absolute-form `http://host/path?query`), or null
 * when it is neither: empty, `*`, an authority (`host:port`), a fragment, or bytes outside visible ASCII.
 */
export function parseRequestTarget(raw: string | undefined): RequestTarget | null {
  if (raw === undefined || raw.length === 0) return null;
  let target = raw;
  const absolute = ABSOLUTE_FORM.exec(target);
  if (absolute !== null) {
    target = target.slice(absolute[0].length);
    if (target.length === 0 || charCodeAt.call(target, 0) === 0x3f /* ? */) target = '/' + target; // an empty path is '/'
  }
  if (charCodeAt.call(target, 0) !== 0x2f /* / */) return null;
  for (let i = 0; i < target.length; i++) {
    const c = charCodeAt.call(target, i);
    // Visible ASCII only; '#' starts a fragment, which a client never sends.
    if (c <= 0x20 || c >= 0x7f || c === 0x23) return null;
  }
  const q = target.indexOf('?');
  return q < 0 ? { path: target, search: '' } : { path: target.slice(0, q), search: target.slice(q + 1) };
}

/** The query parameters of a parsed target (URLSearchParams never throws: a malformed escape is kept as is). */
export function targetQuery(target: RequestTarget): URLSearchParams {
  return new URLSearchParams(target.search);
}
