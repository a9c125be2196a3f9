/** One-line descriptions of journal records, for `switchyard journal inspect`. */
import { ALGO_NONE, NO_VENUE } from '../core/order-store.js';
import { ROUTES } from '../model/order.js';
import { REC_NAMES, decodeNames, type NameTable } from './name-table.js';
import { REC_EVENT, REC_ORDER, REC_UPDATE, decodeOrderRecord, decodeUpdateRecord } from './order-records.js';

const decoder = new TextDecoder();
/** Algo names by code (ALGO_NONE 0, ALGO_TWAP 1, ALGO_ICEBERG 2; order-store.ts). */
const ALGO_NAMES: readonly string[] = ['none', 'twap', 'iceberg'];

/**
 * A one-line description of a record, for `switchyard journal inspect`: strategy, symbol and venues by name from
 * `names` (the table the record indexes into), by index (#n) without one. An ORDER shows its route by code and
 * name (routeName), its parent order id (0: none), its algo by code and name (algoName, with algo not ALGO_NONE),
 * paramA, paramB and arrival mid (0: none / unknown).
 */
export function describeRecord(type: number, payload: Uint8Array, names: NameTable | null = null): string {
  if (type === REC_ORDER) {
    const f = decodeOrderRecord(payload, 0, payload.length);
    const named = names === null ? {} : {
      strategyName: names.strategies[f.strategy] ?? `#${f.strategy}`,
      symbolName: names.symbols[f.symbol]?.name ?? `#${f.symbol}`,
      ...(f.pinned !== NO_VENUE ? { pinnedName: names.venues[f.pinned] ?? `#${f.pinned}` } : {}),
    };
    const routeName = ROUTES[f.route] ?? `#${f.route}`;
    const algo = f.algo !== ALGO_NONE ? { algoName: ALGO_NAMES[f.algo] ?? `#${f.algo}` } : {};
    return `ORDER ${JSON.stringify({ ...f, routeName, ...algo, ...named })}`;
  }
  if (type === REC_UPDATE) {
    const u = decodeUpdateRecord(payload, 0, payload.length, names?.venues ?? []);
    return `UPDATE order ${u.orderId} ${JSON.stringify(u.update)}`;
  }
  if (type === REC_EVENT) return `EVENT ${decoder.decode(payload)}`;
  if (type === REC_NAMES) return `NAMES ${decoder.decode(payload)}`;
  return `type ${type}, ${payload.length} bytes`;
}

/** describeRecord over a run of records: keeps the last NAMES table seen for the records after it. */
export function recordDescriber(): (type: number, payload: Uint8Array) => string {
  let names: NameTable | null = null;
  return (type, payload) => {
    if (type === REC_NAMES) {
      try {
        names = decodeNames(payload);
      } catch {
        names = null;
      }
    }
    return describeRecord(type, payload, names);
  };
}
