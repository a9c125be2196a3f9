/**
 * Group commit's pieces: a batch's shared durability promise, and the write (synchronous on a segment file, see
 * SEGMENT_SYNC_FLAG) and fdatasync (where O_DSYNC is missing) that put a batch on disk (through JournalFileWrites, so
 * tests can fail them).
 */
import type { JournalFileWrites } from './journal-options.js';

/** One group-commit batch's durability promise, created only when someone waits for it. */
export class Batch {
  lastSeq = 0;
  promise: Promise<void> | null = null;
  private resolveFn: (() => void) | null = null;
  private rejectFn: ((err: Error) => void) | null = null;

  wait(): Promise<void> {
    if (this.promise === null) {
      this.promise = new Promise<void>((resolve, reject) => {
        this.resolveFn = resolve;
        this.rejectFn = reject;
      });
    }
    return this.promise;
  }

  settle(err: Error | null): void {
    if (err === null) this.resolveFn?.();
    else this.rejectFn?.(err);
    this.promise = null;
    this.resolveFn = null;
    this.rejectFn = null;
  }
}

/** Writes data[0, len) at `position`, continuing after short writes. */
export function writeAll(io: JournalFileWrites, fd: number, data: Uint8Array, len: number, position: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const step = (done: number): void => {
      io.write(fd, data, done, len - done, position + done, (err, n) => {
        if (err) reject(err);
        else if (done + n < len) step(done + n);
        else resolve();
      });
    };
    step(0);
  });
}

export function fdatasync(io: JournalFileWrites, fd: number): Promise<void> {
  return new Promise<void>((resolve, reject) => io.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}
