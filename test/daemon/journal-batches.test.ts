/**
 * How an API order's records are batched by the daemon's journal (in process, the journal's writes seen through its
 * file-writes seam): the ORDER record, appended when the order is queued, and the dispatcher's decision about it,
 * appended by the next dispatch cycle, go to disk in ONE write when the disk is free — not the ORDER record alone and
 * then the decision in a second write after it (the answer waits for the decision to be durable: two writes in a row).
 */
import fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDaemon, type Daemon } from '../../src/daemon.js';
import type { JournalFileWrites } from '../../src/journal/journal.js';
import { LENGTH_MASK, RECORD_HEADER_BYTES, RECORD_OVERHEAD } from '../../src/journal/format.js';
import { decodeOrderRecord, decodeUpdateRecord, REC_ORDER, REC_UPDATE } from '../../src/journal/order-records.js';
import { discardLogs, TEST_TOKEN } from '../helpers/daemon.js';
import { ApiClient } from '../helpers/http.js';
import { waitFor } from '../helpers/poll.js';
import { configFromText, paperConfigText } from '../helpers/repo.js';

/** The paper venue's acknowledgement comes this late: nothing but the order's own two records is written meanwhile. */
const LATE_MS = 3000;

interface Written {
  readonly type: number;
  readonly seq: number;
  readonly payload: Uint8Array;
}

/** The real disk, each write's records kept (one write: one group-commit batch). */
class SeenDisk implements JournalFileWrites {
  readonly writes: Written[][] = [];

  write(fd: number, data: Uint8Array, offset: number, length: number, position: number, cb: (err: NodeJS.ErrnoException | null, written: number) => void): void {
    if (position > 0) this.writes.push(records(data.subarray(offset, offset + length)));
    fs.write(fd, data, offset, length, position, cb);
  }

  fdatasync(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void {
    fs.fdatasync(fd, cb);
  }
}

/** The records of a batch as written (format.ts: length word, type, seq, payload, crc). */
function records(bytes: Uint8Array): Written[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Written[] = [];
  for (let at = 0; at < bytes.length;) {
    const len = v.getUint32(at, true) & LENGTH_MASK;
    const seq = v.getUint32(at + 5, true) + v.getUint32(at + 9, true) * 2 ** 32;
    out.push({ type: bytes[at + 4]!, seq, payload: bytes.slice(at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + len) });
    at += len + RECORD_OVERHEAD;
  }
  return out;
}

describe('journal batches of an API order (in process)', () => {
  let dir: string | undefined;
  let daemon: Daemon | undefined;

  afterEach(async () => {
    await daemon?.stop('test finished');
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    daemon = dir = undefined;
  });

  it('the disk free, an order\'s ORDER record and its decision are written together, and its answer follows that one write', async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-journal-batches-'));
    const disk = new SeenDisk();
    const config = configFromText(paperConfigText([
      [['daemon', 'api', 'host'], '127.0.0.1'],
      [['daemon', 'api', 'port'], 0],
      [['daemon', 'dataDir'], dir],
      [['daemon', 'api', 'tokenFile'], join(dir, 'api-token')],
      [['venues', 0, 'latencyMs'], LATE_MS],
      [['venues', 1, 'latencyMs'], LATE_MS],
    ], { workers: false }));
    const d = (daemon = createDaemon(config, { env: { SWITCHYARD_API_TOKEN: TEST_TOKEN }, logDestination: discardLogs(), baseDir: dir, journalFileWrites: disk }));
    const { port } = await d.start();
    const api = new ApiClient(`http://127.0.0.1:${port}`, TEST_TOKEN);
    const venues = config.venues.map((v) => v.name);
    for (const id of ['one1', 'two1', 'three1']) {
      // the disk free: what the start wrote is durable
      await waitFor(() => d.path.recorder!.durableSeq === d.path.recorder!.lastSeq, { what: 'the journal idle' });
      const from = disk.writes.length;
      const r = await api.post('/v1/orders', { strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', type: 'LIMIT', price: '50000', quantity: '0.001', clientOrderId: id, venue: 'sim-a' });
      expect(r.status).toBe(201);
      const batches = disk.writes.slice(from);
      const withOrder = batches.findIndex((b) => b.some((w) => w.type === REC_ORDER && decodeOrderRecord(w.payload, 0, w.payload.length).clientOrderId === id));
      expect(withOrder).toBeGreaterThanOrEqual(0);
      const orderId = r.body.orderId as number;
      const decision = batches[withOrder]!.find((w) => w.type === REC_UPDATE && decodeUpdateRecord(w.payload, 0, w.payload.length, venues).orderId === orderId);
      expect(decision, `the decision about ${id} in the batch of its ORDER record`).toBeDefined();
      expect(decodeUpdateRecord(decision!.payload, 0, decision!.payload.length, venues).update.kind).toBe('SUBMIT');
    }
  });
});
