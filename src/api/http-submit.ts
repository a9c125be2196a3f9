/**
 * One POST /v1/orders answered past fastify (ApiServer.fastSubmit), from the dispatcher's decision to the answer,
 * without a promise per step: what OrderCommands.submit and the route's handler do for it with four chained promises
 * and an order copy, done here with the request's one object. It is the intake's DecisionSink for its order
 * (OrderIntake.waitDecision, as SubmitBatch is for a WebSocket frame's submits); once the order is decided it waits for
 * the journal (every record so far durable: OrderCommands.durableWait) and only then answers, as submit does — a
 * journal that failed first is JOURNAL_IO, no order id given.
 *
 * The answers are the route's, byte for byte: 201 with the order's view as it is when answered (OrderCopy.current),
 * or with `?result=ids` its orderId and clientOrderId — all such an answer names, so for it nothing is copied unless
 * the order was DENIED —; a DENIED order is the refusal naming the limit and the order (OrderCommands.submitted).
 */
import type { ServerResponse } from 'node:http';
import type { OrderView as HeldOrder, OrderCopy } from '../core/order-store.js';
import type { DecisionSink } from '../intake/order-intake.js';
import { JOURNAL_FAILED, type CommandError, type OrderCommands } from './order-commands.js';
import { errorReply, JSON_TYPE, type Reply } from './api-replies.js';
import { orderIdsJson, type RawReply } from './api-routes.js';

/** What an HttpSubmit needs of the server: the commands, how it writes an answer, and how a throw is answered. */
export interface SubmitAnswers {
  readonly commands: OrderCommands;
  answer(res: ServerResponse, r: Reply | RawReply): void;
  failure(err: unknown): Reply;
}

export class HttpSubmit implements DecisionSink {
  /** The order when decided: a whole answer, or a DENIED one (undefined: `?result=ids`, see orderId). */
  private copy: OrderCopy | undefined = undefined;
  private orderId = 0;
  private clientOrderId = '';

  constructor(
    private readonly server: SubmitAnswers,
    private readonly res: ServerResponse,
    private readonly idsOnly: boolean,
  ) {}

  /** (DecisionSink) The order was decided: noted now (its slot may be given to another order before the answer). */
  decided(order: HeldOrder): void {
    if (this.idsOnly && order.state !== 'DENIED') {
      this.orderId = order.id;
      this.clientOrderId = order.clientOrderId;
    } else this.copy = order.detach();
    // In a microtask, as the promise reaction it replaces: the decision is told inside the tracker's listeners, and
    // the durability wait must start after every listener (the journal's) has recorded the update.
    queueMicrotask(() => this.waitDurable());
  }

  private waitDurable(): void {
    const copy = this.copy;
    const decided = copy === undefined ? undefined : this.server.commands.submitted(copy);
    let durable: Promise<void> | undefined;
    try {
      durable = this.server.commands.durableWait();
    } catch {
      this.refuse(JOURNAL_FAILED);
      return;
    }
    if (durable === undefined) this.finish(decided);
    else durable.then(() => this.finish(decided), () => this.refuse(JOURNAL_FAILED));
  }

  /** The answer once the journal holds the order: the route's 201, or its refusal of a DENIED order. */
  private finish(decided: ReturnType<OrderCommands['submitted']> | undefined): void {
    let r: Reply | RawReply;
    try {
      if (decided === undefined) r = { status: 201, raw: orderIdsJson(this.orderId, this.clientOrderId), contentType: JSON_TYPE };
      else if (!decided.ok) r = errorReply(decided.code, decided.message, decided.field, decided.order);
      else r = { status: 201, raw: this.idsOnly ? orderIdsJson(decided.order.id, decided.order.clientOrderId) : this.server.commands.viewJson(decided.order), contentType: JSON_TYPE };
    } catch (err) {
      r = this.server.failure(err);
    }
    this.server.answer(this.res, r);
  }

  private refuse(e: CommandError): void {
    this.server.answer(this.res, errorReply(e.code, e.message, e.field, e.order));
  }
}
