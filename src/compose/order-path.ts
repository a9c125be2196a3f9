/**
 * The one constructor of the order path:
 *
 *   intake -> strategy queues -> dispatcher -> pre-trade risk -> internal crossing -> router -> batcher -> venues,
 *   reports back through the report handler into the tracker, whose listeners (in this order) are the intake's
 *   dispatch waiters (they only settle promises, which run after every listener), the journal recorder, the ring
 *   intake of worker strategies, risk accounting, the fee ledger, metrics and the order log.
 *
 * The daemon composes it with I/O (venues from the configuration, the journal, the API, workers); benchmarks and
 * tests compose it with their own venues. Nothing else wires these parts, so what a benchmark measures is the path
 * the daemon runs.
 */
import { OrderStore } from '../core/order-store.js';
import { OrderTracker, type TrackerOptions } from '../core/order-tracker.js';
import type { InternalCrossing } from '../crossing/internal-crossing.js';
import { INTERNAL_VENUE } from '../crossing/internal-crossing.js';
import { batchRejecter } from '../execution/batch-reject.js';
import { VenueBatcher, type BatchPolicy } from '../execution/batcher.js';
import { ReportHandler } from '../execution/report-handler.js';
import type { ReportSink, VenueAdapter, VenueHealth } from '../execution/venue.js';
import { VenueGate } from '../execution/venue-supervisor.js';
import { Dispatcher } from '../intake/dispatcher.js';
import { OrderIntake } from '../intake/order-intake.js';
import { RingIntake } from '../intake/ring-intake.js';
import type { RingEndpoint, StrategySnapshot } from '../intake/ring/transport.js';
import { StrategyQueues } from '../intake/strategy-queues.js';
import type { JournalRecorder } from '../journal/journal-recorder.js';
import type { Clock } from '../model/clock.js';
import { OrderIdCounter } from '../model/ids.js';
import type { InstrumentRegistry } from '../model/instrument.js';
import type { PreTradeRisk } from '../risk/pre-trade-risk.js';
import { FeeLedger } from '../risk/fee-ledger.js';
import { RiskAccounting } from '../risk/risk-accounting.js';
import { PositionLedger } from '../risk/position-ledger.js';
import { VenueBalances } from '../risk/venue-balances.js';
import { registerBalanceMetrics } from './balance-metrics.js';
import { SelfTradePrevention, type SelfTradeMode } from '../risk/self-trade.js';
import { DailyLossGuard, type DailyLossLimits } from '../risk/daily-loss.js';
import { HALTED, TradingStates } from '../risk/trading-states.js';
import type { JournalStatePart } from '../core/state-parts.js';
import { Counter, Gauge } from 'prom-client';
import type { Router } from '../routing/router.js';
import type { Logger } from '../telemetry/logger.js';
import type { MarketData } from '../market/market-data.js';
import { ParentOrders, PARENT_VENUE } from '../parents/parent-orders.js';
import { ExecutionAlgos } from '../parents/algos.js';
import { StopEmulation } from '../parents/stop-emulation.js';
import { SweepRoute } from '../parents/sweep-route.js';
import { RoutePlanner } from '../routing/route-planner.js';
import { Metrics } from '../telemetry/metrics.js';
import { orderLogListener } from '../telemetry/order-log.js';
import { ExecutionQuality } from '../telemetry/execution-quality.js';
import { journalOrderPath } from './journal-order-path.js';
import { arrivalMidsFromMarket } from './market-marks.js';

export interface OrderPathStrategy {
  readonly id: string;
  /** Fair-share weight of its queue. */
  readonly weight: number;
}

/** What the internal crossing book is built from (the path's own parts). */
export interface CrossingInputs {
  readonly store: OrderStore;
  readonly tracker: OrderTracker;
  /** Per venue: 1 = the router may use it. */
  readonly available: Uint8Array;
  readonly metrics: Metrics;
}

export interface OrderPathOptions {
  readonly instruments: InstrumentRegistry;
  readonly strategies: readonly OrderPathStrategy[];
  /** Venue names in routing order (the router's venues). */
  readonly venues: readonly string[];
  /** Builds venue `index`'s adapter; its reports go to `sink` (the path's ReportHandler). */
  readonly venue: (index: number, sink: ReportSink, store: OrderStore) => VenueAdapter;
  /** Batching per venue. */
  readonly batch: readonly BatchPolicy[];
  readonly risk: PreTradeRisk;
  readonly router: Router;
  readonly clock: Clock;
  readonly log: Logger;
  /** Bound of each strategy queue. */
  readonly queueCapacity: number;
  /** Finished orders kept queryable. */
  readonly retainFinished: number;
  /** Prefix of the client order ids the store makes (see model/client-id-prefix). */
  readonly clientIdPrefix: string;
  /** Initial order store capacity (it grows); default the store's. */
  readonly storeCapacity?: number;
  /** Record every order and update in a journal (attach one to `recorder` before orders flow). */
  readonly journal: boolean;
  /** The internal crossing book, when a strategy crosses: it becomes the venue after the configured ones. */
  readonly crossing?: (parts: CrossingInputs) => InternalCrossing;
  /** Rings of worker strategies (their host plugs them in): drained by a RingIntake into the queues. */
  readonly rings?: readonly RingEndpoint[];
  /** A venue's adapter says it is up or down (after the gate has applied it). */
  readonly onVenueHealth?: (venue: string, health: VenueHealth, reason?: string) => void;
  /** A tracker listener threw (it is isolated and counted). */
  readonly onListenerError?: TrackerOptions['onListenerError'];
  /**
   * The market data (venue books, same venues in the same order): with it the `best` and `sweep` routes use it, and
   * sweep parents are held at the pseudo venue `smart`; without it they route by the table.
   */
  readonly market?: MarketData;
  /**
   * Per venue index: its configured balances (a paper venue's `paper.balances`), tracked from those and moved by its
   * fills; undefined = from the venue when its adapter reads balances (VenueAdapter.balances), else not tracked.
   */
  readonly balances?: (index: number) => Readonly<Record<string, string>> | undefined;
  /** Daily loss limits (strategies' limits.maxDailyLoss, risk.maxDailyLoss, risk.dailyLossAction); default none. */
  readonly dailyLoss?: DailyLossLimits;
  /** Self-trade prevention (risk.selfTrade): default deny. */
  readonly selfTrade?: SelfTradeMode;
}

export interface OrderPath {
  readonly store: OrderStore;
  readonly tracker: OrderTracker;
  readonly metrics: Metrics;
  readonly reports: ReportHandler;
  /** The configured venues' adapters (without the crossing book). */
  readonly venues: readonly VenueAdapter[];
  /** Which venues the router may use: open (started, reconciled) and healthy. */
  readonly gate: VenueGate;
  readonly queues: StrategyQueues;
  readonly batcher: VenueBatcher;
  readonly dispatcher: Dispatcher;
  readonly intake: OrderIntake;
  readonly ids: OrderIdCounter;
  readonly crossing: InternalCrossing | undefined;
  /** Parent orders and their children (with market data): sweeps, emulated stops, algorithms. */
  readonly parents: ParentOrders | undefined;
  /** Emulated stops (with market data): start() its persistence of trailing stops, stop() it. */
  readonly stops: StopEmulation | undefined;
  /** TWAP and iceberg parents (with market data): stop() their schedules. */
  readonly algos: ExecutionAlgos | undefined;
  readonly ringIntake: RingIntake | undefined;
  readonly recorder: JournalRecorder | undefined;
  readonly riskAccounting: RiskAccounting;
  readonly fees: FeeLedger;
  /** Positions and PnL per strategy x symbol x venue (a journal state part: in stateParts). */
  readonly positions: PositionLedger;
  /** Balances per venue x currency (reconcile them: balances.start(intervalMs) after the venues started; stop()). */
  readonly balances: VenueBalances;
  /** Trading states of the daemon, strategies, venues and symbols (journaled; a HALTED venue is closed to routing). */
  readonly states: TradingStates;
  readonly selfTrade: SelfTradePrevention;
  /** Daily loss limits: startTimer(ms) once recovered, stopTimer() at the stop. */
  readonly dailyLoss: DailyLossGuard;
  /**
   * The state kept in the journal beside the orders (trading states, and whatever else registers): journal events
   * on change, a section of every snapshot, restored by replay (core/state-parts.ts).
   */
  readonly stateParts: JournalStatePart[];
  /** Execution reports about orders the tracker does not know (also counted in metrics). */
  readonly unknownReports: () => number;
  /** Updates the lifecycle refused or ignored (also counted in metrics). */
  readonly anomalies: () => number;
  /**
   * Open orders of a worker strategy and how far its order ring was read (what its SDK gets with a RESYNC); no orders
   * without rings.
   */
  ringSnapshot(strategyId: string): StrategySnapshot;
  /**
   * The seq a worker strategy's first worker starts at (RingIntake.firstSeq: above every seq of its orders the daemon
   * holds, e.g. reloaded from the journal); 1 without rings.
   */
  ringFirstSeq(strategyId: string): number;
}

export function buildOrderPath(o: OrderPathOptions): OrderPath {
  const { instruments, clock, log, router, risk } = o;
  const strategyIds = o.strategies.map((s) => s.id);
  // The internal crossing book is the venue after the configured ones (never in the routing table).
  // Then the pseudo venue of the parent orders the daemon holds, with market data to plan them from.
  const orderVenues = [...o.venues, ...(o.crossing === undefined ? [] : [INTERNAL_VENUE]), ...(o.market === undefined ? [] : [PARENT_VENUE])];
  const store = new OrderStore(instruments, strategyIds, orderVenues, o.clientIdPrefix, o.storeCapacity);
  const metrics = new Metrics(clock, orderVenues, strategyIds);
  const tracker = new OrderTracker(store, clock, { retainFinished: o.retainFinished, onListenerError: o.onListenerError });
  let unknown = 0;
  let anomalies = 0;
  let gate: VenueGate | undefined;
  const reports = new ReportHandler(tracker, clock, (venue, report) => {
    unknown++;
    metrics.unknownReport(venue);
    log.warn({ venue, report }, 'execution report for an unknown order');
  }, (venue, health, reason) => {
    const v = router.venueIndex(venue);
    // the adapter's own word never opens a venue that is not started and reconciled (VenueGate)
    if (v >= 0 && gate !== undefined) gate.setHealth(v, health === 'UP', reason);
    o.onVenueHealth?.(venue, health, reason);
  });
  const venues = o.venues.map((_, i) => o.venue(i, reports, store));
  const queues = new StrategyQueues(strategyIds.length, o.strategies.map((s) => s.weight), o.queueCapacity);
  // An adapter whose submit throws breaks its contract: its batch is rejected (risk released, strategies told),
  // the other venues and the dispatch loop go on.
  const rejectThrown = batchRejecter(tracker, 'INTERNAL');
  const batcher = new VenueBatcher(store, venues, o.batch, (venue, batch, err) => {
    log.error({ venue: o.venues[venue], orders: batch.count, err }, 'venue adapter submit threw: batch rejected');
    rejectThrown(batch);
  }, () => clock.monoMs());
  const dispatcher = new Dispatcher(store, queues, tracker, risk, router, batcher);
  gate = new VenueGate(dispatcher.available, dispatcher.leasedElsewhere);
  // Trading states (checked by the dispatcher before the limits), journaled once the recorder exists (below).
  const states = new TradingStates(strategyIds, o.venues, instruments.list.map((i) => i.symbol), () => clock.now());
  const selfTrade = new SelfTradePrevention(store, strategyIds.length, instruments.list.length, o.venues.length, o.selfTrade ?? 'deny');
  dispatcher.setGuards(states, selfTrade);
  risk.setClock(clock);
  const stateParts: JournalStatePart[] = [states];
  states.onVenueState((v, state) => gate!.setHalted(v, state === HALTED));
  new Gauge({
    name: 'switchyard_trading_state',
    help: 'Trading state of the daemon (name ""), each strategy, venue and symbol: 0 ACTIVE, 1 REDUCING, 2 HALTED (GET /v1/admin/state says why)',
    labelNames: ['scope', 'name'],
    registers: [metrics.registry],
    collect() {
      this.reset();
      for (const [scope, name, code] of states.gauges()) this.set({ scope, name }, code);
    },
  });
  new Counter({
    name: 'switchyard_self_trade_canceled_total',
    help: 'Resting orders canceled because a newer order of their strategy would have crossed them at their venue (risk.selfTrade: cancel-older)',
    registers: [metrics.registry],
    collect() {
      this.reset();
      this.inc(selfTrade.canceledOlder);
    },
  });
  states.onChange((change, row) => {
    recorder?.event(TradingStates.event(change, row));
    log.warn({ scope: change.scope, target: change.name, state: change.state, reason: change.reason }, 'trading state changed');
  });
  let adapters: readonly VenueAdapter[] = venues;
  let crossing: InternalCrossing | undefined;
  if (o.crossing !== undefined) {
    crossing = o.crossing({ store, tracker, available: dispatcher.available, metrics });
    crossing.setReleaser(dispatcher);
    dispatcher.setCrossing(crossing);
    adapters = [...venues, crossing];
  }
  const ids = new OrderIdCounter(0);
  // Positions and PnL per strategy, symbol and venue (marks: risk's), and the venues' balances they move.
  const positions = new PositionLedger(store, strategyIds, (i) => risk.markOf(i));
  stateParts.push(positions);
  const balances = new VenueBalances(store, positions, o.venues.map((name, i) => {
    const initial = o.balances?.(i);
    const adapter = venues[i]!;
    return { name, initial, source: initial === undefined && typeof adapter.balances === 'function' ? () => adapter.balances!() : undefined };
  }), clock, log);
  registerBalanceMetrics(metrics.registry, balances);
  // Daily loss limits over the ledger's net PnL (checked on a timer the daemon starts after recovery).
  const dailyLoss = new DailyLossGuard(positions, states, strategyIds, instruments.notionalScale, instruments.at(0).quote,
    o.dailyLoss ?? { strategies: strategyIds.map(() => undefined), daemon: undefined, action: 'reducing' }, () => clock.now(), (e) => recorder?.event(e));
  stateParts.push(dailyLoss);
  let parents: ParentOrders | undefined;
  let stops: StopEmulation | undefined;
  let algos: ExecutionAlgos | undefined;
  // (set below: the journal recorder is made after the intake)
  let recorder: JournalRecorder | undefined;
  if (o.market !== undefined) {
    if (o.market.venues.join('\n') !== o.venues.join('\n')) throw new RangeError('the market data must have the order path\'s venues');
    parents = new ParentOrders(store, tracker, new RoutePlanner(o.market), router, batcher, ids, clock, dispatcher.available, () => dispatcher.wake(),
      (v, s) => venues[v]!.headroom?.(instruments.at(s)) ?? Infinity, (planner, s) => balances.fillConstraints(planner, s));
    stops = new StopEmulation(parents, o.venues.length, (orderId, extremeTicks) => recorder?.event({ event: 'trailing', orderId, extremeTicks }));
    algos = new ExecutionAlgos(parents);
    parents.addKind(stops);
    parents.addKind(algos);
    parents.addKind(new SweepRoute(parents));
    o.market.listen(stops);
    dispatcher.setSmartRoutes(parents);
    adapters = [...adapters, parents];
  }
  const intake = new OrderIntake(tracker, ids, queues, dispatcher, router, adapters, instruments, strategyIds, batcher);
  selfTrade.setCanceller((slot) => intake.cancelSlot(slot));
  intake.setCancelLimiter((strategy, cancels) => risk.takeCancel(strategy, cancels));
  // an amend is re-checked against the order limits (PreTradeRisk.checkAmend)
  intake.setAmendRisk(risk);
  parents?.setCanceller(intake);
  // every order records the consolidated mid at receipt (execution quality)
  o.market?.listen(arrivalMidsFromMarket(intake.arrivalMids));
  // the first listener that acts: an update is in the journal before anything else reacts to it
  recorder = o.journal ? journalOrderPath(store, tracker, batcher) : undefined;
  // children roll up into their parents right after the journal has their update
  if (parents !== undefined) tracker.listen(parents, 'parents');
  if (recorder !== undefined) metrics.setJournalSource(() => ({ failed: recorder.failed !== null, unrecorded: recorder.unrecorded }));
  let ringIntake: RingIntake | undefined;
  if (o.rings !== undefined && o.rings.length > 0) {
    ringIntake = new RingIntake(o.rings, (id) => intake.strategyOf(id), strategyIds.length, intake, tracker, queues, router, instruments.list.length, clock,
      (code) => metrics.edgeReject(code));
    dispatcher.addSource(ringIntake);
    tracker.listen(ringIntake, 'ring-intake');
  }
  const riskAccounting = new RiskAccounting(risk);
  tracker.listen(riskAccounting, 'risk');
  tracker.listen(selfTrade, 'self-trade');
  // Fee sums per strategy, venue and currency (PnL): metrics and GET /v1/fees; kept in journal snapshots.
  const fees = new FeeLedger(store, strategyIds);
  tracker.listen(fees, 'fees');
  tracker.listen(positions, 'positions');
  // our open orders lock part of the tracked balances (none tracked: nothing to keep per order)
  if (balances.tracksAny) tracker.listen(balances, 'balances');
  // per-order fees and the slippage histogram (before a journal replay runs: it rebuilds the fees)
  const quality = new ExecutionQuality(store, metrics.registry, metrics);
  tracker.listen(quality, 'execution-quality');
  metrics.setFeeSource(() => fees.list());
  metrics.setListenerErrorSource(() => tracker.listenerErrors());
  metrics.setOpenSource((s) => tracker.openOf(s));
  tracker.listen(metrics, 'metrics');
  const logged = orderLogListener(log, tracker);
  tracker.listen({
    onTransition: logged.onTransition,
    onAnomaly: (order, update, t) => {
      anomalies++;
      logged.onAnomaly?.(order, update, t);
    },
  }, 'log');
  const ring = ringIntake;
  return {
    store, tracker, metrics, reports, venues, gate, queues, batcher, dispatcher, intake, ids, crossing, parents, stops, algos, ringIntake, recorder, riskAccounting, fees, positions, balances, states, selfTrade, dailyLoss, stateParts,
    unknownReports: () => unknown,
    anomalies: () => anomalies,
    ringSnapshot: (id) => ring?.snapshot(id, intake.strategyOf(id)) ?? { orders: [], readSeq: 0, withdrawn: [] },
    ringFirstSeq: (id) => ring?.firstSeq(intake.strategyOf(id)) ?? 1,
  };
}
