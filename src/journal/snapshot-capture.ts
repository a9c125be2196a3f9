/**
 * A journal snapshot taken in small steps while orders flow: the state as of one journal seq S, consistent, with no
 * long turn on the dispatch thread however many orders are held.
 *
 * begin(), at S (between two records: the caller runs it on a turn of its own), takes the small parts at once — the
 * name table, the id counter, risk positions, marks and fee remainders, the fee sums — and becomes the order store's
 * write hook. Then each step() works for a bounded time (CaptureOptions.stepMs):
 *  1. copy: the order store's slots, a few thousand per step, into an OrderImage. Copy-on-write keeps the copy at S:
 *     the store and the tracker call beforeWrite(slot) before they write a slot (a new order taking it, an update
 *     applied, the slot released for reuse); the first such write of a slot not copied yet copies it first, as it
 *     still is at S. Each slot is copied once (a bitmap), by the hook or by the scan, whichever comes first; slots
 *     beyond the store's capacity at S (it grew since) held nothing at S. The rows copied must be as many as the
 *     orders held at S (checked: a write path without the hook shows there first). A slot whose row the last capture
 *     left in the row cache (snapshot-row-cache.ts: its order not written since) is copied as those bytes, not field by field.
 *  2. sort: the rows by order id (ChunkedSort), the order takeSnapshot gives.
 *  3. encode: rows to JSON (a cached row's bytes copied as they are), into pieces of 128 KiB (reused buffers) handed to a PieceSink as they fill — the
 *     journal's SnapshotWriter, which writes them to the snapshot's temp file in the background; when more than a
 *     few pieces wait for the disk, steps wait too (they do nothing). The payload is never whole in memory.
 * The last step returns true: the payload is all in the sink (the caller commits it). abort() drops everything and
 * removes the hook.
 *
 * The rows this capture writes whose slots were not written since S are kept, as bytes, for the next capture (the row
 * cache): most of a snapshot is finished orders kept queryable, which seldom change, and copying a row's bytes costs
 * a small part of encoding it. So after its first capture the capture stays the store's write hook (removed by
 * abort()): between captures, a write of a slot costs one call that drops the slot's cached row, and allocates nothing.
 * The document is the one takeSnapshot + encodeSnapshot make at S, byte for byte (test/journal/snapshot-capture.test.ts).
 */
import type { OrderStore, SlotWriteHook } from '../core/order-store.js';
import { ChunkedSort } from './chunked-sort.js';
import { namesOf } from './name-table.js';
import type { FeeSnapshotSource } from './order-replay.js';
import { fragment, JsonBytes } from './json-bytes.js';
import { OrderImage } from './snapshot-image.js';
import { SnapshotRowCache } from './snapshot-row-cache.js';
import type { PieceSink } from './snapshot-writer.js';
import { exportParts, type JournalStatePart } from '../core/state-parts.js';

/** What a snapshot holds besides the orders. */
export interface SnapshotSources {
  readonly store: OrderStore;
  /** The id counter: its last id is the snapshot's lastOrderId. */
  readonly ids: { current(): number };
  readonly risk: { exportPositions(): { positions: number[]; marks: number[]; feeRemainders?: Record<string, string> } };
  readonly fees?: FeeSnapshotSource | undefined;
  /** The journal state parts (trading states, daily PnL marks...): the snapshot's `parts`. */
  readonly parts?: readonly JournalStatePart[] | undefined;
}

/**
 * How long one step works. A step does units of work until `stepMs` has passed (it looks at the time between
 * units), so a step stays short on any machine; the unit sizes below only set how often it looks.
 */
export interface CaptureOptions {
  /** About how long one step works, in ms. Default 0.25. 0: one unit per step. */
  readonly stepMs?: number;
  /** Store slots copied per unit. Default 64. */
  readonly copySlots?: number;
  /** Element moves of the sort per unit. Default 2048. */
  readonly sortMoves?: number;
  /** Rows turned into JSON per unit. Default 8. */
  readonly encodeRows?: number;
  /** Time source of the step budget (a monotonic ms clock; default performance.now). Results do not depend on it. */
  readonly now?: () => number;
}

const IDLE = 0;
const COPY = 1;
const SORT = 2;
const ENCODE = 3;

/** Bytes of one piece handed to the sink. */
const PIECE_BYTES = 128 * 1024;
/** Pieces handed over and not written yet, at most (2 MiB): past this, encoding waits for the disk. */
const MAX_PIECES_IN_FLIGHT = 16;
const COMMA = 0x2c;
const NO_PIECE: Uint8Array = new Uint8Array(0);

export class SnapshotCapture implements SlotWriteHook {
  private phase: number = IDLE;
  private readonly image = new OrderImage();
  /** The rows of the last capture, as bytes, for slots not written since (snapshot-row-cache.ts). */
  private readonly cache = new SnapshotRowCache();
  /** Per slot below `limit`: 1 once written since S (its row, encoded or reused, is not kept for the next capture). */
  private written = new Uint8Array(0);
  private readonly stepMs: number;
  private readonly now: () => number;
  private readonly copySlots: number;
  private readonly sortMoves: number;
  private readonly encodeRows: number;
  /** Per slot below `limit`: 1 once copied (or found free) for this capture (kept for the next capture). */
  private copied = new Uint8Array(0);
  /** The store's capacity at S. */
  private limit = 0;
  /** Orders held at S. */
  private held = 0;
  private cursor = 0;
  private sort: ChunkedSort | null = null;
  private order: Int32Array | null = null;
  private head = NO_PIECE;
  private tail = NO_PIECE;
  private venueJson: Uint8Array[] = [];
  private venueBound = 0;
  private prefix: { text: string; bytes: Uint8Array } = { text: '', bytes: NO_PIECE };
  private out: PieceSink | null = null;
  /** Writes into the piece being filled (w.buf, from w.pos on). */
  private readonly w = new JsonBytes();
  private filling = false;
  private readonly freePieces: Uint8Array[] = [];
  private piecesInFlight = 0;
  /** Payload bytes handed to the sink by this capture (the last one's, once finished). */
  length = 0;
  /** Rows copied by the write hook (the rest by the scan), for diagnostics. */
  copiedOnWrite = 0;
  /** Rows of this capture written from the last one's bytes (not encoded again), for diagnostics. */
  reusedRows = 0;

  constructor(
    private readonly sources: SnapshotSources,
    options: CaptureOptions = {},
  ) {
    this.stepMs = Math.max(0, options.stepMs ?? 0.25);
    this.copySlots = Math.max(1, options.copySlots ?? 64);
    this.sortMoves = Math.max(1, options.sortMoves ?? 2048);
    this.encodeRows = Math.max(1, options.encodeRows ?? 8);
    this.now = options.now ?? (() => performance.now());
  }

  /** True from begin() until the last step or abort(). */
  get active(): boolean {
    return this.phase !== IDLE;
  }

  /** Orders in the capture in progress or the last one (held at its start). */
  get orders(): number {
    return this.held;
  }

  /** True while the copy-on-write hook is on the store (the copy phase). */
  get copying(): boolean {
    return this.phase === COPY;
  }

  /** Starts a capture of the state now (call between two records); the payload goes to `out`. */
  begin(out: PieceSink): void {
    if (this.phase !== IDLE) throw new Error('snapshot capture: already capturing');
    const { store, ids, risk, fees, parts } = this.sources;
    const hook = store.writeHook;
    if (hook !== null && hook !== this) {
      // another capture of the same store, idle, that kept rows: it is no longer told of writes, so it forgets them
      if (!(hook instanceof SnapshotCapture) || hook.active) throw new Error('snapshot capture: the order store already has a write hook');
      hook.forget();
    }
    // The small parts, whole, at S (JSON.stringify of the same values takeSnapshot puts in its document).
    this.head = fragment(`{"v":2,"names":${JSON.stringify(namesOf(store))},"lastOrderId":${JSON.stringify(ids.current())},` +
      `"risk":${JSON.stringify(risk.exportPositions())},"orders":[`);
    this.tail = fragment(']' + (fees === undefined ? '' : `,"fees":${JSON.stringify(fees.export())}`)
      + (parts === undefined || parts.length === 0 ? '' : `,"parts":${JSON.stringify(exportParts(parts))}`) + '}');
    this.venueJson = store.venueNames.map((n) => fragment(JSON.stringify(n)));
    this.venueBound = this.venueJson.reduce((m, v) => Math.max(m, v.length), 4);
    if (this.prefix.text !== store.clientIdPrefix) this.prefix = { text: store.clientIdPrefix, bytes: fragment(store.clientIdPrefix) };
    this.limit = store.capacity;
    this.held = store.size;
    if (this.copied.length < this.limit) this.copied = new Uint8Array(this.limit);
    else this.copied.fill(0, 0, this.limit);
    if (this.written.length < this.limit) this.written = new Uint8Array(this.limit);
    else this.written.fill(0, 0, this.limit);
    this.cache.ensure(this.limit);
    this.reusedRows = 0;
    this.cursor = 0;
    this.copiedOnWrite = 0;
    this.image.reset(this.held);
    this.out = out;
    this.length = 0;
    this.phase = COPY;
    store.writeHook = this;
  }

  /**
   * The store is about to write `slot`: while copying, copy it first if this capture has not yet; and its row is no
   * longer the one the last capture wrote (the capture stays the store's write hook between captures for this).
   */
  beforeWrite(slot: number): void {
    if (slot < this.limit) {
      this.written[slot] = 1;
      if (this.phase === COPY && this.copied[slot] === 0) {
        this.copied[slot] = 1;
        if (this.sources.store.id[slot]! >= 0) {
          this.copySlot(slot);
          this.copiedOnWrite++;
        }
      }
    }
    this.cache.invalidate(slot);
  }

  /** The order in `slot` as the next row of the image: by its cached bytes when the last capture left them. */
  private copySlot(slot: number): void {
    const cache = this.cache;
    const n = cache.lengthAt(slot);
    if (n > 0) this.image.copyCached(this.sources.store, slot, cache.chunkAt(slot), cache.offsetAt(slot), n);
    else this.image.copy(this.sources.store, slot);
  }

  /**
   * One bounded piece of the work (about stepMs); true after the last one (the whole payload is in the sink, the
   * capture is over). Throws if the copy does not add up (the capture is dropped).
   */
  step(): boolean {
    const phase = this.phase;
    const deadline = this.now() + this.stepMs;
    if (phase === COPY) {
      do this.copyUnit();
      while (this.phase === COPY && this.now() < deadline);
    } else if (phase === SORT) {
      do this.sortUnit();
      while (this.phase === SORT && this.now() < deadline);
    } else if (phase === ENCODE) {
      this.encodeStep(deadline);
    } else {
      throw new Error('snapshot capture: not capturing');
    }
    return this.phase === IDLE;
  }

  private copyUnit(): void {
    const s = this.sources.store;
    const end = Math.min(this.limit, this.cursor + this.copySlots);
    const copied = this.copied;
    for (let slot = this.cursor; slot < end; slot++) {
      if (copied[slot] !== 0) continue;
      copied[slot] = 1;
      if (s.id[slot]! >= 0) this.copySlot(slot);
    }
    this.cursor = end;
    if (end < this.limit) return;
    if (this.image.rows !== this.held) {
      const rows = this.image.rows;
      this.abort();
      throw new Error(`snapshot capture: copied ${rows} orders, ${this.held} were held (an order write without the store's write hook)`);
    }
    this.sort = new ChunkedSort(this.image.ids, this.held);
    this.phase = SORT;
  }

  private sortUnit(): void {
    if (!this.sort!.step(this.sortMoves)) return;
    this.order = this.sort!.result();
    this.sort = null;
    this.cursor = 0;
    this.cache.beginGeneration();
    this.phase = ENCODE;
  }

  /** Rows to JSON until the deadline, into pieces for the sink; nothing while too many pieces wait for the disk. */
  private encodeStep(deadline: number): void {
    if (this.piecesInFlight >= MAX_PIECES_IN_FLIGHT) return;
    const order = this.order!;
    const image = this.image;
    const w = this.w;
    const prefix = this.prefix;
    const cache = this.cache;
    const written = this.written;
    let r = this.cursor;
    if (r === 0) this.putBytes(this.head);
    do {
      const end = Math.min(this.held, r + this.encodeRows);
      for (; r < end; r++) {
        const row = order[r]!;
        const cached = image.cachedLength(row);
        this.room(1 + (cached > 0 ? cached : image.rowBound(row, prefix.bytes.length, this.venueBound)));
        if (r > 0) w.byte(COMMA);
        const start = w.pos;
        if (cached > 0) {
          const offset = image.cachedOffset(row);
          w.buf.set(cache.readChunk(image.cachedChunk(row)).subarray(offset, offset + cached), start);
          w.pos = start + cached;
          this.reusedRows++;
        } else {
          image.writeRow(row, w, this.venueJson, prefix);
          if (w.pos > w.buf.length) throw new Error(`snapshot capture: order ${image.ids[row]} took more than its bound`);
        }
        // kept for the next capture while the order is as it was at S (a write since dropped it from the cache)
        const slot = image.slot(row);
        if (written[slot] === 0) cache.keep(slot, w.buf, start, w.pos);
      }
    } while (r < this.held && this.piecesInFlight < MAX_PIECES_IN_FLIGHT && this.now() < deadline);
    this.cursor = r;
    if (r < this.held) return;
    this.putBytes(this.tail);
    this.handOver();
    cache.endGeneration();
    this.order = null;
    this.out = null;
    this.image.release();
    this.phase = IDLE;
  }

  /** Room for `n` more bytes in the piece being filled: hands a full one over first (a larger piece for a huge row). */
  private room(n: number): void {
    const w = this.w;
    if (this.filling && w.buf.length - w.pos >= n) return;
    this.handOver();
    w.buf = n > PIECE_BYTES ? new Uint8Array(n) : (this.freePieces.pop() ?? new Uint8Array(PIECE_BYTES));
    w.pos = 0;
    this.filling = true;
  }

  private putBytes(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.w.raw(bytes);
  }

  /** Hands the piece being filled to the sink; its buffer comes back for reuse once written. */
  private handOver(): void {
    if (!this.filling) return;
    const w = this.w;
    const piece = w.buf;
    const length = w.pos;
    this.filling = false;
    w.buf = NO_PIECE;
    w.pos = 0;
    if (length === 0) {
      this.recycle(piece);
      return;
    }
    this.length += length;
    this.piecesInFlight++;
    this.out!.write(piece, length, () => {
      this.piecesInFlight--;
      this.recycle(piece);
    });
  }

  private recycle(piece: Uint8Array): void {
    if (piece.length === PIECE_BYTES && this.freePieces.length < MAX_PIECES_IN_FLIGHT) this.freePieces.push(piece);
  }

  /** Drops the capture (journal closed or failed, daemon stopping): the hook goes, nothing is kept (no cached row either). */
  abort(): void {
    this.detach();
    this.cache.clear();
    this.image.release();
    this.sort = null;
    this.order = null;
    this.out = null;
    if (this.filling) this.recycle(this.w.buf);
    this.filling = false;
    this.w.buf = NO_PIECE;
    this.w.pos = 0;
    this.phase = IDLE;
  }

  /** Runs a whole capture at once into `out` (tests, tools; the daemon steps it across turns). */
  captureNow(out: PieceSink): void {
    this.begin(out);
    while (!this.step());
  }

  private detach(): void {
    const store = this.sources.store;
    if (store.writeHook === this) store.writeHook = null;
  }

  /** No longer the store's write hook (another capture took it): the cached rows cannot be trusted any more. */
  private forget(): void {
    this.cache.clear();
  }
}
