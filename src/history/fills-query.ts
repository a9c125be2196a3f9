/**
 * GET /v1/fills: the fills in the history store (every venue fill, kept beyond the journal; see history-record.ts
 * for the fills of parent orders), filtered and paginated.
 *
 * Query parameters (anything else is a 400 UNKNOWN_FIELD; a bad value a 400 INVALID_FIELD naming it):
 *   strategy, symbol, venue   any of these (comma-separated and/or repeated); names are not checked against the
 *                             configuration, so the fills of a strategy since removed can still be read
 *   from, to                  time range [from, to) of the fill time: ISO 8601 (`2026-12-01T00:00:00Z`; a date
 *                             alone is midnight UTC) or epoch milliseconds
 *   limit                     page size, 1..pageSizeMax (daemon.history.pageSizeMax, default 1000); default 100
 *                             or pageSizeMax if smaller
 *   cursor                    `nextCursor` of the previous page (opaque)
 *
 * Answer: `{"fills":[...],"nextCursor":"..."|null}` ordered by (time, seq): a keyset page, so pages stay exact
 * while fills are being added (a fill stored later with an earlier time — a catch-up — is in a new query, not in
 * the pages after the one that passed its time). `nextCursor` is null on the last page. A history store that
 * cannot be read answers 503 HISTORY_UNAVAILABLE.
 */
import { ERROR_CATALOGUE, type ErrorCode } from '../model/errors.js';
import { fillJson } from './history-record.js';
import type { FillCursor, FillFilter, HistoryStore } from './history-store.js';

export interface FillsQueryOptions {
  /** The largest page (daemon.history.pageSizeMax). */
  readonly pageSizeMax: number;
}

export interface FillsQuery {
  readonly filter: FillFilter;
  readonly after: FillCursor | null;
  readonly limit: number;
}

export type Reply = { status: number; body: unknown };

/** A refused query: the catalogue code, its message and the parameter. */
export class FillsQueryError extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly field?: string) {
    super(message);
  }
}

const KNOWN = new Set(['strategy', 'symbol', 'venue', 'from', 'to', 'limit', 'cursor']);
const NAME_RE = /^[A-Za-z0-9._:/-]{1,64}$/;
const DEFAULT_LIMIT = 100;

/** Epoch ms of an ISO 8601 time or of epoch milliseconds; NaN when neither. */
export function parseTime(text: string): number {
  if (/^\d{1,15}$/.test(text)) return Number(text);
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) return Number.NaN;
  // a time without a zone is UTC (Date.parse would read it as local time)
  const zoned = text.length > 10 && !/(Z|[+-]\d{2}:?\d{2})$/.test(text) ? `${text}Z` : text;
  return Date.parse(zoned.replace(' ', 'T'));
}

function names(params: URLSearchParams, key: string): string[] | undefined {
  const all = params.getAll(key);
  if (all.length === 0) return undefined;
  const out: string[] = [];
  for (const v of all) {
    for (const n of v.split(',')) {
      if (!NAME_RE.test(n)) throw new FillsQueryError('INVALID_FIELD', `${key}: expected names of 1 to 64 letters, digits, ".", "_", ":", "/" or "-"`, key);
      out.push(n);
    }
  }
  return out;
}

function once(params: URLSearchParams, key: string): string | undefined {
  const all = params.getAll(key);
  if (all.length > 1) throw new FillsQueryError('INVALID_FIELD', `${key} given more than once`, key);
  return all[0];
}

export function encodeCursor(c: FillCursor): string {
  return Buffer.from(`${c.ts}:${c.seq}`).toString('base64url');
}

export function decodeCursor(text: string): FillCursor | null {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(text)) return null;
  const m = /^(\d{1,16}):(\d{1,16})$/.exec(Buffer.from(text, 'base64url').toString('latin1'));
  if (m === null) return null;
  const ts = Number(m[1]);
  const seq = Number(m[2]);
  return Number.isSafeInteger(ts) && Number.isSafeInteger(seq) ? { ts, seq } : null;
}

/** Parses the query string of GET /v1/fills; throws FillsQueryError. */
export function parseFillsQuery(params: URLSearchParams, o: FillsQueryOptions): FillsQuery {
  for (const key of params.keys()) {
    if (!KNOWN.has(key)) throw new FillsQueryError('UNKNOWN_FIELD', `unknown query parameter "${key.slice(0, 64)}" (known: ${[...KNOWN].join(', ')})`, key.slice(0, 64));
  }
  const time = (key: 'from' | 'to'): number | undefined => {
    const v = once(params, key);
    if (v === undefined) return undefined;
    const t = parseTime(v);
    if (!Number.isSafeInteger(t) || t < 0) throw new FillsQueryError('INVALID_FIELD', `${key}: expected an ISO 8601 time or epoch milliseconds`, key);
    return t;
  };
  const from = time('from');
  const to = time('to');
  if (from !== undefined && to !== undefined && to < from) throw new FillsQueryError('INVALID_FIELD', 'to is before from', 'to');
  const limitText = once(params, 'limit');
  let limit = Math.min(DEFAULT_LIMIT, o.pageSizeMax);
  if (limitText !== undefined) {
    limit = /^\d{1,9}$/.test(limitText) ? Number(limitText) : Number.NaN;
    if (!(limit >= 1 && limit <= o.pageSizeMax)) throw new FillsQueryError('INVALID_FIELD', `limit: expected a whole number from 1 to ${o.pageSizeMax}`, 'limit');
  }
  const cursorText = once(params, 'cursor');
  let after: FillCursor | null = null;
  if (cursorText !== undefined) {
    after = decodeCursor(cursorText);
    if (after === null) throw new FillsQueryError('INVALID_FIELD', 'cursor: not a cursor this API gave (use nextCursor as it came)', 'cursor');
  }
  const filter: FillFilter = {
    ...(names(params, 'strategy') === undefined ? {} : { strategies: names(params, 'strategy') }),
    ...(names(params, 'symbol') === undefined ? {} : { symbols: names(params, 'symbol') }),
    ...(names(params, 'venue') === undefined ? {} : { venues: names(params, 'venue') }),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
  };
  return { filter, after, limit };
}

function errorReply(code: ErrorCode, message: string, field?: string): Reply {
  const error: Record<string, unknown> = { code, message, retryable: ERROR_CATALOGUE[code].kind === 'retryable' };
  if (field !== undefined) error.field = field;
  return { status: ERROR_CATALOGUE[code].http, body: { error } };
}

/**
 * The whole GET /v1/fills: the request's query parameters in, the status and JSON body out (400 for a bad query,
 * 503 HISTORY_UNAVAILABLE when the store cannot be read or there is none). Never throws.
 */
export async function fillsQuery(store: HistoryStore | undefined, params: URLSearchParams, o: FillsQueryOptions): Promise<Reply> {
  let q: FillsQuery;
  try {
    q = parseFillsQuery(params, o);
  } catch (err) {
    if (err instanceof FillsQueryError) return errorReply(err.code, err.message, err.field);
    return errorReply('BAD_REQUEST', 'the query string cannot be read');
  }
  if (store === undefined) return errorReply('HISTORY_UNAVAILABLE', 'there is no history store (the journal is off)');
  try {
    const rows = await store.fills(q.filter, q.after, q.limit + 1);
    const more = rows.length > q.limit;
    const page = more ? rows.slice(0, q.limit) : rows;
    const last = page[page.length - 1];
    return { status: 200, body: { fills: page.map(fillJson), nextCursor: more && last !== undefined ? encodeCursor({ ts: last.ts, seq: last.seq }) : null } };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    return errorReply('HISTORY_UNAVAILABLE', `the history store (${store.kind}) cannot be read${typeof code === 'string' ? `: ${code}` : ''}`);
  }
}
