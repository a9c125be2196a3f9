/**
 * Fault injection shared by the fake venues, driven programmatically (`fake.faults`) or through
 * `POST /__admin/faults` (body = FaultPatch as JSON).
 *
 * Request faults (rules) apply to REST requests and websocket API requests (Binance ws-api methods, OKX ws ops):
 * - delay:      answer `ms` later. Without afterExecute the request also executes `ms` later; with afterExecute it
 *               executes at once and only the answer is late (a client timeout shorter than `ms` then sees a timeout
 *               although the order exists at the venue).
 * - hang:       never answer. Without afterExecute nothing happens at the venue; with afterExecute the request is
 *               executed and the answer withheld ("timeout on submit", the order DOES exist).
 * - error:      answer HTTP `status` (default 503; ws: an error reply with that status). With afterExecute the
 *               request executed first (the venue's "execution status unknown" case). The body is chosen by the
 *               rule (`body`, `code`) or by the injector's seeded random source — NEVER by whether the request
 *               executed: a real venue's 5xx gives no such hint, so neither may a fake's.
 *                 body 'json'  one of the venue's documented server-error bodies (`code` picks it, else seeded
 *                              random): Binance -1000 / -1001 / -1006 / -1007 / -1008, OKX 50000 / 50001 / 50004 /
 *                              50013 / 50026 (default)
 *                 body 'html'  an HTML error page, as a proxy or load balancer in front of the venue sends (ws: a
 *                              text frame that is not JSON, so no reply the client can match)
 *                 body 'empty' no body (ws: a reply with the status and nothing else; OKX: without a code)
 *                 body 'any'   one of the above, seeded random per request
 * - rate-limit: answer 429 (+ Retry-After) without executing.
 * - ban:        answer 418 (+ Retry-After) without executing (OKX has no 418 and answers 429 / 50011).
 * - stale-read: the venue's read path lags its matching engine (a real venue's order queries are served from
 *               replicas that can trail it: the order exists, trades and can be canceled, but a query says "no such
 *               order" for a while). Order queries do not show an order younger than `ms` (no `ms`: any order): a
 *               query for it is answered exactly as for an order the venue does not have (Binance HTTP 400 -2013
 *               "Order does not exist.", OKX 51603 "Order does not exist"), and lists leave it out. Order queries
 *               are Binance GET /api/v3/order, /api/v3/openOrders, /api/v3/allOrders and ws-api order.status,
 *               openOrders.status; OKX GET /api/v5/trade/order, orders-pending, orders-history(-archive). Nothing
 *               else changes: placing, canceling (the matching engine knows the order), execution reports (drop
 *               them with dropReports) and trade lists. `method` / `path` / `transport` narrow it to some of those
 *               queries; `times` counts the queries it answered (whether it hid something or not). The generic
 *               request pipeline never applies it: the venue's order-query handlers do (FaultInjector.staleRead).
 *
 * `probability` (0..1, seeded) makes a rule hit only some of its matching requests: a fault storm. Seed the random
 * source with `seed` in a patch for a reproducible sequence.
 *
 * Stream faults apply to execution reports pushed on websockets (Binance executionReport, OKX orders channel):
 * duplicateReports (send twice), reorderReports (swap each pair of consecutive reports; a report left without a
 * partner goes out after `reorderFlushMs`), dropReports (never sent). Each is a count of upcoming reports
 * (true = every report until cleared).
 *
 * Market-data faults apply to the public streams (Binance diff depth and trades on `/ws` and `/stream`; OKX `books`
 * and `trades` on `/ws/v5/public`):
 * bookGap (the next n book updates are never sent: their update ids are skipped, a gap), bookOffGrid (the next n
 * book updates carry one extra level at a price half a tick off the grid), marketStallMs (the market-data sockets
 * open now send nothing — no data, no replies — for that long; they stay open and still answer pings) and
 * dropMarketSockets (close every market-data socket abruptly, as a network drop would). OKX only: bookChecksum (the
 * next n book messages carry a wrong checksum); OKX's text 'pong' is a reply, so a stalled OKX socket does not send it.
 */

import { randomSource } from '../../adapters/paper/prng.js';

export type FaultKind = 'delay' | 'hang' | 'error' | 'rate-limit' | 'ban' | 'stale-read';

const FAULT_KINDS: readonly FaultKind[] = ['delay', 'hang', 'error', 'rate-limit', 'ban', 'stale-read'];

/** The body of an `error` fault's answer (see above). */
export type ErrorBodyKind = 'json' | 'html' | 'empty' | 'any';

/** What an `error` fault answers with, resolved for one request (`code`: for 'json'). */
export type ErrorBody<C> = { readonly form: 'json'; readonly code: C } | { readonly form: 'html' } | { readonly form: 'empty' };

export interface FaultRule {
  kind: FaultKind;
  /** REST method to match (GET, POST, …); omitted = any. Ignored for websocket requests. */
  method?: string;
  /**
   * Substring of the REST path ('/api/v3/order', '/api/v5/trade/order') or exact-or-substring of the websocket
   * method / op ('order.place', 'batch-orders'); omitted = any.
   */
  path?: string;
  /** 'rest', 'ws' or 'any' (default). */
  transport?: 'rest' | 'ws' | 'any';
  /** delay: milliseconds. stale-read: orders younger than this are not shown (omitted: no order is). */
  ms?: number;
  /** error: HTTP status, default 503. */
  status?: number;
  /** error: the answer's body; default 'json'. Never chosen by whether the request executed. */
  body?: ErrorBodyKind;
  /** error with a 'json' body: the venue's code (Binance -1008, OKX '50013' …); default: seeded random among its documented ones. */
  code?: number | string;
  /** Chance (0..1) that a matching request is hit (seeded random source); a request not hit is not counted in `times`. Default 1. */
  probability?: number;
  /** Execute the request, then delay / withhold / replace the answer. */
  afterExecute?: boolean;
  /** Retry-After seconds for rate-limit (default 1) and ban (default 120). */
  retryAfter?: number;
  /** Matching requests affected; default unlimited. */
  times?: number;
}

/** Body of POST /__admin/faults, and argument of FaultInjector.apply. */
export interface FaultPatch {
  /** Remove every rule and stream fault first. */
  clear?: boolean;
  /** Replace the rules. */
  rules?: FaultRule[];
  /** Append rules. */
  add?: FaultRule[];
  /** Shortcut: a delay rule for every request (0 removes it). */
  latencyMs?: number;
  duplicateReports?: number | boolean;
  reorderReports?: number | boolean;
  dropReports?: number | boolean;
  reorderFlushMs?: number;
  /** Close every websocket now (abruptly: no close frame). */
  dropSockets?: boolean;
  /** Seed of the random source (probability, random error bodies). */
  seed?: number;
  /** Market data: the next n book updates are not sent (a gap in the update ids); true = until cleared. */
  bookGap?: number | boolean;
  /** Market data: the next n book updates carry a price off the tick grid; true = until cleared. */
  bookOffGrid?: number | boolean;
  /** Market data (OKX): the next n book messages carry a wrong checksum; true = until cleared. */
  bookChecksum?: number | boolean;
  /** Market data: the market-data sockets open now send nothing for this many ms (they stay open). */
  marketStallMs?: number;
  /** Market data: close every market-data socket now (abruptly). */
  dropMarketSockets?: boolean;
}

export interface FaultState {
  /** remaining: requests still to hit (null: unlimited); hits: requests hit so far. */
  rules: Array<FaultRule & { remaining: number | null; hits: number }>;
  latencyMs: number;
  duplicateReports: number | null;
  reorderReports: number | null;
  dropReports: number | null;
  reorderFlushMs: number;
  bookGap: number | null;
  bookOffGrid: number | null;
  bookChecksum: number | null;
}

interface ActiveRule {
  rule: FaultRule;
  remaining: number;
  hits: number;
}

function count(v: number | boolean | undefined, current: number): number {
  if (v === undefined) return current;
  if (v === true) return Infinity;
  if (v === false) return 0;
  return Math.max(0, Math.floor(v));
}

function finiteOrNull(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}

const DEFAULT_SEED = 0x5eed;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class FaultInjector {
  private rules: ActiveRule[] = [];
  private latencyMs = 0;
  duplicate = 0;
  reorder = 0;
  drop = 0;
  reorderFlushMs = 200;
  bookGap = 0;
  bookOffGrid = 0;
  bookChecksum = 0;
  /** The injector's seeded random source. */
  private random = randomSource(DEFAULT_SEED);
  /** Called for `dropSockets`; set by the server. */
  onDropSockets: () => void = () => {};
  /** Called for `marketStallMs` and `dropMarketSockets`; set by a venue serving market data. */
  onMarketStall: (ms: number) => void = () => {};
  onDropMarketSockets: () => void = () => {};

  apply(patch: FaultPatch): FaultState {
    if (patch.clear === true) this.clear();
    if (patch.seed !== undefined) this.random = randomSource(patch.seed);
    if (patch.rules !== undefined) this.rules = patch.rules.map((r) => this.activate(r));
    if (patch.add !== undefined) this.rules.push(...patch.add.map((r) => this.activate(r)));
    if (patch.latencyMs !== undefined) this.latencyMs = Math.max(0, patch.latencyMs);
    this.duplicate = count(patch.duplicateReports, this.duplicate);
    this.reorder = count(patch.reorderReports, this.reorder);
    this.drop = count(patch.dropReports, this.drop);
    if (patch.reorderFlushMs !== undefined) this.reorderFlushMs = Math.max(0, patch.reorderFlushMs);
    this.bookGap = count(patch.bookGap, this.bookGap);
    this.bookOffGrid = count(patch.bookOffGrid, this.bookOffGrid);
    this.bookChecksum = count(patch.bookChecksum, this.bookChecksum);
    if (patch.marketStallMs !== undefined && patch.marketStallMs > 0) this.onMarketStall(patch.marketStallMs);
    if (patch.dropMarketSockets === true) this.onDropMarketSockets();
    if (patch.dropSockets === true) this.onDropSockets();
    return this.state();
  }

  private activate(rule: FaultRule): ActiveRule {
    if (!FAULT_KINDS.includes(rule.kind)) throw new TypeError(`unknown fault kind ${String(rule.kind)}`);
    if (rule.ms !== undefined && !(rule.ms >= 0)) throw new TypeError('ms must be >= 0');
    if (rule.body !== undefined && !['json', 'html', 'empty', 'any'].includes(rule.body)) throw new TypeError(`unknown error body ${String(rule.body)}`);
    if (rule.probability !== undefined && !(rule.probability >= 0 && rule.probability <= 1)) throw new TypeError('probability must be within 0..1');
    return { rule: { ...rule }, remaining: rule.times === undefined ? Infinity : Math.max(0, rule.times), hits: 0 };
  }

  /** Adds one rule; returns `this` for chaining. */
  add(rule: FaultRule): this {
    this.rules.push(this.activate(rule));
    return this;
  }

  clear(): void {
    this.rules = [];
    this.latencyMs = 0;
    this.duplicate = 0;
    this.reorder = 0;
    this.drop = 0;
    this.reorderFlushMs = 200;
    this.bookGap = 0;
    this.bookOffGrid = 0;
    this.bookChecksum = 0;
  }

  dropSockets(): void {
    this.onDropSockets();
  }

  state(): FaultState {
    return {
      rules: this.rules.map((a) => ({ ...a.rule, remaining: finiteOrNull(a.remaining), hits: a.hits })),
      latencyMs: this.latencyMs,
      duplicateReports: finiteOrNull(this.duplicate),
      reorderReports: finiteOrNull(this.reorder),
      dropReports: finiteOrNull(this.drop),
      reorderFlushMs: this.reorderFlushMs,
      bookGap: finiteOrNull(this.bookGap),
      bookOffGrid: finiteOrNull(this.bookOffGrid),
      bookChecksum: finiteOrNull(this.bookChecksum),
    };
  }

  /** Global extra latency (ms) for every request. */
  get latency(): number {
    return this.latencyMs;
  }

  /**
   * First rule acting on the request as it passes the pipeline (its count is consumed), or undefined. stale-read
   * rules are not among them: they act inside the venue's order queries (staleRead).
   */
  match(transport: 'rest' | 'ws', method: string, path: string): FaultRule | undefined {
    return this.take1(transport, method, path, false);
  }

  /**
   * The stale-read rule for one order query (its count is consumed), or undefined: `hides(created, now)` tells
   * whether an order created at `created` (venue ms) is still missing from the venue's read path at `now`.
   */
  staleRead(transport: 'rest' | 'ws', method: string, path: string): { hides(createdMs: number, nowMs: number): boolean } | undefined {
    const r = this.take1(transport, method, path, true);
    if (r === undefined) return undefined;
    const ms = r.ms;
    return { hides: (createdMs, nowMs) => ms === undefined || nowMs - createdMs < ms };
  }

  private take1(transport: 'rest' | 'ws', method: string, path: string, staleRead: boolean): FaultRule | undefined {
    for (let i = 0; i < this.rules.length; i++) {
      const a = this.rules[i];
      const r = a.rule;
      if (a.remaining <= 0) continue;
      if ((r.kind === 'stale-read') !== staleRead) continue;
      if (r.transport !== undefined && r.transport !== 'any' && r.transport !== transport) continue;
      if (transport === 'rest' && r.method !== undefined && r.method.toUpperCase() !== method.toUpperCase()) continue;
      if (r.path !== undefined && !path.includes(r.path)) continue;
      if (r.probability !== undefined && this.random() >= r.probability) continue;
      a.remaining--;
      a.hits++;
      if (a.remaining <= 0) this.rules.splice(i, 1);
      return r;
    }
    return undefined;
  }

  /**
   * The body of an `error` fault's answer: the rule's choice, else the seeded random source. `codes` are the venue's
   * documented server-error codes. Deliberately blind to the request's outcome.
   */
  errorBody<C extends number | string>(rule: FaultRule, codes: readonly C[]): ErrorBody<C> {
    let form = rule.body ?? 'json';
    if (form === 'any') form = (['json', 'html', 'empty'] as const)[Math.floor(this.random() * 3)]!;
    if (form !== 'json') return { form };
    const code = rule.code !== undefined ? (codes.find((c) => String(c) === String(rule.code)) ?? (rule.code as C)) : codes[Math.floor(this.random() * codes.length)]!;
    return { form, code };
  }

  /** Takes one unit of a stream fault counter. */
  take(which: 'duplicate' | 'reorder' | 'drop' | 'bookGap' | 'bookOffGrid' | 'bookChecksum'): boolean {
    if (this[which] <= 0) return false;
    this[which]--;
    return true;
  }
}

/**
 * Per-socket execution-report sender applying the stream faults. `send` writes one text frame.
 */
export class ReportPipe {
  private held: string | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly faults: FaultInjector,
    private readonly send: (text: string) => void,
  ) {}

  /** Sends one message; stream faults apply only when `isReport` (execution reports, not balance updates). */
  push(text: string, isReport = true): void {
    if (!isReport) {
      this.send(text);
      return;
    }
    if (this.faults.take('drop')) return;
    const copies = this.faults.take('duplicate') ? 2 : 1;
    for (let i = 0; i < copies; i++) this.pushOne(text);
  }

  private pushOne(text: string): void {
    if (this.held !== null) {
      const held = this.held;
      this.held = null;
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      this.send(text);
      this.send(held);
      return;
    }
    if (this.faults.take('reorder')) {
      this.held = text;
      this.timer = setTimeout(() => this.flushHeld(), this.faults.reorderFlushMs);
      return;
    }
    this.send(text);
  }

  private flushHeld(): void {
    this.timer = null;
    const held = this.held;
    this.held = null;
    if (held !== null) this.send(held);
  }

  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.held = null;
  }
}
