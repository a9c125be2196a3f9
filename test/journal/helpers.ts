import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { readJournal, type ReadOptions, type ReadSummary } from '../../src/journal/index.js';

/**
 * A fresh temp directory; removed by the returned cleanup. `memory` puts it on /dev/shm when there is one (tmpfs:
 * fdatasync costs nothing there) for tests that write many small journals; the format logic is the same.
 */
export function tempDir(prefix = 'journal-test-', memory = false): { dir: string; cleanup: () => void } {
  const base = memory && fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const dir = fs.mkdtempSync(join(base, prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Deterministic payload for a seq: length seq % mod, bytes derived from seq. */
export function payloadFor(seq: number, mod = 97): Uint8Array {
  const len = seq % mod;
  const p = new Uint8Array(len);
  for (let k = 0; k < len; k++) p[k] = (seq * 31 + k * 7) & 0xff;
  return p;
}

export function typeFor(seq: number): number {
  return 1 + (seq % 200);
}

export interface Collected {
  seq: number;
  type: number;
  payload: Uint8Array;
  isSnapshot: boolean;
}

/** Reads the journal and copies every record out. */
export function collect(dir: string, options: ReadOptions = {}): { records: Collected[]; summary: ReadSummary } {
  const records: Collected[] = [];
  const summary = readJournal(dir, options, (r) => {
    records.push({ seq: r.seq, type: r.type, payload: r.payload().slice(), isSnapshot: r.isSnapshot });
  });
  return { records, summary };
}

export function segmentFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.endsWith('.log')).sort();
}

export function snapshotFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.endsWith('.snap')).sort();
}

/** Copies the journal files (not the LOCK) of `from` into a fresh temp dir. */
export function copyJournal(from: string): { dir: string; cleanup: () => void } {
  const t = tempDir('journal-copy-');
  for (const n of fs.readdirSync(from)) if (n !== 'LOCK') fs.copyFileSync(join(from, n), join(t.dir, n));
  return t;
}

/** Offsets of each record in a segment file (walking the length words; the file must be clean up to there). */
export function recordOffsets(file: Uint8Array): number[] {
  const out: number[] = [];
  let p = 32;
  while (p + 17 <= file.length) {
    const len = (file[p] | (file[p + 1] << 8) | (file[p + 2] << 16) | (file[p + 3] << 24)) & 0x0fffffff;
    if (p + 17 + len > file.length) break;
    out.push(p);
    p += 17 + len;
  }
  return out;
}

export function flipBit(path: string, offset: number, bit = 0): void {
  const b = fs.readFileSync(path);
  b[offset] ^= 1 << bit;
  fs.writeFileSync(path, b);
}

/** Polls with a deadline (no fixed sleeps in tests). */
export async function waitFor(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
