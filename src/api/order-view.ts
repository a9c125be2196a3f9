import { parseDecimal } from '../model/decimal.js';
import type { InstrumentRegistry } from '../model/instrument.js';
import type { Order } from '../model/order.js';

/** An order as the API shows it: decimals as strings, integers converted back at the edge. */
export interface OrderView {
  readonly orderId: number;
  readonly clientOrderId: string;
  readonly strategy: string;
  readonly symbol: string;
  readonly side: string;
  readonly type: string;
  readonly timeInForce: string;
  readonly postOnly: boolean;
  readonly priority: string;
  readonly price: string | null;
  readonly stopPrice: string | null;
  readonly quantity: string;
  readonly filledQty: string;
  readonly filledNotional: string;
  readonly avgPrice: string | null;
  readonly state: string;
  readonly venue: string | null;
  readonly venueOrderId: string | null;
  readonly reason: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Extra decimals shown on average prices (truncated, never rounded up). */
const AVG_EXTRA_DECIMALS = 8;

export function orderView(order: Order, instruments: InstrumentRegistry): OrderView {
  const ins = instruments.get(order.symbol)!;
  let avgPrice: string | null = null;
  if (order.filledLots > 0) {
    // average ticks = filledNotional / filledLots, shown with the tick's decimals plus a few more.
    const scaled = (BigInt(order.filledNotional) * 10n ** BigInt(AVG_EXTRA_DECIMALS)) / BigInt(order.filledLots);
    const tickDecimals = ins.tick.scale;
    const tickUnits = parseDecimal(ins.tick.text)!.units;
    const units = scaled * tickUnits;
    const scale = tickDecimals + AVG_EXTRA_DECIMALS;
    const digits = units.toString().padStart(scale + 1, '0');
    avgPrice = scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`.replace(/\.?0+$/, '');
  }
  return {
    orderId: order.id,
    clientOrderId: order.clientOrderId,
    strategy: order.strategy,
    symbol: order.symbol,
    side: order.side,
    type: order.type,
    timeInForce: order.timeInForce,
    postOnly: order.postOnly,
    priority: order.priority,
    price: order.priceTicks > 0 ? ins.ticksToPrice(order.priceTicks) : null,
    stopPrice: order.stopTicks > 0 ? ins.ticksToPrice(order.stopTicks) : null,
    quantity: ins.lotsToQty(order.qtyLots),
    filledQty: ins.lotsToQty(order.filledLots),
    filledNotional: ins.notional.toText(order.filledNotional),
    avgPrice,
    state: order.state,
    venue: order.venue ?? null,
    venueOrderId: order.venueOrderId ?? null,
    reason: order.reason ?? null,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
  };
}
