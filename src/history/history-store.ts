/**
 * A history store: where fills and final order states go to stay (PostgreSQL, or append-only local files), and the
 * watermark that says how far into the journal it is complete.
 *
 * The watermark W is kept in the store itself, written with the rows in one step (one transaction; one append and
 * one fdatasync): every history row of a journal record with seq <= W is stored. The writer (history-writer.ts)
 * restarts from W + 1 after a failure or a restart, re-reading the journal; rows carry their journal seq as their key,
 * so writing one twice stores it once.
 */
import type { FillRow, HistoryRow } from './history-record.js';
import type { HistoryLine } from './history-lines.js';

/** Which fills a query wants: any of the listed values per field (none listed: any), ts in [from, to). */
export interface FillFilter {
  readonly strategies?: readonly string[];
  readonly symbols?: readonly string[];
  readonly venues?: readonly string[];
  /** Epoch ms, inclusive. */
  readonly from?: number;
  /** Epoch ms, exclusive. */
  readonly to?: number;
}

/** A position in the fills ordered by (ts, seq): the last fill of the previous page. */
export interface FillCursor {
  readonly ts: number;
  readonly seq: number;
}

export interface HistoryStore {
  /** 'file' or 'postgres'. */
  readonly kind: string;
  /** Where it is, for logs and health (never a credential). */
  readonly where: string;
  /**
   * Connect and create what is missing (tables, directory; a torn last line cut); throws when the store is not
   * reachable. `readOnly` (the export CLI, which may run while the daemon writes): connect only, change nothing.
   */
  open(readOnly?: boolean): Promise<void>;
  /** The watermark (0 for a new store). */
  watermark(): Promise<number>;
  /**
   * Stores `rows` (any already there are left as they are) and raises the watermark to `watermark`, as one step.
   * Rows are in seq order and all <= watermark.
   */
  write(rows: readonly HistoryRow[], watermark: number): Promise<void>;
  /**
   * A store that keeps rows as JSON lines (the file store) takes them as the history writer makes them, each written as
   * its line when it is made (history-lines.ts): as write(), rows given as their lines. Absent: rows go to write().
   */
  writeLines?(lines: readonly HistoryLine[], watermark: number): Promise<void>;
  /** At most `limit` fills matching `filter` after `after`, ordered by (ts, seq). */
  fills(filter: FillFilter, after: FillCursor | null, limit: number): Promise<FillRow[]>;
  close(): Promise<void>;
}

/** Whether a fill matches a filter (the file store's scan; the PostgreSQL store says it in SQL). */
export function fillMatches(f: FillRow, filter: FillFilter, after: FillCursor | null): boolean {
  if (filter.from !== undefined && f.ts < filter.from) return false;
  if (filter.to !== undefined && f.ts >= filter.to) return false;
  if (after !== null && (f.ts < after.ts || (f.ts === after.ts && f.seq <= after.seq))) return false;
  if (filter.strategies !== undefined && filter.strategies.length > 0 && !filter.strategies.includes(f.strategy)) return false;
  if (filter.symbols !== undefined && filter.symbols.length > 0 && !filter.symbols.includes(f.symbol)) return false;
  if (filter.venues !== undefined && filter.venues.length > 0 && !filter.venues.includes(f.venue)) return false;
  return true;
}

/** (ts, seq) order. */
export function compareFills(a: FillRow, b: FillRow): number {
  return a.ts - b.ts || a.seq - b.seq;
}
