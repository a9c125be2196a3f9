/**
 * Start-up check of the configured instruments against the venue's own market rules.
 *
 * Decision (documented in adapters/README.md):
 *  - REFUSE to start when an instrument is not listed or not trading, when our tick size is not a whole multiple of
 *    the venue's tick, or our lot size not a whole multiple of the venue's lot: every order on our grid must be valid
 *    on the venue's grid, or the venue (or ccxt's rounding) would change or refuse it.
 *  - WARN when our minimum quantity or minimum notional is below the venue's (the venue will reject those orders,
 *    cleanly) and when the venue's tick is finer than ours (a taker fill may print between our ticks; such a fill is
 *    refused and logged, never rounded).
 */
import { Increment, parseDecimal } from '../../src/model/decimal.js';
import type { Instrument } from '../../src/model/instrument.js';
import type { VenueMarket } from './types.js';

export interface MarketCheck {
  readonly errors: string[];
  readonly warnings: string[];
}

function multipleOf(value: string, step: string): boolean {
  try {
    return new Increment(step).toCount(value).ok;
  } catch {
    return false;
  }
}

/** a < b for decimal texts. */
function less(a: string, b: string): boolean {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  if (x === undefined || y === undefined) return false;
  const scale = Math.max(x.scale, y.scale);
  return x.units * 10n ** BigInt(scale - x.scale) < y.units * 10n ** BigInt(scale - y.scale);
}

export function checkMarkets(venue: string, instruments: readonly Instrument[], markets: readonly VenueMarket[]): MarketCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  const bySymbol = new Map(markets.map((m) => [m.symbol, m]));
  for (const ins of instruments) {
    const m = bySymbol.get(ins.symbol);
    const at = `${venue} ${ins.symbol}`;
    if (m === undefined) {
      errors.push(`${at}: the venue does not list this instrument`);
      continue;
    }
    if (!m.active) errors.push(`${at}: the venue lists it but it is not trading`);
    if (!multipleOf(ins.tick.text, m.tickSize)) {
      errors.push(`${at}: tickSize ${ins.tick.text} is not a multiple of the venue tick ${m.tickSize}`);
    } else if (less(m.tickSize, ins.tick.text)) {
      warnings.push(`${at}: the venue tick ${m.tickSize} is finer than tickSize ${ins.tick.text}; a fill between our ticks would be refused (logged, not reported)`);
    }
    if (!multipleOf(ins.lot.text, m.lotSize)) {
      errors.push(`${at}: lotSize ${ins.lot.text} is not a multiple of the venue lot ${m.lotSize}`);
    }
    const minQty = ins.lot.toText(ins.minQtyLots);
    if (m.minQty !== undefined && less(minQty, m.minQty)) {
      warnings.push(`${at}: minQty ${minQty} is below the venue minimum ${m.minQty}; smaller orders will be rejected by the venue`);
    }
    const minNotional = ins.notional.toText(ins.minNotionalUnits);
    if (m.minNotional !== undefined && less(minNotional, m.minNotional)) {
      warnings.push(`${at}: minNotional ${minNotional} is below the venue minimum ${m.minNotional}; smaller orders will be rejected by the venue`);
    }
  }
  return { errors, warnings };
}
