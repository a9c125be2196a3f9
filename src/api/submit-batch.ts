/**
 * The submits of one WebSocket frame, answered together: once the dispatcher has decided about every one and the
 * journal holds them all (one durability wait for the frame), `done` is called. What OrderCommands.submit does for
 * one order with two promises, done here for a frame with none per order: the batch is the intake's DecisionSink for
 * each of its orders (OrderIntake.waitDecision) and counts them down.
 *
 * What is kept of each decided order: the order as it then was (a copy: a finished order may be forgotten, its slot
 * given to another, before the answer is made), or — `idsOnly` (a client that asked for `?result=ids`) and the order
 * not DENIED — only its id and client order id, all such an answer names.
 */
import type { OrderView as HeldOrder, OrderCopy } from '../core/order-store.js';
import type { DecisionSink } from '../intake/order-intake.js';
import type { OrderCommands } from './order-commands.js';

export class SubmitBatch implements DecisionSink {
  /** Per submit k (in the order added): the op's index in its frame, and the op's id. */
  readonly opIndex: number[] = [];
  readonly opId: (string | number | null)[] = [];
  /** Per submit: the order when decided (undefined: idsOnly and not DENIED, see orderId / clientOrderId). */
  readonly copies: (OrderCopy | undefined)[] = [];
  readonly orderId: number[] = [];
  readonly clientOrderId: string[] = [];
  /** Whether the journal made the batch's records durable (set before `done`). */
  durable = true;
  private left = 0;
  private sealed = false;

  constructor(
    private readonly commands: OrderCommands,
    private readonly idsOnly: boolean,
    private readonly done: (batch: SubmitBatch) => void,
  ) {}

  get length(): number {
    return this.opIndex.length;
  }

  /** A submit queued just now (OrderCommands.enqueue): op `opIndex` of the frame, with id `opId`. */
  add(order: HeldOrder, opIndex: number, opId: string | number | null): void {
    const k = this.opIndex.length;
    this.opIndex.push(opIndex);
    this.opId.push(opId);
    this.copies.push(undefined);
    this.orderId.push(0);
    this.clientOrderId.push('');
    this.left++;
    // asked now: a later op of this frame may finish orders, and a finished order may then be forgotten
    this.commands.waitDecision(order, this, k);
  }

  /** (DecisionSink) Submit `k`'s order was decided. */
  decided(order: HeldOrder, k: number): void {
    if (this.idsOnly && order.state !== 'DENIED') {
      this.orderId[k] = order.id;
      this.clientOrderId[k] = order.clientOrderId;
    } else this.copies[k] = order.detach();
    if (--this.left === 0 && this.sealed) this.finishSoon();
  }

  /** No more submits: `done` follows once all are decided and durable (never before this returns). */
  seal(): void {
    this.sealed = true;
    if (this.left === 0) this.finishSoon();
  }

  /**
   * Runs what follows the last decision in a microtask, as the promise reaction it replaces did: the decision is told
   * inside the tracker's listeners, and the durability wait must start after every listener (the journal's) has
   * recorded the update.
   */
  private finishSoon(): void {
    queueMicrotask(() => {
      let durable: Promise<void> | undefined;
      try {
        durable = this.commands.durableWait();
      } catch {
        durable = Promise.reject(new Error('durability wait failed'));
      }
      if (durable === undefined) {
        this.done(this);
        return;
      }
      durable.then(() => this.done(this), () => {
        this.durable = false;
        this.done(this);
      });
    });
  }
}
