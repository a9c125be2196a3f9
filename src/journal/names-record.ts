/**
 * The NAMES record and the snapshot's `names`: the strategy, instrument and venue lists a journal's indexes refer to
 * (format only, no dependencies: the journal tools read it; matching to a configuration is name-table.ts).
 */
/** Record type of a name table. */
export const REC_NAMES = 4;
/** EVENT written when `--accept-removed` dropped the positions of removed entries (replay drops them again). */
export const POSITIONS_DROPPED_EVENT = 'removed-positions-dropped';

export interface NameTable {
  readonly v: 1;
  readonly strategies: readonly string[];
  /** Instruments, with the tick and lot size their stored ticks and lots are counted in. */
  readonly symbols: readonly { readonly name: string; readonly tick: string; readonly lot: string }[];
  readonly venues: readonly string[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeNames(table: NameTable): Uint8Array {
  return encoder.encode(JSON.stringify(table));
}

export function decodeNames(bytes: Uint8Array): NameTable {
  const t = JSON.parse(decoder.decode(bytes)) as NameTable;
  if (t.v !== 1 || !Array.isArray(t.strategies) || !Array.isArray(t.symbols) || !Array.isArray(t.venues)) {
    throw new RangeError('not a journal name table (version 1)');
  }
  return t;
}

