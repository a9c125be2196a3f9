/**
 * Is the venue's order under our client order id the order we sent? Client order ids are unique only among the
 * open orders of one account (Binance, OKX), so another program trading with the same keys may hold the same id,
 * and a venue answering "duplicate client order id" says nothing about whose order that is. An order is taken as
 * ours only when symbol, side, type, quantity and (for a limit order) price are the ones we sent. Prices and
 * quantities compare exactly through the instrument (ticks, lots), never as floats; a value the venue does not
 * state, or one off our grid, is a mismatch: never adopt on a guess.
 */
import type { OrderSnapshot, OrderSpec } from './types.js';

/** One way the venue's order differs from ours; `stated` false: the venue did not say (or off our grid). */
export interface Mismatch {
  readonly field: 'symbol' | 'side' | 'type' | 'quantity' | 'price';
  readonly stated: boolean;
  readonly text: string;
}

/**
 * How `s` differs from the order `sent` (empty when it is that order). `venueSymbol`: the venue's symbol text for
 * the instrument (what the snapshot's venueSymbol must be); undefined = not checked (tests of the ledger alone).
 */
export function orderMismatches(sent: OrderSpec, s: OrderSnapshot, venueSymbol: string | undefined): Mismatch[] {
  const out: Mismatch[] = [];
  const inst = sent.instrument;
  if (s.instrument.symbol !== inst.symbol) out.push({ field: 'symbol', stated: true, text: `symbol ${s.instrument.symbol} (sent ${inst.symbol})` });
  else if (venueSymbol !== undefined && s.venueSymbol !== venueSymbol) {
    out.push({ field: 'symbol', stated: s.venueSymbol !== undefined, text: `symbol ${s.venueSymbol ?? 'not stated'} (sent ${venueSymbol})` });
  }
  if (s.side !== sent.side) out.push({ field: 'side', stated: s.side !== undefined, text: `side ${s.side ?? 'not stated'} (sent ${sent.side})` });
  if (s.type !== sent.type) out.push({ field: 'type', stated: s.type !== undefined, text: `type ${s.type ?? 'not stated'} (sent ${sent.type})` });
  const qty = s.origQty === undefined ? undefined : inst.qtyToLots(s.origQty);
  if (qty === undefined || !qty.ok || qty.value !== sent.qtyLots) {
    // off our grid counts as stated and different: an order we sent is always on our grid
    out.push({ field: 'quantity', stated: qty !== undefined, text: `quantity ${s.origQty ?? 'not stated'} (sent ${inst.lotsToQty(sent.qtyLots)})` });
  }
  // a market order has no price to compare (venues report 0, the average, or nothing)
  if (sent.type !== 'MARKET') {
    const price = s.price === undefined ? undefined : inst.priceToTicks(s.price);
    if (price === undefined || !price.ok || price.value !== sent.priceTicks) {
      out.push({ field: 'price', stated: price !== undefined, text: `price ${s.price ?? 'not stated'} (sent ${inst.ticksToPrice(sent.priceTicks)})` });
    }
  }
  return out;
}

/** A venue order type as ours: the limit flavours (post-only, IOC, FOK) are LIMIT; anything else keeps its text. */
export function orderTypeOf(venueType: string | undefined): string | undefined {
  if (venueType === undefined || venueType === '') return undefined;
  switch (venueType.toLowerCase()) {
    case 'limit':
    case 'limit_maker': // Binance post-only
    case 'post_only': // OKX
    case 'ioc':
    case 'fok':
      return 'LIMIT';
    case 'market':
      return 'MARKET';
    default:
      return venueType.toUpperCase();
  }
}

/** A venue side as ours. */
export function sideOf(venueSide: unknown): 'BUY' | 'SELL' | undefined {
  if (typeof venueSide !== 'string') return undefined;
  const s = venueSide.toLowerCase();
  return s === 'buy' ? 'BUY' : s === 'sell' ? 'SELL' : undefined;
}
