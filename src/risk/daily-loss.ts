import type { JournalStatePart } from '../core/state-parts.js';
import { parseDecimal, signedDecimalText } from '../model/decimal.js';
import type { TradingStates } from './trading-states.js';

/** Where the net PnL comes from (the position ledger): integer units of 10^-scale of the quote currency. */
export interface PnlSource {
  strategyNetPnlUnits(strategyIndex: number): number;
  totalNetPnlUnits(): number;
}

export interface DailyLossLimits {
  /** Per strategy (by index): the loss (a positive decimal, quote currency) that trips it; undefined = none. */
  readonly strategies: readonly (string | undefined)[];
  /** For the whole daemon. */
  readonly daemon: string | undefined;
  /** What a tripped limit does to the strategy (or the daemon). */
  readonly action: 'reducing' | 'halted';
}

const DAY_MS = 86_400_000;
const NONE = Number.MAX_SAFE_INTEGER;

/**
 * Maximum daily loss, per strategy and for the daemon: the net PnL (realised + unrealised at mark, net of fees: the
 * position ledger's) since the start of the UTC day. When a strategy's falls to minus its limit, its trading state
 * becomes REDUCING or HALTED (risk.dailyLossAction) with the figures in the reason; the daemon's limit moves the
 * daemon. A limit trips once per day: an operator who sets the state back to ACTIVE has taken the decision for the
 * rest of the day. A new day does not lift a state (the operator does).
 *
 * Checked off the order path, every `intervalMs` (marks move without fills) — the daemon starts it after recovery.
 * The day's starting PnL is journaled (a `daily-pnl` event at each new day, and the whole state in snapshots), so a
 * restart in the same day measures from the same start.
 */
export class DailyLossGuard implements JournalStatePart {
  readonly name = 'daily-pnl';
  private day = -1;
  private readonly start: Float64Array;
  private startTotal = 0;
  private readonly tripped: Uint8Array;
  private trippedDaemon = false;
  private limits: Float64Array;
  private daemonLimit = NONE;
  private action: 'reducing' | 'halted' = 'reducing';
  private timer: NodeJS.Timeout | undefined;
  /** Limits tripped (strategies and daemon) since the start. */
  trips = 0;

  constructor(
    private readonly pnl: PnlSource,
    private readonly states: TradingStates,
    private readonly strategyIds: readonly string[],
    /** The PnL unit: 10^-scale of `currency`. */
    private readonly scale: number,
    private readonly currency: string,
    limits: DailyLossLimits,
    private readonly now: () => number,
    private readonly record: (event: Record<string, unknown>) => void,
  ) {
    this.start = new Float64Array(strategyIds.length);
    this.tripped = new Uint8Array(strategyIds.length);
    this.limits = new Float64Array(strategyIds.length);
    this.setLimits(limits);
  }

  /** The limits (construction, configuration reload). */
  setLimits(limits: DailyLossLimits): void {
    if (limits.strategies.length !== this.strategyIds.length) throw new RangeError('daily loss limits: one entry per strategy');
    // all converted before any is taken: a limit that cannot be changes nothing
    const strategies = Float64Array.from(limits.strategies, (text, i) => this.units(text, `strategy ${this.strategyIds[i]} maxDailyLoss`));
    const daemon = this.units(limits.daemon, 'risk.maxDailyLoss');
    this.limits = strategies;
    this.daemonLimit = daemon;
    this.action = limits.action;
  }

  startTimer(intervalMs: number): void {
    this.stopTimer();
    this.check();
    this.timer = setInterval(() => this.check(), intervalMs);
    this.timer.unref();
  }

  stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Compare each PnL since the day's start with its limit; trip what has reached it. */
  check(): void {
    const now = this.now();
    const day = Math.floor(now / DAY_MS);
    if (day !== this.day) this.newDay(day);
    for (let s = 0; s < this.start.length; s++) {
      const limit = this.limits[s]!;
      if (limit === NONE || this.tripped[s] === 1) continue;
      const pnl = this.pnl.strategyNetPnlUnits(s) - this.start[s]!;
      if (pnl <= -limit) {
        this.tripped[s] = 1;
        this.trip('strategy', this.strategyIds[s], pnl, limit, `strategies.${this.strategyIds[s]}.limits.maxDailyLoss`);
      }
    }
    if (this.daemonLimit !== NONE && !this.trippedDaemon) {
      const pnl = this.pnl.totalNetPnlUnits() - this.startTotal;
      if (pnl <= -this.daemonLimit) {
        this.trippedDaemon = true;
        this.trip('daemon', undefined, pnl, this.daemonLimit, 'risk.maxDailyLoss');
      }
    }
  }

  /** The day's figures (tests, diagnostics): PnL since the start of the UTC day, quote currency text. */
  status(): { day: string; strategies: { strategy: string; pnl: string; limit: string | null; tripped: boolean }[]; daemon: { pnl: string; limit: string | null; tripped: boolean } } {
    return {
      day: this.day < 0 ? '' : new Date(this.day * DAY_MS).toISOString().slice(0, 10),
      strategies: this.strategyIds.map((strategy, s) => ({
        strategy,
        pnl: this.text(this.pnl.strategyNetPnlUnits(s) - this.start[s]!),
        limit: this.limits[s] === NONE ? null : this.text(this.limits[s]!),
        tripped: this.tripped[s] === 1,
      })),
      daemon: { pnl: this.text(this.pnl.totalNetPnlUnits() - this.startTotal), limit: this.daemonLimit === NONE ? null : this.text(this.daemonLimit), tripped: this.trippedDaemon },
    };
  }

  private newDay(day: number): void {
    this.day = day;
    for (let s = 0; s < this.start.length; s++) this.start[s] = this.pnl.strategyNetPnlUnits(s);
    this.startTotal = this.pnl.totalNetPnlUnits();
    this.tripped.fill(0);
    this.trippedDaemon = false;
    this.record({ event: this.name, ...(this.export() as Record<string, unknown>) });
  }

  private trip(scope: 'strategy' | 'daemon', name: string | undefined, pnl: number, limit: number, key: string): void {
    this.trips++;
    this.record({ event: this.name, ...(this.export() as Record<string, unknown>) });
    const reason = `daily loss limit: ${this.text(pnl)} ${this.currency} since 00:00 UTC reached ${key} ${this.text(limit)} ${this.currency}`;
    this.states.set({ scope, name, state: this.action === 'halted' ? 'HALTED' : 'REDUCING', reason });
  }

  // ---- journal state part ----

  export(): unknown {
    return { day: this.day, start: Array.from(this.start), startTotal: this.startTotal, tripped: Array.from(this.tripped), trippedDaemon: this.trippedDaemon };
  }

  import(section: unknown): void {
    this.onEvent(section as Record<string, unknown>);
  }

  onEvent(e: Readonly<Record<string, unknown>>): void {
    if (typeof e.day !== 'number' || !Array.isArray(e.start) || e.start.length !== this.start.length) return; // other strategies then: a new day starts over
    this.day = e.day;
    this.start.set(e.start as number[]);
    this.startTotal = typeof e.startTotal === 'number' ? e.startTotal : 0;
    if (Array.isArray(e.tripped) && e.tripped.length === this.tripped.length) this.tripped.set(e.tripped as number[]);
    this.trippedDaemon = e.trippedDaemon === true;
  }

  /** A limit in units (rounded down: never looser than configured). */
  private units(text: string | undefined, what: string): number {
    if (text === undefined) return NONE;
    const p = parseDecimal(text);
    if (p === undefined || p.units <= 0n) throw new RangeError(`${what}: ${text} is not a positive decimal`);
    const u = p.scale <= this.scale ? p.units * 10n ** BigInt(this.scale - p.scale) : p.units / 10n ** BigInt(p.scale - this.scale);
    if (u >= BigInt(NONE)) throw new RangeError(`${what}: ${text} is too large to compare exactly`);
    return Number(u);
  }

  private text(units: number): string {
    return signedDecimalText(BigInt(Math.round(units)), this.scale);
  }
}
