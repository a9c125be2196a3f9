/**
 * `switchyard export fills --from T --to T [--format csv|json] [-c FILE] [--strategy S] [--symbol X] [--venue V]`:
 * the fills in [from, to) from the configured history store (`daemon.history` of FILE, default
 * config/paper.yaml), read directly — no daemon needed —, written to stdout ordered by (time, seq).
 *
 *   csv    a header line (the FILL_COLUMNS of history-record.ts), then one line per fill (RFC 4180 quoting)
 *   json   one JSON array of the fills as GET /v1/fills shows them
 *
 * T: ISO 8601 (a date alone is midnight UTC) or epoch milliseconds. Exit codes: 0 written; 2 bad arguments (or a
 * configuration that does not load); 1 the store could not be read (nothing more is written; what was written
 * stays on stdout, so check the code).
 */
import { resolve } from 'node:path';
import { formatConfigErrors, loadConfigFile, type Env } from '../config/index.js';
import { parseTime } from './fills-query.js';
import { FILL_COLUMNS, fillCsvLine, fillJson } from './history-record.js';
import type { FillCursor, FillFilter, HistoryStore } from './history-store.js';
import { historyStoreFromConfig } from './store-from-config.js';

export const EXPORT_USAGE = `  switchyard export fills --from T --to T [--format csv|json] [-c FILE] [--strategy S] [--symbol X] [--venue V]
                                    the fills in [from, to) from the history store of FILE (default
                                    config/paper.yaml), to stdout (T: ISO 8601 or epoch ms; csv with a header)`;

/** Where the export writes (process.stdout / stderr in the CLI; tests collect). */
export interface ExportIo {
  /** Returns false when the consumer is behind (then `drained` is awaited before writing more). */
  write(text: string): boolean;
  drained?(): Promise<void>;
  error(line: string): void;
  readonly env?: Env;
  /** Relative paths in the configuration are resolved against this (default the process's cwd). */
  readonly cwd?: string;
  /** Tests: a store instead of the configured one. */
  readonly store?: HistoryStore;
}

/** Fills read from the store per page. */
const PAGE = 5000;

export async function runExportCli(argv: readonly string[], io: ExportIo): Promise<number> {
  const bad = (message: string): number => {
    io.error(`switchyard export: ${message}`);
    io.error(`usage:\n${EXPORT_USAGE}`);
    return 2;
  };
  const [what, ...rest] = argv;
  if (what !== 'fills') return bad(what === undefined ? 'what to export? (fills)' : `cannot export "${what}" (fills)`);
  let file = 'config/paper.yaml';
  let format = 'csv';
  let from: number | undefined;
  let to: number | undefined;
  const lists: Record<'strategies' | 'symbols' | 'venues', string[]> = { strategies: [], symbols: [], venues: [] };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const value = rest[i + 1];
    const takes = ['-c', '--config', '--from', '--to', '--format', '--strategy', '--symbol', '--venue'];
    if (!takes.includes(a)) return bad(`unexpected argument "${a}"`);
    if (value === undefined) return bad(`${a} needs a value`);
    i++;
    switch (a) {
      case '-c': case '--config': file = value; break;
      case '--format':
        if (value !== 'csv' && value !== 'json') return bad(`--format must be csv or json, not "${value}"`);
        format = value;
        break;
      case '--from': case '--to': {
        const t = parseTime(value);
        if (!Number.isSafeInteger(t) || t < 0) return bad(`${a} "${value}": expected an ISO 8601 time or epoch milliseconds`);
        if (a === '--from') from = t;
        else to = t;
        break;
      }
      case '--strategy': lists.strategies.push(...value.split(',')); break;
      case '--symbol': lists.symbols.push(...value.split(',')); break;
      default: lists.venues.push(...value.split(','));
    }
  }
  if (from === undefined || to === undefined) return bad('--from and --to are required');
  if (to < from) return bad('--to is before --from');
  let store = io.store;
  if (store === undefined) {
    const loaded = loadConfigFile(file, io.env ?? process.env);
    if (!loaded.ok) {
      io.error(formatConfigErrors(loaded.errors));
      return 2;
    }
    store = historyStoreFromConfig(loaded.config.daemon.history, resolve(io.cwd ?? process.cwd()));
  }
  const filter: FillFilter = {
    from, to,
    ...(lists.strategies.length > 0 ? { strategies: lists.strategies } : {}),
    ...(lists.symbols.length > 0 ? { symbols: lists.symbols } : {}),
    ...(lists.venues.length > 0 ? { venues: lists.venues } : {}),
  };
  const put = async (text: string): Promise<void> => {
    if (!io.write(text)) await io.drained?.();
  };
  try {
    await store.open(true);
    if (format === 'csv') await put(FILL_COLUMNS.join(',') + '\n');
    else await put('[');
    let after: FillCursor | null = null;
    let first = true;
    for (;;) {
      const page = await store.fills(filter, after, PAGE);
      let text = '';
      for (const f of page) {
        if (format === 'csv') text += fillCsvLine(f) + '\n';
        else {
          text += (first ? '\n' : ',\n') + JSON.stringify(fillJson(f));
          first = false;
        }
      }
      if (text !== '') await put(text);
      if (page.length < PAGE) break;
      const last = page[page.length - 1]!;
      after = { ts: last.ts, seq: last.seq };
    }
    if (format === 'json') await put(first ? ']\n' : '\n]\n');
    return 0;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    io.error(`switchyard export: the history store (${store.kind} ${store.where}) could not be read: ${e.code ?? e.name}: ${e.message}`);
    return 1;
  } finally {
    await store.close().catch(() => undefined);
  }
}
