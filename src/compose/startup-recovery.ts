/**
 * Recovery at start, with a journal: open and replay it, check it against the configuration, put orders that never
 * left back in their queues (and crossing-book rests back in the book), reconcile every venue that is up, apply the
 * startup policy (cancel-older-than), then schedule snapshots. A venue that comes up later is reconciled on its own
 * before it opens (`lateVenueReady`).
 */
import { resolve } from 'node:path';
import type { Config } from '../config/index.js';
import { INTERNAL_VENUE } from '../crossing/internal-crossing.js';
import { checkJournalAgainstConfig, closeOutRemoved } from '../journal/config-match.js';
import { Journal, type JournalFileWrites } from '../journal/journal.js';
import { NameMapper } from '../journal/name-table.js';
import { replayOrders, type ReplayReport } from '../journal/order-replay.js';
import { SnapshotCapture } from '../journal/snapshot-capture.js';
import { SnapshotSchedule } from '../journal/snapshot-schedule.js';
import type { Clock } from '../model/clock.js';
import type { InstrumentRegistry } from '../model/instrument.js';
import type { PreTradeRisk } from '../risk/pre-trade-risk.js';
import type { Logger } from '../telemetry/logger.js';
import { PRIORITY_CODE } from '../core/order-store.js';
import { amendPending } from '../model/lifecycle.js';
import { reconcileVenue, type ReconcileResult } from '../execution/reconciliation.js';
import { RestartingVenue } from '../execution/venue-supervisor.js';
import type { OrderPath } from './order-path.js';

export interface RecoverySummary {
  readonly replay: ReplayReport;
  readonly cut: unknown;
  readonly reconciliation: readonly ReconcileResult[];
  readonly canceledOld: number;
}

/** Everything recovery reads or acts on, passed in (the daemon composes it). */
export interface StartupRecoveryParts {
  readonly config: Config;
  /** Directory relative journal paths are resolved against. */
  readonly baseDir: string;
  readonly fileWrites: JournalFileWrites | undefined;
  /** Start even when removed entries still have open orders or positions (they are closed out). */
  readonly acceptRemoved: boolean;
  /** The order path recovery fills (tracker, queues, risk accounting, fees, crossing, venues, gate); without its
   * journal recorder a late venue opens without reconciliation. */
  readonly path: OrderPath;
  readonly risk: PreTradeRisk;
  readonly instruments: InstrumentRegistry;
  readonly clock: Clock;
  readonly log: Logger;
  /** Holds snapshot retention back (the history store's watermark: records it has not stored are kept). */
  readonly retentionFloor?: () => number;
}

export class StartupRecovery {
  /** The journal, once recover() opened it. */
  journal: Journal | undefined;
  /** What the last start recovered (null without a journal). */
  summary: RecoverySummary | null = null;
  /** The journal's snapshot schedule, once recover() started it. */
  snapshots: SnapshotSchedule | undefined;

  /**
   * When recover() began: the run that sent the journal's orders had ended by then (reconciliation's
   * PreviousRun.sentBefore).
   */
  private startedAt = 0;
  /** The orders the journal's replay left past CREATED (the run that ended may have sent them): slot -> generation. */
  private readonly replayedSent = new Map<number, number>();

  constructor(private readonly p: StartupRecoveryParts) {}

  async recover(): Promise<void> {
    const p = this.p;
    this.startedAt = p.clock.now();
    const jc = p.config.daemon.journal;
    const dir = resolve(p.baseDir, jc.dir);
    const recorder = p.path.recorder!;
    const journal = await Journal.open(dir, {
      maxDelayMs: jc.maxDelayMs,
      // The failure is latched in the recorder (one place), which halts the daemon (onFailure).
      onError: (err) => recorder.fail(err),
      fileWrites: p.fileWrites,
      retentionFloor: p.retentionFloor,
    });
    this.journal = journal;
    recorder.attach(journal);
    // An API order's ORDER record (appended when it is queued) and its decision (appended by the dispatch cycle) in
    // one batch: the disk free, the batch is written behind the cycle's immediate rather than with the ORDER alone.
    const queues = p.path.queues;
    journal.setFlushDeferral({ pending: () => queues.size > 0, later: (run) => void setImmediate(run) });
    // Replay: the records are in the journal already, and risk reservations are rebuilt from the SUBMITs.
    recorder.active = false;
    p.path.metrics.replaying = true;
    p.path.riskAccounting.replaying = true;
    if (p.path.parents !== undefined) p.path.parents.replaying = true;
    let replay: ReplayReport;
    // The journal names its strategies, instruments and venues: they are matched to the configuration by name.
    const names = new NameMapper(p.path.tracker.store);
    try {
      replay = replayOrders(dir, p.path.tracker, p.path.tracker.store, p.path.ids, p.risk, p.path.fees, names, p.path.stateParts);
    } finally {
      p.path.riskAccounting.replaying = false;
      if (p.path.parents !== undefined) p.path.parents.replaying = false;
      p.path.metrics.replaying = false;
      recorder.active = true;
    }
    // Refuses (JOURNAL_CONFIG_MISMATCH) before anything is written when the journal no longer fits the configuration.
    const removed = checkJournalAgainstConfig(names, p.path.tracker, p.acceptRemoved);
    // First record of this run: what its indexes refer to.
    recorder.writeNames();
    if (removed.length > 0) {
      const closed = closeOutRemoved(names, p.path.tracker, recorder, removed, p.clock.now());
      p.log.warn({ code: 'JOURNAL_CONFIG_MISMATCH', removed, canceledOrders: closed.canceledOrders, droppedPositions: closed.droppedPositions },
        'removed strategies, instruments or venues closed out (--accept-removed)');
    }
    const open = p.path.tracker.list(true);
    // Orders accepted but never dispatched go back to their queues; orders resting in the crossing book go back in.
    // The others are the run that ended's, to be reconciled (this run's are not: see PreviousRun).
    const generation = p.path.tracker.store.generation;
    for (const o of open) {
      if (o.state === 'CREATED') p.path.queues.push(o.strategyIndex, PRIORITY_CODE[o.priority], o.slot, generation[o.slot]!);
      else {
        this.replayedSent.set(o.slot, generation[o.slot]!);
        if (o.venue === INTERNAL_VENUE) p.path.crossing?.restore(o.slot);
      }
    }
    // Sweep parents find their children again, so that what reconciliation finds about a child rolls up.
    p.path.parents?.rebuild();
    p.path.dispatcher.wake();
    recorder.event({ event: 'recovered', cut: journal.recovery.cut, replay });
    p.log.info({ replay, cut: journal.recovery.cut, open: open.length }, 'journal replayed');

    const results: ReconcileResult[] = [];
    for (let v = 0; v < p.path.venues.length; v++) {
      const adapter = p.path.venues[v]!;
      if (adapter instanceof RestartingVenue && !adapter.isUp) {
        // not started: reconciled when it comes up, before it opens (lateVenueReady)
        results.push({ venue: adapter.name, ok: false, error: 'not started (retrying)', checked: 0, findings: [] });
        continue;
      }
      const r = await this.reconcileOne(v);
      results.push(r);
      if (!r.ok) {
        p.path.gate.setOpen(v, false, `VENUE_NOT_RECONCILED: ${r.error ?? ''}`);
        recorder.event({ event: 'reconciliation-failed', venue: adapter.name, error: r.error });
        p.log.error({ code: 'VENUE_NOT_RECONCILED', venue: adapter.name, error: r.error }, 'venue could not be reconciled: it stays closed to new orders, retried');
        // retried with the venue's backoff (lateVenueReady), opened once reconciled
        if (adapter instanceof RestartingVenue) adapter.readyFailed(new Error(`VENUE_NOT_RECONCILED: ${r.error ?? ''}`));
      }
    }
    // Parents go on from what their children's venues said: rests placed, ends applied, unplanned parents planned.
    p.path.parents?.resume();
    const { policy, maxAgeMs } = p.config.daemon.startup;
    let canceledOld = 0;
    if (policy === 'cancel-older-than') {
      const cutoff = p.clock.now() - maxAgeMs;
      for (const o of p.path.tracker.list(true)) {
        if (o.createdAt < cutoff && p.path.intake.cancelSlot(o.slot).ok) canceledOld++;
      }
    }
    this.summary = { replay, cut: journal.recovery.cut, reconciliation: results, canceledOld };
    await journal.flush();
    const snapshots = (this.snapshots = new SnapshotSchedule(
      journal,
      jc.snapshotEvery,
      // captured in steps while orders flow (the state at one seq, copy-on-write: see snapshot-capture.ts)
      new SnapshotCapture({ store: p.path.tracker.store, ids: p.path.ids, risk: p.risk, fees: p.path.fees, parts: p.path.stateParts }),
      p.log,
      replay.snapshotSeq ?? 0,
    ));
    recorder.onRecord = () => snapshots.maybeSnapshot();
    snapshots.maybeSnapshot();
  }

  /** Reconciles one venue with the journal's view of its orders. */
  private async reconcileOne(v: number): Promise<ReconcileResult> {
    const p = this.p;
    const adapter = p.path.venues[v]!;
    const recorder = p.path.recorder!;
    // Amends the restart left pending are settled first, by a lookup at the venue (never guessed): a cancel-replace may
    // have moved the order to its replacement's ids, which reconciliation and a pending cancel must then use.
    for (const o of p.path.tracker.list(true)) {
      if (o.venueIndex !== v || !amendPending(o)) continue;
      try {
        if (!(await p.path.intake.resolvePendingAmend(o.slot))) p.log.warn({ orderId: o.id, venue: adapter.name }, 'a pending amend could not be settled by a lookup yet');
      } catch (err) {
        p.log.warn({ orderId: o.id, venue: adapter.name, err: String(err) }, 'looking up a pending amend failed');
      }
    }
    const listed = p.config.venues[v]!.symbols.map((sym) => p.instruments.get(sym)!);
    return reconcileVenue(v, adapter, p.path.tracker, p.path.tracker.store, p.instruments, listed, {
      resubmit: (slot) => p.path.dispatcher.resend(slot),
      recancel: (slot) => p.path.intake.recancel(slot),
      finding: (f) => {
        recorder.event({ event: 'reconciliation', ...f });
        p.log.warn(f, 'reconciliation: difference with the venue');
      },
    }, {
      validityMs: adapter.validityWindowMs?.() ?? 0,
      sentBefore: this.startedAt,
      sent: (slot) => this.replayedSent.get(slot) === p.path.tracker.store.generation[slot],
      now: () => p.clock.now(),
    });
  }

  /**
   * A venue that did not start with the daemon has started: once the daemon's own start is over (`startupFinished`
   * resolves true), reconcile it (with a journal) and open it. false = not now (RestartingVenue tries again with its
   * backoff); `stopping` says whether the daemon was asked to stop.
   */
  async lateVenueReady(v: number, startupFinished: Promise<boolean>, stopping: () => boolean): Promise<boolean> {
    const p = this.p;
    // a venue that came up while the daemon was still starting waits for the start to finish (journal replayed)
    if (!(await startupFinished) || stopping()) return false;
    if (p.config.daemon.journal.enabled) {
      const r = await this.reconcileOne(v);
      if (!r.ok) {
        p.path.recorder!.event({ event: 'reconciliation-failed', venue: p.path.venues[v]!.name, error: r.error });
        p.log.error({ code: 'VENUE_NOT_RECONCILED', venue: p.path.venues[v]!.name, error: r.error }, 'venue could not be reconciled: it stays closed, retried');
        throw new Error(`VENUE_NOT_RECONCILED: ${r.error ?? ''}`);
      }
      p.path.recorder!.event({ event: 'venue-opened', venue: p.path.venues[v]!.name, checked: r.checked, findings: r.findings.length });
    }
    if (stopping()) return false;
    p.path.gate.setOpen(v, true);
    return true;
  }
}
