/**
 * Which orders a graceful stop cancels and how long it waits for them. Orders still queued (CREATED) or resting in
 * the internal crossing book are always canceled: they never reached a venue. Beyond those, `daemon.shutdown.policy`
 * decides: cancel-all, cancel-strategies (the listed strategies' orders) or leave.
 */
import type { ShutdownConfig } from '../config/index.js';
import { INTERNAL_VENUE } from '../crossing/internal-crossing.js';
import type { OrderId } from '../model/ids.js';
import { isOpen, type OrderState } from '../model/order.js';
import type { Logger } from '../telemetry/logger.js';

/** The parts of an open order the policy looks at (an OrderView is live: its state moves as reports arrive). */
export interface ShutdownOrder {
  readonly id: OrderId;
  readonly state: OrderState;
  readonly venue: string | undefined;
  readonly strategy: string;
}

/** The open orders the shutdown policy cancels. */
export function ordersToCancelAtShutdown<O extends ShutdownOrder>(open: readonly O[], shutdown: Pick<ShutdownConfig, 'policy' | 'strategies'>): O[] {
  const { policy, strategies } = shutdown;
  return open.filter((o) =>
    o.state === 'CREATED' || o.venue === INTERNAL_VENUE || policy === 'cancel-all'
    || (policy === 'cancel-strategies' && (strategies ?? []).includes(o.strategy)),
  );
}

/**
 * Asks for the cancel of each order not already being canceled, then waits until none is open or the timeout
 * passes. `settled`: all were confirmed in time; `stillOpen`: the ids open at the end.
 */
export async function cancelAndWait<O extends ShutdownOrder>(
  orders: readonly O[],
  cancel: (id: OrderId) => unknown,
  timeoutMs: number,
): Promise<{ settled: boolean; stillOpen: OrderId[] }> {
  for (const o of orders) if (o.state !== 'PENDING_CANCEL') cancel(o.id);
  const settled = await waitFor(() => orders.every((o) => !isOpen(o.state)), timeoutMs);
  return { settled, stillOpen: orders.filter((o) => isOpen(o.state)).map((o) => o.id) };
}

/** Polls `done` every 5 ms until it holds (true) or the timeout passes (false). */
export function waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const deadline = Date.now() + timeoutMs;
    const tick = (): void => {
      if (done()) resolve(true);
      else if (Date.now() >= deadline) resolve(false);
      else setTimeout(tick, 5);
    };
    tick();
  });
}

/** What a graceful stop acts on, in the order it acts (passed in by the daemon). */
export interface ShutdownParts<O extends ShutdownOrder> {
  readonly shutdown: Pick<ShutdownConfig, 'policy' | 'strategies' | 'timeoutMs'>;
  /** The open orders now (live views). */
  readonly openOrders: () => readonly O[];
  readonly cancel: (id: OrderId) => unknown;
  /** Hosted strategies: their stop hook runs first (they may still cancel; their rings keep being drained). */
  readonly strategies: { stop(timeoutMs: number): Promise<unknown> } | undefined;
  /**
   * Once the strategies have stopped: takes what their rings still hold (the cancels of their stop hooks), before
   * the policy looks at the open orders — the dispatch loop may not have had a turn since they were written.
   */
  readonly drainRings?: () => void;
  /** Stops dispatching (after the cancels: they go out through the venues, not the queues). */
  readonly stopDispatch: () => void;
  /** Then these close, in order: the API, the venues (together), the crossing book, the journal. */
  readonly closeApi: () => Promise<unknown>;
  readonly venues: readonly { stop(): Promise<unknown> }[];
  readonly crossing: { stop(): Promise<unknown> } | undefined;
  /** Records the stop and closes the journal; undefined without one (or before recovery opened it). */
  readonly closeJournal: (() => Promise<unknown>) | undefined;
  readonly log: Logger;
}

/**
 * The graceful stop of a started daemon (intake already closed): the strategies' stop hook, the cancels the policy
 * selects, a wait for their confirmation up to the timeout, then dispatcher, API, venues, crossing book, journal.
 */
export async function shutDown<O extends ShutdownOrder>(p: ShutdownParts<O>): Promise<void> {
  const { timeoutMs } = p.shutdown;
  if (p.strategies !== undefined) {
    await p.strategies.stop(timeoutMs);
    p.drainRings?.();
  }
  const toCancel = ordersToCancelAtShutdown(p.openOrders(), p.shutdown);
  const { settled, stillOpen } = await cancelAndWait(toCancel, p.cancel, timeoutMs);
  if (!settled) p.log.warn({ orders: stillOpen }, 'shutdown timeout: some cancels were not confirmed');
  const left = p.openOrders().length;
  p.stopDispatch();
  await p.closeApi();
  await Promise.all(p.venues.map((v) => v.stop()));
  await p.crossing?.stop();
  if (p.closeJournal !== undefined) await p.closeJournal();
  p.log.info({ canceled: toCancel.length - stillOpen.length, unconfirmed: stillOpen.length, leftOpen: left }, 'switchyard stopped');
}
