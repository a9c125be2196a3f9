import type { TrackerListener } from '../core/order-tracker.js';
import { BUY, SELL, type OrderView } from '../core/order-store.js';
import type { OrderUpdate, Transition } from '../model/lifecycle.js';
import { isOpen } from '../model/order.js';
import type { PreTradeRisk } from './pre-trade-risk.js';

/** Keeps pre-trade risk's open orders, exposure and positions in step with the order lifecycle. */
export class RiskAccounting implements TrackerListener {
  /**
   * While the journal is replayed, an order's reservation is made when its SUBMIT is replayed (live, the
   * dispatcher's check made it before the SUBMIT).
   */
  replaying = false;

  constructor(private readonly risk: PreTradeRisk) {}

  onTransition(order: OrderView, update: OrderUpdate, t: Transition): void {
    // The lifecycle holds filledNotional at 2^53 - 1 rather than lose count of it: never for an order the edge
    // accepted and filled at or inside its limit (a fill far beyond it could): counted with risk's saturations.
    if (update.kind === 'FILL' && t.outcome === 'APPLIED' && order.filledNotional >= Number.MAX_SAFE_INTEGER) this.risk.saturated++;
    // children of a parent order carry no reservation: the parent's covers them
    if (this.replaying && update.kind === 'SUBMIT' && t.from === 'CREATED' && order.parentId === 0) {
      const i = order.symbolIndex;
      order.riskPriceTicks = order.priceTicks > 0 ? order.priceTicks : this.risk.markOf(i) || order.stopTicks || 1;
      this.risk.reserve(order.strategyIndex, i, order.side === 'BUY' ? BUY : SELL, order.riskPriceTicks, order.qtyLots);
      return;
    }
    if (order.riskPriceTicks === 0) return; // never reserved (denied or canceled in the queue)
    const s = order.strategyIndex;
    const i = order.symbolIndex;
    if (update.kind === 'FILL') {
      this.risk.onFill(s, i, order.side, order.riskPriceTicks, update.fill.priceTicks, update.fill.qtyLots, isOpen(t.from));
      // A fee paid in the base currency comes out of what the fill delivered (buy 1 BTC, pay 0.001 BTC: hold 0.999).
      if (update.fill.feeCurrency !== '' && update.fill.feeCurrency === this.risk.baseOf(i)) this.risk.netBaseFee(s, i, update.fill.fee);
    }
    if (t.termsChanged) {
      // An amend the venue confirmed (or a fill proved): the reservation moves from the replaced terms (kept in
      // amendPriceTicks / amendQtyLots) to the terms now in force. Fills so far released the old price already; the
      // old rest is released (negative when fills went beyond the old quantity: put back) and the new one reserved.
      const filled = order.filledLots;
      const side = order.side === 'BUY' ? BUY : SELL;
      this.risk.onClose(s, i, side, order.riskPriceTicks, order.amendQtyLots - filled);
      if (order.priceTicks > 0) order.riskPriceTicks = order.priceTicks;
      this.risk.reserve(s, i, side, order.riskPriceTicks, order.qtyLots - filled);
    }
    if (isOpen(t.from) && !isOpen(t.to)) {
      this.risk.onClose(s, i, order.side === 'BUY' ? BUY : SELL, order.riskPriceTicks, order.qtyLots - order.filledLots);
    } else if (!isOpen(t.from) && isOpen(t.to)) {
      // a corrected rejection: the order is at the venue after all; its rest is reserved again (a fact, not a request:
      // no limit check)
      this.risk.reserve(s, i, order.side === 'BUY' ? BUY : SELL, order.riskPriceTicks, order.qtyLots - order.filledLots);
    }
  }
}
