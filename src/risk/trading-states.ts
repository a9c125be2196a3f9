import type { JournalStatePart } from '../core/state-parts.js';

/**
 * Trading states, NautilusTrader's and every exchange's: ACTIVE (normal), REDUCING (only orders that reduce the
 * strategy's position in the symbol) and HALTED (no new orders), for the whole daemon, per strategy, per venue and per
 * symbol. An order is under the strictest of its four states. Cancels are always allowed.
 *
 * Changes come from the operator (API, CLI), the kill switch and the daily loss limits; each is journaled (an EVENT
 * record `trading-state`, and the whole table in every snapshot: a journal state part), so states survive a restart.
 * The check is a few typed-array reads: nothing is allocated per order.
 */
export const TRADING_STATES = ['ACTIVE', 'REDUCING', 'HALTED'] as const;
export type TradingState = (typeof TRADING_STATES)[number];
export const ACTIVE = 0;
export const REDUCING = 1;
export const HALTED = 2;

export const STATE_SCOPES = ['daemon', 'strategy', 'venue', 'symbol'] as const;
export type StateScope = (typeof STATE_SCOPES)[number];

/** One state that is not ACTIVE (or the daemon's, always listed), as the API shows it. */
export interface TradingStateRow {
  readonly scope: StateScope;
  /** The strategy id, venue or symbol; absent for the daemon. */
  readonly name?: string;
  readonly state: TradingState;
  /** Why (operator's text, "kill switch", "daily loss limit ..."); absent when ACTIVE. */
  readonly reason?: string;
  /** When it was set (epoch ms). */
  readonly since: number;
}

export interface StateChange {
  readonly scope: StateScope;
  readonly name?: string | undefined;
  readonly state: TradingState;
  readonly reason?: string | undefined;
}

export type StateChangeResult = { ok: true; row: TradingStateRow; changed: boolean } | { ok: false; message: string };

interface Meta {
  reason: string | undefined;
  since: number;
}

export class TradingStates implements JournalStatePart {
  readonly name = 'trading-state';
  private daemonState = ACTIVE;
  private readonly strategy: Uint8Array;
  private readonly venue: Uint8Array;
  private readonly symbol: Uint8Array;
  private readonly meta = new Map<string, Meta>();
  /** States that are not ACTIVE, over every scope: while 0 (the usual case) no order needs `effective`. */
  restricted = 0;
  /** Called after every applied change (journal, metrics, log, venue gate). */
  private readonly listeners: ((change: StateChange, row: TradingStateRow) => void)[] = [];
  private readonly venueListeners: ((venue: number, state: number) => void)[] = [];

  constructor(
    private readonly strategyIds: readonly string[],
    private readonly venueNames: readonly string[],
    private readonly symbols: readonly string[],
    private readonly now: () => number,
  ) {
    this.strategy = new Uint8Array(strategyIds.length);
    this.venue = new Uint8Array(venueNames.length);
    this.symbol = new Uint8Array(symbols.length);
  }

  /** Called for each new change (not for what a journal replay restores): journal, log. */
  onChange(listener: (change: StateChange, row: TradingStateRow) => void): void {
    this.listeners.push(listener);
  }

  /** Called whenever a venue's state is set, by a change or by a replay (the venue gate follows it). */
  onVenueState(listener: (venue: number, state: number) => void): void {
    this.venueListeners.push(listener);
  }

  /**
   * The strictest state over the daemon, the strategy, the symbol and the venue (`venue` -1 or beyond the configured
   * venues: not counted — the crossing book, the parent orders' pseudo venue). Hot path: no allocation.
   */
  effective(strategy: number, symbol: number, venue: number): number {
    let s = this.daemonState;
    const a = this.strategy[strategy]!;
    if (a > s) s = a;
    const b = this.symbol[symbol]!;
    if (b > s) s = b;
    if (venue >= 0 && venue < this.venue.length) {
      const c = this.venue[venue]!;
      if (c > s) s = c;
    }
    return s;
  }

  /** The state of a venue alone (routing passes over a HALTED venue). */
  venueState(venue: number): number {
    return this.venue[venue] ?? ACTIVE;
  }

  get daemon(): TradingState {
    return TRADING_STATES[this.daemonState]!;
  }

  /** Set a state (validated); journaled and announced to the listeners when it changes anything. */
  set(change: StateChange): StateChangeResult {
    const code = TRADING_STATES.indexOf(change.state);
    if (code < 0) return { ok: false, message: `state must be one of ${TRADING_STATES.join(', ')}` };
    const cell = this.cell(change.scope, change.name);
    if (typeof cell === 'string') return { ok: false, message: cell };
    const key = keyOf(change.scope, change.name);
    const before = cell.array === undefined ? this.daemonState : cell.array[cell.index]!;
    const prevMeta = this.meta.get(key);
    const changed = before !== code || (code !== ACTIVE && prevMeta?.reason !== change.reason);
    if (changed) {
      this.apply(change.scope, cell, code, key, change.reason, this.now());
      const row = this.row(change.scope, change.name, code, key);
      for (const l of this.listeners) l(change, row);
      return { ok: true, row, changed };
    }
    return { ok: true, row: this.row(change.scope, change.name, code, key), changed };
  }

  /** The daemon's state and every other state that is not ACTIVE. */
  list(): TradingStateRow[] {
    const out: TradingStateRow[] = [this.row('daemon', undefined, this.daemonState, keyOf('daemon', undefined))];
    const add = (scope: StateScope, names: readonly string[], arr: Uint8Array): void => {
      for (let i = 0; i < arr.length; i++) if (arr[i] !== ACTIVE) out.push(this.row(scope, names[i], arr[i]!, keyOf(scope, names[i])));
    };
    add('strategy', this.strategyIds, this.strategy);
    add('venue', this.venueNames, this.venue);
    add('symbol', this.symbols, this.symbol);
    return out;
  }

  /** State codes per scope, for metrics: [scope, name, code]. */
  gauges(): [StateScope, string, number][] {
    const out: [StateScope, string, number][] = [['daemon', '', this.daemonState]];
    this.strategyIds.forEach((n, i) => out.push(['strategy', n, this.strategy[i]!]));
    this.venueNames.forEach((n, i) => out.push(['venue', n, this.venue[i]!]));
    this.symbols.forEach((n, i) => out.push(['symbol', n, this.symbol[i]!]));
    return out;
  }

  // ---- journal state part: an EVENT {"event":"trading-state", scope, name, state, reason, since} per change ----

  export(): unknown {
    return this.list().map((r) => ({ scope: r.scope, name: r.name, state: r.state, reason: r.reason, since: r.since }));
  }

  import(section: unknown): void {
    // venues through apply (the venue gate follows), the rest at once
    for (let v = 0; v < this.venue.length; v++) if (this.venue[v] !== ACTIVE) this.apply('venue', { array: this.venue, index: v }, ACTIVE, keyOf('venue', this.venueNames[v]), undefined, 0);
    this.daemonState = ACTIVE;
    this.strategy.fill(ACTIVE);
    this.symbol.fill(ACTIVE);
    this.restricted = 0;
    this.meta.clear();
    if (!Array.isArray(section)) return;
    for (const e of section) this.onEvent(e as Record<string, unknown>);
  }

  onEvent(e: Readonly<Record<string, unknown>>): void {
    const scope = e.scope as StateScope;
    const name = typeof e.name === 'string' ? e.name : undefined;
    const code = TRADING_STATES.indexOf(e.state as TradingState);
    if (!STATE_SCOPES.includes(scope) || code < 0) return;
    const cell = this.cell(scope, name);
    // a strategy, venue or symbol no longer configured: its state went with it
    if (typeof cell === 'string') return;
    this.apply(scope, cell, code, keyOf(scope, name), typeof e.reason === 'string' ? e.reason : undefined, typeof e.since === 'number' ? e.since : 0);
  }

  /** The journal event of a change (what `onEvent` reads back). */
  static event(change: StateChange, row: TradingStateRow): Record<string, unknown> {
    return { event: 'trading-state', scope: change.scope, name: change.name, state: change.state, reason: row.reason, since: row.since };
  }

  private apply(scope: StateScope, cell: { array: Uint8Array | undefined; index: number }, code: number, key: string, reason: string | undefined, since: number): void {
    const before = cell.array === undefined ? this.daemonState : cell.array[cell.index]!;
    if (before !== ACTIVE) this.restricted--;
    if (code !== ACTIVE) this.restricted++;
    if (cell.array === undefined) this.daemonState = code;
    else cell.array[cell.index] = code;
    if (scope === 'venue') for (const l of this.venueListeners) l(cell.index, code);
    if (code === ACTIVE && scope !== 'daemon') this.meta.delete(key);
    else this.meta.set(key, { reason: code === ACTIVE ? undefined : reason, since });
  }

  private row(scope: StateScope, name: string | undefined, code: number, key: string): TradingStateRow {
    const m = this.meta.get(key);
    return {
      scope,
      ...(name !== undefined ? { name } : {}),
      state: TRADING_STATES[code]!,
      ...(m?.reason !== undefined ? { reason: m.reason } : {}),
      since: m?.since ?? 0,
    };
  }

  private cell(scope: StateScope, name: string | undefined): { array: Uint8Array | undefined; index: number } | string {
    if (scope === 'daemon') return name === undefined ? { array: undefined, index: 0 } : 'the daemon scope takes no name';
    const [names, array] = scope === 'strategy' ? [this.strategyIds, this.strategy]
      : scope === 'venue' ? [this.venueNames, this.venue]
        : scope === 'symbol' ? [this.symbols, this.symbol] : [undefined, undefined];
    if (names === undefined || array === undefined) return `scope must be one of ${STATE_SCOPES.join(', ')}`;
    if (name === undefined) return `scope ${scope} needs a name`;
    const index = names.indexOf(name);
    if (index < 0) return `no ${scope} ${name}`;
    return { array, index };
  }
}

function keyOf(scope: StateScope, name: string | undefined): string {
  return name === undefined ? scope : `${scope}\u0000${name}`;
}
