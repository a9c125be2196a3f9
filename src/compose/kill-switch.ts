/**
 * The kill switch (POST /v1/admin/kill, `switchyard kill`): one call that
 *   1. sets the daemon's trading state to HALTED (journaled: it holds across a restart until the operator resumes),
 *      so every order still queued or arriving is DENIED TRADING_HALTED;
 *   2. asks for the cancel of every open order — queued ones (canceled locally), orders in the internal crossing
 *      book, parent orders held by the daemon (sweeps, emulated stops, TWAP and iceberg: their cancel fans out to
 *      their children) and every order at a venue, children included;
 *   3. waits until each is confirmed closed (canceled, or filled: a fill may win the race) or the timeout passes,
 *      and reports how long it took and every order that could not be confirmed, with its state and venue.
 * A second call while one runs joins it. Orders already PENDING_CANCEL are waited for, not asked again.
 */
import type { OrderTracker } from '../core/order-tracker.js';
import type { OrderIntake } from '../intake/order-intake.js';
import type { Clock } from '../model/clock.js';
import { isOpen } from '../model/order.js';
import type { TradingStates } from '../risk/trading-states.js';
import type { Logger } from '../telemetry/logger.js';
import { waitFor } from './shutdown-policy.js';

export interface KillOrder {
  readonly orderId: number;
  readonly clientOrderId: string;
  readonly strategy: string;
  readonly symbol: string;
  readonly venue: string | undefined;
  readonly state: string;
}

export interface KillReport {
  /** The daemon's trading state afterwards: HALTED. */
  readonly state: 'HALTED';
  /** Open orders when the call came. */
  readonly orders: number;
  /** Cancels asked for (the others were PENDING_CANCEL already, or closed before their turn). */
  readonly cancelRequests: number;
  /** Orders confirmed closed. */
  readonly confirmed: number;
  /** Orders not confirmed closed within the timeout. */
  readonly unconfirmed: readonly KillOrder[];
  /** From the call to the last confirmation (or to the timeout). */
  readonly elapsedMs: number;
  readonly timedOut: boolean;
}

export class KillSwitch {
  private running: Promise<KillReport> | undefined;

  constructor(
    private readonly states: TradingStates,
    private readonly tracker: OrderTracker,
    private readonly intake: OrderIntake,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  kill(timeoutMs: number, reason = 'kill switch'): Promise<KillReport> {
    this.running ??= this.run(timeoutMs, reason).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(timeoutMs: number, reason: string): Promise<KillReport> {
    const t0 = this.clock.monoMs();
    this.states.set({ scope: 'daemon', state: 'HALTED', reason });
    const open = this.tracker.list(true);
    const store = this.tracker.store;
    let requests = 0;
    // parents first: their cancel takes their children with it
    const parentsFirst = [...open].sort((a, b) => Number(store.parent[a.slot] !== 0) - Number(store.parent[b.slot] !== 0));
    for (const o of parentsFirst) {
      if (!isOpen(o.state) || o.state === 'PENDING_CANCEL') continue;
      if (this.intake.cancelSlot(o.slot).ok) requests++;
    }
    this.log.warn({ orders: open.length, cancelRequests: requests }, 'kill switch: daemon HALTED, every open order asked to cancel');
    // by id: a slot may be reused once its order has closed and been forgotten (retention)
    const ids = open.map((o) => o.id);
    const stillOpen = (id: number): boolean => {
      const slot = this.tracker.slotOf(id);
      return slot >= 0 && this.tracker.isOpenSlot(slot);
    };
    const settled = await waitFor(() => ids.every((id) => !stillOpen(id)), timeoutMs);
    const elapsedMs = this.clock.monoMs() - t0;
    const unconfirmed = open.filter((o) => stillOpen(o.id)).map((o) => ({
      orderId: o.id, clientOrderId: o.clientOrderId, strategy: o.strategy, symbol: o.symbol, venue: o.venue, state: o.state,
    }));
    const report: KillReport = {
      state: 'HALTED', orders: open.length, cancelRequests: requests, confirmed: open.length - unconfirmed.length, unconfirmed, elapsedMs, timedOut: !settled,
    };
    if (unconfirmed.length > 0) this.log.error({ unconfirmed, elapsedMs }, 'kill switch: some orders could not be confirmed closed');
    else this.log.warn({ orders: open.length, elapsedMs }, 'kill switch: every order confirmed closed');
    return report;
  }
}
