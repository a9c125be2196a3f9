/**
 * The simulated market of bench:route: three venues quoting one symbol around one seeded fair mid, each with its own
 * book shape (half spread, level spacing, level sizes), taker fee and one-way latency.
 *
 * The fair mid is a random walk at 1 ms resolution, pre-generated for the whole run: a step each ms of drift +
 * sigma x N(0, 1), the drift +/- `driftTicksPerMs` in regimes that flip at random (mean `regimeMs`). The order stream
 * (sides, sizes, arrival times) is pre-generated from the same seed; an order's side follows the drift of the moment
 * with probability `informed` (a strategy that trades with short-term momentum, as most takers do): that is what
 * makes latency cost something — a market that is a martingale to the order would make the expected cost of
 * latency zero for a market order.
 *
 * A venue's book at time t: asks at round(mid(t)) + halfSpread + i x step, bids mirrored, i < LEVELS, each level of
 * its venue's fixed seeded size (drawn once per venue and level, between sizeLo and sizeHi). Executions consume it:
 * the lots taken from the top of a side are remembered (`depleted`) and refill exponentially (time constant
 * `refillMs`): the book shown is the full ladder minus the depleted lots from the top. Everything is deterministic:
 * `reset()` brings every venue back to its start, so each route sees the same market.
 */
import { Prng } from '../../adapters/paper/prng.js';
import type { LevelBuffer } from '../../src/market/feed.js';

export const LEVELS = 60;

export interface SimVenueSpec {
  readonly name: string;
  readonly takerBps: string;
  readonly latencyMs: number;
  readonly halfSpreadTicks: number;
  readonly stepTicks: number;
  readonly sizeLo: number;
  readonly sizeHi: number;
}

export interface MarketParams {
  readonly midTicks: number;
  readonly sigmaTicksPerMs: number;
  readonly driftTicksPerMs: number;
  readonly regimeMs: number;
  readonly informed: number;
  readonly meanGapMs: number;
  readonly minLots: number;
  readonly maxLots: number;
  readonly refillMs: number;
}

export const BUY = 0;
export const SELL = 1;

/** One simulated venue: its fixed ladder shape and what executions have taken from each side. */
export class SimVenue {
  readonly sizes: Float64Array;
  readonly fee: number;
  /** Lots taken from the top of bids [0] and asks [1], as of `at[side]`. */
  private readonly depleted = new Float64Array(2);
  private readonly at = new Float64Array(2);

  constructor(readonly spec: SimVenueSpec, rnd: Prng, private readonly refillMs: number) {
    this.sizes = new Float64Array(LEVELS);
    for (let i = 0; i < LEVELS; i++) this.sizes[i] = rnd.int(spec.sizeLo, spec.sizeHi);
    this.fee = Number(spec.takerBps) / 1e4;
  }

  reset(): void {
    this.depleted.fill(0);
    this.at.fill(0);
  }

  /** The depletion of a side (0 bids, 1 asks) at time t (refilled since it was last set; never younger). */
  private depletion(book: 0 | 1, t: number): number {
    const dt = t - this.at[book]!;
    return dt > 0 ? this.depleted[book]! * Math.exp(-dt / this.refillMs) : this.depleted[book]!;
  }

  /** Best price of level 0 of a side at mid m (asks above, bids below). */
  private top(book: 0 | 1, mid: number): number {
    const m = Math.round(mid);
    return book === 1 ? m + this.spec.halfSpreadTicks : m - this.spec.halfSpreadTicks;
  }

  /** Fills `out` with the side as it is at time t (mid m), best first. */
  fillSide(book: 0 | 1, t: number, mid: number, out: LevelBuffer): void {
    out.clear();
    let skip = this.depletion(book, t);
    const top = this.top(book, mid);
    const dir = book === 1 ? 1 : -1;
    for (let i = 0; i < LEVELS; i++) {
      let q = this.sizes[i]!;
      if (skip > 0) {
        const s = Math.min(q, Math.floor(skip));
        q -= s;
        skip -= s;
        if (skip < 1) skip = 0;
      }
      if (q > 0) out.push(top + dir * i * this.spec.stepTicks, q);
    }
  }

  /**
   * Executes a taker order at time t (mid m): `side` BUY takes asks, SELL takes bids, up to `qty` lots, only at
   * prices within `limit` (0 = market: as deep as needed; beyond the last level the rest fills at the last level's
   * price, counted in `exhausted`). Adds to `res`: [filled lots, sum price x lots, exhausted lots].
   */
  execute(side: number, qty: number, limit: number, t: number, mid: number, res: Float64Array): void {
    const book: 0 | 1 = side === BUY ? 1 : 0;
    const d0 = this.depletion(book, t);
    let skip = d0;
    const top = this.top(book, mid);
    const dir = book === 1 ? 1 : -1;
    let left = qty;
    let notional = 0;
    let last = top;
    for (let i = 0; i < LEVELS && left > 0; i++) {
      const p = top + dir * i * this.spec.stepTicks;
      if (limit > 0 && (side === BUY ? p > limit : p < limit)) break;
      let q = this.sizes[i]!;
      if (skip > 0) {
        const s = Math.min(q, Math.floor(skip));
        q -= s;
        skip -= s;
        if (skip < 1) skip = 0;
      }
      const take = Math.min(q, left);
      notional += take * p;
      left -= take;
      last = p;
    }
    let exhausted = 0;
    if (left > 0 && limit === 0) {
      exhausted = left;
      notional += left * last;
      left = 0;
    }
    const filled = qty - left;
    this.depleted[book] = d0 + filled;
    this.at[book] = Math.max(this.at[book]!, t);
    res[0]! += filled;
    res[1]! += notional;
    res[2]! += exhausted;
  }
}

/** The pre-generated fair mid (1 ms steps) and order stream of one seed. */
export class SimMarket {
  readonly venues: SimVenue[];
  readonly mid: Float64Array;
  readonly orderAt: Float64Array;
  readonly orderSide: Uint8Array;
  readonly orderQty: Float64Array;

  constructor(readonly params: MarketParams, specs: readonly SimVenueSpec[], orders: number, seed: number) {
    const rnd = new Prng(seed);
    this.venues = specs.map((s) => new SimVenue(s, rnd, params.refillMs));
    const maxLatency = Math.max(...specs.map((s) => s.latencyMs));
    this.orderAt = new Float64Array(orders);
    this.orderSide = new Uint8Array(orders);
    this.orderQty = new Float64Array(orders);
    let t = 50;
    for (let i = 0; i < orders; i++) {
      t += Math.max(1, Math.round(-Math.log(1 - rnd.next()) * params.meanGapMs));
      this.orderAt[i] = t;
    }
    const horizon = t + 4 * maxLatency + 10;
    this.mid = new Float64Array(horizon);
    const drift = new Int8Array(horizon);
    let m = params.midTicks;
    let d = rnd.next() < 0.5 ? 1 : -1;
    for (let ms = 0; ms < horizon; ms++) {
      if (rnd.next() < 1 / params.regimeMs) d = -d;
      // Box-Muller
      const u = 1 - rnd.next();
      const g = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.next());
      m += d * params.driftTicksPerMs + params.sigmaTicksPerMs * g;
      this.mid[ms] = m;
      drift[ms] = d;
    }
    const logLo = Math.log(params.minLots);
    const logHi = Math.log(params.maxLots);
    for (let i = 0; i < orders; i++) {
      const up = drift[this.orderAt[i]!]! > 0;
      const withDrift = rnd.next() < params.informed;
      this.orderSide[i] = up === withDrift ? BUY : SELL;
      this.orderQty[i] = Math.max(params.minLots, Math.round(Math.exp(logLo + rnd.next() * (logHi - logLo))));
    }
  }

  midAt(t: number): number {
    return this.mid[Math.min(this.mid.length - 1, Math.floor(t))]!;
  }

  reset(): void {
    for (const v of this.venues) v.reset();
  }
}
