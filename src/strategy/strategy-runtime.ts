/**
 * The worker side of a strategy: implements the SDK context on top of the two rings, runs the module's
 * hooks and pumps the event ring into onEvent and its market channel into onTrade and onMarket. Independent of
 * worker_threads (worker-main.ts wires it to parentPort), so it can also be driven on one thread in tests.
 *
 * Each turn of the pump delivers up to EVENT_BATCH events (read in one batch: one head update), then up to
 * TRADE_BATCH trades, then the newest top of each symbol whose top changed since it was last delivered. When there was
 * nothing it may poll again on the next event-loop turn for a short while after its last order activity (eventSpinUs
 * or pollControl, worker-protocol.ts: none by default; with the busy-polling dispatcher), then sleeps on the event
 * doorbell, which the host rings once per turn for all the events it wrote
 * meanwhile (strategy-host.ts) and for market data at a bounded rate (market-channel.ts). After a turn that delivered
 * market data it yields to the event loop (timers run) before the next.
 *
 * submit() encodes the common order shapes straight into the record (order-encoder.ts, no allocation); anything else
 * goes through the API's edge decoder, which accepts it the same way or refuses it with its code.
 *
 * Submits go into the order ring, cancels into the cancel ring (one sequence of seqs over both): the daemon reads the
 * cancel ring every cycle whatever the strategy's queues hold, so a cancel never waits behind submits nor is refused
 * QUEUE_FULL because the order ring is full. The order ring is always published before the cancel ring, so a cancel
 * never becomes visible before a submit written ahead of it (the daemon then finds that submit, read or still in the
 * order ring: ring-intake.ts). The other way round, inside a batch, cancels are published before a submit written after
 * them is (claim()): the daemon, which reads the cancel ring first, then never sees that submit before those cancels.
 */
import { decodeOrder } from '../intake/order-decoder.js';
import { StrategyTimers } from './strategy-timers.js';
import { resolveStrategy } from './resolve-strategy.js';
import { Doorbell } from '../intake/ring/doorbell.js';
import {
  EV_RESYNC, EVENT_KINDS, EventRecord, LIQUIDITY_MAKER, LIQUIDITY_TAKER,
  errorCodeAt, isTerminalEvent, orderStateAt, readEventRecord,
} from '../intake/ring/event-record.js';
import {
  NO_VENUE, OP_CANCEL, OrderRecord, PRIORITY_HIGH, setClientOrderId, submitRecordFromIntent, writeOrderRecord,
} from '../intake/ring/order-record.js';
import { RingConsumer, RingProducer } from '../intake/ring/spsc-ring.js';
import { systemClock, type Clock } from '../model/clock.js';
import type { ErrorCode } from '../model/errors.js';
import { isValidClientOrderId } from '../model/ids.js';
import { InstrumentRegistry, type Instrument } from '../model/instrument.js';
import { SIDES } from '../model/order.js';
import { MarketTurn } from './market-turn.js';
import { SubmitEncoder } from './order-encoder.js';
import type {
  CancelTarget, Strategy, StrategyContext, StrategyEvent, StrategyLog, StrategyModule, StrategyOrder,
  SubmitResult, TimerHandle,
} from './sdk.js';
import { DEFAULT_WORKER_SPIN_US, type HostToWorker, type LogLevel, type StrategyWorkerData, type WorkerToHost } from './worker-protocol.js';

/** Events handed to onEvent per turn of the worker's event loop (timers run between turns). */
const EVENT_BATCH = 256;
/** The real monotonic clock (the pump's polling window is scheduling, not business time: not the injected clock). */
const monoMs = systemClock.monoMs;

function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/** Fields decodeOrder knows that a ring record cannot carry: refused rather than dropped. */
const API_ONLY_FIELDS = ['route', 'algo', 'trailingOffset'] as const;

export interface RuntimeChannel {
  post(message: WorkerToHost): void;
}

type RuntimeData = Omit<StrategyWorkerData, 'kind' | 'moduleUrl'>;

/** The host's answer to a snapshot request (worker-protocol.ts). */
type Snapshot = Extract<HostToWorker, { type: 'snapshot' }>;

function refuse(code: ErrorCode, message: string): SubmitResult {
  return { ok: false, code, message };
}

function errorText(e: unknown): { message: string; stack?: string } {
  if (e instanceof Error) return e.stack === undefined ? { message: e.message } : { message: e.message, stack: e.stack };
  return { message: String(e) };
}

function isUint32(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff;
}

export class StrategyRuntime {
  readonly ctx: StrategyContext;
  private readonly id: string;
  private readonly instruments: InstrumentRegistry;
  private readonly venues: readonly string[];
  /** The order ring (SUBMITs). */
  private readonly producer: RingProducer;
  /** The cancel ring (CANCELs). */
  private readonly cancels: RingProducer;
  private readonly events: RingConsumer;
  private readonly bell: Doorbell;
  private readonly rec = new OrderRecord();
  private readonly encoder: SubmitEncoder;
  private readonly ev = new EventRecord();
  /** The market channel: trades to onTrade, changed tops to onMarket (market-turn.ts). */
  private readonly market: MarketTurn;
  private readonly timers = new StrategyTimers((e) => {
    this.errors++;
    this.channel.post({ type: 'log', level: 'error', msg: 'strategy timer callback threw', fields: { error: errorText(e) } });
  }, () => this.stopping);
  private readonly snapshotWaiters = new Map<number, (m: Snapshot) => void>();
  private strategy: Strategy = {};
  private nextSeq: number;
  /** Times this strategy was restarted before this incarnation (0: its first), and what the RESYNC it starts with counts. */
  private readonly restarts: number;
  private readonly lostOnRestart: number;
  /** > 0 inside ctx.batch(): records are published when the outermost batch ends. */
  private batchDepth = 0;
  /** Inside a batch: cancels written and not yet published (a submit after them publishes them first: claim()). */
  private cancelsPending = false;
  private nextSnapshotId = 1;
  private stopping = false;
  private closed = false;
  /** [0]: the pump's polling window after the last order activity, µs (worker-protocol.ts pollControl). */
  private readonly pollControl: Int32Array;
  /** monoMs of the last order activity (an event delivered; `sent`: a record published since the pump looked). */
  private lastActive = 0;
  private sent = false;
  private pumping = false;
  private resyncing = false;
  /** Events below this ring position are covered by the last snapshot and skipped (when skipping). */
  private skipBelow = 0;
  private skipping = false;
  private stopped: Promise<void> | undefined;
  /** onEvent / timer callbacks that threw. */
  errors = 0;

  constructor(data: RuntimeData, private readonly channel: RuntimeChannel, clock: Clock = systemClock) {
    this.id = data.id;
    this.restarts = data.restarts ?? 0;
    this.lostOnRestart = data.lostOnRestart ?? 0;
    // after a restart, on from the seqs the earlier incarnations used (the daemon's checks and cancel by seq rely on it)
    this.nextSeq = data.firstSeq ?? 1;
    this.instruments = new InstrumentRegistry(data.instruments);
    this.venues = data.venues;
    this.encoder = new SubmitEncoder(this.instruments, data.venues);
    this.pollControl = data.pollControl !== undefined ? new Int32Array(data.pollControl, 0, 1) : Int32Array.of(data.eventSpinUs ?? DEFAULT_WORKER_SPIN_US);
    const orderBell = new Doorbell(data.orderDoorbell);
    this.producer = new RingProducer(data.orderRing, orderBell);
    this.cancels = new RingProducer(data.cancelRing, orderBell);
    this.events = new RingConsumer(data.eventRing);
    this.bell = new Doorbell(data.eventDoorbell);
    this.market = new MarketTurn(
      { cells: data.marketCells, trades: data.tradeRing }, this.instruments, data.venues,
      () => this.closed, (hook, e) => this.hookFailed(hook, e),
    );
    const self = this;
    const log = this.makeLog();
    this.ctx = {
      id: data.id,
      symbols: Object.freeze([...data.symbols]),
      params: Object.freeze({ ...data.params }),
      instruments: this.instruments,
      instrument: (symbol: string): Instrument | undefined => this.instruments.get(symbol),
      venues: Object.freeze([...data.venues]),
      clock,
      log,
      submit: (order) => this.submit(order),
      cancel: (target) => this.cancel(target),
      batch: (fn) => this.batch(fn),
      every: (ms, fn) => this.timers.start(ms, fn, true),
      after: (ms, fn) => this.timers.start(ms, fn, false),
      openOrders: () => this.requestSnapshot().then((m) => m.orders ?? []),
      get stopping() {
        return self.stopping;
      },
      restarts: this.restarts,
      topOfBook: (symbol) => this.market.topOfBook(symbol),
      get tradesLost() {
        return self.market.tradesLost();
      },
    };
  }

  /**
   * Resolves the module's default export, runs start(), then starts pumping events. A restarted incarnation (restarts
   * > 0) first asks for a snapshot of its open orders — before any of its code runs, so nothing it does is skipped as
   * covered by the snapshot — and gets it as a RESYNC, its first event, right after start() (its event ring is new:
   * nothing its dead predecessor left unread there reaches it; the events the snapshot reflects are skipped).
   */
  async start(mod: StrategyModule | undefined): Promise<void> {
    const resync = this.restarts > 0 ? await this.requestSnapshot() : undefined;
    if (resync !== undefined && resync.orders !== null) {
      this.skipBelow = resync.position;
      this.skipping = true;
    }
    this.strategy = await resolveStrategy(mod, this.ctx);
    // what the host writes and wakes us for: trades only for onTrade, wake-ups for tops only for onMarket
    this.market.setInterest(this.strategy);
    await this.strategy.start?.(this.ctx);
    if (resync !== undefined) {
      this.ev.reset();
      this.ev.kind = EV_RESYNC;
      this.deliver(this.toEvent(this.ev, this.lostOnRestart, resync));
    }
    void this.pump();
  }

  /** A message from the host (other than stop, which worker-main turns into stop()). */
  onMessage(message: HostToWorker): void {
    if (message.type === 'snapshot') {
      const waiter = this.snapshotWaiters.get(message.id);
      if (waiter !== undefined) {
        this.snapshotWaiters.delete(message.id);
        waiter(message);
      }
    } else if (message.type === 'stop') {
      void this.stop();
    }
  }

  /** Refuses new orders, clears timers, runs strategy.stop (cancels still allowed), then stops pumping. */
  stop(): Promise<void> {
    this.stopped ??= this.doStop();
    return this.stopped;
  }

  private async doStop(): Promise<void> {
    this.stopping = true;
    this.timers.clear();
    try {
      await this.strategy.stop?.(this.ctx);
    } catch (e) {
      this.errors++;
      this.channel.post({ type: 'log', level: 'error', msg: 'strategy stop() failed', fields: { error: errorText(e) } });
    }
    this.timers.clear();
    this.closed = true;
    this.market.close(); // no more trades written nor wake-ups for market data
    this.bell.ring(); // ends a pending wait of the pump
  }

  /** Timers of ctx.every / ctx.after still armed. */
  get timerCount(): number {
    return this.timers.size;
  }

  /** Records this strategy has published (the next submit gets seq + 1). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  // ---- orders --------------------------------------------------------------------------------------------

  /**
   * Validates at the edge and writes one record (order-encoder.ts: the common shapes without allocation; anything
   * else through decodeOrder, which accepts it the same way or says why not).
   */
  private submit(order: StrategyOrder): SubmitResult {
    if (this.stopping) return refuse('TRADING_HALTED', 'the strategy is stopping');
    if (typeof order !== 'object' || order === null || Array.isArray(order)) return refuse('BAD_REQUEST', 'order must be an object');
    if (this.encoder.encode(order, this.rec)) {
      const off = this.claim();
      if (off < 0) return refuse('QUEUE_FULL', 'the strategy queue is full');
      const seq = this.nextSeq;
      this.rec.seq = seq;
      writeOrderRecord(this.producer, off, this.rec);
      if (this.batchDepth === 0) this.producer.publish();
      this.nextSeq = seq + 1;
      this.sent = true;
      return { ok: true, seq };
    }
    return this.submitDecoded(order);
  }

  /** The full edge decoder (the API's): orders outside the encoder's fast path, and every refusal's reason. */
  private submitDecoded(order: StrategyOrder): SubmitResult {
    for (const field of API_ONLY_FIELDS) {
      if (Object.hasOwn(order, field)) return refuse('UNKNOWN_FIELD', `field "${field}" is not available to worker strategies (the order record has no room for it): use the API`);
    }
    const { tag, ...body } = order;
    if (tag !== undefined && !isUint32(tag)) return refuse('INVALID_FIELD', 'tag must be an integer from 0 to 4294967295');
    // a worker submits as itself: an order naming another strategy is refused (as over Redis), not sent as this one's
    const named = (body as { strategy?: unknown }).strategy;
    if (named !== undefined && named !== this.id) return refuse('STRATEGY_MISMATCH', `the order names strategy ${String(named)}; this worker runs ${this.id}`);
    const r = decodeOrder({ ...body, strategy: this.id }, this.instruments);
    if (!r.ok) return refuse(r.error.code, r.error.message);
    const intent = r.intent;
    let venue = NO_VENUE;
    if (intent.venue !== undefined) {
      venue = this.venues.indexOf(intent.venue);
      if (venue < 0 || venue >= NO_VENUE) return refuse('UNKNOWN_VENUE', `venue "${intent.venue}" is not configured`);
    }
    const off = this.claim();
    if (off < 0) return refuse('QUEUE_FULL', 'the strategy queue is full');
    const seq = this.nextSeq;
    const ins = this.instruments.get(intent.symbol)!;
    submitRecordFromIntent(intent, ins.index, venue, seq, tag ?? 0, this.rec);
    writeOrderRecord(this.producer, off, this.rec);
    if (this.batchDepth === 0) this.producer.publish();
    this.nextSeq = seq + 1;
    this.sent = true;
    return { ok: true, seq };
  }

  /**
   * A free slot in the order ring, or -1 (counted as a refusal). Inside a batch, publishes what is pending before refusing;
   * and before a submit that follows cancels not yet published, publishes them (with the submits before them): the
   * daemon reads the cancel ring before the order ring, but published only at the batch's end, after the order ring,
   * a cancel could be read after a submit written after it (a replacement sent to a venue ahead of the cancel of the
   * order it replaces).
   */
  private claim(): number {
    if (this.cancelsPending) this.publish();
    let off = this.producer.tryClaim();
    if (off < 0 && this.batchDepth > 0) {
      this.producer.publish();
      off = this.producer.tryClaim();
    }
    if (off < 0) this.producer.noteRefused();
    return off;
  }

  /**
   * A free slot in the cancel ring, or -1 (counted as a refusal): full only when the daemon has not yet read that many
   * cancels, never because of submits. Inside a batch, publishes what is pending (orders first) before refusing.
   */
  private claimCancel(): number {
    let off = this.cancels.tryClaim();
    if (off < 0 && this.batchDepth > 0) {
      this.publish();
      off = this.cancels.tryClaim();
    }
    if (off < 0) this.cancels.noteRefused();
    return off;
  }

  /** Publishes both rings: the order ring first (a cancel must not be seen before a submit written ahead of it). */
  private publish(): void {
    this.producer.publish();
    this.cancels.publish();
    this.cancelsPending = false;
  }

  private batch<T>(fn: () => T): T {
    this.batchDepth++;
    try {
      return fn();
    } finally {
      if (--this.batchDepth === 0) this.publish();
    }
  }

  private cancel(target: CancelTarget): SubmitResult {
    if (this.closed) return refuse('TRADING_HALTED', 'the strategy has stopped');
    if (typeof target !== 'object' || target === null) return refuse('BAD_REQUEST', 'cancel needs { orderId }, { seq } or { clientOrderId }');
    const rec = this.rec.reset();
    rec.op = OP_CANCEL;
    rec.priority = PRIORITY_HIGH;
    const t = target as { orderId?: unknown; seq?: unknown; clientOrderId?: unknown };
    if (t.orderId !== undefined) {
      if (typeof t.orderId !== 'number' || !Number.isSafeInteger(t.orderId) || t.orderId < 1) return refuse('INVALID_FIELD', 'orderId must be a positive integer');
      rec.orderId = t.orderId;
    } else if (t.seq !== undefined) {
      if (typeof t.seq !== 'number' || !Number.isSafeInteger(t.seq) || t.seq < 1) return refuse('INVALID_FIELD', 'seq must be a positive integer');
      if (t.seq >= this.nextSeq) return refuse('ORDER_NOT_FOUND', `seq ${t.seq} was never submitted`);
      rec.targetSeq = t.seq;
    } else if (t.clientOrderId !== undefined) {
      if (!isValidClientOrderId(t.clientOrderId)) return refuse('INVALID_CLIENT_ORDER_ID', 'clientOrderId must be 1 to 32 ASCII letters and digits');
      setClientOrderId(rec, t.clientOrderId);
    } else {
      return refuse('BAD_REQUEST', 'cancel needs { orderId }, { seq } or { clientOrderId }');
    }
    const off = this.claimCancel();
    if (off < 0) return refuse('QUEUE_FULL', 'the strategy cancel queue is full (cancels not yet read by the daemon)');
    const seq = this.nextSeq;
    rec.seq = seq;
    writeOrderRecord(this.cancels, off, rec);
    // (outside a batch every submit is published already: the order ring has nothing pending)
    if (this.batchDepth === 0) this.cancels.publish();
    else this.cancelsPending = true;
    this.nextSeq = seq + 1;
    this.sent = true;
    return { ok: true, seq };
  }

  // ---- events --------------------------------------------------------------------------------------------

  /** Re-checked by the doorbell after it is armed: anything for this worker? */
  private readonly hasWork = (): boolean =>
    this.closed ||
    this.events.hasRecords() ||
    this.market.hasWork();

  /**
   * Each turn drains the event ring in one batch (one head update), then the market channel. With nothing to do it
   * polls again on the next event-loop turn while its last order activity is under `spinMs` old (the next event of
   * an order usually follows within microseconds: no wake-up to pay on either side), else it sleeps on the doorbell.
   */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    /** Events delivered since the event loop last turned (EVENT_BATCH at most per turn). */
    let sinceTurn = 0;
    try {
      while (!this.closed) {
        if (this.resyncing) return; // finishResync() restarts the pump
        const n = this.drainEvents();
        if (this.resyncing) return;
        const m = this.drainMarket();
        if (n > 0 || this.sent) {
          this.sent = false;
          this.lastActive = monoMs();
        }
        sinceTurn += n;
        if (n === 0 && m === 0) {
          const spinUs = Atomics.load(this.pollControl, 0);
          if (spinUs > 0 && (monoMs() - this.lastActive) * 1000 < spinUs) {
            sinceTurn = 0;
            await nextTurn();
          } else {
            // (not counted as a turn: the wait resolves at once, without one, when an event came meanwhile)
            await this.bell.wait(this.hasWork);
          }
        } else if (sinceTurn >= EVENT_BATCH || m > 0) {
          // also after several small batches in a row: events that keep coming a few at a time (written while onEvent
          // ran) must not hold the event loop (timers, the host's stop and snapshot messages) for as long as they come
          sinceTurn = 0;
          await nextTurn();
        }
        // else: the ring was drained; look again before sleeping
      }
    } finally {
      this.pumping = false;
    }
  }

  /** One market-data turn (market-turn.ts): trades, then changed tops. Returns how many callbacks were made. */
  private drainMarket(): number {
    return this.market.drain(this.strategy, this.ctx);
  }

  private hookFailed(hook: string, e: unknown): void {
    this.errors++;
    // a hook that throws on every update must not flood the host with logs: 1st, 2nd, 4th, 8th ... error
    if ((this.errors & (this.errors - 1)) === 0) {
      this.channel.post({ type: 'log', level: 'error', msg: `strategy ${hook}() threw`, fields: { error: errorText(e), errors: this.errors } });
    }
  }

  /** Delivers up to EVENT_BATCH events; stops early at a RESYNC record. Returns the records consumed. */
  private drainEvents(): number {
    const events = this.events;
    let n = events.available();
    if (n === 0) return 0;
    if (n > EVENT_BATCH) n = EVENT_BATCH;
    const start = events.position;
    let i = 0;
    try {
      while (i < n) {
        const pos = (start + i) | 0;
        readEventRecord(events, events.offsetAt(i), this.ev);
        i++;
        if (this.skipping) {
          if (((pos - this.skipBelow) | 0) < 0) continue;
          this.skipping = false;
        }
        if (this.ev.kind === EV_RESYNC) {
          this.beginResync(this.ev.count);
          break;
        }
        this.deliver(this.toEvent(this.ev, 0, undefined));
      }
    } finally {
      events.release(i);
    }
    return i;
  }

  private beginResync(lost: number): void {
    this.resyncing = true;
    this.requestSnapshot().then(
      (m) => this.finishResync(lost, m),
      () => this.finishResync(lost, undefined),
    );
  }

  private finishResync(lost: number, snapshot: Snapshot | undefined): void {
    if (snapshot !== undefined && snapshot.orders !== null) {
      this.skipBelow = snapshot.position;
      this.skipping = true;
    }
    this.resyncing = false;
    this.ev.reset();
    this.ev.kind = EV_RESYNC;
    this.deliver(this.toEvent(this.ev, lost, snapshot));
    if (!this.closed) void this.pump();
  }

  /** An event for onEvent; a RESYNC with what its snapshot says (none: orders null, readSeq 0, withdrawn null). */
  private toEvent(r: EventRecord, lost: number, snapshot: Snapshot | undefined): StrategyEvent {
    const kind = EVENT_KINDS[r.kind] ?? 'RESYNC';
    const orders = snapshot?.orders ?? null;
    return {
      kind,
      orderId: r.orderId,
      seq: r.seq,
      tag: r.tag,
      symbol: kind === 'RESYNC' ? undefined : this.instruments.list[r.symbol]?.symbol,
      symbolIndex: r.symbol,
      side: SIDES[r.side] ?? 'BUY',
      state: orderStateAt(r.state),
      code: errorCodeAt(r.code),
      filledLots: r.filledLots,
      priceTicks: r.priceTicks,
      qtyLots: r.qtyLots,
      liquidity: r.liquidity === LIQUIDITY_MAKER ? 'MAKER' : r.liquidity === LIQUIDITY_TAKER ? 'TAKER' : undefined,
      ts: r.ts,
      terminal: isTerminalEvent(r.kind, r.state),
      lost,
      orders,
      readSeq: orders === null ? 0 : snapshot!.readSeq,
      withdrawn: orders === null ? null : snapshot!.withdrawn,
    };
  }

  private deliver(event: StrategyEvent): void {
    const h = this.strategy.onEvent;
    if (h === undefined) return;
    try {
      h.call(this.strategy, event, this.ctx);
    } catch (e) {
      this.errors++;
      this.channel.post({ type: 'log', level: 'error', msg: 'strategy onEvent() threw', fields: { error: errorText(e), kind: event.kind, orderId: event.orderId } });
    }
  }

  private requestSnapshot(): Promise<Snapshot> {
    const id = this.nextSnapshotId++;
    return new Promise((resolve) => {
      this.snapshotWaiters.set(id, resolve);
      this.channel.post({ type: 'snapshot-request', id });
    });
  }

  // ---- timers and logs -----------------------------------------------------------------------------------



  private makeLog(): StrategyLog {
    const send = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
      try {
        this.channel.post(fields === undefined ? { type: 'log', level, msg } : { type: 'log', level, msg, fields });
      } catch {
        // fields that cannot be structured-cloned (functions, class instances with handles) go as text
        this.channel.post({ type: 'log', level, msg, fields: { text: String(fields) } });
      }
    };
    return {
      debug: (msg, fields) => send('debug', msg, fields),
      info: (msg, fields) => send('info', msg, fields),
      warn: (msg, fields) => send('warn', msg, fields),
      error: (msg, fields) => send('error', msg, fields),
    };
  }
}

export function describeError(e: unknown): { message: string; stack?: string } {
  return errorText(e);
}
