/**
 * Follows the journal into a store of its own (a sink), off the dispatch thread, and never loses a record: the
 * machinery the trade history (src/history/history-writer.ts) and the Redis event publisher
 * (src/bus/event-publisher.ts) share. A follower is a row maker (what a recorded transition becomes in the sink) and
 * a sink (where rows go, with a watermark kept in the sink itself and written with the rows in one step).
 *
 * Live. The journal recorder calls `onRecorded` right after it appended an UPDATE record (in journal order, with the
 * record's seq) — or, for the trade history on its thread, the journal tail right after it applied a durable
 * record (src/compose/history-thread.ts; then every row is durable at once, and `rowsMissed` sends the follower back
 * to the journal when the tail lost batches). That call only makes the row(s) (with the tracker it is given) and
 * pushes them onto a bounded in-memory buffer: no I/O, no await, nothing that waits. A loop of its own takes the
 * buffer in batches (`batchRows`) of rows whose records are durable in the journal (the sink never holds what a crash
 * could take out of the journal) — when none is durable yet, it waits for the batch's records —, writes the batch in one step with the new watermark, and
 * goes on. Under load the journal always has a write in progress; the loop does not wait for it when it has durable
 * rows to write, so a batch costs one sink write, not a journal write and a sink write.
 *
 * The watermark W (kept in the sink, written with the rows) says: every row of a record with seq <= W is in the sink.
 * While the buffer is taken ("accepting"), every row of a record after W is in the buffer, so a batch that takes the
 * whole buffer raises W to the journal's last seq at that moment (its durable seq when it took only the durable rows),
 * and a partial batch to its last row's seq. When no rows come, W still follows the journal (a mark at most every
 * `markEveryMs`), so the journal can delete its segments.
 *
 * Catch-up. When the buffer is full (the sink is slow) or a write fails (the sink is down), the listener stops taking
 * rows (the buffer is dropped: the journal has them) and the loop goes back to the journal: after a failure it first
 * reads W back from the sink (a write whose reply was lost may have landed; a sink that lost its data says so), then
 * from W + 1 it reads the records (journal-follower-cursor.ts) and writes their rows in batches, retrying with a
 * backoff while the sink is down, until it reaches the journal's durable end; then, in one turn of the event loop, it
 * notes the journal's last seq L and starts taking rows again, reads (W, L] from the journal once L is durable, and is
 * live. The same happens at start (the rows of the records replayed and reconciled before the follower was open come
 * from the journal). Rows carry their seq: a sink that keys by it stores anything written twice once; one that cannot
 * (a stream) delivers it twice, detectably.
 *
 * Records the journal no longer has (W is before its oldest snapshot and the segments were deleted: a new sink on an
 * old journal) are skipped from the oldest snapshot on, counted in `lostRecords` and logged.
 *
 * A sink whose W is past the journal's last record was written from another journal (a data directory wiped or
 * replaced, another daemon on the same store): it is not written (see ofThisJournal) and the journal keeps everything.
 *
 * The journal must keep what the follower has not written: the daemon sets the journal's retention floor to W
 * (`retentionFloor`; the lowest of all followers'), so snapshot retention deletes no segment after W. A sink down for
 * long therefore makes the journal grow: `status()` reports it (lag in records and seconds, up or down).
 */
import type { OrderStore, OrderView } from '../core/order-store.js';
import type { OrderTracker } from '../core/order-tracker.js';
import type { Clock } from '../model/clock.js';
import type { OrderUpdate, Transition } from '../model/lifecycle.js';
import { openFollowerCursor, type RowMaker } from './journal-follower-cursor.js';

export type { RowMaker } from './journal-follower-cursor.js';

/** The journal as a follower reads it. */
export interface FollowedJournal {
  /** The journal directory (catch-up reads it). */
  readonly dir: string;
  /** Seq of the last record appended. */
  lastSeq(): number;
  /** Seq of the last record on disk. */
  durableSeq(): number;
  /** Resolves once `seq` is on disk (rejects when the journal failed). */
  whenDurable(seq: number): Promise<void>;
}

/** Where a follower's rows go. Its watermark is kept in it, written with the rows in one step. */
export interface FollowerSink<Row> {
  /** What it is (pg, file, redis) and where (never credentials), for status and logs. */
  readonly kind: string;
  readonly where: string;
  /** Connect / create what it needs. Called once (again only if it failed). */
  open(): Promise<void>;
  /** Every row of a record up to this seq is in the sink (0: nothing). */
  watermark(): Promise<number>;
  /** Writes `rows` (seq order, all <= watermark) and sets the watermark, as one step. */
  write(rows: readonly Row[], watermark: number): Promise<void>;
  close(): Promise<void>;
}

export interface FollowerLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface JournalFollowerOptions<Row extends { readonly seq: number }> {
  /** Names the follower in logs and errors (history, events). */
  readonly name: string;
  readonly sink: FollowerSink<Row>;
  /** The rows of a transition (live: with `tracker`; catch-up: with the scratch tracker). */
  readonly rows: RowMaker<Row>;
  /** The daemon's order store (catch-up builds a scratch store like it). */
  readonly orders: OrderStore;
  /** The daemon's tracker: the live path makes rows with it. Needed unless `liveRows` is given. */
  readonly tracker?: OrderTracker | undefined;
  /** The live path's row maker when the rows need no tracker (the history needs only the store). */
  readonly liveRows?: ((seq: number, order: OrderView, update: OrderUpdate, t: Transition, out: Row[]) => void) | undefined;
  /** daemon.retainFinishedOrders (the catch-up's scratch tracker retains as many). */
  readonly retainFinished: number;
  readonly clock: Clock;
  /** Errors and state changes (the sink going down, coming back; records the journal no longer had). */
  readonly log: FollowerLog;
  /** Rows held in memory at most; beyond, the follower catches up from the journal. Default 65536. */
  readonly bufferRows?: number | undefined;
  /** Rows per write. Default 1000. */
  readonly batchRows?: number | undefined;
  /** The longest a live row waits before its batch is written. Default 50 ms. */
  readonly flushMs?: number | undefined;
  /** First retry after a failed write; doubles up to maxRetryMs. Defaults 250 ms, 5000 ms. */
  readonly retryMs?: number | undefined;
  readonly maxRetryMs?: number | undefined;
  /** The watermark follows the journal at least this often when no rows come. Default 1000 ms. */
  readonly markEveryMs?: number | undefined;
  /**
   * For a sink that can lose what was written without the follower writing (a Redis restarted without persistence,
   * its keys deleted or evicted): while no rows come, its watermark is read back at least this often, and when it is
   * not the one written the follower goes back to the journal from it (as after a failed write). Without it such a
   * loss is noticed only at the next write — an idle daemon's sink stays empty, reported up and caught up. Default:
   * never (a sink that keeps what it was given).
   */
  readonly checkSinkMs?: number | undefined;
  /**
   * Called (never from inside onRecorded) when the follower may have room for rows again: it started taking rows, or
   * a live write took rows out of its buffer. A feed that paces itself by `hasRoom` resumes here.
   */
  readonly onRoom?: (() => void) | undefined;
}

export interface FollowerStatus {
  /** The sink's kind and where. */
  readonly store: string;
  readonly where: string;
  /** The last write or read of the sink worked. */
  readonly up: boolean;
  /** live: rows taken from memory; catch-up: from the journal; down: the sink failed (retrying); stopped. */
  readonly mode: 'starting' | 'live' | 'catch-up' | 'down' | 'stopped';
  /** Everything up to this journal seq is in the sink (-1: not known yet: the sink was never reached). */
  readonly watermark: number;
  /** Journal records after the watermark (the journal keeps their segments). */
  readonly lagRecords: number;
  /** How long the watermark has been behind the journal (0 when caught up). */
  readonly lagSeconds: number;
  /** Rows waiting in memory. */
  readonly buffered: number;
  /** Times the buffer was dropped (full) and the follower went back to the journal. */
  readonly overflows: number;
  readonly writeErrors: number;
  readonly lastError: string | null;
  /** Journal records the follower could not get (their segments were deleted before it wrote them). */
  readonly lostRecords: number;
}

type Mode = FollowerStatus['mode'];

/** Live batches' (last seq, time) notes kept at most (see `noted`). */
const NOTED_MAX = 64;

export class JournalFollower<Row extends { readonly seq: number }> {
  private readonly sink: FollowerSink<Row>;
  private readonly bufferRows: number;
  private readonly batchRows: number;
  private readonly flushMs: number;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private readonly markEveryMs: number;
  private readonly liveRows: (seq: number, order: OrderView, update: OrderUpdate, t: Transition, out: Row[]) => void;
  /** Live rows: buffer[head..] are waiting (the written ones before head are dropped in steps, not per batch). */
  private buffer: Row[] = [];
  private head = 0;
  private accepting = false;
  private journal: FollowedJournal | undefined;
  private wm = -1;
  private mode: Mode = 'starting';
  private up = false;
  private opened = false;
  /** After a failure: read W back from the sink before writing again. */
  private resync = false;
  /** The sink's watermark was past the journal's last record and that was logged (once until it is not). */
  private aheadLogged = false;
  /** The sink being down was logged (once per outage, the first one too when it was never up). */
  private downLogged = false;
  private overflows = 0;
  private writeErrors = 0;
  private lastError: string | null = null;
  private lostRecords = 0;
  /** When the sink last held everything the journal had then (lag in seconds counts from there). */
  private coveredAt = 0;
  /**
   * (journal last seq, clock time) pairs noted at live batches, oldest first: once W reaches a pair's seq, the sink
   * holds everything the journal held at its time. Under steady load W is always a little behind the journal's last
   * seq, so without them the lag in seconds would count from the last moment the sink held everything — it would
   * grow for as long as the load lasts, however small the lag in records.
   */
  private readonly noted: { seq: number; at: number }[] = [];
  private lastMarkAt = 0;
  /** When the sink's watermark was last read back while idle (checkSinkMs). */
  private lastCheckAt = 0;
  private stopping = false;
  /** Resolves at stop(): a sink's open() that never ends (a server down since start) does not hold the loop. */
  private readonly stopped: Promise<void>;
  private signalStop: () => void = () => undefined;
  private loopDone: Promise<void> | undefined;
  private wakeUp: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly o: JournalFollowerOptions<Row>) {
    this.sink = o.sink;
    this.bufferRows = Math.max(1, o.bufferRows ?? 65536);
    this.batchRows = Math.max(1, o.batchRows ?? 1000);
    this.flushMs = o.flushMs ?? 50;
    this.retryMs = o.retryMs ?? 250;
    this.maxRetryMs = o.maxRetryMs ?? 5000;
    this.markEveryMs = o.markEveryMs ?? 1000;
    this.stopped = new Promise((resolve) => (this.signalStop = resolve));
    if (o.liveRows !== undefined) this.liveRows = o.liveRows;
    else {
      const tracker = o.tracker;
      if (tracker === undefined) throw new Error(`${o.name}: a journal follower needs the daemon's tracker (or liveRows) for its live path`);
      const rows = o.rows;
      this.liveRows = (seq, order, update, t, out) => rows(seq, tracker, order, update, t, out);
    }
  }

  /**
   * The journal recorder's hook (JournalRecorder.addRecordedListener): called on the dispatch thread right after
   * an UPDATE record was appended. Makes the row(s) and buffers them; never waits, never throws.
   */
  readonly onRecorded = (seq: number, order: OrderView, update: OrderUpdate, t: Transition): void => {
    if (!this.accepting) return;
    try {
      this.liveRows(seq, order, update, t, this.buffer);
    } catch (err) {
      // a bug making a row: drop live rows, the journal catch-up makes them again (and reports the error there)
      this.lastError = String(err);
      this.dropBuffer();
      return;
    }
    const waiting = this.buffer.length - this.head;
    if (waiting > this.bufferRows) {
      this.overflows++;
      this.dropBuffer();
    } else if (waiting >= this.batchRows) this.wake();
  };

  /** The retention floor for the journal: its records after this are kept (0: keep everything, W not known yet). */
  readonly retentionFloor = (): number => Math.max(0, this.wm);

  /**
   * It takes rows and at most half its buffer is used: a feed that can wait (the history thread's, which holds the
   * journal's batches until then: tail-feed.ts) hands it more only then, so its buffer does not overflow and it does
   * not go back to the journal only because its sink is slower than the rows come.
   */
  hasRoom(): boolean {
    return this.accepting && (this.buffer.length - this.head) * 2 <= this.bufferRows;
  }

  /**
   * Rows were missed (whoever calls onRecorded lost records: a feed that dropped batches): the buffer is dropped as
   * on an overflow (counted there) and the follower catches up from the journal before it takes rows again.
   */
  rowsMissed(): void {
    if (!this.accepting) return;
    this.overflows++;
    this.dropBuffer();
    this.wake();
  }

  /** Start (the journal is open and recovered): open the sink, catch up from its watermark, then go live. */
  start(journal: FollowedJournal): void {
    if (this.loopDone !== undefined) return;
    this.journal = journal;
    this.coveredAt = this.o.clock.now();
    this.loopDone = this.loop();
  }

  /** The watermark (-1 while the sink was never reached). */
  get watermark(): number {
    return this.wm;
  }

  status(): FollowerStatus {
    const last = this.journal?.lastSeq() ?? 0;
    const lagRecords = this.wm < 0 ? last : Math.max(0, last - this.wm);
    return {
      store: this.sink.kind, where: this.sink.where, up: this.up, mode: this.mode, watermark: this.wm, lagRecords,
      lagSeconds: lagRecords === 0 ? 0 : Math.max(0, (this.o.clock.now() - this.coveredAt) / 1000),
      buffered: this.buffer.length - this.head, overflows: this.overflows, writeErrors: this.writeErrors, lastError: this.lastError, lostRecords: this.lostRecords,
    };
  }

  /**
   * Stop: write what is buffered (if the sink takes it within `timeoutMs`), then close the sink. What is not
   * written is read from the journal at the next start. Call after the journal is closed (nothing more comes).
   */
  async stop(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    if (this.loopDone !== undefined && this.accepting && this.up) {
      while (this.accepting && this.buffer.length > this.head && Date.now() < deadline && this.up) {
        this.wake();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    this.stopping = true;
    this.signalStop();
    this.accepting = false;
    this.wake();
    if (this.loopDone !== undefined) {
      await Promise.race([this.loopDone, new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())).unref())]);
    }
    this.mode = 'stopped';
    // a sink that hangs (a server that stopped answering) does not hold the stop up
    await Promise.race([this.sink.close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, Math.max(100, deadline - Date.now())).unref())]);
  }

  private dropBuffer(): void {
    this.accepting = false;
    this.buffer = [];
    this.head = 0;
  }

  private wake(): void {
    const w = this.wakeUp;
    if (w !== null) {
      this.wakeUp = null;
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      w();
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = resolve;
      this.timer = setTimeout(() => {
        this.timer = null;
        this.wakeUp = null;
        resolve();
      }, ms);
      this.timer.unref?.();
    });
  }

  private async loop(): Promise<void> {
    let retry = this.retryMs;
    while (!this.stopping) {
      try {
        if (!this.opened) {
          // a sink that cannot be reached yet may keep open() pending (node-redis retries a first connection in the
          // background): stop() must not wait for it — nothing was written, the next start catches up from the journal
          const open = this.sink.open();
          open.catch(() => undefined);
          await Promise.race([open, this.stopped]);
          if (this.stopping) break;
          const w = await this.sink.watermark();
          this.opened = true;
          this.wm = this.ofThisJournal(w);
          this.resync = false;
          this.setUp(true);
        } else if (this.resync) {
          // a write whose reply was lost may have landed (nothing is written twice when the sink can tell), and a
          // sink that lost its data (a Redis restarted empty) says so: the catch-up starts from what it holds
          const before = this.wm;
          this.wm = this.ofThisJournal(await this.sink.watermark());
          this.resync = false;
          if (this.wm < before) this.o.log.warn({ sink: this.sink.kind, where: this.sink.where, was: before, watermark: this.wm }, `${this.o.name}: the sink's watermark went back (it lost data): writing again from the journal`);
          // not up yet: the sink answered a read, but what failed was a write (a key of another type, a full disk);
          // up again once a write goes through, or once the catch-up finds nothing left to write (catchUp)
        }
        if (!this.accepting) await this.catchUp();
        else await this.drain();
        retry = this.retryMs;
      } catch (err) {
        if (this.stopping) break;
        this.dropBuffer();
        this.writeErrors++;
        this.resync = this.opened;
        this.lastError = err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? err.name}: ${err.message}` : String(err);
        // the journal failed (the daemon halted): the sink is not at fault, but nothing more becomes durable
        const journalFailed = String((err as { code?: unknown } | null)?.code ?? '').startsWith('JOURNAL_');
        if (!journalFailed) this.setUp(false);
        this.mode = 'down';
        await this.sleep(retry);
        retry = Math.min(this.maxRetryMs, retry * 2);
      }
    }
  }

  /**
   * The sink's watermark `w`, checked against this journal: a watermark past the journal's last record was written
   * from another journal (the data directory wiped or replaced, or another daemon writing to the same store or key
   * prefix). Taken as it is, the follower would skip this journal's records up to it — rows never written, the
   * journal's segments released to retention — so it throws (coded FOLLOWER_SINK_AHEAD): the follower stays down,
   * writes nothing, keeps W as it was (the journal keeps everything while W was never known) and reads the watermark
   * again with its backoff, until the operator gives it a store of its own or restores the journal.
   */
  private ofThisJournal(w: number): number {
    const last = this.journal!.lastSeq();
    if (w <= last) {
      this.aheadLogged = false;
      return w;
    }
    const message = `${this.o.name}: the ${this.sink.kind} store's watermark ${w} is past this journal's last record ${last}: it was written from another journal (a data directory wiped or replaced, or another daemon writing to the same store or key prefix); nothing is written to it until it is resolved: give this daemon a store of its own (another key prefix, table or path), remove the store's watermark, or restore this daemon's journal`;
    if (!this.aheadLogged) {
      this.aheadLogged = true;
      this.o.log.error({ sink: this.sink.kind, where: this.sink.where, watermark: w, journalLastSeq: last }, message);
    }
    throw Object.assign(new Error(message), { code: 'FOLLOWER_SINK_AHEAD' });
  }

  /** Up or down, logged at each change — and at the first failure of a sink never up (down from the start). */
  private setUp(up: boolean): void {
    if (up) {
      this.downLogged = false;
      if (this.up) return;
      this.up = true;
      this.o.log.info({ sink: this.sink.kind, where: this.sink.where, watermark: this.wm }, `${this.o.name} sink up`);
      return;
    }
    const was = this.up;
    this.up = false;
    if (!was && this.downLogged) return;
    this.downLogged = true;
    this.o.log.warn({ sink: this.sink.kind, where: this.sink.where, watermark: this.wm, err: this.lastError }, `${this.o.name} sink down: catching up from the journal when it is back`);
  }

  /** The watermark reached what the journal held at `at`. */
  private covered(at: number): void {
    if (at > this.coveredAt) this.coveredAt = at;
  }

  /** Notes that the journal held up to `seq` at `at` (a live batch's start). */
  private note(seq: number, at: number): void {
    const n = this.noted;
    const lastNoted = n[n.length - 1];
    if (lastNoted !== undefined && lastNoted.seq >= seq) return;
    // bounded: when full the oldest goes (the lag is then counted from an earlier time: never less than it is)
    if (n.length >= NOTED_MAX) n.shift();
    n.push({ seq, at });
  }

  /** W reached `wm`: the newest noted time whose seq it covers is when the sink held everything the journal had. */
  private coveredUpTo(wm: number): void {
    const n = this.noted;
    let k = 0;
    while (k < n.length && n[k]!.seq <= wm) k++;
    if (k > 0) {
      this.covered(n[k - 1]!.at);
      n.splice(0, k);
    }
  }

  /** From the journal, W + 1 up to its durable end; then live (see the header). */
  private async catchUp(): Promise<void> {
    const j = this.journal!;
    this.mode = 'catch-up';
    for (;;) {
      if (this.stopping) return;
      const target = j.durableSeq();
      if (this.wm >= target) {
        // one turn: every record after L reaches the buffer
        const last = j.lastSeq();
        const at = this.o.clock.now();
        this.buffer = [];
        this.head = 0;
        this.accepting = true;
        this.o.onRoom?.();
        if (last > this.wm) {
          await j.whenDurable(last);
          await this.copy(this.wm, last);
        } else this.setUp(true); // the sink holds everything: nothing to write, nothing failing
        if (this.accepting) this.mode = 'live';
        this.covered(at);
        return;
      }
      await this.copy(this.wm, target);
    }
  }

  /** The rows of the records in (since, upTo] from the journal, written in batches; W follows. */
  private async copy(since: number, upTo: number): Promise<void> {
    const rows: Row[] = [];
    const opened = openFollowerCursor(this.journal!.dir, this.o.orders, this.o.retainFinished, since, upTo, this.o.rows, rows, this.o.name);
    if (!opened.ok) {
      const resume = Math.min(upTo, Math.max(opened.resumeAfter, since));
      this.lostRecords += resume - since;
      this.o.log.error({ since, resumeAfter: resume, reason: opened.reason }, `${this.o.name}: journal records lost before they were written`);
      await this.sink.write([], resume);
      this.wm = resume;
      if (resume <= since) throw new Error(opened.reason);
      this.setUp(true); // the write went through (as copy's below): the sink is up
      return;
    }
    const cursor = opened.cursor;
    try {
      let more = true;
      while (more && !this.stopping) {
        more = cursor.read(this.batchRows, 4096);
        // the records up to upTo are on disk: the cursor ends there (if it ends before, only what it read counts)
        const covered = cursor.seq;
        if (!more && covered <= since && upTo > since) throw new Error(`${this.o.name}: the journal records after seq ${since} could not be read`);
        if (rows.length >= this.batchRows || !more) {
          await this.sink.write(rows, covered);
          this.wm = covered;
          this.lastMarkAt = this.o.clock.now();
          rows.length = 0;
          this.setUp(true);
        } else {
          // a long stretch without rows: let the event loop turn
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    } finally {
      cursor.close();
    }
  }

  /**
   * The sink's watermark read back while idle (checkSinkMs): when it is not W the sink lost what was written (or
   * someone else writes it): the rows taken are dropped and the follower catches up from the journal from it. A
   * failed read is a failure as a failed write (the sink is down).
   */
  private async checkSink(): Promise<void> {
    const w = this.ofThisJournal(await this.sink.watermark());
    if (w === this.wm) return;
    const before = this.wm;
    this.dropBuffer();
    this.wm = w;
    this.o.log.warn({ sink: this.sink.kind, where: this.sink.where, was: before, watermark: w }, `${this.o.name}: the sink's watermark is not the one written (it lost data): writing again from the journal`);
  }

  /** One live batch, or a wait for rows (and the idle watermark mark). */
  private async drain(): Promise<void> {
    const j = this.journal!;
    if (this.buffer.length === this.head) {
      const now = this.o.clock.now();
      const last = j.lastSeq();
      if (last > this.wm && now - this.lastMarkAt >= this.markEveryMs) {
        await j.whenDurable(last);
        if (!this.accepting) return;
        await this.sink.write([], last);
        this.wm = Math.max(this.wm, last);
        this.lastMarkAt = now;
        this.covered(now);
        return;
      }
      if (last <= this.wm) this.covered(now);
      const check = this.o.checkSinkMs;
      if (check !== undefined && now - Math.max(this.lastMarkAt, this.lastCheckAt) >= check) {
        this.lastCheckAt = now;
        await this.checkSink();
        if (!this.accepting) return;
      }
      await this.sleep(this.flushMs);
      return;
    }
    if (this.buffer.length - this.head < this.batchRows && !this.stopping) {
      // let a batch gather (at most flushMs), unless it is full already
      await this.sleep(this.flushMs);
      if (!this.accepting) return;
    }
    const buf = this.buffer;
    const head = this.head;
    const waiting = buf.length - head;
    let n = Math.min(waiting, this.batchRows);
    // the rows of one record (a fill and the final state it made) go in one batch: W never splits a record
    while (n < waiting && buf[head + n]!.seq === buf[head + n - 1]!.seq) n++;
    const at = this.o.clock.now();
    const last = j.lastSeq();
    const durable = j.durableSeq();
    // Rows whose records are durable already are written now, without waiting for the newest records' write (under
    // load the journal always has one in progress: waiting for it would add a disk write to every batch). A record
    // is durable as a whole, so this never splits one either.
    let d = 0;
    while (d < n && buf[head + d]!.seq <= durable) d++;
    let covered: number;
    if (d > 0) {
      // every row of a record after the batch and up to `durable` would be in the batch: W may go to `durable`
      const rest = d < n || n === waiting;
      n = d;
      covered = rest ? durable : buf[head + n - 1]!.seq;
    } else {
      covered = n === waiting ? last : buf[head + n - 1]!.seq;
      await j.whenDurable(covered);
      if (!this.accepting) return;
    }
    const batch = buf.slice(head, head + n);
    await this.sink.write(batch, covered);
    this.wm = Math.max(this.wm, covered);
    this.lastMarkAt = this.o.clock.now();
    if (this.accepting && this.buffer === buf) {
      this.head += n;
      // the written rows leave the array in steps (a splice per batch would move the whole buffer each time)
      if (this.head === buf.length) {
        buf.length = 0;
        this.head = 0;
      } else if (this.head >= 4096 && this.head * 2 >= buf.length) {
        buf.copyWithin(0, this.head);
        buf.length -= this.head;
        this.head = 0;
      }
      this.o.onRoom?.();
    }
    if (covered >= last) this.covered(at);
    else {
      this.note(last, at);
      this.coveredUpTo(this.wm);
    }
  }
}
