/** One-line descriptions of journal records, for `switchyard journal inspect`. */
import { NO_VENUE } from '../core/order-store.js';
import { REC_NAMES, decodeNames, type NameTable } from './name-table.js';
import { REC_EVENT, REC_ORDER, REC_UPDATE, decodeOrderRecord, decodeUpdateRecord } from './order-records.js';

const decoder = new TextDecoder();

/**
 * A one-line description of a record, for `switchyard journal inspect`: strategy, symbol and venues by name from
 * `names` (the table the record indexes into), by index (#n) without one.
 */
export function describeRecord(type: number, payload: Uint8Array, names: NameTable | null = null): string {
  if (type === REC_ORDER) {
    const f = decodeOrderRecord(payload, 0, payload.length);
    const named = names === null ? {} : {
      strategyName: names.strategies[f.strategy] ?? `#${f.strategy}`,
      symbolName: names.symbols[f.symbol]?.name ?? `#${f.symbol}`,
      ...(f.pinned !== NO_VENUE ? { pinnedName: names.venues[f.pinned] ?? `#${f.pinned}` } : {}),
    };
    return `ORDER ${JSON.stringify({ ...f, ...named })}`;
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
