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
 *               request executed first (the venue's "execution status unknown" case).
 * - rate-limit: answer 429 (+ Retry-After) without executing.
 * - ban:        answer 418 (+ Retry-After) without executing (OKX has no 418 and answers 429 / 50011).
 *
 * Stream faults apply to execution reports pushed on websockets (Binance executionReport, OKX orders channel):
 * duplicateReports (send twice), reorderReports (swap each pair of consecutive reports; a report left without a
 * partner goes out after `reorderFlushMs`), dropReports (never sent). Each is a count of upcoming reports
 * (true = every report until cleared).
 */

export type FaultKind = 'delay' | 'hang' | 'error' | 'rate-limit' | 'ban';

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
  /** delay: milliseconds. */
  ms?: number;
  /** error: HTTP status, default 503. */
  status?: number;
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
}

export interface FaultState {
  rules: Array<FaultRule & { remaining: number | null }>;
  latencyMs: number;
  duplicateReports: number | null;
  reorderReports: number | null;
  dropReports: number | null;
  reorderFlushMs: number;
}

interface ActiveRule {
  rule: FaultRule;
  remaining: number;
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
  /** Called for `dropSockets`; set by the server. */
  onDropSockets: () => void = () => {};

  apply(patch: FaultPatch): FaultState {
    if (patch.clear === true) this.clear();
    if (patch.rules !== undefined) this.rules = patch.rules.map((r) => this.activate(r));
    if (patch.add !== undefined) this.rules.push(...patch.add.map((r) => this.activate(r)));
    if (patch.latencyMs !== undefined) this.latencyMs = Math.max(0, patch.latencyMs);
    this.duplicate = count(patch.duplicateReports, this.duplicate);
    this.reorder = count(patch.reorderReports, this.reorder);
    this.drop = count(patch.dropReports, this.drop);
    if (patch.reorderFlushMs !== undefined) this.reorderFlushMs = Math.max(0, patch.reorderFlushMs);
    if (patch.dropSockets === true) this.onDropSockets();
    return this.state();
  }

  private activate(rule: FaultRule): ActiveRule {
    const kinds: FaultKind[] = ['delay', 'hang', 'error', 'rate-limit', 'ban'];
    if (!kinds.includes(rule.kind)) throw new TypeError(`unknown fault kind ${String(rule.kind)}`);
    return { rule: { ...rule }, remaining: rule.times === undefined ? Infinity : Math.max(0, rule.times) };
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
  }

  dropSockets(): void {
    this.onDropSockets();
  }

  state(): FaultState {
    return {
      rules: this.rules.map((a) => ({ ...a.rule, remaining: finiteOrNull(a.remaining) })),
      latencyMs: this.latencyMs,
      duplicateReports: finiteOrNull(this.duplicate),
      reorderReports: finiteOrNull(this.reorder),
      dropReports: finiteOrNull(this.drop),
      reorderFlushMs: this.reorderFlushMs,
    };
  }

  /** Global extra latency (ms) for every request. */
  get latency(): number {
    return this.latencyMs;
  }

  /** First rule matching the request (its count is consumed), or undefined. */
  match(transport: 'rest' | 'ws', method: string, path: string): FaultRule | undefined {
    for (let i = 0; i < this.rules.length; i++) {
      const a = this.rules[i];
      const r = a.rule;
      if (a.remaining <= 0) continue;
      if (r.transport !== undefined && r.transport !== 'any' && r.transport !== transport) continue;
      if (transport === 'rest' && r.method !== undefined && r.method.toUpperCase() !== method.toUpperCase()) continue;
      if (r.path !== undefined && !path.includes(r.path)) continue;
      a.remaining--;
      if (a.remaining <= 0) this.rules.splice(i, 1);
      return r;
    }
    return undefined;
  }

  /** Takes one unit of a stream fault counter. */
  take(which: 'duplicate' | 'reorder' | 'drop'): boolean {
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
