/** The control API over the daemon's order path, as the configuration sets it up (HTTP, WebSocket, event stream, health). */
import { resolve } from 'node:path';
import { BearerAuth } from '../api/auth.js';
import { journalStream } from '../api/event-stream.js';
import { ApiServer } from '../api/http-server.js';
import { venueHealth, venueMetrics } from '../api/venue-health.js';
import type { Config } from '../config/index.js';
import { strategySource } from '../config/schema.js';
import { journalHealth } from '../journal/journal-health.js';
import type { Clock } from '../model/clock.js';
import type { InstrumentRegistry } from '../model/instrument.js';
import type { Router } from '../routing/router.js';
import type { Logger } from '../telemetry/logger.js';
import type { BookView } from '../market/book-view.js';
import type { OrderPath } from './order-path.js';
import type { KillSwitch } from './kill-switch.js';
import type { DaemonHistory } from './history-from-config.js';
import { fillsQuery } from '../history/fills-query.js';
import type { PreTradeRisk } from '../risk/pre-trade-risk.js';
import { isErrorCode } from '../model/errors.js';
import type { PositionFilter, PositionRow } from '../risk/position-ledger.js';
import type { BalanceRow } from '../risk/venue-balances.js';
import type { Order } from '../model/order.js';
import type { BusStatus } from './bus-from-config.js';
import type { WorkerStrategyStatus } from '../strategy/strategy-host.js';

export interface ApiParts {
  readonly path: OrderPath;
  readonly instruments: InstrumentRegistry;
  readonly router: Router;
  readonly clock: Clock;
  readonly log: Logger;
  readonly token: string;
  /** Directory relative journal paths are resolved against. */
  readonly baseDir: string;
  readonly reload: () => { ok: boolean; errors: string[] };
  /** When the journal failed (0: it has not). */
  readonly journalFailedAt: () => number;
  /** Pre-trade risk (names the limit of a denial). */
  readonly risk: PreTradeRisk;
  /** The kill switch (POST /v1/admin/kill). */
  readonly kill: KillSwitch;
  /** GET /v1/books/:symbol. */
  readonly books: (symbolIndex: number) => BookView;
  /** The trade history (GET /v1/fills; GET /health's `history`); absent when the journal or the history is off. */
  readonly history?: DaemonHistory;
  /** Redis in and out (GET /health's `redis`); absent when nothing uses Redis. */
  readonly bus?: { status(): BusStatus };
  /** The worker strategies' status by id (the strategy host; undefined: none hosted). */
  readonly workers?: () => Readonly<Record<string, WorkerStrategyStatus>>;
}

/** Why pre-trade risk denied an order, naming the limit and its value (the message of a DENIED submit; API and Redis). */
export function denialExplainer(risk: PreTradeRisk, instruments: InstrumentRegistry): (order: Order) => string | undefined {
  return (order) => {
    const code = order.reason;
    if (code === undefined || !isErrorCode(code)) return undefined;
    const side = order.side === 'BUY' ? 0 : 1;
    const text = risk.explain(code, risk.strategyIndex(order.strategy), instruments.get(order.symbol)!.index, side, order.priceTicks, order.qtyLots);
    return text === code ? undefined : `${code}: ${text}`;
  };
}

export function apiFromConfig(config: Config, p: ApiParts): ApiServer {
  const { tracker, metrics, dispatcher, intake, recorder, fees, venues, gate, store } = p.path;
  const { clock } = p;
  // per-order fees and switchyard_slippage_bps (once per tracker: the order path may have registered it already);
  // made here, before start() replays the journal, so that the replay rebuilds the per-order fees
  const startedAt = clock.now();
  // GET /health `strategies`: every configured strategy with its source; a worker strategy with its thread's status.
  // A worker strategy that failed (or is being restarted after a failure) or whose thread is unresponsive makes an `ok`
  // daemon `degraded` (as a venue does).
  const workersDegrade = <H extends { status?: string; strategies: Array<Partial<WorkerStrategyStatus>> }>(h: H): H =>
    (h.status ?? 'ok') === 'ok' && h.strategies.some((s) => s.status === 'failed' || s.status === 'restarting' || s.responsive === false)
      ? { ...h, status: 'degraded' } : h;
  const strategiesHealth = (): Array<{ id: string; source: string } & Partial<WorkerStrategyStatus>> => {
    const workers = p.workers?.();
    return config.strategies.map((st) => ({ id: st.id, source: strategySource(st), ...(workers?.[st.id] ?? {}) }));
  };
  // Positions and PnL, balances per venue: for GET /v1/positions and GET /v1/balances.
  const ledgers = {
    positions: (filter?: PositionFilter): PositionRow[] => p.path.positions.list(filter),
    balances: (): BalanceRow[] => p.path.balances.list(),
  };
  const api: ApiServer = new ApiServer({
    intake, tracker, metrics, instruments: p.instruments, router: p.router, log: p.log,
    fees: () => fees.list(),
    ...ledgers,
    states: p.path.states,
    // without a history store the route answers 503 HISTORY_UNAVAILABLE (and still refuses a bad query first)
    fills: (q) => p.history?.fills(q) ?? fillsQuery(undefined, q, { pageSizeMax: config.daemon.history.pageSizeMax }),
    kill: (timeoutMs) => p.kill.kill(timeoutMs),
    killTimeoutMs: config.daemon.kill.timeoutMs,
    notApiStrategies: new Map(config.strategies.flatMap((s) => {
      const source = strategySource(s);
      return source === 'api' ? [] : [[s.id, source] as const];
    })),
    explainDenial: denialExplainer(p.risk, p.instruments),
    auth: new BearerAuth(p.token),
    reload: p.reload,
    books: p.books,
    children: (id) => {
      const slot = store.slotOf(id);
      return slot < 0 || p.path.parents === undefined ? [] : p.path.parents.children(slot).map((c) => tracker.get(c)!).filter((c) => c !== undefined);
    },
    durable: () => recorder?.durable() ?? Promise.resolve(),
    stream: {
      maxBufferedBytes: config.daemon.api.streamMaxBufferedBytes,
      maxBatch: config.daemon.api.wsMaxBatch,
      strategies: config.strategies.map((s) => s.id),
      // Event seqs are journal seqs; without a journal, the tracker's (they restart with the daemon).
      journal: recorder === undefined ? undefined
        : journalStream(recorder, resolve(p.baseDir, config.daemon.journal.dir), store, config.daemon.retainFinishedOrders),
    },
    health: () => workersDegrade({
      name: config.daemon.name,
      uptimeMs: clock.now() - startedAt,
      openOrders: tracker.open,
      trading: p.path.states.list(),
      ...venueHealth(venues, dispatcher.available, gate, clock.now()),
      ...journalHealth(recorder, p.journalFailedAt()),
      stream: api.stream.stats,
      streamAuth: api.streamAuth, // /v1/stream clients waiting for their auth message (?auth=message), refused when too many
      ...(p.history === undefined ? {} : { history: p.history.status() }),
      ...(p.bus === undefined ? {} : { redis: p.bus.status() }),
      strategies: strategiesHealth(),
    }),
  });
  metrics.setVenueSource(() => venueMetrics(venues, dispatcher.available));
  return api;
}
