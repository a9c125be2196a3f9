/**
 * One-line descriptions of journal records, for `switchyard journal inspect`: records keep strategies, instruments
 * and venues as indexes and prices and quantities as tick and lot counts; these lines say them by name and as exact
 * decimals, from the NAMES table the records index into (names-record.ts: it carries each instrument's tick and lot
 * size), and the codes (side, type, time in force, priority, route, algo, update kind) by name.
 */
import { ALGO_NONE, NO_VENUE } from '../core/order-store.js';
import { Increment, mulDecimal, decimalTextFromNumber } from '../model/decimal.js';
import { ORDER_TYPES, PRIORITIES, ROUTES, SIDES, TIME_IN_FORCES } from '../model/order.js';
import { SNAPSHOT_RECORD_TYPE } from './format.js';
import { REC_NAMES, decodeNames, type NameTable } from './names-record.js';
import { REC_EVENT, REC_ORDER, REC_UPDATE, decodeOrderRecord, decodeUpdateRecord } from './order-records.js';

const decoder = new TextDecoder();
/** Algo names by code (ALGO_NONE 0, ALGO_TWAP 1, ALGO_ICEBERG 2; order-store.ts). */
const ALGO_NAMES: readonly string[] = ['none', 'twap', 'iceberg'];

/** Record type names by code (order-records.ts, names-record.ts; 0 is the snapshot, format.ts). */
export const RECORD_TYPE_NAMES: Readonly<Record<number, string>> = {
  [SNAPSHOT_RECORD_TYPE]: 'SNAPSHOT', [REC_ORDER]: 'ORDER', [REC_UPDATE]: 'UPDATE', [REC_EVENT]: 'EVENT', [REC_NAMES]: 'NAMES',
};

/** "ORDER" for a known record type, else the number as text. */
export function recordTypeName(type: number): string {
  return RECORD_TYPE_NAMES[type] ?? String(type);
}

/** How many orders' instruments a describer remembers for their UPDATE records (oldest forgotten first). */
export const DESCRIBER_MAX_ORDERS = 1 << 20;

/** An instrument's grid, for the decimals of its tick and lot counts. */
interface Grid {
  readonly symbol: string;
  readonly tick: Increment;
  readonly lot: Increment;
}

function gridsOf(names: NameTable): (Grid | undefined)[] {
  return names.symbols.map((s) => {
    try {
      return { symbol: s.name, tick: new Increment(s.tick), lot: new Increment(s.lot) };
    } catch {
      return undefined; // a size this version cannot read: counts only
    }
  });
}

/** Exact decimal of `count` steps; a half step (an arrival mid) too. undefined when it is not a finite number. */
function stepsText(step: Increment, count: number): string | undefined {
  if (count < 0) {
    const t = stepsText(step, -count);
    return t === undefined ? undefined : `-${t}`;
  }
  if (Number.isSafeInteger(count)) return step.toText(count);
  const n = decimalTextFromNumber(count);
  return n === undefined ? undefined : mulDecimal(step.text, n);
}

function isoTime(ms: number): string | undefined {
  return ms > 0 && Number.isFinite(ms) && ms < 8.64e15 ? new Date(ms).toISOString() : undefined;
}

/** Decimal price and quantity fields for tick and lot counts, when the instrument is known. */
function decimals(grid: Grid | undefined, priceTicks: number, qtyLots: number): { price?: string; qty?: string } {
  if (grid === undefined) return {};
  const price = priceTicks !== 0 ? stepsText(grid.tick, priceTicks) : undefined;
  const qty = stepsText(grid.lot, qtyLots);
  return { ...(price !== undefined ? { price } : {}), ...(qty !== undefined ? { qty } : {}) };
}

/**
 * A one-line description of a record. With `names` (the table the record indexes into) an ORDER reads
 * `ORDER <id> <strategy> <symbol> <side> <type> <qty> @ <price> <tif> {fields}` and its fields carry the names
 * (strategy, symbol, pinned venue; strategyName and symbolName too) and the decimals (price, qty, stopPrice,
 * arrivalMidPrice) besides the stored counts (priceTicks, qtyLots, ...); without one, indexes read `#n` and
 * counts stay counts. Codes are names always: side, type, tif, priority, routeName, algoName (algo not none).
 * An UPDATE reads `UPDATE order <id> <KIND> {update}`, with venue names and, when `symbolOf` knows the order's
 * instrument, its decimal price and quantity.
 */
export function describeRecord(
  type: number,
  payload: Uint8Array,
  names: NameTable | null = null,
  symbolOf: (orderId: number) => number | undefined = () => undefined,
  grids: readonly (Grid | undefined)[] = names === null ? [] : gridsOf(names),
): string {
  if (type === REC_ORDER) {
    const f = decodeOrderRecord(payload, 0, payload.length);
    const strategy = names?.strategies[f.strategy] ?? `#${f.strategy}`;
    const symbol = names?.symbols[f.symbol]?.name ?? `#${f.symbol}`;
    const grid = grids[f.symbol];
    const side = SIDES[f.side] ?? `#${f.side}`;
    const orderType = ORDER_TYPES[f.type] ?? `#${f.type}`;
    const tif = TIME_IN_FORCES[f.tif] ?? `#${f.tif}`;
    const { price, qty } = decimals(grid, f.priceTicks, f.qtyLots);
    const stopPrice = grid !== undefined && f.stopTicks !== 0 ? stepsText(grid.tick, f.stopTicks) : undefined;
    const arrivalMidPrice = grid !== undefined && f.arrivalMid !== 0 ? stepsText(grid.tick, f.arrivalMid) : undefined;
    const fields = {
      ...f,
      strategy,
      symbol,
      side,
      type: orderType,
      tif,
      priority: PRIORITIES[f.priority] ?? `#${f.priority}`,
      pinned: f.pinned === NO_VENUE ? 'none' : (names?.venues[f.pinned] ?? `#${f.pinned}`),
      ...(isoTime(f.createdAt) !== undefined ? { time: isoTime(f.createdAt) } : {}),
      ...(price !== undefined ? { price } : {}),
      ...(qty !== undefined ? { qty } : {}),
      ...(stopPrice !== undefined ? { stopPrice } : {}),
      ...(arrivalMidPrice !== undefined ? { arrivalMidPrice } : {}),
      routeName: ROUTES[f.route] ?? `#${f.route}`,
      ...(f.algo !== ALGO_NONE ? { algoName: ALGO_NAMES[f.algo] ?? `#${f.algo}` } : {}),
      ...(names === null ? {} : {
        strategyName: strategy,
        symbolName: symbol,
        ...(f.pinned !== NO_VENUE ? { pinnedName: names.venues[f.pinned] ?? `#${f.pinned}` } : {}),
      }),
    };
    const amount = qty ?? `${f.qtyLots} lots`;
    const at = orderType === 'MARKET' ? '' : ` @ ${price ?? `${f.priceTicks} ticks`}`;
    return `ORDER ${f.id} ${strategy} ${symbol} ${side} ${orderType} ${amount}${at} ${tif} ${JSON.stringify(fields)}`;
  }
  if (type === REC_UPDATE) {
    const u = decodeUpdateRecord(payload, 0, payload.length, names?.venues ?? []);
    const symbolIndex = symbolOf(u.orderId);
    const grid = symbolIndex === undefined ? undefined : grids[symbolIndex];
    const time = isoTime(u.ts);
    let update: Record<string, unknown> = { ...u.update };
    if (u.update.kind === 'FILL') {
      const fill = u.update.fill;
      update = { ...update, fill: { ...fill, ...decimals(grid, fill.priceTicks, fill.qtyLots), ...(isoTime(fill.venueTs) !== undefined ? { venueTime: isoTime(fill.venueTs) } : {}) } };
    } else if (u.update.kind === 'AMEND_REQUEST' || u.update.kind === 'AMENDED') {
      update = { ...update, ...decimals(grid, u.update.priceTicks, u.update.qtyLots) };
    }
    if (grid !== undefined) update = { ...update, symbol: grid.symbol };
    if (time !== undefined) update = { ...update, time };
    return `UPDATE order ${u.orderId} ${u.update.kind} ${JSON.stringify(update)}`;
  }
  if (type === REC_EVENT) return `EVENT ${decoder.decode(payload)}`;
  if (type === REC_NAMES) return `NAMES ${decoder.decode(payload)}`;
  return `type ${type}, ${payload.length} bytes`;
}

/** describeRecord over a run of records, with `learn` to take in records without describing them. */
export interface RecordDescriber {
  (type: number, payload: Uint8Array): string;
  /** Take in a record's table or order without a line (records before `--from`; type 0 = a snapshot's table). */
  learn(type: number, payload: Uint8Array): void;
  /** Orders whose instrument was forgotten to keep within DESCRIBER_MAX_ORDERS (their updates show counts only). */
  readonly forgotten: number;
}

/**
 * describeRecord over a run of records: keeps the last NAMES table seen (or a snapshot's) for the records after
 * it, and each ORDER's instrument (at most `maxOrders`, oldest forgotten first) for the decimals of its UPDATEs.
 */
export function recordDescriber(maxOrders = DESCRIBER_MAX_ORDERS): RecordDescriber {
  let names: NameTable | null = null;
  let grids: (Grid | undefined)[] = [];
  const symbols = new Map<number, number>();
  let forgotten = 0;
  const symbolOf = (id: number) => symbols.get(id);
  const learn = (type: number, payload: Uint8Array): void => {
    try {
      if (type === REC_NAMES) names = decodeNames(payload);
      else if (type === SNAPSHOT_RECORD_TYPE) {
        const t = (JSON.parse(decoder.decode(payload)) as { names?: unknown }).names;
        if (t !== undefined) names = decodeNames(new TextEncoder().encode(JSON.stringify(t)));
      } else if (type === REC_ORDER) {
        const f = decodeOrderRecord(payload, 0, payload.length);
        if (symbols.size >= maxOrders && !symbols.has(f.id)) {
          symbols.delete(symbols.keys().next().value!);
          forgotten++;
        }
        symbols.set(f.id, f.symbol);
        return;
      } else return;
      grids = names === null ? [] : gridsOf(names);
    } catch {
      if (type === REC_NAMES || type === SNAPSHOT_RECORD_TYPE) {
        names = null; // not a table this version reads: indexes from here on
        grids = [];
      }
    }
  };
  const describe = ((type: number, payload: Uint8Array): string => {
    learn(type, payload);
    return describeRecord(type, payload, names, symbolOf, grids);
  }) as RecordDescriber;
  describe.learn = learn;
  Object.defineProperty(describe, 'forgotten', { get: () => forgotten });
  return describe;
}
