/**
 * Top-of-book cells (seqlock "latest value" cells): layout, one update read whole, a write in progress refused, the
 * version and interest words, and no torn read under a writer in a real worker thread.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  CELLS_HEADER_BYTES, cellStrideWords, createTopCells, INTEREST_TOPS, INTEREST_TRADES, TOP_ASK_VENUE, TOP_BID_PRICE, TOP_TS,
  TOP_VENUES, topValueCount, TopCellsReader, TopCellsWriter,
} from '../../../src/intake/ring/market-cells.js';
import { exited, WorkerFixtures } from './helpers.js';

const fixtures = new WorkerFixtures();
afterAll(() => fixtures.dispose());

function seqWord(venues: number, slot: number): number {
  return (CELLS_HEADER_BYTES >> 2) + slot * cellStrideWords(venues);
}

describe('top-of-book cells', () => {
  it('one cell per symbol, 64-byte aligned; the header is checked on attach', () => {
    const buf = createTopCells([2, 0, 5], 3);
    const r = new TopCellsReader(buf);
    expect([r.slots, r.venues, r.values]).toEqual([3, 3, TOP_VENUES + 12]);
    expect([0, 1, 2].map((s) => r.symbolOf(s))).toEqual([2, 0, 5]);
    expect((cellStrideWords(3) * 4) % 64).toBe(0);
    expect(cellStrideWords(3)).toBeGreaterThanOrEqual(2 + 2 * topValueCount(3));
    expect(() => new TopCellsReader(new SharedArrayBuffer(buf.byteLength))).toThrow(/magic/);
    expect(() => createTopCells([1, 1], 2)).toThrow(RangeError);
    expect(() => createTopCells([0], 256)).toThrow(RangeError);
  });

  it('reads back one whole update (any float64, venue -1, fractional); 0 before the first write', () => {
    const buf = createTopCells([7], 2);
    const w = new TopCellsWriter(buf);
    const r = new TopCellsReader(buf);
    const out = new Float64Array(r.values).fill(42);
    expect(r.read(0, out)).toBe(0);
    expect(out.every((x) => x === 42)).toBe(true);
    expect(r.version()).toBe(0);
    const v = new Float64Array(w.values).map((_, i) => i * 1.5 - 3);
    v[TOP_TS] = 1_700_000_000_123;
    v[TOP_BID_PRICE] = 2 ** 53 - 1;
    v[TOP_ASK_VENUE] = -1;
    w.write(0, v);
    expect(r.read(0, out)).toBe(2);
    expect([...out]).toEqual([...v]);
    expect(r.version()).toBe(1);
    v[TOP_BID_PRICE] = 5;
    w.write(0, v);
    expect(r.read(0, out)).toBe(4);
    expect(out[TOP_BID_PRICE]).toBe(5);
    expect(r.sequence(0)).toBe(4);
    expect(r.version()).toBe(2);
  });

  it('a cell being written (odd sequence) is not read: -1, and the next read after the write gets it whole', () => {
    const buf = createTopCells([0, 1], 1);
    const w = new TopCellsWriter(buf);
    const r = new TopCellsReader(buf);
    const v = new Float64Array(w.values).fill(9);
    w.write(1, v);
    const words = new Int32Array(buf);
    Atomics.store(words, seqWord(1, 1), 3); // as if a writer were half-way through its next update
    const out = new Float64Array(r.values);
    expect(r.read(1, out)).toBe(-1);
    Atomics.store(words, seqWord(1, 1), 4);
    expect(r.read(1, out)).toBe(4);
    expect(out.every((x) => x === 9)).toBe(true);
  });

  it('the sequence never comes back to 0 ("never written") when it wraps', () => {
    const buf = createTopCells([0], 0);
    const words = new Int32Array(buf);
    Atomics.store(words, seqWord(0, 0), -2);
    const w = new TopCellsWriter(buf);
    const r = new TopCellsReader(buf);
    w.write(0, new Float64Array(w.values).fill(1));
    expect(r.sequence(0)).toBe(2);
    expect(r.read(0, new Float64Array(r.values))).toBe(2);
  });

  it('interest bits go from the reader to the writer', () => {
    const buf = createTopCells([0], 1);
    const w = new TopCellsWriter(buf);
    const r = new TopCellsReader(buf);
    expect(w.interest()).toBe(0);
    r.setInterest(INTEREST_TOPS | INTEREST_TRADES);
    expect(w.interest()).toBe(3);
  });

  it('no torn read while a worker thread writes as fast as it can (wide cells, two slots)', async () => {
    const venues = 8; // 41 values, 84 words per cell: a torn read would have room to show
    const buf = createTopCells([3, 4], venues);
    const control = new SharedArrayBuffer(8);
    const ctl = new Int32Array(control);
    const r = new TopCellsReader(buf);
    const out = new Float64Array(r.values);
    const worker = await fixtures.start(new URL('./fixtures/cells-writer-worker.ts', import.meta.url), { cells: buf, control, maxWrites: 50_000_000 });
    const done = exited(worker);
    let reads = 0;
    let torn: string | undefined;
    const lastK = [0, 0];
    const distinct = [new Set<number>(), new Set<number>()];
    const deadline = Date.now() + 1500;
    // read until enough distinct updates were seen in both slots, for at most 1.5 s (a loaded machine may
    // schedule the two threads apart: the check is per read, whatever the overlap)
    while (Date.now() < deadline && (distinct[0]!.size < 1000 || distinct[1]!.size < 1000 || reads < 200_000)) {
      for (let slot = 0; slot < 2; slot++) {
        const seq = r.read(slot, out);
        if (seq === 0) continue;
        if (seq < 0) continue; // a write overlapped for too long (the writer was descheduled): read again
        reads++;
        const base = out[0]!;
        const k = Math.floor(base / 1000);
        if (base !== k * 1000 + slot * 500) torn ??= `slot ${slot}: first value ${base}`;
        for (let i = 1; i < out.length; i++) {
          if (out[i] !== base + i) {
            torn ??= `slot ${slot}: value ${i} is ${out[i]}, expected ${base + i}`;
            break;
          }
        }
        if (k < lastK[slot]!) torn ??= `slot ${slot}: went back from update ${lastK[slot]} to ${k}`;
        lastK[slot] = k;
        distinct[slot]!.add(k);
      }
      if (reads % 4096 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    Atomics.store(ctl, 0, 1);
    expect(await done).toBe(0);
    expect(torn).toBeUndefined();
    expect(reads).toBeGreaterThan(0);
    expect(Atomics.load(ctl, 1)).toBeGreaterThan(0);
    // the reader saw the cells move (not one frozen value)
    expect(distinct[0]!.size + distinct[1]!.size).toBeGreaterThan(2);
  }, 30_000);
});
