/**
 * The rows of the last snapshot, as the bytes it wrote them with, by store slot: the next capture copies a row's
 * bytes instead of encoding it again when its order has not been written since. Most of a snapshot is finished
 * orders kept queryable (up to retainFinished of them), and most of those do not change from one snapshot to the next.
 *
 * A cached row holds only while its slot is not written: the capture is the store's write hook for as long as it
 * keeps rows (SlotWriteHook), and every write of a slot drops the slot's row (invalidate) — an update, a late report
 * on a finished order, the slot released or taken by a new order. Each capture builds a new generation of rows (the
 * ones it wrote whose slots were not written since its seq, reused or just encoded), in id order, in chunks of 1 MiB;
 * the old generation's chunks are let go as the capture passes them (rows are read in id order too), so about one
 * generation is held: the bytes of the orders held (~450 bytes an order).
 */

/** Bytes of one chunk; a row larger than this is not kept. */
const CHUNK_BYTES = 1024 * 1024;
/** Free chunks kept for reuse at most. */
const POOL = 4;

export class SnapshotRowCache {
  /** Per slot: the chunk (serial) of its row, where in it, and its length (0: no row). */
  private chunkOf: Int32Array = new Int32Array(0);
  private offsetOf: Int32Array = new Int32Array(0);
  private lengthOf: Int32Array = new Int32Array(0);
  /** Chunks by serial: the old generation's (being read) and the new one's (being written). */
  private readonly chunks = new Map<number, Uint8Array>();
  private nextSerial = 0;
  /** The old generation's chunks are serials [oldFirst, newFirst); the new one's from newFirst. */
  private oldFirst = 0;
  private newFirst = 0;
  /** The chunk being written, and where. */
  private current: Uint8Array | null = null;
  private currentSerial = -1;
  private pos = 0;
  private readonly pool: Uint8Array[] = [];

  /** Covers slots below `capacity` (more slots: rows are kept for them from the next generation on). */
  ensure(capacity: number): void {
    if (this.lengthOf.length >= capacity) return;
    const n = Math.max(capacity, this.lengthOf.length * 2);
    const grow = (a: Int32Array): Int32Array => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.chunkOf = grow(this.chunkOf);
    this.offsetOf = grow(this.offsetOf);
    this.lengthOf = grow(this.lengthOf);
  }

  /** The slot is written: its row no longer holds. */
  invalidate(slot: number): void {
    if (slot < this.lengthOf.length) this.lengthOf[slot] = 0;
  }

  /** Bytes of the slot's row (0: none). */
  lengthAt(slot: number): number {
    return slot < this.lengthOf.length ? this.lengthOf[slot]! : 0;
  }

  chunkAt(slot: number): number {
    return this.chunkOf[slot]!;
  }

  offsetAt(slot: number): number {
    return this.offsetOf[slot]!;
  }

  /** A capture's encoding begins: rows kept from now on are the new generation. */
  beginGeneration(): void {
    this.oldFirst = this.newFirst;
    this.newFirst = this.nextSerial;
    this.current = null;
    this.currentSerial = -1;
    this.pos = 0;
  }

  /**
   * The bytes of an old-generation chunk a row is read from. Rows are read in id order and each generation was
   * written in id order: the old chunks before this one are no longer needed and go.
   */
  readChunk(serial: number): Uint8Array {
    while (this.oldFirst < serial && this.oldFirst < this.newFirst) this.free(this.oldFirst++);
    return this.chunks.get(serial)!;
  }

  /** Keeps bytes[start, end) as the slot's row in the new generation (not kept if larger than a chunk). */
  keep(slot: number, bytes: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (slot >= this.lengthOf.length) return;
    if (n > CHUNK_BYTES) {
      this.lengthOf[slot] = 0;
      return;
    }
    if (this.current === null || CHUNK_BYTES - this.pos < n) {
      this.current = this.pool.pop() ?? new Uint8Array(CHUNK_BYTES);
      this.currentSerial = this.nextSerial++;
      this.chunks.set(this.currentSerial, this.current);
      this.pos = 0;
    }
    this.current.set(bytes.subarray(start, end), this.pos);
    this.chunkOf[slot] = this.currentSerial;
    this.offsetOf[slot] = this.pos;
    this.lengthOf[slot] = n;
    this.pos += n;
  }

  /** The capture's encoding is over: what is left of the old generation goes. */
  endGeneration(): void {
    while (this.oldFirst < this.newFirst) this.free(this.oldFirst++);
  }

  /** Drops every row (a capture aborted half way, or the capture no longer the store's write hook). */
  clear(): void {
    this.lengthOf.fill(0);
    for (const serial of this.chunks.keys()) this.free(serial);
    this.oldFirst = this.newFirst = this.nextSerial;
    this.current = null;
    this.currentSerial = -1;
    this.pos = 0;
  }

  /** Rows' bytes held (diagnostics, tests). */
  get heldBytes(): number {
    return this.chunks.size * CHUNK_BYTES;
  }

  private free(serial: number): void {
    const chunk = this.chunks.get(serial);
    if (chunk === undefined) return;
    this.chunks.delete(serial);
    if (this.pool.length < POOL) this.pool.push(chunk);
  }
}
