/**
 * Runs a strategy module written for the worker host (src/strategy/sdk.ts) in a process of its own, on another
 * machine if need be, over the Redis bus: the daemon configures the strategy with `source: redis` and this runner
 * gives the module the same StrategyContext a worker gets, built on SwitchyardRedisClient (client.ts):
 *
 *  - ctx.id, symbols and params come from P config (the daemon writes them at start), instruments and venues too
 *    (the InstrumentRegistry of src/model/instrument.ts, built from the configured specs as the daemon builds it);
 *  - submit() validates at the edge as the worker SDK does (decodeOrder, tag, venue) — except that it takes route,
 *    algo and trailingOffset, which the command stream carries and a worker's ring record cannot — answers at once with
 *    { ok, seq } (seq: this runner's own count, 1, 2, 3 ...) and sends the command asynchronously with a
 *    clientOrderId (the order's own, or one the client makes), by which its events are recognised;
 *  - what happens next arrives through onEvent with that seq, as the worker's event kinds: ACK when the reply gives its
 *    order id and its terms as the daemon holds them (an enhancer may have changed them; the order's events that come
 *    before the reply wait for it, at most the client's timeout, after which the first event gives the ACK with the
 *    submit's terms — as with `results: 'ids'`, whose replies carry no terms), then the order's lifecycle events from P orders:{symbol} mapped by
 *    eventKindOfLifecycle (src/intake/ring/event-record.ts), as ring-intake.ts maps them for workers; a refusal in the
 *    reply is a REFUSED event; a refused cancel a CANCEL_REJECTED with the cancel's seq;
 *  - openOrders() answers from this runner's own tracking of the orders it submitted in this run (there is no
 *    open-orders command on the bus): orders of an earlier run of the process are not in it;
 *  - market data is not on Redis: topOfBook() is always undefined and onMarket / onTrade are never called.
 *
 * Differences from a worker, all documented: a submit whose reply does not come in the client's timeout has an
 * unknown outcome; the runner logs it and keeps following the order by its clientOrderId (events still come if it
 * exists). batch(fn) just runs fn (each command is its own XADD). Events of this strategy's orders that this runner
 * did not submit (an earlier run) are delivered with seq 0, as a worker sees orders that did not come from its queue.
 *
 * Bounded: at most `maxTracked` orders are followed at once (beyond, submit answers QUEUE_FULL), and at most the
 * client's maxInFlight commands wait for a reply (beyond, QUEUE_FULL too).
 */
import { decodeOrder } from '../intake/order-decoder.js';
import { StrategyTimers } from '../strategy/strategy-timers.js';
import { resolveStrategy } from '../strategy/resolve-strategy.js';
import {
  EV_ACK, EV_CANCEL_REJECTED, EV_DENIED, EV_REFUSED, EVENT_KINDS, eventKindOfLifecycle, isTerminalEvent, orderStateIndex,
} from '../intake/ring/event-record.js';
import { systemClock, type Clock } from '../model/clock.js';
import { isErrorCode, type ErrorCode } from '../model/errors.js';
import { isValidClientOrderId } from '../model/ids.js';
import { InstrumentRegistry, type Instrument, type InstrumentSpec } from '../model/instrument.js';
import type { OrderState, OrderType, Side } from '../model/order.js';
import type { OrderView } from '../api/order-view.js';
import { settledWithin } from './settled-within.js';
import { BusClientError, SwitchyardRedisClient, type BusConfig, type BusOrderEvent, type ClientOptions, type Reply } from './client.js';
import type {
  CancelTarget, OrderSnapshot, Strategy, StrategyContext, StrategyEvent, StrategyLog, StrategyModule, StrategyOrder,
  SubmitResult, TimerHandle,
} from '../strategy/sdk.js';

export interface RemoteStrategyOptions extends Omit<ClientOptions, 'log'> {
  /** Default: JSON lines on stdout (debug, info) and stderr (warn, error). */
  readonly log?: StrategyLog;
  readonly clock?: Clock;
  /** Orders followed at once (submitted, not finished); beyond, submit answers QUEUE_FULL. Default 10000. */
  readonly maxTracked?: number;
  /** Finished orders remembered (client order id, seq, order id): their late duplicate events are dropped, a cancel of one goes to the daemon by its order id. Default 4096. */
  readonly finishedMemory?: number;
  /** Stop on SIGINT / SIGTERM (default true). */
  readonly handleSignals?: boolean;
  /**
   * How long stop() waits for the strategy's stop() hook, then at most as long for the answers to the commands it sent
   * (ms). Default 5000.
   */
  readonly stopTimeoutMs?: number;
}

/** Counters of the runner (nothing is dropped without being counted). */
export interface RemoteStrategyStats {
  /** onEvent / timer / stop callbacks that threw. */
  errors: number;
  /** Submits and cancels whose reply did not come in time (outcome unknown; the order is still followed). */
  timeouts: number;
  /** Events about orders this runner already saw finish (a reply and the stream both told it): dropped. */
  lateEvents: number;
  /** Events of this strategy's orders that this runner did not submit (delivered with seq 0). */
  foreignEvents: number;
  /** Lifecycle events that are not reported to strategies (ROUTE, amends), as for workers. */
  unreported: number;
}

export interface RemoteStrategyHandle {
  readonly ctx: StrategyContext;
  readonly client: SwitchyardRedisClient;
  readonly stats: Readonly<RemoteStrategyStats>;
  /** Runs strategy.stop(ctx) (awaited up to stopTimeoutMs), waits for its commands' answers (bounded), closes the client. */
  stop(): Promise<void>;
  /** Resolves once stopped. */
  readonly stopped: Promise<void>;
}

/** An order this runner submitted and follows until it is finished. */
interface Tracked {
  readonly seq: number;
  readonly tag: number;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly symbolIndex: number;
  readonly side: Side;
  /** The order's terms: the submit's until its reply gives the daemon's (an enhancer may have changed them). */
  type: OrderType;
  priceTicks: number;
  qtyLots: number;
  orderId: number;
  acked: boolean;
  state: OrderState | undefined;
  filledLots: number;
  /** The submit's reply came (or it failed, or timed out): until then the order's events wait in `held`. */
  answered: boolean;
  held: BusOrderEvent[] | undefined;
}

function refuse(code: ErrorCode, message: string): SubmitResult {
  return { ok: false, code, message };
}

function isUint32(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff;
}

function errorText(e: unknown): { message: string; stack?: string } {
  if (e instanceof Error) return e.stack === undefined ? { message: e.message } : { message: e.message, stack: e.stack };
  return { message: String(e) };
}

/** The InstrumentRegistry of the daemon's configured instruments, from P config. */
export function instrumentsFromConfig(cfg: BusConfig): InstrumentRegistry {
  const specs: InstrumentSpec[] = cfg.instruments.map((i) => ({
    symbol: i.symbol, base: i.base, quote: i.quote, tickSize: i.tickSize, lotSize: i.lotSize,
    minQty: i.minQty ?? undefined, minNotional: i.minNotional ?? undefined,
  }));
  return new InstrumentRegistry(specs);
}

function consoleLog(strategy: string): StrategyLog {
  const line = (level: string, msg: string, fields?: Record<string, unknown>): string => {
    try {
      return JSON.stringify({ time: Date.now(), level, strategy, msg, ...fields });
    } catch {
      return JSON.stringify({ time: Date.now(), level, strategy, msg, fields: String(fields) });
    }
  };
  return {
    debug: (msg, fields) => console.log(line('debug', msg, fields)),
    info: (msg, fields) => console.log(line('info', msg, fields)),
    warn: (msg, fields) => console.error(line('warn', msg, fields)),
    error: (msg, fields) => console.error(line('error', msg, fields)),
  };
}

/**
 * Connects, reads P config, builds the context, starts following the strategy's order events, loads the module
 * (a Strategy or a factory, as a worker does) and runs its start(). Resolves once started.
 */
export async function runRemoteStrategy(mod: StrategyModule, o: RemoteStrategyOptions): Promise<RemoteStrategyHandle> {
  const log = o.log ?? consoleLog(o.strategy);
  const client = await SwitchyardRedisClient.connect({ ...o, log: { info: (obj, msg) => log.info(msg, { ...obj }), warn: (obj, msg) => log.warn(msg, { ...obj }) } });
  try {
    const cfg = await client.readConfig();
    const entry = cfg.strategies?.[o.strategy];
    if (entry === undefined) {
      throw new BusClientError('NO_CONFIG', `strategy ${o.strategy} is not a source: redis strategy of the daemon (not in ${client.keys.config})`);
    }
    const runner = new RemoteRunner(client, cfg, entry, o, log);
    await runner.start(mod);
    return runner.handle();
  } catch (e) {
    await client.close();
    throw e;
  }
}

class RemoteRunner {
  readonly ctx: StrategyContext;
  readonly stats: RemoteStrategyStats = { errors: 0, timeouts: 0, lateEvents: 0, foreignEvents: 0, unreported: 0 };
  private readonly instruments: InstrumentRegistry;
  private readonly venues: readonly string[];
  private readonly symbols: readonly string[];
  private readonly bySeq = new Map<number, Tracked>();
  private readonly byClientOrderId = new Map<string, Tracked>();
  /** Client order ids of finished orders -> their order ids (0: none was created), oldest first (bounded: finishedMemory). */
  private readonly finished = new Map<string, number>();
  /** Seqs of finished submits -> their order ids (0: none was created), oldest first (bounded: finishedMemory). */
  private readonly finishedSeqs = new Map<number, number>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly timers = new StrategyTimers((e) => {
    this.stats.errors++;
    this.log.error('strategy timer callback threw', { error: errorText(e) });
  }, () => this.stopping);
  private strategy: Strategy = {};
  private nextSeq = 1;
  private stopping = false;
  private closed = false;
  private stopPromise: Promise<void> | undefined;
  private resolveStopped!: () => void;
  private readonly stoppedPromise = new Promise<void>((resolve) => (this.resolveStopped = resolve));
  private feed: { stop(): Promise<void> } | undefined;
  private readonly maxTracked: number;
  private readonly finishedMemory: number;
  private readonly onSignal = (): void => void this.stop();

  constructor(
    private readonly client: SwitchyardRedisClient,
    cfg: BusConfig,
    entry: BusConfig['strategies'][string],
    private readonly o: RemoteStrategyOptions,
    private readonly log: StrategyLog,
  ) {
    this.instruments = instrumentsFromConfig(cfg);
    this.venues = Object.freeze([...(cfg.venues ?? [])]);
    this.symbols = Object.freeze([...(entry.symbols ?? [])]);
    this.maxTracked = o.maxTracked ?? 10_000;
    this.finishedMemory = o.finishedMemory ?? 4096;
    const self = this;
    this.ctx = {
      id: o.strategy,
      symbols: this.symbols,
      params: Object.freeze({ ...(entry.params ?? {}) }),
      instruments: this.instruments,
      instrument: (symbol: string): Instrument | undefined => this.instruments.get(symbol),
      venues: this.venues,
      clock: o.clock ?? systemClock,
      log,
      submit: (order) => this.submit(order),
      cancel: (target) => this.cancel(target),
      batch: (fn) => fn(),
      every: (ms, fn) => this.timers.start(ms, fn, true),
      after: (ms, fn) => this.timers.start(ms, fn, false),
      openOrders: () => Promise.resolve(this.openOrders()),
      get stopping() {
        return self.stopping;
      },
      restarts: 0, // (the daemon does not run this process: it never restarts it)
      topOfBook: () => undefined,
      tradesLost: 0,
    };
  }

  async start(mod: StrategyModule): Promise<void> {
    // follow the events first (from now on), so that nothing the strategy's start() causes is missed
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    const ac = new AbortController();
    const done = (async () => {
      for await (const e of this.client.events(this.symbols, { signal: ac.signal, onReady: ready })) this.onBusEvent(e);
    })();
    this.feed = {
      stop: async () => {
        ac.abort();
        await done.catch(() => undefined);
      },
    };
    done.catch((e: unknown) => this.log.error('order events stopped', { error: errorText(e) }));
    await Promise.race([isReady, done]);

    try {
      this.strategy = await resolveStrategy(mod, this.ctx);
      if (this.strategy.onMarket !== undefined || this.strategy.onTrade !== undefined) {
        this.log.warn('market data is not on the Redis bus: onMarket and onTrade are not called in a remote strategy');
      }
      await this.strategy.start?.(this.ctx);
    } catch (e) {
      // a failed start leaves nothing running (the caller closes the client)
      this.stopping = true;
      this.closed = true;
      this.timers.clear();
      await this.feed?.stop();
      throw e;
    }
    if (this.o.handleSignals !== false) {
      process.once('SIGINT', this.onSignal);
      process.once('SIGTERM', this.onSignal);
    }
  }

  handle(): RemoteStrategyHandle {
    return { ctx: this.ctx, client: this.client, stats: this.stats, stop: () => this.stop(), stopped: this.stoppedPromise };
  }

  // ---- orders --------------------------------------------------------------------------------------------

  private room(): SubmitResult | undefined {
    if (this.bySeq.size >= this.maxTracked) return refuse('QUEUE_FULL', `${this.bySeq.size} orders are followed already`);
    if (this.client.stats.inFlight >= (this.o.maxInFlight ?? 1024)) return refuse('QUEUE_FULL', 'too many commands wait for a reply');
    return undefined;
  }

  private submit(order: StrategyOrder): SubmitResult {
    if (this.stopping) return refuse('TRADING_HALTED', 'the strategy is stopping');
    if (typeof order !== 'object' || order === null || Array.isArray(order)) return refuse('BAD_REQUEST', 'order must be an object');
    const { tag, ...body } = order;
    if (tag !== undefined && !isUint32(tag)) return refuse('INVALID_FIELD', 'tag must be an integer from 0 to 4294967295');
    const r = decodeOrder({ ...body, strategy: this.o.strategy }, this.instruments);
    if (!r.ok) return refuse(r.error.code, r.error.message);
    const intent = r.intent;
    if (intent.venue !== undefined && !this.venues.includes(intent.venue)) return refuse('UNKNOWN_VENUE', `venue "${intent.venue}" is not configured`);
    const full = this.room();
    if (full !== undefined) return full;
    const clientOrderId = intent.clientOrderId ?? this.client.nextClientOrderId();
    const seq = this.nextSeq++;
    const ins = this.instruments.get(intent.symbol)!;
    const t: Tracked = {
      seq, tag: tag ?? 0, clientOrderId, symbol: intent.symbol, symbolIndex: ins.index, side: intent.side, type: intent.type,
      priceTicks: intent.priceTicks, qtyLots: intent.qtyLots, orderId: 0, acked: false, state: undefined, filledLots: 0,
      answered: false, held: undefined,
    };
    if (this.byClientOrderId.has(clientOrderId)) {
      // an order of ours holds it (the daemon would refuse it the same way; sending it would mix up the two orders'
      // events): as for a worker, the record is taken and refused — a REFUSED event for its seq, not a refusal now
      setImmediate(() => this.deliverKind(t, EV_REFUSED, { code: 'DUPLICATE_CLIENT_ORDER_ID', ts: this.ctx.clock.now(), orderId: 0 }));
      return { ok: true, seq };
    }
    this.bySeq.set(seq, t);
    this.byClientOrderId.set(clientOrderId, t);
    this.track(this.client.submit({ ...(body as StrategyOrder), clientOrderId } as Parameters<SwitchyardRedisClient['submit']>[0]).then(
      (reply) => this.onSubmitReply(t, reply),
      (e: unknown) => this.onCommandError(t.seq, 'submit', e, t),
    ));
    return { ok: true, seq };
  }

  private cancel(target: CancelTarget): SubmitResult {
    if (this.closed) return refuse('TRADING_HALTED', 'the strategy has stopped');
    if (typeof target !== 'object' || target === null) return refuse('BAD_REQUEST', 'cancel needs { orderId }, { seq } or { clientOrderId }');
    const t = target as { orderId?: unknown; seq?: unknown; clientOrderId?: unknown };
    let wire: { orderId: number } | { clientOrderId: string } | undefined;
    let knownOrderId = 0;
    if (t.orderId !== undefined) {
      if (typeof t.orderId !== 'number' || !Number.isSafeInteger(t.orderId) || t.orderId < 1) return refuse('INVALID_FIELD', 'orderId must be a positive integer');
      wire = { orderId: t.orderId };
      knownOrderId = t.orderId;
    } else if (t.seq !== undefined) {
      if (typeof t.seq !== 'number' || !Number.isSafeInteger(t.seq) || t.seq < 1) return refuse('INVALID_FIELD', 'seq must be a positive integer');
      if (t.seq >= this.nextSeq) return refuse('ORDER_NOT_FOUND', `seq ${t.seq} was never submitted`);
      const tracked = this.bySeq.get(t.seq);
      if (tracked !== undefined) {
        wire = tracked.orderId !== 0 ? { orderId: tracked.orderId } : { clientOrderId: tracked.clientOrderId };
        knownOrderId = tracked.orderId;
      } else {
        // a finished order: the daemon answers, as a worker's cancel by seq of its finished order is answered
        // (ORDER_NOT_CANCELABLE naming it); a seq that made no order (refused, a cancel's, forgotten): answered here
        // like the worker's, CANCEL_REJECTED ORDER_NOT_FOUND
        const done = this.finishedSeqs.get(t.seq) ?? 0;
        if (done !== 0) {
          wire = { orderId: done };
          knownOrderId = done;
        }
      }
    } else if (t.clientOrderId !== undefined) {
      if (!isValidClientOrderId(t.clientOrderId)) return refuse('INVALID_CLIENT_ORDER_ID', 'clientOrderId must be 1 to 32 ASCII letters and digits');
      wire = { clientOrderId: t.clientOrderId };
      knownOrderId = this.byClientOrderId.get(t.clientOrderId)?.orderId ?? this.finished.get(t.clientOrderId) ?? 0;
    } else {
      return refuse('BAD_REQUEST', 'cancel needs { orderId }, { seq } or { clientOrderId }');
    }
    const full = this.room();
    if (full !== undefined) return full;
    const seq = this.nextSeq++;
    if (wire === undefined) {
      setImmediate(() => this.cancelRejected(seq, 0, 'ORDER_NOT_FOUND'));
      return { ok: true, seq };
    }
    this.track(this.client.cancel(wire).then(
      (reply) => {
        if (!reply.ok) {
          // the order the refusal names (its view, or with results 'ids' its id), else the one the cancel named
          const named = reply.order?.orderId ?? reply.orderId;
          this.cancelRejected(seq, typeof named === 'number' && named > 0 ? named : knownOrderId, reply.error.code);
        }
        // accepted: PENDING_CANCEL / CANCELED come from the order's events, with the submit's seq
      },
      (e: unknown) => this.onCommandError(seq, 'cancel', e, undefined),
    ));
    return { ok: true, seq };
  }

  private track(p: Promise<unknown>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private onSubmitReply(t: Tracked, reply: Reply): void {
    t.answered = true;
    try {
      this.submitAnswered(t, reply);
    } finally {
      this.release(t);
    }
  }

  /** The order's events that came before its submit's answer, delivered now (after its ACK, or dropped if it finished). */
  private release(t: Tracked): void {
    const held = t.held;
    t.held = undefined;
    if (held !== undefined) for (const b of held) this.onBusEvent(b);
  }

  /** The order's terms as the daemon holds them (its enhancer may have lowered the quantity, tightened the price...). */
  private takeTerms(t: Tracked, order: OrderView): void {
    const ins = this.instruments.get(t.symbol);
    if (ins === undefined || typeof order !== 'object' || order === null) return;
    const qty = typeof order.quantity === 'string' ? ins.qtyToLots(order.quantity) : undefined;
    if (qty?.ok === true) t.qtyLots = qty.value;
    if (order.price === null) t.priceTicks = 0;
    else if (typeof order.price === 'string') {
      const price = ins.priceToTicks(order.price);
      if (price.ok) t.priceTicks = price.value;
    }
    if (typeof order.type === 'string') t.type = order.type as OrderType;
  }

  private submitAnswered(t: Tracked, reply: Reply): void {
    if (this.bySeq.get(t.seq) !== t) return; // already finished
    if (reply.ok) {
      if ('order' in reply) {
        this.takeTerms(t, reply.order);
        this.ack(t, reply.order.orderId, reply.order.createdAt);
      }
      else if ('orderId' in reply) this.ack(t, reply.orderId, this.ctx.clock.now()); // replayed: the order is gone from the daemon
      return;
    }
    const order = reply.order;
    if (order === undefined) {
      if (typeof reply.orderId === 'number' && reply.orderId > 0) {
        // results 'ids': the order the refusal names by its ids. A submit is refused naming an order only when the
        // order was created and denied (OrderCommands.submitted): ACK, then DENIED, as with its view
        const now = this.ctx.clock.now();
        this.ack(t, reply.orderId, now);
        this.deliverKind(t, EV_DENIED, { code: reply.error.code, ts: now, orderId: reply.orderId, state: 'DENIED' });
        return;
      }
      // refused before an order was created
      this.deliverKind(t, EV_REFUSED, { code: reply.error.code, ts: this.ctx.clock.now(), orderId: 0 });
      return;
    }
    // an order that was created and refused (pre-trade risk): ACK, then DENIED (its DENY event may follow: dropped)
    this.takeTerms(t, order);
    this.ack(t, order.orderId, order.createdAt);
    if (order.state === 'DENIED') this.deliverKind(t, EV_DENIED, { code: reply.error.code, ts: order.updatedAt, orderId: order.orderId, state: 'DENIED' });
  }

  private onCommandError(seq: number, op: string, e: unknown, t: Tracked | undefined): void {
    if (t !== undefined) {
      t.answered = true;
      try {
        this.commandFailed(seq, op, e, t);
      } finally {
        this.release(t);
      }
      return;
    }
    this.commandFailed(seq, op, e, t);
  }

  private commandFailed(seq: number, op: string, e: unknown, t: Tracked | undefined): void {
    if (e instanceof BusClientError && (e.code === 'TIMEOUT' || e.code === 'CONNECTION_LOST')) {
      this.stats.timeouts++;
      this.log.warn(`${op} not answered in time${e.code === 'CONNECTION_LOST' ? ' (Redis was lost meanwhile)' : ''}: outcome unknown, its events are still followed`, { seq, requestId: e.requestId, code: e.code });
      return;
    }
    if (e instanceof BusClientError && e.code === 'CLOSED') return;
    // NOT_SENT: Redis was unreachable for the whole timeout and the command was never written (nothing executed it, nothing
    // will): refused like a command the queue could not take (retryable), so that its seq comes to an end
    const notSent = e instanceof BusClientError && e.code === 'NOT_SENT';
    const code: ErrorCode = e instanceof BusClientError && (e.code === 'TOO_MANY_IN_FLIGHT' || notSent) ? 'QUEUE_FULL' : 'INTERNAL';
    if (notSent) this.log.warn(`${op} not sent: Redis unreachable (nothing executed)`, { seq, requestId: e.requestId });
    else this.log.error(`${op} failed`, { seq, error: errorText(e) });
    if (t !== undefined && !t.acked) this.deliverKind(t, EV_REFUSED, { code, ts: this.ctx.clock.now(), orderId: 0 });
    else if (t === undefined) this.cancelRejected(seq, 0, code);
  }

  // ---- events --------------------------------------------------------------------------------------------

  private onBusEvent(b: BusOrderEvent): void {
    const e = b.event;
    const t = this.byClientOrderId.get(e.clientOrderId);
    const kind = eventKindOfLifecycle(e.event, e.state);
    if (t === undefined) {
      if (this.finished.has(e.clientOrderId)) {
        this.stats.lateEvents++;
        return;
      }
      if (kind === 0) {
        this.stats.unreported++;
        return;
      }
      this.stats.foreignEvents++;
      this.deliver(this.fromBus(b, kind, undefined));
      return;
    }
    if (!t.answered) {
      // before the submit's reply: wait for it (at most the client's timeout), so that the ACK carries the order's
      // terms as the daemon holds them, as a worker's does
      (t.held ??= []).push(b);
      return;
    }
    if (!t.acked) this.ack(t, e.orderId, e.ts);
    if (kind === 0) {
      this.stats.unreported++;
      return;
    }
    this.deliver(this.fromBus(b, kind, t));
  }

  private fromBus(b: BusOrderEvent, kind: number, t: Tracked | undefined): StrategyEvent {
    const e = b.event;
    const ins = this.instruments.get(e.symbol);
    const lots = (text: string | undefined): number => {
      if (ins === undefined || text === undefined) return 0;
      const r = ins.qtyToLots(text);
      return r.ok ? r.value : 0;
    };
    const ticks = (text: string | undefined): number => {
      if (ins === undefined || text === undefined) return 0;
      const r = ins.priceToTicks(text);
      return r.ok ? r.value : 0;
    };
    const filledLots = lots(e.filledQty);
    if (t !== undefined) {
      t.orderId = e.orderId;
      t.state = e.state;
      t.filledLots = filledLots;
    }
    const name = EVENT_KINDS[kind]!;
    const code = e.reason !== null && isErrorCode(e.reason) ? e.reason : undefined;
    return {
      kind: name,
      orderId: e.orderId,
      seq: t?.seq ?? 0,
      tag: t?.tag ?? 0,
      symbol: e.symbol,
      symbolIndex: ins?.index ?? 0,
      side: e.side,
      state: e.state,
      code,
      filledLots,
      priceTicks: e.fill !== undefined ? ticks(e.fill.price) : t?.priceTicks ?? 0,
      qtyLots: e.fill !== undefined ? lots(e.fill.qty) : t?.qtyLots ?? 0,
      liquidity: e.fill?.liquidity,
      ts: e.ts,
      terminal: isTerminalEvent(kind, orderStateIndex(e.state)),
      lost: 0,
      orders: null,
      readSeq: 0,
      withdrawn: null,
    };
  }

  private ack(t: Tracked, orderId: number, ts: number): void {
    if (t.acked) return;
    t.acked = true;
    t.orderId = orderId;
    t.state = 'CREATED';
    this.deliverKind(t, EV_ACK, { orderId, ts, state: 'CREATED' });
  }

  /** An event made here (ACK, REFUSED, DENIED from a reply) about a tracked order. */
  private deliverKind(t: Tracked, kind: number, f: { orderId: number; ts: number; code?: ErrorCode; state?: OrderState }): void {
    this.deliver({
      kind: EVENT_KINDS[kind]!,
      orderId: f.orderId,
      seq: t.seq,
      tag: t.tag,
      symbol: t.symbol,
      symbolIndex: t.symbolIndex,
      side: t.side,
      state: kind === EV_REFUSED ? undefined : f.state,
      code: f.code,
      filledLots: t.filledLots,
      priceTicks: t.priceTicks,
      qtyLots: t.qtyLots,
      liquidity: undefined,
      ts: f.ts,
      terminal: isTerminalEvent(kind, orderStateIndex(f.state)),
      lost: 0,
      orders: null,
      readSeq: 0,
      withdrawn: null,
    });
  }

  private cancelRejected(seq: number, orderId: number, code: ErrorCode): void {
    const t = orderId !== 0 ? [...this.bySeq.values()].find((x) => x.orderId === orderId) : undefined;
    this.deliver({
      kind: EVENT_KINDS[EV_CANCEL_REJECTED]!,
      orderId, seq, tag: 0, symbol: t?.symbol, symbolIndex: t?.symbolIndex ?? 0, side: t?.side ?? 'BUY', state: t?.state,
      code, filledLots: t?.filledLots ?? 0, priceTicks: t?.priceTicks ?? 0, qtyLots: t?.qtyLots ?? 0, liquidity: undefined,
      ts: this.ctx.clock.now(), terminal: false, lost: 0, orders: null, readSeq: 0, withdrawn: null,
    });
  }

  private deliver(event: StrategyEvent): void {
    if (event.terminal && event.seq !== 0) this.finish(event.seq);
    if (this.closed) return;
    const h = this.strategy.onEvent;
    if (h === undefined) return;
    try {
      h.call(this.strategy, event, this.ctx);
    } catch (e) {
      this.stats.errors++;
      this.log.error('strategy onEvent() threw', { error: errorText(e), kind: event.kind, orderId: event.orderId });
    }
  }

  /** The order of `seq` will see no further event: stop following it, remember its ids (bounded). */
  private finish(seq: number): void {
    const t = this.bySeq.get(seq);
    if (t === undefined) return;
    this.bySeq.delete(seq);
    this.byClientOrderId.delete(t.clientOrderId);
    this.finished.set(t.clientOrderId, t.orderId);
    if (this.finished.size > this.finishedMemory) this.finished.delete(this.finished.keys().next().value!);
    this.finishedSeqs.set(seq, t.orderId);
    if (this.finishedSeqs.size > this.finishedMemory) this.finishedSeqs.delete(this.finishedSeqs.keys().next().value!);
  }

  private openOrders(): OrderSnapshot[] {
    const out: OrderSnapshot[] = [];
    for (const t of this.bySeq.values()) {
      if (!t.acked || t.state === undefined) continue;
      out.push({
        orderId: t.orderId, seq: t.seq, tag: t.tag, clientOrderId: t.clientOrderId, symbol: t.symbol, side: t.side,
        type: t.type, state: t.state, priceTicks: t.priceTicks, qtyLots: t.qtyLots, filledLots: t.filledLots,
      });
    }
    return out;
  }

  // ---- timers and stop -----------------------------------------------------------------------------------



  stop(): Promise<void> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  private async doStop(): Promise<void> {
    this.stopping = true;
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
    this.timers.clear();
    const limit = this.o.stopTimeoutMs ?? 5000;
    // the strategy's stop hook, awaited up to the stop timeout (as the worker host waits for a worker's)
    const hook = (async () => {
      await this.strategy.stop?.(this.ctx);
    })().catch((e: unknown) => {
      this.stats.errors++;
      this.log.error('strategy stop() failed', { error: errorText(e) });
    });
    if (!(await settledWithin(hook, limit))) {
      this.stats.errors++;
      this.log.error(`strategy stop() did not finish within ${limit} ms: stopping without it`);
    }
    this.timers.clear();
    // the cancels stop() sent: wait for their answers (bounded), then close
    await settledWithin(Promise.allSettled([...this.inflight]), limit);
    this.closed = true;
    await this.feed?.stop();
    await this.client.close();
    this.resolveStopped();
  }
}
