import type { TrackerListener } from '../execution/order-tracker.js';
import type { InstrumentRegistry } from '../model/instrument.js';
import type { OrderUpdate } from '../model/lifecycle.js';
import { isOpen, type Order } from '../model/order.js';
import type { OrderEvent } from '../model/events.js';
import type { PreTradeRisk } from './pre-trade-risk.js';

/** Keeps pre-trade risk's open orders, exposure and positions in step with the order lifecycle. */
export class RiskAccounting implements TrackerListener {
  constructor(
    private readonly risk: PreTradeRisk,
    private readonly instruments: InstrumentRegistry,
  ) {}

  onEvent(order: Order, event: OrderEvent, update: OrderUpdate): void {
    if (order.riskPriceTicks === 0) return; // never reserved (denied or canceled in the queue)
    const s = this.risk.strategyIndex(order.strategy);
    const ins = this.instruments.get(order.symbol)!;
    if (update.kind === 'FILL') {
      this.risk.onFill(s, ins.index, order.side, order.riskPriceTicks, update.fill.priceTicks, update.fill.qtyLots, isOpen(event.from));
    }
    if (!isOpen(order.state) && isOpen(event.from)) {
      this.risk.onClose(s, ins.index, order.riskPriceTicks, order.qtyLots - order.filledLots);
    }
  }
}
