/**
 * What a configuration reload may change and how: routing weights, risk limits, allowed symbols and fair-share
 * weights swap between two dispatch cycles; anything else that differs needs a restart.
 */
import type { InstrumentRegistry } from '../model/instrument.js';
import { PreTradeRisk } from '../risk/pre-trade-risk.js';
import { Router } from '../routing/router.js';
import { formatConfigError, loadConfigFile } from '../config/index.js';
import type { Config } from '../config/schema.js';

/**
 * The pre-trade risk a configuration describes, marks at the instruments' reference prices (also built by a reload,
 * whose limits are then adopted).
 */
export function riskFor(config: Config, instruments: InstrumentRegistry): PreTradeRisk {
  const risk = new PreTradeRisk(
    instruments,
    config.strategies.map((s) => ({
      id: s.id,
      symbols: s.symbols,
      maxOrderQty: s.limits.maxOrderQty,
      maxOrderNotional: s.limits.maxOrderNotional,
      maxOpenOrders: s.limits.maxOpenOrders,
      maxGrossExposure: s.limits.maxGrossExposure,
      maxPosition: s.limits.maxPosition,
      maxOrdersPerSecond: s.limits.maxOrdersPerSecond,
      orderBurst: s.limits.orderBurst,
      maxCancelsPerSecond: s.limits.maxCancelsPerSecond,
      cancelBurst: s.limits.cancelBurst,
    })),
    config.risk,
  );
  for (const i of config.instruments) {
    const ins = instruments.get(i.symbol)!;
    const mark = i.referencePrice === undefined ? undefined : ins.priceToTicks(i.referencePrice);
    if (mark?.ok === true) risk.setMark(ins.index, mark.value);
  }
  return risk;
}

/** The routing table a configuration describes (also built by a reload, whose table is then adopted). */
export function routerFor(config: Config, instruments: InstrumentRegistry): Router {
  const symbols = instruments.list.map((i) => i.symbol);
  return new Router(config.venues.map((v) => v.name), symbols, symbols.map((sym) => config.routing[sym] ?? {}));
}

/** The sections of a configuration a reload may not change, named where they differ. */
export function restartOnlyChanges(a: Config, b: Config): string[] {
  const fixed = (c: Config): Record<string, unknown> => ({
    daemon: c.daemon,
    venues: c.venues,
    instruments: c.instruments,
    strategies: c.strategies.map((s) => ({ id: s.id, module: s.module, params: s.params, crossing: s.crossing })),
  });
  const fa = fixed(a);
  const fb = fixed(b);
  return Object.keys(fa).filter((k) => JSON.stringify(fa[k]) !== JSON.stringify(fb[k]));
}

/** A reload to apply (everything it swaps, built and valid) or the reasons it is refused. */
export type ReloadPlan =
  | { readonly ok: true; readonly router: Router; readonly risk: PreTradeRisk; readonly weights: number[]; readonly next: Config }
  | { readonly ok: false; readonly errors: string[] };

/** Reads the configuration file again and plans its reload (every error when it cannot be). */
export function planReloadFromFile(file: string | undefined, env: NodeJS.ProcessEnv, current: Config, instruments: InstrumentRegistry): ReloadPlan {
  if (file === undefined) return { ok: false, errors: ['the daemon was not started from a configuration file'] };
  const loaded = loadConfigFile(file, env);
  if (!loaded.ok) return { ok: false, errors: loaded.errors.map(formatConfigError) };
  return planReload(current, loaded.config, instruments);
}

/** Compares the running configuration with the one read; builds what would be swapped, or lists every error. */
export function planReload(current: Config, next: Config, instruments: InstrumentRegistry): ReloadPlan {
  const errors = restartOnlyChanges(current, next).map((what) => `${what} changed: this needs a restart, not a reload`);
  let router: Router | undefined;
  let risk: PreTradeRisk | undefined;
  if (errors.length === 0) {
    try {
      router = routerFor(next, instruments);
      risk = riskFor(next, instruments);
    } catch (err) {
      errors.push(err instanceof Error ? err.message : String(err));
    }
  }
  if (errors.length > 0 || router === undefined || risk === undefined) return { ok: false, errors };
  return { ok: true, router, risk, weights: next.strategies.map((s) => s.weight), next };
}
