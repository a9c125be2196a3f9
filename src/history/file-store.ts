/**
 * The history in append-only local files (the default store): `<dir>/history-<first seq, 16 digits>.jsonl`, one
 * JSON object per line — a fill (`"kind":"fill"`), an order's final state (`"kind":"order"`) or a watermark mark
 * (`"kind":"mark"`, written when the watermark passes the last row: records without history rows). Lines are in
 * journal seq order; the watermark is the seq of the last complete line. Each write is one append and one
 * fdatasync; a file is sealed and the next one begun once it passes `segmentBytes`.
 *
 * Opening cuts a torn last line (a crash in the middle of an append: the watermark is then the line before, and
 * the writer re-reads the rest from the journal). Queries stream the files line by line (never a whole file in
 * memory) and keep at most a few pages of candidates; a per-file index of the fills' time range (made by the first
 * full scan of a sealed file, kept in memory) skips files outside the time asked.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fragment, JsonBytes, NUMBER_BOUND } from '../journal/json-bytes.js';
import type { FillRow, HistoryRow } from './history-record.js';
import { writeHistoryRows, type HistoryLine } from './history-lines.js';
import { compareFills, fillMatches, type FillCursor, type FillFilter, type HistoryStore } from './history-store.js';

const FILE_RE = /^history-(\d{16})\.jsonl$/;
const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
/** A watermark line: `{"kind":"mark","seq":N}` and its line break. */
const MARK_HEAD = fragment('{"kind":"mark","seq":');
const MARK_END = fragment('}\n');
const MARK_BOUND = MARK_HEAD.length + NUMBER_BOUND + MARK_END.length;

interface FileRange {
  readonly size: number;
  /** Fills' ts range (Infinity/-Infinity: no fill). */
  readonly minTs: number;
  readonly maxTs: number;
}

export interface FileStoreOptions {
  /** Seal a file and begin the next once it passes this size. Default 64 MiB. */
  readonly segmentBytes?: number;
}

export class FileHistoryStore implements HistoryStore {
  readonly kind = 'file';
  private fd: fs.promises.FileHandle | null = null;
  private current = '';
  private currentSize = 0;
  private mark = 0;
  private readonly segmentBytes: number;
  /** Time ranges of files scanned whole (valid while their size is unchanged). */
  private readonly ranges = new Map<string, FileRange>();
  /**
   * The buffer a write makes its lines in, kept for the next write (null while a write holds it): a new one per
   * write was a fresh zero-filled buffer of 512 bytes a row (2.5 MB for the daemon's 5000-row batches) each time.
   * It keeps the size of the largest write.
   */
  private lines: JsonBytes | null = new JsonBytes();

  constructor(readonly dir: string, options: FileStoreOptions = {}) {
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  }

  get where(): string {
    return this.dir;
  }

  /** The history files, oldest first. */
  files(): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return names.filter((n) => FILE_RE.test(n)).sort();
  }

  async open(readOnly = false): Promise<void> {
    if (readOnly) {
      this.files(); // a path that cannot be listed fails here
      return;
    }
    if (this.fd !== null) return;
    await fs.promises.mkdir(this.dir, { recursive: true });
    const files = this.files();
    this.mark = 0;
    if (files.length > 0) {
      const last = files[files.length - 1]!;
      const { size, lastSeq } = await cutTornTail(join(this.dir, last));
      this.current = last;
      this.currentSize = size;
      this.mark = lastSeq;
      // an empty last file after a cut: its name's seq is still below every seq it will hold
      if (lastSeq === 0 && files.length > 1) this.mark = await lastSeqOf(join(this.dir, files[files.length - 2]!));
      this.fd = await fs.promises.open(join(this.dir, last), 'a');
    }
  }

  async watermark(): Promise<number> {
    return this.mark;
  }

  write(rows: readonly HistoryRow[], watermark: number): Promise<void> {
    return this.append(rows, watermark);
  }

  /** Rows made as their lines (history-lines.ts: what the history writer makes for this store), as write() stores rows. */
  writeLines(lines: readonly HistoryLine[], watermark: number): Promise<void> {
    return this.append(lines, watermark);
  }

  private async append(rows: readonly (HistoryRow | HistoryLine)[], watermark: number): Promise<void> {
    // after a failed write: open again (cuts a torn line, reads the watermark from the file: rows that did reach
    // the file are not written twice)
    if (this.fd === null && this.current !== '') await this.open();
    // the lines written straight as UTF-8 into one buffer for this write (no string of them is made), sized for
    // rows of about 512 bytes up front (it grows if they are longer)
    const w = this.lines ?? new JsonBytes();
    this.lines = null;
    try {
      w.pos = 0;
      w.reserve(512 * rows.length + MARK_BOUND);
      // the rows after the watermark (those at or below it are stored already: a catch-up re-delivering what a batch
      // had written; a fill and the final state it made share their seq)
      let last = writeHistoryRows(w, rows, this.mark);
      if (watermark > last) {
        w.reserve(MARK_BOUND);
        w.raw(MARK_HEAD);
        w.num(watermark);
        w.raw(MARK_END);
        last = watermark;
      }
      if (w.pos === 0) return;
      if (this.fd === null || this.currentSize >= this.segmentBytes) await this.rotate(rows.find((r) => r.seq > this.mark)?.seq ?? last);
      const bytes = w.buf.subarray(0, w.pos);
      const fd = this.fd!;
      try {
        await fd.write(bytes, 0, bytes.length);
        await fd.datasync();
      } catch (err) {
        this.fd = null;
        await fd.close().catch(() => undefined);
        throw err;
      }
      this.currentSize += bytes.length;
      this.mark = last;
    } finally {
      this.lines = w;
    }
  }

  private async rotate(firstSeq: number): Promise<void> {
    if (this.fd !== null) {
      await this.fd.close();
      this.fd = null;
    }
    await fs.promises.mkdir(this.dir, { recursive: true });
    this.current = `history-${String(firstSeq).padStart(16, '0')}.jsonl`;
    this.fd = await fs.promises.open(join(this.dir, this.current), 'a');
    this.currentSize = (await this.fd.stat()).size;
    const dh = await fs.promises.open(this.dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }

  async fills(filter: FillFilter, after: FillCursor | null, limit: number): Promise<FillRow[]> {
    let found: FillRow[] = [];
    const keep = (): void => {
      found.sort(compareFills);
      if (found.length > limit) found = found.slice(0, limit);
    };
    for (const name of this.files()) {
      const path = join(this.dir, name);
      let size: number;
      try {
        size = fs.statSync(path).size;
      } catch {
        continue;
      }
      const range = this.ranges.get(name);
      if (range !== undefined && range.size === size && !overlaps(range, filter, after)) continue;
      let minTs = Infinity;
      let maxTs = -Infinity;
      let read = 0;
      const lines = createInterface({ input: fs.createReadStream(path, { end: size - 1, highWaterMark: 256 * 1024 }), crlfDelay: Infinity });
      for await (const line of lines) {
        read += Buffer.byteLength(line) + 1;
        if (!line.startsWith('{"kind":"fill"')) continue;
        let f: FillRow;
        try {
          f = JSON.parse(line) as FillRow;
        } catch {
          continue; // a torn line being written; the next query sees it whole
        }
        if (f.ts < minTs) minTs = f.ts;
        if (f.ts > maxTs) maxTs = f.ts;
        if (!fillMatches(f, filter, after)) continue;
        // keep the smallest `limit` in (ts, seq) order: sort and cut when twice that many are held
        found.push(f);
        if (found.length >= 2 * limit + 64) keep();
      }
      if (size > 0 && read >= size && name !== this.current) this.ranges.set(name, { size, minTs, maxTs });
    }
    keep();
    return found;
  }

  async close(): Promise<void> {
    const fd = this.fd;
    this.fd = null;
    await fd?.close();
  }
}

function overlaps(r: FileRange, filter: FillFilter, after: FillCursor | null): boolean {
  if (r.maxTs < r.minTs) return false; // no fill in it
  if (filter.from !== undefined && r.maxTs < filter.from) return false;
  if (filter.to !== undefined && r.minTs >= filter.to) return false;
  if (after !== null && r.maxTs < after.ts) return false;
  return true;
}

/** Cuts an incomplete last line; the file's size and the seq of its last line (0: none). */
async function cutTornTail(path: string): Promise<{ size: number; lastSeq: number }> {
  const fd = await fs.promises.open(path, 'r+');
  try {
    let size = (await fd.stat()).size;
    const tail = await readTail(fd, size);
    const end = tail.text.lastIndexOf('\n');
    const keep = end < 0 ? tail.start : tail.start + Buffer.byteLength(tail.text.slice(0, end + 1));
    if (keep < size) {
      await fd.truncate(keep);
      await fd.datasync();
      size = keep;
    }
    const text = end < 0 ? '' : tail.text.slice(0, end);
    return { size, lastSeq: seqOfLastLine(text) };
  } finally {
    await fd.close();
  }
}

async function lastSeqOf(path: string): Promise<number> {
  const fd = await fs.promises.open(path, 'r');
  try {
    const size = (await fd.stat()).size;
    const tail = await readTail(fd, size);
    return seqOfLastLine(tail.text.replace(/\n$/, ''));
  } finally {
    await fd.close();
  }
}

/** The end of a file from a line start: enough to hold its last two lines (history lines are short). */
async function readTail(fd: fs.promises.FileHandle, size: number): Promise<{ start: number; text: string }> {
  let want = 64 * 1024;
  for (;;) {
    const start = Math.max(0, size - want);
    const buf = Buffer.alloc(size - start);
    await fd.read(buf, 0, buf.length, start);
    const text = buf.toString('utf8');
    // from the first line start inside the window (unless the window is the whole file)
    const cut = start === 0 ? 0 : text.indexOf('\n') + 1;
    const rest = text.slice(cut);
    const newlines = rest.split('\n').length - 1;
    if (start === 0 || (cut > 0 && newlines >= 2)) return { start: start + Buffer.byteLength(text.slice(0, cut)), text: rest };
    want *= 4;
  }
}

function seqOfLastLine(text: string): number {
  const line = text.slice(text.lastIndexOf('\n') + 1);
  if (line === '') return 0;
  const m = /"seq":(\d+)/.exec(line);
  return m === null ? 0 : Number(m[1]);
}
