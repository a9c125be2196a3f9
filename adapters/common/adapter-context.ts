/**
 * What the parts of an exchange adapter share (base-adapter.ts composes them: submission.ts, cancels.ts,
 * stream-supervisor.ts, venue-queries.ts): the adapter's state, handed over as one small context object, and the
 * transport hooks each venue supplies. The parts hold logic and their own state only; the ledger, limiter, breaker and
 * counters stay the adapter's, so stats() and the tests see one of each.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../src/model/clock.js';
import type { Instrument } from '../../src/model/instrument.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import { VenueError } from './errors.js';
import type { LedgerFees, OrderLedger } from './order-ledger.js';
import type { TrackedOrder } from './tracked-order.js';
import type { AdapterSettings } from './settings.js';
import type { CancelResult, OrderSnapshot, PlaceResult, TradeEvent } from './types.js';
import type { VenueRateLimiter } from './venue-rate-limiter.js';
import type { Cost } from './window-pool.js';

/** 'balance': the account's balances (any instrument: the cost does not depend on it). */
export type QueryKind = 'order' | 'open' | 'trades' | 'orderTrades' | 'balance';

export interface OrderRef {
  readonly clientOrderId: string | undefined;
  readonly venueOrderId: string | undefined;
  readonly instrument: Instrument;
}

export interface TradeQuery {
  /** Trades at or after (epoch ms). */
  readonly sinceMs?: number | undefined;
  /** Only this order's trades. */
  readonly venueOrderId?: string | undefined;
}

export interface AdapterStats {
  ordersSent: number;
  /** Orders whose submission had no usable answer. */
  unknownOutcomes: number;
  /** Lookups by client order id made to resolve them. */
  lookups: number;
  /** Unknown outcomes resolved by finding the order. */
  resolvedByLookup: number;
  /** Unknown outcomes resolved as never executed (not found after the validity window). */
  resolvedNotFound: number;
  /** Orders sent again after a rate-limit refusal. */
  rateLimitRetries: number;
  streamDrops: number;
  reconciliations: number;
  gapFills: number;
  /** New orders the venue refused as a duplicate client order id (then looked up: adopted only if ours). */
  duplicateAnswers: number;
  /** Of those, found at the venue and taken as ours (what we sent, e.g. an earlier request of ours). */
  duplicatesAdopted: number;
}

/** The transport of one venue, as the adapter's parts call it (the adapter's abstract methods; see base-adapter.ts). */
export interface VenueHooks {
  placeCosts(group: readonly TrackedOrder[]): Cost[];
  cancelCosts(t: TrackedOrder): Cost[];
  queryCosts(kind: QueryKind, instrument: Instrument): Cost[];
  place(group: readonly TrackedOrder[]): Promise<PlaceResult[]>;
  sendCancel(t: TrackedOrder): Promise<CancelResult>;
  fetchOrder(ref: OrderRef): Promise<OrderSnapshot | null>;
  fetchOpen(instrument: Instrument): Promise<OrderSnapshot[]>;
  fetchTrades(instrument: Instrument, query: TradeQuery): Promise<TradeEvent[]>;
  planGroups(orders: readonly TrackedOrder[]): TrackedOrder[][];
  venueSymbol(instrument: Instrument): string | undefined;
  validityWindowMs(): number;
}

export interface AdapterContext {
  readonly name: string;
  readonly log: Logger;
  readonly clock: Clock;
  readonly settings: AdapterSettings;
  readonly ledger: OrderLedger;
  readonly limiter: VenueRateLimiter;
  readonly breaker: CircuitBreaker;
  readonly counters: AdapterStats;
  /** Configured rates, for a trade the venue reported without a fee (see common/fees.ts). */
  readonly fees: LedgerFees;
  /** Aborted by stop(): every sleep and wait of the adapter ends. */
  readonly signal: AbortSignal;
  /** stop() was called. */
  readonly stopped: boolean;
  /** start() has succeeded. */
  readonly started: boolean;
  readonly hooks: VenueHooks;
  /** Runs `fn` after `ms` unless the adapter has stopped (stop() clears the timer). */
  later(ms: number, fn: () => void): void;
}

/** Breaker accounting for a request that threw. */
export function accountFailure(breaker: CircuitBreaker, e: VenueError): void {
  if (e.venueFailure) breaker.failure(e.message);
  else if (e.kind !== 'not-sent') breaker.success();
}

export function errText(err: unknown): string {
  if (err instanceof VenueError) return err.reason;
  return err instanceof Error ? err.message : String(err);
}
