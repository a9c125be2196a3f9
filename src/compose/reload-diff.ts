/**
 * What a configuration reload changes, for its log line: the routing weights, the risk section and each strategy's
 * reloadable settings (limits, fair-share weight, symbols, routes), as leaf differences `{ path, from, to }` where a
 * path reads like the YAML (`routing.BTC-USDT.binance`, `strategies.s1.limits.maxOrderQty`). An operator reading the
 * log sees what a SIGHUP actually did without diffing files. Bounded: at most MAX_RELOAD_CHANGES entries are listed
 * (the count says how many there were).
 */
import type { Config } from '../config/schema.js';

export const MAX_RELOAD_CHANGES = 50;

export interface ReloadChange {
  readonly path: string;
  /** Absent when the setting was added. */
  readonly from?: unknown;
  /** Absent when the setting was removed. */
  readonly to?: unknown;
}

export interface ReloadDiff {
  /** Which reloadable parts differ: 'routing', 'risk', 'limits', 'weights', 'symbols', 'strategies'. */
  readonly sections: string[];
  /** The first MAX_RELOAD_CHANGES leaf differences. */
  readonly changes: ReloadChange[];
  /** How many leaf differences there were in all. */
  readonly count: number;
}

/** Strategy settings a reload swaps, by strategy id (module, params, crossing need a restart: not compared). */
function reloadableStrategies(c: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of c.strategies) {
    const { id, module: _m, params: _p, crossing: _c, ...rest } = s as Record<string, unknown> & { id: string };
    out[id] = rest;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Leaf differences of two JSON-like values under `path` (arrays compare whole: symbol lists read better so). */
function walk(path: string, a: unknown, b: unknown, out: ReloadChange[], counter: { n: number }): void {
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of [...keys].sort()) walk(path === '' ? k : `${path}.${k}`, a[k], b[k], out, counter);
    return;
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  counter.n++;
  if (out.length >= MAX_RELOAD_CHANGES) return;
  out.push({ path, ...(a === undefined ? {} : { from: a }), ...(b === undefined ? {} : { to: b }) });
}

/** The section a strategy-level change belongs to (for the summary). */
function sectionOf(path: string): string {
  if (path.startsWith('routing.')) return 'routing';
  if (path.startsWith('risk.')) return 'risk';
  if (/^strategies\.[^.]+\.limits\./.test(path)) return 'limits';
  if (/^strategies\.[^.]+\.weight$/.test(path)) return 'weights';
  if (/^strategies\.[^.]+\.symbols$/.test(path)) return 'symbols';
  return 'strategies';
}

/** The differences between the running configuration and the one a reload adopts. */
export function reloadDiff(current: Config, next: Config): ReloadDiff {
  const changes: ReloadChange[] = [];
  const counter = { n: 0 };
  walk('routing', current.routing, next.routing, changes, counter);
  walk('risk', current.risk, next.risk, changes, counter);
  walk('strategies', reloadableStrategies(current), reloadableStrategies(next), changes, counter);
  const sections = [...new Set(changes.map((c) => sectionOf(c.path)))];
  return { sections, changes, count: counter.n };
}
