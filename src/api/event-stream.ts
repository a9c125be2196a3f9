/**
 * The sending side of the WebSocket at /v1/stream: order events to every client, resumable and bounded.
 *
 * - seq. With the journal on, an event's seq is the journal seq of the UPDATE record that made it durable, so it
 *   increases across restarts and snapshots (it is not consecutive: orders, audit records and late acknowledgements
 *   take seqs too). An event is sent only once its record is durable: a client never sees an event that a crash
 *   could take back, nor a seq that the next run could give to another event. With the journal off, seq is the
 *   order tracker's count of transitions since this start: it starts again from 1 after a restart.
 * - Resume. `?since=SEQ`: the events after SEQ are rebuilt from the journal (event-replay.ts) and sent first, then
 *   the live ones. The seam is the journal seq at connect (hello.seq): replayed events are those up to it, live ones
 *   those after it, and live events (and results of the client's requests) that arrive during the replay wait in the
 *   client's backlog; so there is no gap and no duplicate. When SEQ cannot be replayed (older than the retained journal, after the last seq, or the
 *   journal is off) the client gets a RESYNC message with the open orders instead, then the live events.
 * - Filters. `?strategy=a,b&symbol=X` (repeatable, comma-separated): only events (and RESYNC orders) that match;
 *   `?event=ACCEPT,FILL` only events of these lifecycle events (live and replayed; RESYNC orders are not events).
 *   An event no connected client's filters let through is never made.
 * - Coalescing. What is queued for a client in one event-loop turn (events, request results) goes out together at
 *   the end of the turn (setImmediate), in the order it was queued: in one write of every message's frame (the socket
 *   corked around them), or — a client that connected with `?batch=1` — as ONE frame holding a JSON array of those
 *   messages. A turn's queue that reaches half the bound (at most TURN_MAX_BYTES) is written at once, and the rest
 *   of the turn goes in the next write (frame). Each event is serialised once, as UTF-8 bytes written straight into
 *   the stream's arena (no string made of it), and those bytes are shared by every client it goes to, each copying
 *   them into its turn's write (an array frame, or one buffer for the turn's frames): what a socket holds is never
 *   more than its own bytes. Other messages (results, hello, RESYNC, replayed events) are strings.
 * - Slow consumers. A client whose send buffer (ws bufferedAmount plus what is queued for it in this turn, or its
 *   backlog during a replay) would pass `maxBufferedBytes` (plus, while it reads a RESYNC, the RESYNC's size: the open
 *   orders in one message, however many) is dropped at once — nothing more is queued for it; what
 *   was queued within the bound is written — and closed with code 4000 and the reason "slow consumer: send buffer
 *   over N bytes"; its socket is destroyed CLOSE_GRACE_MS later if it never reads the close frame. One client that
 *   stops reading costs at most the bound (and its RESYNC), never the daemon's memory.
 */
import type { WebSocket } from 'ws';
import type { OrderView } from '../core/order-store.js';
import type { OrderTracker } from '../core/order-tracker.js';
import type { OrderStore } from '../core/order-store.js';
import { EventFragments, openEventReplay, writeStreamEvent, type EventReplayOpen } from '../journal/event-replay.js';
import { JsonBytes } from '../journal/json-bytes.js';
import type { JournalRecorder } from '../journal/journal-recorder.js';
import { eventIndex, LIFECYCLE_EVENTS, type LifecycleEvent, type OrderUpdate, type Transition } from '../model/lifecycle.js';
import type { InstrumentRegistry } from '../model/instrument.js';
import { isResultShape, RESULT_SHAPE_EXPECTED, type ResultShape } from '../model/result-shape.js';
import type { Logger } from '../telemetry/logger.js';
import { orderView } from './order-view.js';
import { PendingEvents } from './pending-events.js';

/** Close code of a slow consumer (application range: clients can tell it from a policy close). */
export const SLOW_CONSUMER_CLOSE_CODE = 4000;
/** Close code of a stream query that is not valid (unknown strategy or symbol, bad since). */
export const BAD_QUERY_CLOSE_CODE = 1008;
/** How long a dropped slow consumer gets to read its close frame before its socket is destroyed. */
export const CLOSE_GRACE_MS = 10_000;
/** How long a client gets to answer the daemon's 1001 close when it stops. */
const STOP_GRACE_MS = 1000;
/** Most bytes one client's turn queue holds before it is written (a batch client's array frames stay below it). */
const TURN_MAX_BYTES = 1 << 20;
/** Replayed events sent between two looks at the client's send buffer. */
const REPLAY_BATCH = 256;
/** A replay waits for the client's buffer to fall below half the bound; a client that does not read for this long is slow. */
const REPLAY_STALL_MS = 10_000;

/** The journal as the stream needs it (the daemon's JournalRecorder and journal directory). */
export interface StreamJournal {
  /** Seq of the last record appended. */
  lastSeq(): number;
  durableSeq(): number;
  whenDurable(seq: number): Promise<void>;
  /** Called with every recorded transition, in journal order (JournalRecorder.onEventRecorded). */
  subscribe(publish: (seq: number, order: OrderView, update: OrderUpdate, t: Transition) => void): void;
  /** The events after `since` up to `upTo` (since < upTo), rebuilt from the journal. */
  replay(since: number, upTo: number): EventReplayOpen;
}

/** The daemon's journal for the stream: events from its recorder, replays from its directory (`dir`). */
export function journalStream(recorder: JournalRecorder, dir: string, store: OrderStore, retainFinished: number): StreamJournal {
  return {
    lastSeq: () => recorder.lastSeq,
    durableSeq: () => recorder.durableSeq,
    whenDurable: (seq) => recorder.whenDurable(seq),
    subscribe: (publish) => {
      recorder.onEventRecorded = publish;
    },
    replay: (since, upTo) => openEventReplay(dir, store, retainFinished, since, upTo),
  };
}

export interface EventStreamOptions {
  readonly tracker: OrderTracker;
  readonly instruments: InstrumentRegistry;
  /** Strategy ids a filter may name. */
  readonly strategies: readonly string[];
  readonly log: Logger;
  readonly maxBufferedBytes: number;
  /** Absent: the journal is off (seq restarts with the daemon; since= cannot be replayed). */
  readonly journal?: StreamJournal | undefined;
}

export interface StreamQuery {
  readonly since: number | undefined;
  /** `?batch=1`: each turn's messages as one frame holding a JSON array of them. */
  readonly batch: boolean;
  readonly strategies: ReadonlySet<string> | null;
  readonly symbols: ReadonlySet<string> | null;
  /** `?event=`: only events of these lifecycle events (null: every one). */
  readonly events: ReadonlySet<string> | null;
  /**
   * `?result=`: what a request's result names its order with: `order` (default) its whole view, `ids` its orderId and
   * clientOrderId only (for clients that follow their orders on the events: less to make, send and read).
   */
  readonly result: ResultShape;
}

/** since, strategy, symbol, event, batch and result of an upgrade's query (other parameters, such as token, are not the stream's). */
export function parseStreamQuery(
  query: URLSearchParams,
  strategies: readonly string[],
  symbols: readonly string[],
): { ok: true; query: StreamQuery } | { ok: false; reason: string } {
  const sinceValues = query.getAll('since');
  let since: number | undefined;
  if (sinceValues.length > 1) return { ok: false, reason: 'since given more than once' };
  if (sinceValues.length === 1) {
    if (!/^\d{1,15}$/.test(sinceValues[0]!)) return { ok: false, reason: 'since must be an event seq (a whole number)' };
    since = Number(sinceValues[0]);
  }
  const set = (name: string, known: readonly string[]): ReadonlySet<string> | null | string => {
    const values = query.getAll(name).flatMap((v) => v.split(',')).filter((v) => v.length > 0);
    if (values.length === 0) return null;
    for (const v of values) if (!known.includes(v)) return `unknown ${name} "${v.slice(0, 40)}"`;
    return new Set(values);
  };
  const batchValues = query.getAll('batch');
  if (batchValues.length > 1) return { ok: false, reason: 'batch given more than once' };
  if (batchValues.length === 1 && batchValues[0] !== '0' && batchValues[0] !== '1') return { ok: false, reason: 'batch must be 1 or 0' };
  const batch = batchValues[0] === '1';
  const resultValues = query.getAll('result');
  if (resultValues.length > 1) return { ok: false, reason: 'result given more than once' };
  if (resultValues.length === 1 && !isResultShape(resultValues[0])) return { ok: false, reason: RESULT_SHAPE_EXPECTED };
  const result: ResultShape = resultValues[0] === 'ids' ? 'ids' : 'order';
  const s = set('strategy', strategies);
  if (typeof s === 'string') return { ok: false, reason: s };
  const y = set('symbol', symbols);
  if (typeof y === 'string') return { ok: false, reason: y };
  const e = set('event', LIFECYCLE_EVENTS);
  if (typeof e === 'string') return { ok: false, reason: e };
  return { ok: true, query: { since, batch, strategies: s, symbols: y, events: e, result } };
}

interface Client {
  readonly ws: WebSocket;
  readonly query: StreamQuery;
  /** The query's filters as the live events are matched against them (liveFilter: made once, at connect). */
  readonly filter: LiveFilter;
  /** Events with seq <= after are not sent live (before the client came, or replayed). */
  readonly after: number;
  open: boolean;
  /** Replaying: live events wait in the backlog (at most maxBufferedBytes). */
  replaying: boolean;
  backlog: Message[];
  backlogBytes: number;
  /**
   * Messages queued in this turn, written at its end (flushTurn); their UTF-8 bytes in outBytes. An event is queued
   * as the arena buffer it was written in, its bytes [outStart, outEnd) of it (a whole message: outEnd WHOLE); an
   * event written right after the one queued last extends it (outCommas: the commas between them, which the arena
   * holds), so that a run of events is one copy (into the array frame; without ?batch=1 into the write's buffer, each
   * event then sent as its frame: outLengths, the bytes of each event queued, in order).
   */
  out: Message[];
  outStart: number[];
  outEnd: number[];
  outLengths: number[];
  outBytes: number;
  outCommas: number;
  /** In EventStream.dirty (has something to write at the end of the turn). */
  dirty: boolean;
  /**
   * ws.bufferedAmount as read during delivery `bufferedBurst` (EventStream.burst): read once per client and delivery
   * loop, not once per event — nothing but this stream's own writes to the client (which forget it) changes it while
   * the loop runs.
   */
  buffered: number;
  bufferedBurst: number;
  /**
   * Bytes over maxBufferedBytes the client may hold while it reads its RESYNC (one message: the open orders, as large
   * as they are many); back to 0 once its send buffer is within the bound again.
   */
  grace: number;
}

/** The ws socket under a WebSocket (ws keeps it in `_socket`): corked around a turn's frames. */
interface Corkable {
  readonly _socket?: { cork(): void; uncork(): void } | null;
}

/** A message to a client: text, or UTF-8 bytes (an event's: a view of the arena, never changed once made). */
export type Message = string | Uint8Array;

/** A message's UTF-8 length. */
function messageBytes(m: Message): number {
  return typeof m === 'string' ? Buffer.byteLength(m) : m.length;
}

export interface StreamStats {
  readonly clients: number;
  readonly slowConsumerDisconnects: number;
  /** Live events made for clients since the start (only those some connected client's filters let through). */
  readonly events: number;
}

export class EventStream {
  private readonly clients = new Map<WebSocket, Client>();
  /**
   * The clients, as the events are delivered to them: a new array when one comes or goes (never changed in place, so
   * that a client dropped while an event is being delivered does not move the others under the loop).
   */
  private list: readonly Client[] = [];
  /** Dropped slow consumers whose sockets are still being closed (destroyed on close()). */
  private readonly closing = new Set<WebSocket>();
  /**
   * The events waiting for their records to be durable, each with its message (`{"type":"event",…}`, UTF-8: made once,
   * the same bytes written to every client it goes to).
   */
  private readonly pending = new PendingEvents();
  /**
   * Where events are written, one after the other, a comma after each (their messages are spans of its buffers,
   * eventMessage): a buffer is never written twice, and lives on while a message made in it waits for its record's
   * durability or for the end of the turn (each client's write copies the bytes out, so no socket holds on to it).
   */
  private readonly arena = new JsonBytes(ARENA_BYTES);
  /** What the events of the tracker's orders are written with (their constant bytes, made once). */
  private readonly fragments: EventFragments;
  private waiting = false;
  /** The event eventMessage wrote last: the arena buffer it is in and its bytes' span of it. */
  private eventChunk: Uint8Array = new Uint8Array(0);
  private eventStart = 0;
  private eventEnd = 0;
  /**
   * Odd while publishDurable delivers (a new odd number each time), even otherwise: a client's ws.bufferedAmount read
   * in the same odd burst is still what ws holds (Client.buffered).
   */
  private burst = 0;
  private slowDisconnects = 0;
  /** Live events made (StreamStats.events). */
  private made = 0;
  /** Clients with messages queued in this turn; `flushScheduled`: flushTurn is due at its end. */
  private dirty: Client[] = [];
  private spare: Client[] = [];
  private flushScheduled = false;
  private readonly flushTurn = (): void => this.writeTurn();
  private readonly symbols: readonly string[];
  /** A client's turn queue is written early when it would pass this: half the bound, at most TURN_MAX_BYTES. */
  private readonly turnBytes: number;

  constructor(private readonly o: EventStreamOptions) {
    this.symbols = o.instruments.list.map((i) => i.symbol);
    this.turnBytes = Math.min(TURN_MAX_BYTES, Math.floor(o.maxBufferedBytes / 2));
    this.fragments = new EventFragments(o.tracker.store, EVENT_HEAD_TEXT);
    if (o.journal !== undefined) {
      o.journal.subscribe((seq, order, update, t) => this.recorded(seq, order, update, t));
    } else {
      o.tracker.listen({
        onTransition: (order, update, t) => {
          const event = eventIndex(t.event);
          if (!this.wanted(order.strategyIndex, order.symbolIndex, event)) return;
          this.eventMessage(undefined, order, update, t);
          this.deliver(this.o.tracker.seqOf(t), order.strategyIndex, order.symbolIndex, event, this.eventChunk, this.eventStart, this.eventEnd);
        },
      }, 'api-stream');
    }
  }

  get stats(): StreamStats {
    return { clients: this.clients.size, slowConsumerDisconnects: this.slowDisconnects, events: this.made };
  }

  /** The seq of the last event the stream knows of: replayed events are those up to it, live ones after it. */
  private lastSeq(): number {
    return this.o.journal !== undefined ? this.o.journal.lastSeq() : this.o.tracker.lastSeq;
  }

  /**
   * A new client: hello, then (with since) the missed events or a RESYNC, then live events. Its query, or undefined
   * when the query is not valid (the socket is then closed with the reason).
   */
  add(ws: WebSocket, params: URLSearchParams): StreamQuery | undefined {
    const parsed = parseStreamQuery(params, this.o.strategies, this.symbols);
    if (!parsed.ok) {
      ws.close(BAD_QUERY_CLOSE_CODE, `bad stream query: ${parsed.reason}`);
      return undefined;
    }
    const q = parsed.query;
    const last = this.lastSeq();
    const c: Client = {
      ws, query: q, filter: liveFilter(q, this.o.tracker.store), after: last, open: true, replaying: false, backlog: [], backlogBytes: 0, out: [], outStart: [], outEnd: [], outLengths: [], outBytes: 0, outCommas: 0,
      dirty: false, grace: 0, buffered: 0, bufferedBurst: NO_BURST,
    };
    this.clients.set(ws, c);
    this.list = [...this.clients.values()];
    const gone = (): void => this.forget(c);
    ws.on('close', gone);
    ws.on('error', gone);
    if (!this.sendText(c, JSON.stringify({ type: 'hello', seq: last }))) return q;
    if (q.since === undefined || q.since === last) return q;
    if (this.o.journal === undefined) {
      this.resync(c, q.since, 'the journal is off: events are not kept (seq restarts with the daemon)');
    } else if (q.since > last) {
      this.resync(c, q.since, `since ${q.since} is after the last event seq ${last}`);
    } else {
      c.replaying = true;
      void this.replay(c, q.since, last);
    }
    return q;
  }

  /**
   * Publishes now the events whose records are durable, without waiting for the stream's own durability callback:
   * called before a result that waited for the journal, so that the result follows the events recorded before it
   * (a submit's SUBMITTED or DENIED event comes before its result).
   */
  catchUp(): void {
    if (this.o.journal !== undefined && this.pending.length !== 0) this.publishDurable();
  }

  /**
   * A message to one client (request results), under the same bound as events: text, or UTF-8 bytes that stay
   * unchanged until the end of the turn (a view of an arena, as the events are).
   */
  send(ws: WebSocket, message: Message): void {
    const c = this.clients.get(ws);
    if (c === undefined) return;
    const bytes = messageBytes(message);
    // replaying: behind the live events delivered before it (a submit's SUBMITTED), which wait for the replay's end
    if (c.replaying) this.toBacklog(c, message, bytes);
    else this.sendTo(c, message, bytes);
  }

  /**
   * Daemon stopping: every client closed with 1001, and destroyed if it has not answered within STOP_GRACE_MS (a
   * client that does not read would otherwise hold the server's close for ws's 30 s close timeout); dropped slow
   * consumers destroyed at once.
   */
  async close(): Promise<void> {
    await this.flush();
    for (const c of [...this.clients.values()]) {
      this.write(c); // what was queued goes before the close frame
      this.forget(c);
      const ws = c.ws;
      const timer = setTimeout(() => ws.terminate(), STOP_GRACE_MS);
      timer.unref();
      ws.once('close', () => clearTimeout(timer));
      ws.close(1001, 'daemon stopping');
    }
    for (const ws of this.closing) ws.terminate();
    this.closing.clear();
    this.pending.clear();
  }

  /**
   * Events already recorded go out before the clients are closed (the last transitions of a stop — the shutdown
   * policy's cancels — are the ones a client most needs): waits for their records to be durable, at most
   * STOP_GRACE_MS (a failed journal makes them never durable: they are not sent).
   */
  private async flush(): Promise<void> {
    const j = this.o.journal;
    if (j === undefined || this.pending.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      j.whenDurable(this.pending.lastSeq).catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, STOP_GRACE_MS);
      }),
    ]);
    clearTimeout(timer);
    this.publishDurable();
  }

  /** A transition just recorded at `seq`: published once durable. Nothing is made when nobody listens. */
  private recorded(seq: number, order: OrderView, update: OrderUpdate, t: Transition): void {
    const event = eventIndex(t.event);
    const strategy = order.strategyIndex;
    const symbol = order.symbolIndex;
    if (!this.wanted(strategy, symbol, event)) return;
    try {
      this.eventMessage(seq, order, update, t);
      this.pending.push(seq, strategy, symbol, event, this.eventChunk, this.eventStart, this.eventEnd);
      this.publishDurable();
    } catch (err) {
      this.o.log.error({ err }, 'api stream: event not published');
    }
  }

  /**
   * Writes a transition's event as the stream sends it into the arena, made from the order (no event object): its
   * bytes are eventChunk[eventStart, eventEnd) (no view made of them). A comma follows it in the arena when there is
   * room: events written one after the other are then a batch frame's run of them, as they are (Client.out).
   */
  private eventMessage(seq: number | undefined, order: OrderView, update: OrderUpdate, t: Transition): void {
    this.made++;
    const arena = this.arena;
    arena.begin();
    const before = arena.buf;
    const from = arena.pos;
    writeStreamEvent(arena, this.fragments, seq, this.o.tracker, order, update, t);
    const chunk = arena.buf;
    const end = arena.pos;
    this.eventChunk = chunk;
    // a buffer the arena began for it holds it from its start (JsonBytes.reserve)
    this.eventStart = chunk === before ? from : 0;
    this.eventEnd = end;
    if (end < chunk.length) arena.byte(COMMA);
  }

  /**
   * Whether any client's filters let this event (LIFECYCLE_EVENTS index) of this strategy and symbol (the store's
   * indexes) through (none: it is not even described).
   */
  private wanted(strategy: number, symbol: number, event: number): boolean {
    const list = this.list;
    for (let i = 0; i < list.length; i++) if (passes(list[i]!.filter, strategy, symbol, event)) return true;
    return false;
  }

  /** Sends the pending events whose records are durable, in seq order; waits for the rest. */
  private publishDurable(): void {
    const j = this.o.journal!;
    const durable = j.durableSeq();
    const p = this.pending;
    if (p.length > 0 && p.firstSeq <= durable) {
      this.burst++; // odd: the clients' buffered amounts are read once each in this loop
      try {
        while (p.length > 0 && p.firstSeq <= durable) {
          this.deliver(p.firstSeq, p.strategy, p.symbol, p.event, p.chunk, p.start, p.end);
          p.shift();
        }
      } finally {
        this.burst++;
      }
    }
    if (p.length === 0 || this.waiting) return;
    this.waiting = true;
    j.whenDurable(p.lastSeq).then(
      () => {
        this.waiting = false;
        this.publishDurable();
      },
      () => {
        // The journal failed: these records will never be durable, so their events are never published.
        this.waiting = false;
        this.pending.clear();
      },
    );
  }

  /**
   * An event (seq, the store's strategy and symbol indexes, its LIFECYCLE_EVENTS index, its message: chunk[start, end)
   * of the arena) to the clients it is for.
   */
  private deliver(seq: number, strategy: number, symbol: number, event: number, chunk: Uint8Array, start: number, end: number): void {
    const list = this.list;
    const bytes = end - start;
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      if (seq <= c.after || !passes(c.filter, strategy, symbol, event)) continue;
      if (!c.replaying) this.sendSpan(c, chunk, start, end, bytes);
      else this.toBacklog(c, Buffer.from(chunk.subarray(start, end)), bytes); // a copy: a backlog may wait a while
    }
  }

  /** A live message for a client being replayed to: sent after the replay, in order, under the same bound. */
  private toBacklog(c: Client, message: Message, bytes: number): void {
    if (!c.open) return;
    c.backlog.push(message);
    c.backlogBytes += bytes;
    if (c.backlogBytes > this.o.maxBufferedBytes) this.slow(c);
  }

  /**
   * Queues a message for the end of the turn unless that would take the client's send buffer (what ws holds and what
   * this turn queued) over the bound: then it is dropped. False if not queued. `grace`: bytes the client may hold over
   * the bound until its buffer is within it again (a RESYNC's own size).
   */
  private sendTo(c: Client, message: Message, bytes: number, grace = 0): boolean {
    if (!this.admit(c, bytes, grace)) return false;
    c.out.push(message);
    c.outStart.push(0);
    c.outEnd.push(WHOLE);
    c.outBytes += bytes;
    if (grace > 0) c.grace = grace;
    this.queued(c);
    return true;
  }

  /** sendTo of an event: chunk[start, end) of the arena (`bytes` of it), a run's next event joining it (Client.out). */
  private sendSpan(c: Client, chunk: Uint8Array, start: number, end: number, bytes: number): void {
    if (!this.admit(c, bytes, 0)) return;
    const out = c.out;
    const last = out.length - 1;
    if (start > 0 && last >= 0 && out[last] === chunk && c.outEnd[last] === start - 1) {
      c.outEnd[last] = end;
      c.outCommas++;
    } else {
      out.push(chunk);
      c.outStart.push(start);
      c.outEnd.push(end);
    }
    if (!c.query.batch) c.outLengths.push(bytes);
    c.outBytes += bytes;
    this.queued(c);
  }

  /**
   * Whether `bytes` more may be queued for the client (sendTo's bound; `grace` its); a client it would take over the
   * bound is dropped. What was queued may be written first (a turn's queue over half the bound).
   */
  private admit(c: Client, bytes: number, grace: number): boolean {
    if (!c.open) return false;
    const ws = c.ws;
    if (ws.readyState !== ws.OPEN) return false;
    // A turn's queue is written early once it holds half the bound: only what the client does not read counts up to it.
    if (c.outBytes + bytes > this.turnBytes && c.out.length > 0) this.write(c);
    let buffered: number;
    const burst = this.burst;
    if (c.bufferedBurst === burst && (burst & 1) === 1) buffered = c.buffered;
    else {
      buffered = ws.bufferedAmount;
      c.buffered = buffered;
      c.bufferedBurst = burst;
    }
    const held = buffered + c.outBytes;
    if (c.grace > 0 && held <= this.o.maxBufferedBytes) c.grace = 0; // the RESYNC is read: the bound alone again
    if (held + bytes > this.o.maxBufferedBytes + c.grace + grace) {
      this.slow(c);
      return false;
    }
    return true;
  }

  /** The client has something queued: written at the end of the turn. */
  private queued(c: Client): void {
    if (!c.dirty) {
      c.dirty = true;
      this.dirty.push(c);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flushTurn);
      }
    }
  }

  private sendText(c: Client, text: string): boolean {
    return this.sendTo(c, text, Buffer.byteLength(text));
  }

  /** End of the turn: every client's queued messages written, each client's in one go. */
  private writeTurn(): void {
    this.flushScheduled = false;
    const list = this.dirty;
    this.dirty = this.spare; // two arrays swapped: no allocation per turn
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      c.dirty = false;
      try {
        this.write(c);
      } catch (err) {
        this.o.log.error({ err }, 'api stream: a client\'s messages could not be written');
        clearOut(c);
      }
    }
    list.length = 0;
    this.spare = list;
  }

  /** Writes what is queued for the client: one array frame (?batch=1), or its frames in one corked write. */
  private write(c: Client): void {
    const out = c.out;
    if (out.length === 0) return;
    c.bufferedBurst = NO_BURST; // what ws holds changes with this write: read again
    const ws = c.ws;
    if (ws.readyState === ws.OPEN) {
      if (c.query.batch) {
        ws.send(arrayFrame(c), TEXT_FRAME);
      } else {
        // the events' bytes are copied out of the arena into one buffer of this write: what ws holds for a client
        // that reads slowly is its own bytes, never a whole arena buffer kept alive by one small message
        const copies = Buffer.allocUnsafe(c.outBytes + c.outCommas);
        const lengths = c.outLengths;
        let at = 0;
        let k = 0; // the next of outLengths
        const socket = out.length > 1 || c.outCommas > 0 ? (ws as unknown as Corkable)._socket : undefined;
        socket?.cork();
        for (let i = 0; i < out.length; i++) {
          const m = out[i]!;
          if (typeof m === 'string') ws.send(m, TEXT_FRAME);
          else {
            const end = c.outEnd[i]!;
            if (end === WHOLE) {
              copies.set(m, at);
              ws.send(copies.subarray(at, at + m.length), TEXT_FRAME);
              at += m.length;
              continue;
            }
            // a run of events: copied whole, each sent as its frame (the commas between them skipped)
            const start = c.outStart[i]!;
            const stop = at + end - start;
            copies.set(m.subarray(start, end), at);
            while (at < stop) {
              const n = lengths[k++]!;
              ws.send(copies.subarray(at, at + n), TEXT_FRAME);
              at += n + 1;
            }
            at = stop;
          }
        }
        socket?.uncork();
      }
    }
    clearOut(c);
  }

  private slow(c: Client): void {
    if (!c.open) return;
    this.write(c); // what was queued within the bound goes out before the close frame
    this.forget(c);
    this.slowDisconnects++;
    const max = this.o.maxBufferedBytes;
    this.o.log.warn({ bufferedBytes: c.ws.bufferedAmount, max }, 'api stream: slow consumer disconnected');
    const ws = c.ws;
    this.closing.add(ws);
    // The close frame queues behind what the client has not read: it sees the reason if it reads on in time.
    const timer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
    timer.unref();
    ws.once('close', () => {
      clearTimeout(timer);
      this.closing.delete(ws);
    });
    ws.close(SLOW_CONSUMER_CLOSE_CODE, `slow consumer: send buffer over ${max} bytes`);
  }

  private forget(c: Client): void {
    c.open = false;
    c.backlog = [];
    c.backlogBytes = 0;
    clearOut(c);
    if (this.clients.get(c.ws) === c) {
      this.clients.delete(c.ws);
      this.list = [...this.clients.values()];
    }
  }

  /** The open orders instead of events that cannot be replayed; live events (seq > c.after) follow. */
  private resync(c: Client, since: number, reason: string): void {
    const orders = this.o.tracker.list(true)
      .filter((o) => matches(c.query, o.strategy, o.symbol))
      .map((o) => orderView(o, this.o.instruments, this.o.tracker.store));
    const text = JSON.stringify({ type: 'resync', seq: c.after, since, reason, orders });
    // the open orders in one message, however many: a client is not dropped for a RESYNC larger than the bound, only
    // if it then falls behind by the bound on top of it (its memory: the bound plus the open orders' views)
    const bytes = Buffer.byteLength(text);
    this.sendTo(c, text, bytes, bytes);
  }

  private async replay(c: Client, since: number, upTo: number): Promise<void> {
    const j = this.o.journal!;
    let close: (() => void) | undefined;
    try {
      await j.whenDurable(upTo);
      if (!c.open) return;
      const r = j.replay(since, upTo);
      if (!r.ok) this.resync(c, since, r.reason);
      else {
        const cursor = r.cursor;
        close = () => cursor.close();
        let n = 0;
        for (let e = cursor.next(); e !== null; e = cursor.next()) {
          if (matchesEvent(c.query, e.strategy, e.symbol, e.event) && !this.sendText(c, eventText(e))) return;
          if (++n % REPLAY_BATCH === 0 && !(await this.room(c))) return;
        }
      }
    } catch (err) {
      if (!c.open) return;
      this.o.log.warn({ err, since }, 'api stream: events could not be replayed from the journal');
      this.resync(c, since, `the journal could not be read: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500));
    } finally {
      close?.();
    }
    if (!c.open) return;
    c.replaying = false;
    const backlog = c.backlog;
    c.backlog = [];
    c.backlogBytes = 0;
    for (const m of backlog) if (!this.sendTo(c, m, messageBytes(m))) return;
  }

  /** Waits until the client's send buffer is below half the bound; false if it went away or stopped reading. */
  private async room(c: Client): Promise<boolean> {
    const half = this.o.maxBufferedBytes / 2;
    const start = performance.now();
    for (;;) {
      if (!c.open) return false;
      if (c.ws.bufferedAmount + c.outBytes <= half) {
        await new Promise<void>((resolve) => setImmediate(resolve)); // let live traffic and other clients go
        return c.open;
      }
      if (performance.now() - start > REPLAY_STALL_MS) {
        this.slow(c);
        return false;
      }
      await new Promise<void>((resolve) => setTimeout(resolve, 5));
    }
  }
}

/** What a stream message of an event has before the event's own fields. */
const EVENT_HEAD_TEXT = '"type":"event",';

/** `{"type":"event",…the event}` of a replayed event (a live one's is written by writeStreamEvent: the same bytes). */
function eventText(e: object): string {
  return `{${EVENT_HEAD_TEXT}${JSON.stringify(e).slice(1)}`;
}

/** Client.bufferedBurst of no burst (ws.bufferedAmount is read at the next message). */
const NO_BURST = -1;

/** Bytes of each buffer the events are written in (an event that needs more gets a buffer of its own size). */
const ARENA_BYTES = 64 * 1024;

/** Messages sent as text frames. */
const TEXT_FRAME = { binary: false } as const;
const OPEN_BRACKET = 0x5b;
const COMMA = 0x2c;
const CLOSE_BRACKET = 0x5d;

/** Client.outEnd of a message queued whole. */
const WHOLE = -1;

/** Nothing queued for the client. */
function clearOut(c: Client): void {
  c.out.length = 0;
  c.outStart.length = 0;
  c.outEnd.length = 0;
  c.outLengths.length = 0;
  c.outBytes = 0;
  c.outCommas = 0;
}

/**
 * `[m1,m2,…]`: one array frame of the client's queued messages, each copied or encoded into it (a run of events with
 * the commas between them as one copy: Client.out).
 */
function arrayFrame(c: Client): Buffer {
  const out = c.out;
  const frame = Buffer.allocUnsafe(c.outBytes + c.outCommas + out.length + 1);
  let at = 0;
  for (let i = 0; i < out.length; i++) {
    frame[at++] = i === 0 ? OPEN_BRACKET : COMMA;
    const m = out[i]!;
    if (typeof m === 'string') at += frame.write(m, at);
    else {
      const end = c.outEnd[i]!;
      if (end === WHOLE) {
        frame.set(m, at);
        at += m.length;
      } else {
        const start = c.outStart[i]!;
        frame.set(m.subarray(start, end), at);
        at += end - start;
      }
    }
  }
  frame[at] = CLOSE_BRACKET;
  return frame;
}

/** Whether the query's strategy and symbol filters let an order through (RESYNC orders). */
function matches(q: StreamQuery, strategy: string, symbol: string): boolean {
  return (q.strategies === null || q.strategies.has(strategy)) && (q.symbols === null || q.symbols.has(symbol));
}

/**
 * A query's filters as the live events are matched against them: by the order store's strategy and symbol indexes
 * (null: every one) and by a bit per LIFECYCLE_EVENTS index — no name looked up per event and client.
 */
interface LiveFilter {
  readonly strategies: Uint8Array | null;
  readonly symbols: Uint8Array | null;
  readonly events: number;
}

function liveFilter(q: StreamQuery, store: OrderStore): LiveFilter {
  const strategies = q.strategies;
  const symbols = q.symbols;
  const events = q.events;
  return {
    strategies: strategies === null ? null : Uint8Array.from(store.strategyIds, (id) => (strategies.has(id) ? 1 : 0)),
    symbols: symbols === null ? null : Uint8Array.from(store.instruments.list, (ins) => (symbols.has(ins.symbol) ? 1 : 0)),
    events: LIFECYCLE_EVENTS.reduce((bits, e, i) => (events === null || events.has(e) ? bits | (1 << i) : bits), 0),
  };
}

/** matchesEvent of a live event, by indexes (liveFilter). */
function passes(f: LiveFilter, strategy: number, symbol: number, event: number): boolean {
  return (f.events & (1 << event)) !== 0 && (f.strategies === null || f.strategies[strategy] === 1) && (f.symbols === null || f.symbols[symbol] === 1);
}

/** Whether the query's filters let an event through: its order's strategy and symbol, and its lifecycle event. */
function matchesEvent(q: StreamQuery, strategy: string, symbol: string, event: LifecycleEvent): boolean {
  return matches(q, strategy, symbol) && (q.events === null || q.events.has(event));
}
