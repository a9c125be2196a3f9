/**
 * One snapshot file, written piece by piece as its payload is made (Journal.beginSnapshot): a chunked capture hands
 * over each piece as it fills, so the payload is never whole in memory. The pieces go to <seq>.snap.tmp after room
 * for the header, in order, in the background (each piece's CRC-32 is taken as it is handed over). commit() writes
 * the header (it holds the payload length) and the trailer (the CRC of header and payload, combined from the
 * payload's), fsyncs, waits for what the journal says (its seq durable), renames the file to <seq>.snap and fsyncs
 * the directory: a snapshot appears whole or not at all. abort(), or any failure, removes the temp file (open also
 * removes temp files a crash left).
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { crc32 } from './crc32.js';
import { fsyncDir, JOURNAL_FILE_MODE } from './directory.js';
import { JournalError, ioError } from './errors.js';
import { SNAPSHOT_HEADER_BYTES, encodeSnapshotFrame, snapshotName } from './format.js';

/** Where a snapshot's payload goes as it is made. */
export interface PieceSink {
  /** Takes bytes[0, length) after what came before; `done` is called once they are written (or dropped): reuse `bytes` then. */
  write(bytes: Uint8Array, length: number, done?: () => void): void;
}

const OPEN = 0;
const COMMITTING = 1;
const FINISHED = 2;

export class SnapshotWriter implements PieceSink {
  readonly name: string;
  private readonly final: string;
  private readonly tmp: string;
  private readonly file: Promise<fs.promises.FileHandle>;
  private closed = false;
  private state = OPEN;
  private position = SNAPSHOT_HEADER_BYTES;
  private length = 0;
  private crc = 0;
  private writes: Promise<void> = Promise.resolve();
  private error: unknown = null;

  constructor(
    private readonly dir: string,
    /** The snapshot is the state as of this seq. */
    readonly seq: number,
  ) {
    this.name = snapshotName(seq);
    this.final = join(dir, this.name);
    this.tmp = this.final + '.tmp';
    this.file = fs.promises.open(this.tmp, 'w', JOURNAL_FILE_MODE);
    this.file.catch((err: unknown) => {
      this.error ??= err;
    });
  }

  write(bytes: Uint8Array, length: number, done?: () => void): void {
    if (this.state !== OPEN) throw new Error(`snapshot ${this.name}: no more pieces after commit or abort`);
    this.crc = crc32(bytes, 0, length, this.crc);
    const at = this.position;
    this.position += length;
    this.length += length;
    this.writes = this.writes.then(async () => {
      try {
        if (this.error === null && this.state !== FINISHED) await writeFully(await this.file, bytes, length, at);
      } catch (err) {
        this.error ??= err;
      } finally {
        done?.();
      }
    });
  }

  /**
   * After the last piece: header and trailer, fsync, `beforeRename` (the journal waits until the seq is durable),
   * rename, fsync of the directory. Resolves with the file name. On failure the temp file is gone and it rejects
   * (JOURNAL_IO, or what beforeRename threw).
   */
  async commit(beforeRename: () => Promise<void>): Promise<string> {
    if (this.state !== OPEN) throw new Error(`snapshot ${this.name}: already committed or aborted`);
    this.state = COMMITTING;
    try {
      await this.writes;
      if (this.error !== null) throw this.error;
      const fh = await this.file;
      const { header, trailer } = encodeSnapshotFrame(this.seq, this.length, this.crc);
      await writeFully(fh, header, header.length, 0);
      await writeFully(fh, trailer, trailer.length, this.position);
      await fh.sync();
      this.closed = true;
      await fh.close();
      await beforeRename();
      await fs.promises.rename(this.tmp, this.final);
    } catch (err) {
      this.state = FINISHED;
      await this.removeTemp();
      throw err instanceof JournalError ? err : ioError('write snapshot', this.final, err);
    }
    this.state = FINISHED;
    await fsyncDir(this.dir);
    return this.name;
  }

  /**
   * Drops the snapshot: pieces not written yet are skipped, the temp file removed. Idempotent; a snapshot being
   * committed is left to finish (or fail and clean up) on its own.
   */
  async abort(): Promise<void> {
    if (this.state !== OPEN) return;
    this.state = FINISHED;
    await this.writes;
    await this.removeTemp();
  }

  private async removeTemp(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await this.file.then((fh) => fh.close(), () => undefined).catch(() => undefined);
    }
    await fs.promises.rm(this.tmp, { force: true }).catch(() => undefined);
  }
}

async function writeFully(fh: fs.promises.FileHandle, bytes: Uint8Array, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) done += (await fh.write(bytes, done, length - done, position + done)).bytesWritten;
}
