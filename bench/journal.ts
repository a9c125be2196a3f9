/**
 * Journal benchmark: `npm run bench:journal` (build, then node --expose-gc dist/bench/journal.js).
 *
 *  1. appends/s with group commit: 2,000,000 appends of 64-byte payloads into a temp directory on the same disk
 *     as os.tmpdir(), one durable write per batch (the segment opened with O_DSYNC; write + fdatasync where the
 *     platform has no O_DSYNC), measured from the first append until the last record is
 *     durable. Appends run in bursts of 4,096 with the event loop turning between bursts, as in the daemon.
 *     Peer: the same appends with { commit: 'sync' } (one durable write per record), measured on a few hundred.
 *  2. replay of 1,000,000 records: read + CRC check + a callback per record, page cache warm (the journal was
 *     just written), three runs, median reported.
 *  3. latency of one append + whenDurable when the journal is otherwise idle (maxDelayMs 2, and 0: the default).
 *  4. CRC-32 throughput against node:zlib's native crc32 (where Node has it) on 81-byte records.
 *
 * Human-readable lines, then one JSON line: {"bench":"journal","appends_per_s":N,"replay_1m_ms":N}.
 * Targets on the 2-core dev machine: >= 1,000,000 appends/s and replay of 1M records < 1 s.
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { Journal, crc32, readJournal } from '../src/journal/index.js';
import { benchArgs } from './lib/args.js';

const USAGE = `Usage: npm run bench:journal     (= npm run build && node --expose-gc dist/bench/journal.js)
Appends/s with group commit, replay of 1,000,000 records, the latency of one append + whenDurable, CRC-32
throughput. Human-readable lines, then one JSON line: {"bench":"journal","appends_per_s":N,"replay_1m_ms":N}.
Takes no options (JOURNAL_BENCH_APPENDS and JOURNAL_BENCH_REPLAY in the environment change the counts).`;

benchArgs({ script: 'bench:journal', usage: USAGE, options: {} });

const APPENDS = Number(process.env.JOURNAL_BENCH_APPENDS ?? 2_000_000);
const REPLAY = Number(process.env.JOURNAL_BENCH_REPLAY ?? 1_000_000);
const PAYLOAD = 64;
const BURST = 4096;

const gc = (globalThis as { gc?: () => void }).gc;
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function tempDir(tag: string): string {
  return fs.mkdtempSync(join(os.tmpdir(), `switchyard-bench-journal-${tag}-`));
}

async function appendRun(dir: string, count: number, commit: 'group' | 'sync'): Promise<{ ms: number; journal: Journal; heapDelta: number }> {
  const j = await Journal.open(dir, { commit });
  const payload = new Uint8Array(PAYLOAD);
  for (let i = 0; i < PAYLOAD; i++) payload[i] = i;
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  let seq = 0;
  for (let done = 0; done < count; ) {
    const end = Math.min(count, done + BURST);
    for (; done < end; done++) {
      payload[0] = done;
      payload[1] = done >>> 8;
      seq = j.append(1 + (done & 7), payload);
    }
    await turn();
  }
  await j.whenDurable(seq);
  await j.flush();
  const ms = performance.now() - t0;
  const heapDelta = process.memoryUsage().heapUsed - heapBefore;
  return { ms, journal: j, heapDelta };
}

async function benchAppends(): Promise<number> {
  const dir = tempDir('append');
  try {
    // warm-up (JIT) on a small run
    const warm = await appendRun(tempDir('warm'), 200_000, 'group');
    await warm.journal.close();
    fs.rmSync(warm.journal.dir, { recursive: true, force: true });

    const { ms, journal, heapDelta } = await appendRun(dir, APPENDS, 'group');
    const s = journal.stats;
    await journal.close();
    const rate = APPENDS / (ms / 1000);
    console.log(`group commit: ${fmt(APPENDS)} appends of ${PAYLOAD} B in ${ms.toFixed(0)} ms = ${fmt(rate)} appends/s, all durable`);
    console.log(
      `  ${fmt(s.batches)} batches (one durable write each), avg ${fmt(s.bytesWritten / s.batches / 1024)} KiB, largest ${fmt(s.largestBatchBytes / 1024)} KiB, ` +
        `${(s.bytesWritten / 1024 / 1024 / (ms / 1000)).toFixed(0)} MiB/s, ${s.rotations} segment rotations, heap growth ${fmt(heapDelta / 1024)} KiB`,
    );

    const syncCount = 300;
    const syncRun = await appendRun(tempDir('sync'), syncCount, 'sync');
    await syncRun.journal.close();
    fs.rmSync(syncRun.journal.dir, { recursive: true, force: true });
    const syncRate = syncCount / (syncRun.ms / 1000);
    console.log(`peer: commit 'sync' (a durable write per append): ${fmt(syncRate)} appends/s; group commit is ${(rate / syncRate).toFixed(0)}x faster`);
    return rate;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One order at a time: append, then wait for it to be durable (what the daemon does before sending an order). */
async function benchLatency(): Promise<void> {
  const dir = tempDir('latency');
  try {
    const payload = new Uint8Array(PAYLOAD);
    for (const maxDelayMs of [2, 0]) {
      const j = await Journal.open(dir, { maxDelayMs });
      const lat: number[] = [];
      for (let i = 0; i < 200; i++) {
        const t0 = performance.now();
        await j.whenDurable(j.append(1, payload));
        lat.push(performance.now() - t0);
      }
      await j.close();
      lat.sort((a, b) => a - b);
      console.log(
        `lone append -> whenDurable (maxDelayMs ${maxDelayMs}): p50 ${lat[100].toFixed(2)} ms, p99 ${lat[197].toFixed(2)} ms, max ${lat[199].toFixed(2)} ms (timer + durable write)`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function benchReplay(): Promise<number> {
  const dir = tempDir('replay');
  try {
    const j = await Journal.open(dir, { batchBytes: 8 * 1024 * 1024 });
    const payload = new Uint8Array(PAYLOAD);
    for (let i = 0; i < REPLAY; i++) {
      payload[0] = i;
      j.append(1 + (i & 7), payload);
      if ((i & 0xffff) === 0xffff) await turn();
    }
    await j.close();
    const bytes = fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(join(dir, f)).size, 0);
    const times: number[] = [];
    for (let run = 0; run < 3; run++) {
      let checksum = 0;
      gc?.();
      const t0 = performance.now();
      const summary = readJournal(dir, {}, (r) => {
        checksum = (checksum + r.type + r.buffer[r.offset]) | 0;
      });
      const ms = performance.now() - t0;
      if (summary.records !== REPLAY) throw new Error(`replayed ${summary.records} records, expected ${REPLAY}`);
      times.push(ms);
      console.log(`replay run ${run + 1}: ${fmt(REPLAY)} records (${(bytes / 1024 / 1024).toFixed(0)} MiB, ${summary.segments} segments) in ${ms.toFixed(0)} ms = ${fmt(REPLAY / (ms / 1000))} records/s (checksum ${checksum})`);
    }
    const m = median(times);
    const scaled = REPLAY === 1_000_000 ? '' : ` (JSON value scaled to 1,000,000 records)`;
    console.log(`replay: median ${m.toFixed(0)} ms for ${fmt(REPLAY)} records (read + CRC + callback, warm page cache)${scaled}`);
    return (m * 1_000_000) / REPLAY;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function benchCrc(): void {
  const recordBytes = PAYLOAD + 13;
  const n = 1_000_000;
  const stride = recordBytes + 4;
  const data = new Uint8Array(n * stride);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  const time = (run: () => number): { ms: number; xor: number } => {
    run(); // warm-up
    const runs = [0, 1, 2].map(() => {
      const t0 = performance.now();
      const xor = run();
      return { ms: performance.now() - t0, xor };
    });
    return { ms: median(runs.map((r) => r.ms)), xor: runs[0].xor };
  };
  const ours = time(() => {
    let x = 0;
    for (let o = 0; o < data.length; o += stride) x ^= crc32(data, o, o + recordBytes);
    return x;
  });
  const mbps = (n * recordBytes) / 1024 / 1024 / (ours.ms / 1000);
  const line = `crc32 (slicing-by-8): ${fmt(n)} records of ${recordBytes} B in ${ours.ms.toFixed(0)} ms (${mbps.toFixed(0)} MiB/s)`;
  const native = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
  if (native === undefined) {
    console.log(`${line}; node:zlib has no crc32 here`);
    return;
  }
  const buf = Buffer.from(data.buffer);
  const theirs = time(() => {
    let x = 0;
    for (let o = 0; o < data.length; o += stride) x ^= native(buf.subarray(o, o + recordBytes));
    return x;
  });
  const same = (ours.xor >>> 0) === (theirs.xor >>> 0) ? 'same values' : 'VALUES DIFFER';
  console.log(`${line}; node:zlib crc32 per record ${theirs.ms.toFixed(0)} ms (${same}); ratio zlib/ours ${(theirs.ms / ours.ms).toFixed(2)}`);
}

async function main(): Promise<void> {
  console.log(`journal bench: node ${process.version}, ${os.cpus().length} cores, temp dir ${os.tmpdir()}${gc ? '' : ' (run with --expose-gc for heap figures)'}`);
  const appendsPerS = await benchAppends();
  await benchLatency();
  const replayMs = await benchReplay();
  benchCrc();
  console.log(JSON.stringify({ bench: 'journal', appends_per_s: Math.round(appendsPerS), replay_1m_ms: Math.round(replayMs) }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
