import type { Instrument, InstrumentRegistry } from '../model/instrument.js';
import type { OrderUpdate } from '../model/lifecycle.js';
import type { OrderStore } from '../core/order-store.js';
import { OrderView } from '../core/order-store.js';
import type { OrderTracker } from '../core/order-tracker.js';
import type { VenueAdapter, VenueFill, VenueOrderStatus } from './venue.js';

/** One difference between what the daemon believed and what the venue says, and what was done about it. */
export interface Finding {
  readonly venue: string;
  readonly orderId: number | null;
  readonly clientOrderId: string;
  readonly found: string;
  readonly action: string;
}

export interface ReconcileResult {
  readonly venue: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly checked: number;
  readonly findings: readonly Finding[];
}

export interface ReconcileHooks {
  /** Send an order whose submission never reached the venue (looked up: not there). */
  resubmit(slot: number): void;
  /** Ask the venue again for a cancel that was pending. */
  recancel(slot: number): void;
  /** Every finding, as it is made (journal and log). */
  finding(f: Finding): void;
}

/** What reconciliation knows of the run that ended (the daemon's own start: src/compose/startup-recovery.ts). */
export interface PreviousRun {
  /**
   * How long a request may still arrive and execute at the venue after it was sent (its validity window: the venue's
   * request window plus clock skew, VenueAdapter.validityWindowMs). An order not found is sent again only once that
   * has passed since its last possible sending.
   */
  readonly validityMs: number;
  /**
   * Every request of that run was sent before this time: the start of this run (that run has ended). The journal
   * does not say when an order's request left: it may leave long after its order became SUBMITTED (waiting for the
   * venue's rate limit, or sent again after a refusal), so the window is counted from here, not from the SUBMIT.
   */
  readonly sentBefore: number;
  /** The order in `slot` is one of that run's, past CREATED when the journal was replayed (false: this run's). */
  sent(slot: number): boolean;
  readonly now: () => number;
}

/**
 * Reconciles the daemon's open orders at one venue with the venue's own records, after a restart (or a
 * reconnect). For every order the daemon holds open there: look it up (by the venue order id the journal binds it
 * to, else by client order id), apply the fills it missed (fills since the oldest of those orders, of the venue order
 * the lookup bound it to, deduplicated by trade id by the lifecycle), then the state the venue reports. An order
 * whose submission never arrived (SUBMITTED, not found) is sent again, never blindly: only once no request of the run
 * that ended can still execute (PreviousRun) and a second lookup has not found it either. Orders open at the venue
 * that the daemon does not know are reported.
 *
 * Only orders of the run that ended are claimed (`previous.sent`: past CREATED when the journal was replayed); an
 * order this run has sent since is its adapter's, which knows when it sent it. An order the venue shows under one of
 * our client order ids is adopted only if it is the order we sent (statusMismatches: venue order id when the journal has it, symbol, side, type,
 * quantity, price); anyone else's is a finding and left alone, and ours is then handled as not found. Fills under our
 * client order id of another venue order are findings too, never applied. Open orders the daemon does not know (with this
 * daemon's client id prefix or not) are reported and left alone: never adopted, never canceled.
 */
export async function reconcileVenue(
  v: number,
  adapter: VenueAdapter,
  tracker: OrderTracker,
  store: OrderStore,
  instruments: InstrumentRegistry,
  /** Instruments the venue lists. */
  listed: readonly Instrument[],
  hooks: ReconcileHooks,
  previous: PreviousRun,
): Promise<ReconcileResult> {
  const { validityMs, sentBefore, now } = previous;
  const venue = adapter.name;
  const findings: Finding[] = [];
  const note = (f: Finding): void => {
    findings.push(f);
    hooks.finding(f);
  };
  const mine = tracker.list(true).filter((o) => o.venueIndex === v && o.state !== 'CREATED' && previous.sent(o.slot));
  if (adapter.lookup === undefined) {
    return { venue, ok: mine.length === 0, error: mine.length === 0 ? undefined : 'the adapter cannot look orders up', checked: 0, findings };
  }
  const symbols = [...new Set(mine.map((o) => o.symbolIndex))].map((i) => instruments.at(i));
  try {
    // 1. Look every order up by client order id. Those the venue has are adopted first (whatever their state), so
    //    the adapter can map the venue's trades back to them: a venue's trade names its own order id, not ours.
    const found: { slot: number; generation: number; cid: string; st: VenueOrderStatus }[] = [];
    const foreign = new Set<string>();
    // The orders were listed before the first await: one forgotten meanwhile (finished, then evicted by the
    // retention limit) may have its slot reused by a new order, which must not be acted on for it. Each slot is
    // kept with its generation and checked after every wait.
    const generations = mine.map((o) => store.generation[o.slot]!);
    for (const [k, o] of mine.entries()) {
      const slot = o.slot;
      const generation = generations[k]!;
      if (!store.isCurrent(slot, generation)) continue;
      const cid = o.clientOrderId;
      const view = new OrderView(store).at(slot);
      // An order found under our client order id is ours only if it is what we sent: client order ids are unique
      // only among a venue account's open orders, and another program with the same keys may hold ours. Anyone
      // else's order is a finding, left alone (never adopted, so never canceled), and ours counts as not found.
      // An order the journal knows bound to a venue order id is looked up by that id (our client order id may by now
      // name another program's order, ours having closed).
      const bound = view.venueOrderId === undefined || view.venueOrderId === '' ? undefined : view.venueOrderId;
      const ours = async (): Promise<VenueOrderStatus | null> => {
        const got = await adapter.lookup!(cid, instruments.at(o.symbolIndex), bound);
        if (got === null) return null;
        const bad = statusMismatches(view, got);
        if (bad.length === 0) return got;
        if (!foreign.has(got.venueOrderId)) note({
          venue, orderId: view.id, clientOrderId: cid,
          found: `venue order ${got.venueOrderId} (${got.state}) holds this client order id but is not this order: ${bad.join('; ')}`,
          action: 'left alone; not adopted (DUPLICATE_CLIENT_ORDER_ID)',
        });
        foreign.add(got.venueOrderId);
        return null;
      };
      let st = await ours();
      if (!store.isCurrent(slot, generation)) continue;
      if (st === null && view.state === 'SUBMITTED') {
        // A submission sent just before the restart may still be on its way: wait out its validity window, look again.
        const wait = Math.max(view.updatedAt, sentBefore) + validityMs - now();
        if (wait > 0) {
          await new Promise((r) => setTimeout(r, wait));
          st = await ours();
          if (!store.isCurrent(slot, generation)) continue;
        }
      }
      if (st === null) {
        if (view.state === 'SUBMITTED') {
          note({ venue, orderId: view.id, clientOrderId: cid, found: 'not at the venue (the submission never arrived)', action: 'sent now' });
          hooks.resubmit(slot);
        } else {
          note({ venue, orderId: view.id, clientOrderId: cid, found: `${view.state} here, unknown at the venue`, action: 'marked CANCELED' });
          tracker.applySlot(slot, { kind: 'CANCELED', reason: 'not found at the venue on reconciliation' });
        }
        continue;
      }
      if (view.venueOrderId === undefined || view.state === 'SUBMITTED') {
        apply(tracker, slot, { kind: 'ACCEPT', venueOrderId: st.venueOrderId });
      }
      adapter.adopt?.({ orderId: view.id, clientOrderId: cid, instrument: instruments.at(o.symbolIndex), venueOrderId: st.venueOrderId, qtyLots: view.qtyLots });
      found.push({ slot, generation, cid, st });
    }

    // 2. The fills since the oldest of them (deduplicated by trade id by the lifecycle), then each venue state. A
    //    fill is applied to an order only when it is of the venue order the lookup bound that order to (its venue
    //    order id, on its instrument: Binance numbers orders per symbol). A client order id is unique only among
    //    open orders, so a fill under ours may be another program's, traded under the same id at another time:
    //    a finding, left alone.
    let fills: VenueFill[] = [];
    if (adapter.fillsSince !== undefined && found.length > 0) {
      const since = Math.min(...found.map((f) => store.createdAt[f.slot]!)) - 60_000;
      fills = await adapter.fillsSince(since, symbols);
    }
    const orderKey = (symbol: string, venueOrderId: string): string => `${symbol} ${venueOrderId}`;
    const byVenueOrder = new Map<string, VenueFill[]>();
    const byClient = new Map<string, VenueFill[]>();
    for (const f of fills) {
      if (f.venueOrderId !== '') push(byVenueOrder, orderKey(f.instrument.symbol, f.venueOrderId), f);
      push(byClient, f.clientOrderId, f);
    }
    for (const { slot, generation, cid, st } of found) {
      if (!store.isCurrent(slot, generation)) continue; // forgotten while the fills were fetched
      const view = new OrderView(store).at(slot);
      const own = st.venueOrderId === '' ? [] : (byVenueOrder.get(orderKey(st.instrument.symbol, st.venueOrderId)) ?? []);
      const others = new Map<string, string[]>();
      for (const f of byClient.get(cid) ?? []) {
        if (own.includes(f)) continue;
        const trades = others.get(f.venueOrderId);
        if (trades === undefined) others.set(f.venueOrderId, [f.tradeId]);
        else trades.push(f.tradeId);
      }
      for (const [vid, trades] of others) {
        note({
          venue, orderId: view.id, clientOrderId: cid,
          found: `fills ${trades.join(', ')} under this client order id are of venue order ${vid === '' ? '(not stated)' : vid}, not of this order (${st.venueOrderId === '' ? 'no venue order id' : st.venueOrderId})`,
          action: 'left alone; not applied',
        });
      }
      for (const f of own) {
        const before = view.filledLots;
        apply(tracker, slot, {
          kind: 'FILL',
          fill: {
            orderId: view.id, tradeId: f.tradeId, venue, priceTicks: f.priceTicks, qtyLots: f.qtyLots,
            fee: f.fee, feeCurrency: f.feeCurrency, feeEstimated: f.feeEstimated === true,
            liquidity: f.liquidity, ts: f.ts, venueTs: f.ts,
          },
        });
        if (view.filledLots > before) {
          note({ venue, orderId: view.id, clientOrderId: cid, found: `fill ${f.tradeId} missed while down`, action: 'applied' });
        }
      }
      if (st.filledLots !== view.filledLots) {
        note({ venue, orderId: view.id, clientOrderId: cid, found: `venue filled ${st.filledLots} lots, daemon knows ${view.filledLots}`, action: 'left for the adapter, which fetches the adopted order\'s trades' });
      }
      const stateAfter = view.state;
      switch (st.state) {
        case 'CANCELED':
          if (stateAfter !== 'CANCELED' && stateAfter !== 'FILLED') {
            apply(tracker, slot, { kind: 'CANCELED', reason: 'canceled at the venue (reconciliation)' });
            note({ venue, orderId: view.id, clientOrderId: cid, found: 'canceled at the venue', action: 'marked CANCELED' });
          }
          break;
        case 'EXPIRED':
          apply(tracker, slot, { kind: 'EXPIRE', reason: 'expired at the venue (reconciliation)' });
          break;
        case 'REJECTED':
          apply(tracker, slot, { kind: 'REJECT', reason: 'rejected at the venue (reconciliation)' });
          break;
        default:
          if (stateAfter === 'PENDING_CANCEL' && (st.state === 'OPEN' || st.state === 'PARTIALLY_FILLED')) hooks.recancel(slot);
      }
    }
    if (adapter.openOrders !== undefined) {
      const known = new Set(mine.map((o) => o.clientOrderId));
      for (const st of await adapter.openOrders(listed)) {
        if (!known.has(st.clientOrderId) && tracker.slotOfClientOrderId(st.clientOrderId) < 0) {
          note({ venue, orderId: null, clientOrderId: st.clientOrderId, found: 'open at the venue, unknown to the daemon', action: 'left alone' });
        }
      }
    }
    return { venue, ok: true, checked: mine.length, findings };
  } catch (err) {
    return { venue, ok: false, error: err instanceof Error ? err.message : String(err), checked: mine.length, findings };
  }
}

/**
 * Why the venue's order `st`, found under the order's client order id, is not the order the daemon sent (empty: it
 * is). Venue order id (when the journal has it), symbol, side, type, quantity and, for a limit order, price; a
 * value the venue does not state is a mismatch. The quantity sent was the order's unfilled rest at the time (all of
 * it unless part crossed internally first), so the venue's quantity must lie between the unfilled rest now and the
 * whole order.
 */
export function statusMismatches(view: OrderView, st: VenueOrderStatus): string[] {
  const out: string[] = [];
  // the journal knows the venue order ours was bound to: any other venue order is not ours, whatever it looks like
  if (view.venueOrderId !== undefined && view.venueOrderId !== '' && st.venueOrderId !== view.venueOrderId) {
    out.push(`venue order id ${st.venueOrderId === '' ? '(not stated)' : st.venueOrderId} (ours is ${view.venueOrderId})`);
  }
  if (st.instrument.symbol !== view.symbol || st.symbolMatches === false) out.push(`symbol (sent ${view.symbol})`);
  if (st.side !== view.side) out.push(`side ${st.side ?? 'not stated'} (sent ${view.side})`);
  if (st.type !== view.type) out.push(`type ${st.type ?? 'not stated'} (sent ${view.type})`);
  const q = st.qtyLots;
  if (q === undefined || q > view.qtyLots || q < view.qtyLots - view.filledLots) {
    out.push(`quantity ${q ?? 'not stated'} lots (sent ${view.qtyLots - view.filledLots}..${view.qtyLots})`);
  }
  if (view.type !== 'MARKET' && st.priceTicks !== view.priceTicks) out.push(`price ${st.priceTicks ?? 'not stated'} ticks (sent ${view.priceTicks})`);
  return out;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function apply(tracker: OrderTracker, slot: number, update: OrderUpdate): void {
  tracker.applySlot(slot, update);
}
