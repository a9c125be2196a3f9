/**
 * The journal directory: listing segments and snapshots, fsync of the directory, the writer lock, and reading the
 * newest valid snapshot (they are written by snapshot-writer.ts).
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { JournalError, ioError } from './errors.js';
import { decodeSnapshot, parseSegmentName, parseSnapshotName } from './format.js';

export interface SegmentRef {
  readonly name: string;
  readonly baseSeq: number;
}

export interface SnapshotRef {
  readonly name: string;
  readonly seq: number;
}

export interface DirectoryListing {
  /** Sorted by base seq. */
  segments: SegmentRef[];
  /** Sorted by seq, newest last. */
  snapshots: SnapshotRef[];
  /** Leftover *.tmp files (interrupted snapshot writes). */
  temps: string[];
}

export function listDirectory(dir: string): DirectoryListing {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    throw ioError('readdir', dir, err);
  }
  const segments: SegmentRef[] = [];
  const snapshots: SnapshotRef[] = [];
  const temps: string[] = [];
  for (const name of names) {
    const base = parseSegmentName(name);
    if (base > 0) {
      segments.push({ name, baseSeq: base });
      continue;
    }
    const seq = parseSnapshotName(name);
    if (seq > 0) snapshots.push({ name, seq });
    else if (name.endsWith('.tmp')) temps.push(name);
  }
  segments.sort((a, b) => a.baseSeq - b.baseSeq);
  snapshots.sort((a, b) => a.seq - b.seq);
  return { segments, snapshots, temps };
}

/** fsync a directory so that file creations, renames and deletions in it are durable. */
export function fsyncDirSync(dir: string): void {
  let fd = -1;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (err) {
    throw ioError('fsync directory', dir, err);
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(dir, 'r');
    await fh.sync();
  } catch (err) {
    throw ioError('fsync directory', dir, err);
  } finally {
    await fh?.close();
  }
}

/**
 * The journal holds every order of every strategy: its files are the user's alone (0600, directories 0700), as the
 * token file is. Modes at creation only (the umask may narrow them further); existing files are left as they are.
 */
export const JOURNAL_FILE_MODE = 0o600;
export const JOURNAL_DIR_MODE = 0o700;

/**
 * O_DSYNC where the platform has it (Linux, macOS, the BSDs), else 0. A segment file the journal appends to is opened
 * with it: each write returns once its data (and the file size that reaches it) is on stable storage, as a write
 * followed by fdatasync would, but in one call on the thread pool instead of two — so a batch becomes durable one
 * event-loop turn sooner (the main thread no longer has to take the write's completion and start the fdatasync).
 * Without it (0) every segment write is followed by an fdatasync.
 */
export const SEGMENT_SYNC_FLAG: number = fs.constants.O_DSYNC ?? 0;

/** Flags of a new segment file: created (never over an existing one), read-write, synchronous writes. */
export const NEW_SEGMENT_FLAGS: number = fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL | SEGMENT_SYNC_FLAG;

/** Flags of an existing segment file the journal goes on appending to. */
export const APPEND_SEGMENT_FLAGS: number = fs.constants.O_RDWR | SEGMENT_SYNC_FLAG;

/** Creates the directory (and parents) if needed; fsyncs the parent when it was created. */
export function ensureDirectory(dir: string): void {
  try {
    if (fs.existsSync(dir)) return;
    fs.mkdirSync(dir, { recursive: true, mode: JOURNAL_DIR_MODE });
    fsyncDirSync(join(dir, '..'));
  } catch (err) {
    if (err instanceof JournalError) throw err;
    throw ioError('mkdir', dir, err);
  }
}

export interface SnapshotReadResult {
  /** The newest snapshot that verifies, or null. */
  latest: { seq: number; name: string; payload: Uint8Array } | null;
  /** Newer snapshot files that failed verification (name and reason), newest first. */
  skipped: { name: string; reason: string }[];
}

/** Reads snapshots newest first and returns the first one whose header and CRC check out. */
export function readLatestSnapshot(dir: string, snapshots: readonly SnapshotRef[]): SnapshotReadResult {
  const skipped: { name: string; reason: string }[] = [];
  for (let i = snapshots.length - 1; i >= 0; i--) {
    const ref = snapshots[i];
    const path = join(dir, ref.name);
    let file: Uint8Array;
    try {
      file = fs.readFileSync(path);
    } catch (err) {
      throw ioError('read snapshot', path, err);
    }
    const decoded = decodeSnapshot(file);
    if (!decoded.ok) {
      skipped.push({ name: ref.name, reason: decoded.reason });
      continue;
    }
    if (decoded.seq !== ref.seq) {
      skipped.push({ name: ref.name, reason: `header seq ${decoded.seq} does not match the file name` });
      continue;
    }
    return { latest: { seq: decoded.seq, name: ref.name, payload: decoded.payload }, skipped };
  }
  return { latest: null, skipped };
}

/**
 * The writer lock: LOCK holds "pid processStartMs". It is stale when that process is gone, or when the pid is our
 * own but the start time is not (a restarted container where the daemon is pid 1 again).
 */
export function acquireLock(dir: string): string {
  const path = join(dir, 'LOCK');
  const mine = `${process.pid} ${Math.round(performance.timeOrigin)}\n`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(path, mine, { flag: 'wx', mode: JOURNAL_FILE_MODE });
      return path;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError('create lock', path, err);
    }
    let holder = '';
    try {
      holder = fs.readFileSync(path, 'utf8');
    } catch {
      continue; // removed meanwhile: try again
    }
    const [pidText, startText] = holder.trim().split(' ');
    const pid = Number(pidText);
    if (Number.isInteger(pid) && pid > 0 && lockHolderAlive(pid, startText)) {
      throw new JournalError('JOURNAL_LOCKED', `journal: ${dir} is locked by process ${pid} (delete ${path} if that process is not a journal writer)`, {
        path,
        pid,
      });
    }
    try {
      fs.rmSync(path, { force: true });
    } catch (err) {
      throw ioError('remove stale lock', path, err);
    }
  }
  throw new JournalError('JOURNAL_LOCKED', `journal: could not take the lock ${path}`, { path });
}

function lockHolderAlive(pid: number, startText: string | undefined): boolean {
  if (pid === process.pid) return startText === String(Math.round(performance.timeOrigin));
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process that its parent has not reaped yet still answers signal 0: a zombie holds no lock.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

export function releaseLock(path: string): void {
  try {
    fs.rmSync(path, { force: true });
  } catch {
    // best effort: a stale lock is detected and removed by the next open
  }
}
