import { afterAll, describe, expect, it } from 'vitest';
import { Doorbell } from '../../../src/intake/ring/doorbell.js';
import { clientOrderIdText, ORDER_RECORD_BYTES, OrderRecord, readOrderRecord } from '../../../src/intake/ring/order-record.js';
import { createRingBuffer, RingConsumer } from '../../../src/intake/ring/spsc-ring.js';
import { measurePostMessageThroughput, measureRingThroughput } from '../../../bench/lib/ring-throughput.js';
import { exited, WorkerFixtures } from './helpers.js';

const fixtures = new WorkerFixtures();
afterAll(() => fixtures.dispose());

const IDS = ['a', 'bb', 'ccc1', 'dddd2222', 'e'.repeat(32)];

async function run(capacity: number, count: number, batch: number, pauseEvery: number): Promise<{ bell: Doorbell }> {
  const buf = createRingBuffer(capacity, ORDER_RECORD_BYTES);
  const bell = Doorbell.create();
  const c = new RingConsumer(buf);
  const rec = new OrderRecord();
  let expected = 1;
  let bad: string | undefined;
  const check = (off: number): void => {
    readOrderRecord(c, off, rec);
    const i = expected++;
    if (bad !== undefined) return;
    if (rec.seq !== i) bad = `record ${i}: seq ${rec.seq}`;
    else if (rec.tag !== i >>> 0 || rec.qtyLots !== i * 3 || rec.priceTicks !== i * 7 || rec.symbol !== (i & 0xffff) || rec.side !== (i & 1)) bad = `record ${i}: fields differ`;
    else if (clientOrderIdText(rec) !== IDS[i % IDS.length]) bad = `record ${i}: client order id ${clientOrderIdText(rec)}`;
  };
  const hasRecords = (): boolean => c.hasRecords();
  const worker = await fixtures.start(new URL('./fixtures/producer-worker.ts', import.meta.url), { ring: buf, doorbell: bell.buffer, count, batch, pauseEvery });
  const done = exited(worker);
  const deadline = Date.now() + 20_000;
  while (expected <= count && Date.now() < deadline) {
    if (c.poll(1024, check) === 0) await bell.wait(hasRecords, 1000);
  }
  expect(await done).toBe(0);
  expect(bad).toBeUndefined();
  expect(expected - 1).toBe(count); // none lost
  expect(c.available()).toBe(0); // none duplicated or left over
  return { bell };
}

describe('SPSC ring across two threads', () => {
  it('a worker producer and the main-thread consumer: none lost, none duplicated, FIFO (small ring, many wraps)', async () => {
    await run(64, 100_000, 1, 0);
  });

  it('batched publishes', async () => {
    await run(1024, 300_000, 16, 0);
  });

  it('the consumer sleeps on the doorbell between bursts and is woken by the producer', async () => {
    const { bell } = await run(256, 20_000, 1, 1000);
    expect(bell.wakeups).toBeGreaterThan(0);
  });

  it('the throughput benchmark runs from sources and checks its own sequence (speed is not asserted here)', async () => {
    const r = await measureRingThroughput(200_000, { capacity: 1024 });
    expect(r.records).toBe(200_000);
    expect(r.recordsPerSecond).toBeGreaterThan(0);
    const peer = await measurePostMessageThroughput(20_000);
    expect(peer.recordsPerSecond).toBeGreaterThan(0);
  });
});
