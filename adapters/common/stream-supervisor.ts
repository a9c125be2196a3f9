/**
 * Stream supervision. The transport calls streamUp() once its execution-report subscription is confirmed and
 * streamDown() when it is lost. While down, open orders and fills are polled by REST every pollIntervalMs; on the way
 * back up one reconciliation covers what happened meanwhile; while up, a periodic reconciliation (reconcileIntervalMs)
 * is the safety net. Trade ids make every source idempotent (order-ledger.ts).
 */
import type { Instrument } from '../../src/model/instrument.js';
import { type AdapterContext, errText } from './adapter-context.js';
import type { VenueError } from './errors.js';
import type { TrackedOrder } from './tracked-order.js';
import type { VenueQueries } from './venue-queries.js';

export class StreamSupervisor {
  private live = false;
  private downSince = 0;
  private lastReconcileAt = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private reconciling: Promise<void> | undefined;
  private streamWaiters: Array<() => void> = [];
  /** A definitive refusal (credentials) met while starting: start() fails with it. */
  private failure: VenueError | undefined;

  constructor(
    private readonly ctx: AdapterContext,
    private readonly queries: VenueQueries,
  ) {}

  get streamLive(): boolean {
    return this.live;
  }

  /** The credentials refusal met while starting, if any. */
  get startFailure(): VenueError | undefined {
    return this.failure;
  }

  /**
   * start() succeeded: polling while the stream is not up yet, and the periodic reconciliation. Reconciliation
   * covers trades from now on (less the clock skew margin).
   */
  begin(): void {
    this.lastReconcileAt = this.ctx.clock.now();
    if (!this.live) {
      this.ctx.log.warn({ venue: this.ctx.name }, 'execution-report stream not up yet: polling by REST meanwhile');
      this.downSince = this.ctx.clock.now();
      this.startPolling();
    }
    if (this.ctx.settings.reconcileIntervalMs > 0) {
      this.reconcileTimer = setInterval(() => {
        if (this.live) void this.reconcile('periodic');
      }, this.ctx.settings.reconcileIntervalMs);
      this.reconcileTimer.unref();
    }
  }

  /** The adapter stops: timers cleared, waiters released. */
  stop(): void {
    if (this.pollTimer !== undefined) clearInterval(this.pollTimer);
    if (this.reconcileTimer !== undefined) clearInterval(this.reconcileTimer);
    for (const w of this.streamWaiters) w();
    this.streamWaiters = [];
  }

  /** The execution-report subscription is confirmed. */
  streamUp(): void {
    for (const w of this.streamWaiters) w();
    this.streamWaiters = [];
    if (this.live || this.ctx.stopped) return;
    this.live = true;
    if (this.pollTimer !== undefined) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    if (this.ctx.started) {
      this.ctx.log.info({ venue: this.ctx.name }, 'execution-report stream restored: reconciling what happened while it was down');
      void this.reconcile('stream restored');
    }
  }

  /** The execution-report stream is lost: poll by REST until it is back. */
  streamDown(reason: string): void {
    if (!this.live || this.ctx.stopped) return;
    this.live = false;
    this.ctx.counters.streamDrops++;
    this.downSince = this.ctx.clock.now();
    this.ctx.log.warn({ venue: this.ctx.name, reason }, 'execution-report stream down: polling by REST');
    if (this.ctx.started) this.startPolling();
  }

  /**
   * The venue refused the credentials (stream login / subscription): before start() has resolved, start fails with
   * it at once; afterwards the breaker stays open (fatal until the operator acts; the probe keeps trying).
   */
  credentialsRefused(e: VenueError): void {
    this.ctx.breaker.forceOpen(e.reason, this.ctx.settings.circuitBreaker.maxOpenMs);
    if (this.ctx.started || this.failure !== undefined) return;
    this.failure = e;
    for (const w of this.streamWaiters) w();
    this.streamWaiters = [];
  }

  /** Resolves when the stream is up, or after `ms`. */
  waitStream(ms: number): Promise<void> {
    if (this.live || this.ctx.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.streamWaiters.push(done);
    });
  }

  private startPolling(): void {
    if (this.pollTimer !== undefined || this.ctx.stopped) return;
    this.pollTimer = setInterval(() => void this.reconcile('poll'), this.ctx.settings.pollIntervalMs);
    void this.reconcile('poll');
  }

  /** One reconciliation by REST (coalesced: a call while one runs waits for it). */
  reconcile(why: string): Promise<void> {
    if (this.reconciling !== undefined) return this.reconciling;
    const p = this.reconcileOnce(why).finally(() => {
      this.reconciling = undefined;
    });
    this.reconciling = p;
    return p;
  }

  private async reconcileOnce(why: string): Promise<void> {
    if (this.ctx.stopped) return;
    const started = this.ctx.clock.now();
    const from = (this.live && why === 'periodic' ? this.lastReconcileAt : Math.min(this.downSince || started, this.lastReconcileAt || started)) - this.ctx.settings.clockSkewMs - 1000;
    const byInstrument = new Map<Instrument, TrackedOrder[]>();
    // live orders, and those given up on after their validity window (a lagging venue query may still show them)
    for (const t of [...this.ctx.ledger.live(), ...this.ctx.ledger.givenUp()]) {
      const list = byInstrument.get(t.instrument) ?? [];
      list.push(t);
      byInstrument.set(t.instrument, list);
    }
    if (byInstrument.size === 0) {
      this.lastReconcileAt = started;
      return;
    }
    this.ctx.counters.reconciliations++;
    try {
      for (const [inst, list] of byInstrument) {
        const open = await this.queries.query('open', inst, () => this.ctx.hooks.fetchOpen(inst));
        // An open order under our client order id is ours only if it is the venue order ours is bound to: another
        // program's open order may hold the id of ours, closed meanwhile (then ours is looked up below).
        const openCids = new Set<string>();
        const openVids = new Set<string>();
        for (const s of open) {
          if (s.clientOrderId !== undefined) openCids.add(s.clientOrderId);
          if (s.venueOrderId !== undefined && s.venueOrderId !== '') openVids.add(s.venueOrderId);
          this.queries.applySnapshot(s);
        }
        const trades = await this.queries.query('trades', inst, () => this.ctx.hooks.fetchTrades(inst, { sinceMs: from }));
        for (const tr of trades) this.ctx.ledger.applyTrade(tr);
        for (const t of list) {
          if (t.givenUp) {
            // not in the open list (or not taken as ours there): the venue may have it closed already (filled)
            if (t.terminal !== 'REJECTED') continue;
            const snap = await this.queries.query('order', inst, () => this.ctx.hooks.fetchOrder(t));
            if (snap !== null) this.queries.applySnapshot(snap); // taken as ours only if it is what we sent (ledger)
            continue;
          }
          const stillOpen = t.venueOrderId !== undefined ? openVids.has(t.venueOrderId) : openCids.has(t.clientOrderId);
          if (t.done || stillOpen) continue;
          const snap = await this.queries.query('order', inst, () => this.ctx.hooks.fetchOrder(t));
          if (snap !== null) this.queries.applySnapshot(snap);
          else this.ctx.log.warn({ venue: this.ctx.name, clientOrderId: t.clientOrderId }, 'an accepted order is unknown to the venue');
        }
      }
      this.lastReconcileAt = started;
    } catch (err) {
      this.ctx.log.warn({ venue: this.ctx.name, why, err: errText(err) }, 'reconciliation failed; will try again');
    }
  }
}
