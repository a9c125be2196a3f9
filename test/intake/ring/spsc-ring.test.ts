import { describe, expect, it } from 'vitest';
import { Doorbell } from '../../../src/intake/ring/doorbell.js';
import {
  RING_HEAD_OFFSET, RING_HEADER_BYTES, RING_TAIL_OFFSET, RingConsumer, RingProducer, createRingBuffer, ringByteLength,
} from '../../../src/intake/ring/spsc-ring.js';

/** A ring whose records hold one f64 (the sequence) plus padding. */
function ring(capacity: number, recordSize = 16, doorbell: Doorbell | null = null): { p: RingProducer; c: RingConsumer; buf: SharedArrayBuffer } {
  const buf = createRingBuffer(capacity, recordSize);
  return { p: new RingProducer(buf, doorbell), c: new RingConsumer(buf), buf };
}

function write(p: RingProducer, value: number): boolean {
  const off = p.tryClaim();
  if (off < 0) return false;
  p.f64[off >> 3] = value;
  p.publish();
  return true;
}

function readAll(c: RingConsumer, max = Infinity): number[] {
  const out: number[] = [];
  c.poll(max, (off) => out.push(c.f64[off >> 3]!));
  return out;
}

describe('SPSC ring: construction', () => {
  it('refuses capacities that are not powers of two and record sizes that are not multiples of 8', () => {
    expect(() => createRingBuffer(3, 16)).toThrow(RangeError);
    expect(() => createRingBuffer(0, 16)).toThrow(RangeError);
    expect(() => createRingBuffer(1, 16)).toThrow(RangeError);
    expect(() => createRingBuffer(8, 12)).toThrow(RangeError);
    expect(() => createRingBuffer(8, 0)).toThrow(RangeError);
    const buf = createRingBuffer(8, 96);
    expect(buf.byteLength).toBe(ringByteLength(8, 96));
    expect(buf.byteLength).toBe(RING_HEADER_BYTES + 8 * 96);
  });

  it('attaches only to a ring buffer', () => {
    expect(() => new RingConsumer(new SharedArrayBuffer(1024))).toThrow(TypeError);
    expect(() => new RingProducer(new ArrayBuffer(1024) as unknown as SharedArrayBuffer)).toThrow(TypeError);
    const c = new RingConsumer(createRingBuffer(16, 32));
    expect(c.capacity).toBe(16);
    expect(c.recordSize).toBe(32);
  });

  it('keeps head and tail on separate 128-byte blocks, records after the header', () => {
    expect(RING_HEAD_OFFSET - RING_TAIL_OFFSET).toBeGreaterThanOrEqual(128);
    expect(RING_HEADER_BYTES - RING_HEAD_OFFSET).toBeGreaterThanOrEqual(128);
    const { p } = ring(4, 64);
    expect(p.tryClaim()).toBe(RING_HEADER_BYTES);
  });
});

describe('SPSC ring: single thread', () => {
  it('refuses when full and accepts again once the consumer released slots', () => {
    const { p, c } = ring(8);
    for (let i = 1; i <= 8; i++) expect(write(p, i)).toBe(true);
    expect(p.tryClaim()).toBe(-1);
    expect(write(p, 9)).toBe(false);
    expect(c.size()).toBe(8);
    expect(readAll(c, 3)).toEqual([1, 2, 3]);
    expect(p.free()).toBe(3);
    for (let i = 9; i <= 11; i++) expect(write(p, i)).toBe(true);
    expect(write(p, 12)).toBe(false);
    expect(readAll(c)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    expect(readAll(c)).toEqual([]);
  });

  it('keeps FIFO order over many wraparounds with random claim, publish and poll batch sizes', () => {
    const { p, c } = ring(16);
    let next = 1;
    let expected = 1;
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const seen: number[] = [];
    while (expected <= 20_000) {
      const k = rnd(20);
      for (let i = 0; i < k; i++) {
        const off = p.tryClaim();
        if (off < 0) break;
        p.f64[off >> 3] = next++;
      }
      p.publish();
      seen.length = 0;
      c.poll(1 + rnd(20), (off) => seen.push(c.f64[off >> 3]!));
      for (const v of seen) expect(v).toBe(expected++);
    }
  });

  it('claims are invisible until published; several claims publish at once', () => {
    const { p, c } = ring(8);
    const offs = [p.tryClaim(), p.tryClaim(), p.tryClaim()];
    offs.forEach((off, i) => (p.f64[off >> 3] = 100 + i));
    expect(c.available()).toBe(0);
    expect(c.hasRecords()).toBe(false);
    p.publish();
    expect(c.available()).toBe(3);
    expect(readAll(c)).toEqual([100, 101, 102]);
  });

  it('abandon drops unpublished claims', () => {
    const { p, c } = ring(4);
    write(p, 1);
    p.f64[p.tryClaim() >> 3] = 99;
    p.abandon();
    write(p, 2);
    expect(readAll(c)).toEqual([1, 2]);
  });

  it('releases a polled batch with one store at the end of the batch', () => {
    const { p, c } = ring(4);
    for (let i = 1; i <= 4; i++) write(p, i);
    const freeDuring: number[] = [];
    c.poll(10, () => freeDuring.push(p.free()));
    expect(freeDuring).toEqual([0, 0, 0, 0]); // nothing handed back while the batch is being read
    expect(p.free()).toBe(4);
  });

  it('peek / offsetAt / release read in place and release in one go', () => {
    const { p, c } = ring(8);
    for (let i = 1; i <= 5; i++) write(p, i * 10);
    expect(c.available()).toBe(5);
    expect([0, 1, 2].map((i) => c.f64[c.offsetAt(i) >> 3])).toEqual([10, 20, 30]);
    expect(p.free()).toBe(3);
    c.release(2);
    expect(p.free()).toBe(5);
    expect(readAll(c)).toEqual([30, 40, 50]);
  });

  it('a throwing handler consumes its record and releases the ones before it', () => {
    const { p, c } = ring(8);
    for (let i = 1; i <= 4; i++) write(p, i);
    const seen: number[] = [];
    expect(() =>
      c.poll(10, (off) => {
        const v = c.f64[off >> 3]!;
        seen.push(v);
        if (v === 2) throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(seen).toEqual([1, 2]);
    expect(readAll(c)).toEqual([3, 4]);
  });

  it('poll hands out the ring position of each record', () => {
    const { p, c } = ring(4);
    const positions: number[] = [];
    for (let round = 0; round < 3; round++) {
      write(p, 0);
      write(p, 0);
      c.poll(10, (_off, pos) => positions.push(pos));
    }
    expect(positions).toEqual([0, 1, 2, 3, 4, 5]);
    expect(c.position).toBe(6);
    expect(p.position).toBe(6);
  });

  it('keeps working when the int32 counters wrap', () => {
    const buf = createRingBuffer(8, 16);
    const h = new Int32Array(buf);
    const start = 0x7ffffff0 | 0;
    h[RING_TAIL_OFFSET >> 2] = start;
    h[RING_HEAD_OFFSET >> 2] = start;
    const p = new RingProducer(buf);
    const c = new RingConsumer(buf);
    let next = 1;
    let expected = 1;
    for (let round = 0; round < 20; round++) {
      while (write(p, next)) next++;
      expect(c.size()).toBe(8);
      for (const v of readAll(c, 5)) expect(v).toBe(expected++);
    }
    expect(expected).toBeGreaterThan(64);
    expect(p.position).toBeLessThan(0); // wrapped past 2^31 - 1
  });

  it('counts refusals the producer reports', () => {
    const { p, c } = ring(2);
    p.noteRefused();
    p.noteRefused();
    expect(c.refusedCount()).toBe(2);
  });
});

describe('doorbell', () => {
  it('resolves at once when work is already there, otherwise when a producer publishes', async () => {
    const bell = Doorbell.create();
    const { p, c } = ring(8, 16, bell);
    const hasWork = (): boolean => c.hasRecords();
    write(p, 1);
    await expect(bell.wait(hasWork)).resolves.toBe(true);
    readAll(c);
    const woken = bell.wait(hasWork);
    expect(bell.sleeping).toBe(true);
    const before = bell.wakeups;
    write(p, 2);
    expect(bell.sleeping).toBe(false);
    await expect(woken).resolves.toBe(true);
    expect(bell.wakeups).toBe(before + 1);
    write(p, 3); // consumer awake: no notify
    expect(bell.wakeups).toBe(before + 1);
    expect(readAll(c)).toEqual([2, 3]);
  });

  it('times out when nothing comes', async () => {
    const bell = Doorbell.create();
    const { c } = ring(8, 16, bell);
    await expect(bell.wait(() => c.hasRecords(), 20)).resolves.toBe(false);
    expect(bell.sleeping).toBe(false);
  });

  it('one doorbell serves several rings', async () => {
    const bell = Doorbell.create();
    const a = ring(4, 16, bell);
    const b = ring(4, 16, bell);
    const any = (): boolean => a.c.hasRecords() || b.c.hasRecords();
    const woken = bell.wait(any);
    write(b.p, 7);
    await expect(woken).resolves.toBe(true);
    expect(readAll(b.c)).toEqual([7]);
  });

  it('allows one pending wait only', async () => {
    const bell = Doorbell.create();
    const pending = bell.wait(() => false, 50);
    expect(() => bell.wait(() => false)).toThrow(/already pending/);
    await pending;
  });
});

describe('SPSC ring: the last record published, once its producer is gone', () => {
  it('lastPublishedOffset names the last record published (read or not); a claim never published does not go below it', () => {
    const { p, c, buf } = ring(4);
    expect(c.f64[c.lastPublishedOffset() >> 3]).toBe(0); // nothing published: a slot as created
    for (const v of [1, 2, 3]) write(p, v);
    expect(c.f64[c.lastPublishedOffset() >> 3]).toBe(3); // not read yet
    expect(readAll(c)).toEqual([1, 2, 3]);
    expect(c.f64[c.lastPublishedOffset() >> 3]).toBe(3); // read and released
    // the producer claims and writes 4 and 5, publishes nothing, and is gone: a new producer goes on after 3
    for (const v of [4, 5]) p.f64[p.tryClaim() >> 3] = v;
    expect(c.f64[c.lastPublishedOffset() >> 3]).toBe(3);
    const next = new RingProducer(buf);
    write(next, 6);
    expect(readAll(c)).toEqual([6]);
    expect(c.f64[c.lastPublishedOffset() >> 3]).toBe(6);
    // a batch claimed all the way round (everything read) and never published: a later record, never an earlier one
    for (const v of [7, 8, 9, 10]) next.f64[next.tryClaim() >> 3] = v;
    expect(c.f64[c.lastPublishedOffset() >> 3]).toBeGreaterThanOrEqual(6);
  });
});
