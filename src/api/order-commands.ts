/**
 * The order commands every client front shares: HTTP (POST/PATCH/DELETE /v1/orders...), the WebSocket's submit, cancel
 * and amend, and the Redis command streams (src/bus/command-intake.ts). One place decides what a submit, an amend, a
 * cancel and a cancel-all do and answer, so the fronts cannot drift apart; each front only maps the result to its
 * wire (status codes, reply entries).
 *
 * Each method makes its intake call synchronously, before its first await: a caller that starts several commands one
 * after the other without awaiting them gets them executed in that order (a submit then a cancel of the same order).
 */
import type { OrderTracker } from '../core/order-tracker.js';
import { decodeOrder, enumOf } from '../intake/order-decoder.js';
import type { DecisionSink, OrderIntake } from '../intake/order-intake.js';
import type { OrderIntent } from '../model/order.js';
import { ERROR_CATALOGUE, type ErrorCode } from '../model/errors.js';
import { ORDER_STATES, SIDES, type Order } from '../model/order.js';
import { BUY, SELL, type OrderView as HeldOrder } from '../core/order-store.js';
import { matchingSlots, type OrderFilter } from './order-query.js';
import { orderViewJson, writeOrderView } from './order-view.js';
import { JsonBytes } from '../journal/json-bytes.js';

/** How long an amend waits for the venue's answer before it is answered as still pending. */
export const AMEND_WAIT_MS = 5000;

/** How a key names an order (OrderCommands.findOrError): its order id, its client order id, or either. */
export type OrderKeyKind = 'id' | 'clientOrderId' | 'auto';

/** A refusal: a catalogue code, its message, the field at fault and the order it is about (a denied order). */
export interface CommandError {
  readonly ok: false;
  readonly code: ErrorCode;
  readonly message: string;
  readonly field?: string | undefined;
  readonly order?: Order | undefined;
}

export type SubmitResult = { ok: true; order: Order } | CommandError;
export type AmendCommandResult = { ok: true; order: Order; pending: boolean } | CommandError;
export type CancelResult = { ok: true; order: Order } | CommandError;
export interface CancelAllResult {
  readonly canceling: number[];
  readonly refused: { orderId: number; code: ErrorCode; message: string }[];
}

export interface OrderCommandDeps {
  readonly intake: OrderIntake;
  readonly tracker: OrderTracker;
  readonly instruments: Parameters<typeof decodeOrder>[1];
  /** Resolves when every journal record so far is durable: an answer is given only once it is. */
  readonly durable?: (() => Promise<void>) | undefined;
  /** Why pre-trade risk denied an order, naming the limit and its value (the message of a DENIED submit). */
  readonly explainDenial?: ((order: Order) => string | undefined) | undefined;
  /** Default AMEND_WAIT_MS. */
  readonly amendWaitMs?: number;
}

/** A submit whose records the journal could not make durable: not acknowledged (no order id given). */
export const JOURNAL_FAILED: CommandError = { ok: false, code: 'JOURNAL_IO', message: 'the journal could not be written: the order is not acknowledged' };
const journalFailed = (): CommandError => JOURNAL_FAILED;

export class OrderCommands {
  /** Where the order views given as text are written first (reset for each). */
  private readonly viewText = new JsonBytes();

  constructor(private readonly deps: OrderCommandDeps) {}

  /**
   * Decode, queue, and wait for the dispatcher's decision and the journal. `check` may refuse the decoded order
   * before it is queued (STRATEGY_NOT_API for HTTP, STRATEGY_MISMATCH for a command stream).
   */
  submit(body: unknown, check?: (intent: OrderIntent) => CommandError | undefined): Promise<SubmitResult> {
    // Chained, not awaited: each HTTP submit's answer waits on two promises (decision, journal), not on five; a
    // throw is a rejection, never thrown at a caller that only chains on the promise
    try {
      const r = this.enqueue(body, check);
      if (!r.ok) return Promise.resolve(r);
      return this.deps.intake.dispatched(r.order).then(this.whenDurable);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** The answer for an order the dispatcher decided about, once the journal holds it: submit's second half. */
  private readonly whenDurable = (order: Order): SubmitResult | Promise<SubmitResult> => {
    const decided = this.submitted(order);
    const durable = this.deps.durable;
    if (durable === undefined) return decided;
    // The journal failed before the order's records were on disk: it is not acknowledged (no order id given).
    try {
      return durable().then(() => decided, journalFailed);
    } catch {
      return JOURNAL_FAILED;
    }
  };

  /**
   * The dispatcher's decision about an order queued with enqueue, answered as submit answers it, WITHOUT waiting for
   * the journal: for a caller that records more about the command first and then waits for durability once for all of
   * it (the Redis command intake's ledger record). Not an acknowledgement until `durable` resolves.
   */
  async decided(order: HeldOrder): Promise<SubmitResult> {
    return this.submitted(await this.deps.intake.dispatched(order));
  }

  /** The synchronous half of submit: decoded, checked and queued (the order as queued), or refused. */
  enqueue(body: unknown, check?: (intent: OrderIntent) => CommandError | undefined): { ok: true; order: HeldOrder } | CommandError {
    const decoded = decodeOrder(body, this.deps.instruments);
    if (!decoded.ok) return { ok: false, ...decoded.error };
    const refused = check?.(decoded.intent);
    if (refused !== undefined) return refused;
    return this.deps.intake.submit(decoded.intent);
  }

  /**
   * The dispatcher's decision about an order just queued with enqueue, told to `sink` with the order as it then is
   * (OrderIntake.waitDecision; not an answer yet: see SubmitBatch, which answers a WebSocket frame's submits once
   * the journal holds them all). Asked at once, before anything else runs: a finished order may be forgotten — its
   * slot given to a new order — once more than daemon.retainFinishedOrders others finish after it (a later op of
   * the same batch may).
   */
  waitDecision(order: HeldOrder, sink: DecisionSink, token: number): void {
    this.deps.intake.waitDecision(order, sink, token);
  }

  /** A wait for every journal record so far to be durable; undefined when there is no journal. */
  durableWait(): Promise<void> | undefined {
    return this.deps.durable?.();
  }

  /** The answer for an order that went through the dispatcher: a DENIED order is a refusal naming the limit. */
  submitted(order: Order): SubmitResult {
    if (order.state === 'DENIED') {
      const code = order.reason as ErrorCode;
      return { ok: false, code, message: this.deps.explainDenial?.(order) ?? ERROR_CATALOGUE[code]?.description ?? String(order.reason), order };
    }
    return { ok: true, order };
  }

  /**
   * The answer for an order submitted before (found by its client order id): once the dispatcher has decided about it
   * and the journal holds it, as `submitted`.
   */
  async settled(order: HeldOrder): Promise<SubmitResult> {
    const decided = await this.deps.intake.dispatched(order);
    try {
      await this.deps.durable?.();
    } catch {
      return JOURNAL_FAILED;
    }
    return this.submitted(decided);
  }

  /** The order with this client order id, when it is held and belongs to the strategy. */
  byClientOrderId(clientOrderId: string, strategyId: string): HeldOrder | undefined {
    const order = this.deps.tracker.getByClientOrderId(clientOrderId);
    return order !== undefined && order.strategy === strategyId ? order : undefined;
  }

  /** The order with this id, if it is still held. */
  get(id: number): Order | undefined {
    return this.deps.tracker.get(id);
  }

  /** An order as the API shows it (GET /v1/orders/:id), as JSON text (orderViewJson: JSON.stringify of orderView's). */
  viewJson(order: Order): string {
    return orderViewJson(order, this.deps.instruments, this.deps.tracker.store, this.viewText);
  }

  /** The same view written into `w` (a message being made in an arena: a WebSocket result). */
  writeView(w: JsonBytes, order: Order): void {
    writeOrderView(w, order, this.deps.instruments, this.deps.tracker.store);
  }

  /**
   * Amend {price?, quantity?} (quantity: the new total, fills included). Refused at once with a code, or sent to the
   * venue and answered with its word: AMENDED (the new terms), VENUE_REJECTED (the old terms stand),
   * ORDER_NOT_AMENDABLE when the order finished first, or `pending` when the venue has not answered within the wait.
   * `strategyId`: only that strategy's orders (another's is ORDER_NOT_FOUND).
   */
  async amend(id: number, body: unknown, strategyId?: string): Promise<AmendCommandResult> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, code: 'BAD_REQUEST', message: 'the body must be a JSON object' };
    const b = body as Record<string, unknown>;
    for (const key of Object.keys(b)) {
      if (key !== 'price' && key !== 'quantity') return { ok: false, code: 'UNKNOWN_FIELD', message: `unknown field ${key} (an amend takes price and quantity)`, field: key };
    }
    const r = this.deps.intake.amendDecimal(id, { price: b.price, quantity: b.quantity }, strategyId);
    if (!r.ok) return r;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      r.outcome,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), this.deps.amendWaitMs ?? AMEND_WAIT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    // still pending: the order as it is now (open, held), not as its slot reads after the journal's wait (OrderCopy)
    const pending = outcome === undefined ? r.order.detach() : undefined;
    try {
      await this.deps.durable?.();
    } catch {
      return { ok: false, code: 'JOURNAL_IO', message: 'the journal could not be written: the amend\'s outcome is not durable' };
    }
    if (outcome === undefined) return { ok: true, order: pending!, pending: true };
    if (outcome.result === 'AMENDED') return { ok: true, order: outcome.order, pending: false };
    if (outcome.result === 'FINISHED') return { ok: false, code: 'ORDER_NOT_AMENDABLE', message: `order ${id} finished (${outcome.order.state}) before the amend took effect`, order: outcome.order };
    return { ok: false, code: 'VENUE_REJECTED', message: `the venue refused the amend: ${outcome.reason ?? 'no reason given'}; the order keeps its terms`, order: outcome.order };
  }

  /**
   * The order `key` names, or ORDER_NOT_FOUND: by its order id (`by` 'id': a key of digits), by its client order id
   * ('clientOrderId'), or either ('auto', the default: a key of digits is tried as an order id, then as a client order
   * id). Under 'auto' a key of digits that is one order's id and another order's client order id names neither: it is
   * refused INVALID_FIELD (say which with `by`), since acting on a guess would cancel or amend the wrong order.
   * `strategyId`: only that strategy's orders count (another's is not found, and does not make a key ambiguous).
   */
  findOrError(key: string, strategyId?: string, by: OrderKeyKind = 'auto'): { ok: true; order: Order } | CommandError {
    const mine = (o: Order | undefined): Order | undefined => (o !== undefined && (strategyId === undefined || o.strategy === strategyId) ? o : undefined);
    const byId = by !== 'clientOrderId' && /^\d{1,15}$/.test(key) ? mine(this.deps.tracker.get(Number(key))) : undefined;
    const byClientId = by !== 'id' ? mine(this.deps.tracker.getByClientOrderId(key)) : undefined;
    if (byId !== undefined && byClientId !== undefined && byId.id !== byClientId.id) {
      return {
        ok: false, code: 'INVALID_FIELD', field: 'by',
        message: `${key} is the id of order ${byId.id} and the client order id of order ${byClientId.id}: say which (by=id or by=clientOrderId)`,
      };
    }
    const order = byId ?? byClientId;
    if (order !== undefined) return { ok: true, order };
    const what = by === 'id' ? 'with order id' : by === 'clientOrderId' ? 'with client order id' : '';
    return { ok: false, code: 'ORDER_NOT_FOUND', message: what === '' ? `no order ${key}` : `no order ${what} ${key}` };
  }

  /** Cancel an order known by id, as its strategy asked. */
  cancelById(id: number): CancelResult {
    const r = this.deps.intake.cancel(id);
    return r.ok ? { ok: true, order: r.order } : { ok: false, code: r.code, message: r.message };
  }

  /**
   * A strategy's own cancel-all: its open orders, optionally of one symbol and/or side (children of its parents
   * included). Refused with UNKNOWN_STRATEGY, UNKNOWN_SYMBOL or INVALID_FIELD (side).
   */
  cancelStrategy(strategyId: string, symbol?: string, side?: string): ({ ok: true } & CancelAllResult) | CommandError {
    const store = this.deps.tracker.store;
    const strategy = store.strategyIds.indexOf(strategyId);
    if (strategy < 0) return { ok: false, code: 'UNKNOWN_STRATEGY', message: `unknown strategy ${strategyId}`, field: 'strategy' };
    let symbolIndex = -1;
    if (symbol !== undefined) {
      const ins = store.instruments.get(symbol);
      if (ins === undefined) return { ok: false, code: 'UNKNOWN_SYMBOL', message: `unknown symbol ${symbol}`, field: 'symbol' };
      symbolIndex = ins.index;
    }
    let sideCode = -1;
    if (side !== undefined) {
      const up = enumOf(side, SIDES); // in any ASCII case ("ſell" is not SELL: order-decoder.ts enumOf)
      if (up === undefined) return { ok: false, code: 'INVALID_FIELD', message: 'side must be BUY or SELL', field: 'side' };
      sideCode = up === 'BUY' ? BUY : SELL;
    }
    const r = this.cancelAll({ strategy, symbol: symbolIndex, venue: -1, side: sideCode, state: 'open', from: -Infinity, to: Infinity, children: true });
    return { ok: true, ...r };
  }

  /**
   * Cancel every open order that passes the filter (children included when the filter says so), parents first (their
   * cancel fans out to their children). Orders already PENDING_CANCEL are passed over. Not counted against the
   * strategies' cancel rates. Answers at once with the orders asked to cancel and those that could not be.
   */
  cancelAll(filter: OrderFilter): CancelAllResult {
    const store = this.deps.tracker.store;
    const canceling: number[] = [];
    const refused: { orderId: number; code: ErrorCode; message: string }[] = [];
    const slots = matchingSlots(store, filter).sort((a, b) => Number(store.parent[a] !== 0) - Number(store.parent[b] !== 0));
    for (const slot of slots) {
      if (!this.deps.tracker.isOpenSlot(slot) || ORDER_STATES[store.state[slot]!] === 'PENDING_CANCEL') continue;
      const id = store.id[slot]!;
      const r = this.deps.intake.cancelSlot(slot);
      if (r.ok) canceling.push(id);
      else refused.push({ orderId: id, code: r.code, message: r.message });
    }
    return { canceling, refused };
  }
}
