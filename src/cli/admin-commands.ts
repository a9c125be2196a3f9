/**
 * The operator's commands against a running daemon, over its control API:
 *
 *   switchyard kill    [-c FILE] [--url URL] [--timeout MS] [--json]
 *   switchyard halt    [-c FILE] [--url URL] [--strategy ID | --venue NAME | --symbol SYMBOL] [--reason TEXT] [--json]
 *   switchyard reduce  (same options as halt)
 *   switchyard resume  (same options as halt)
 *   switchyard state   [-c FILE] [--url URL] [--json]
 *
 * The daemon's address and token come from the configuration file (daemon.api.host and port; the token from
 * SWITCHYARD_API_TOKEN or daemon.api.token, else the token file, relative paths from the current directory as the
 * daemon resolves them), or --url. Exit codes scripts can rely on: 0 done; 1 the daemon could not be reached or
 * answered with an error; 2 bad arguments or configuration; 3 (kill) some orders were not confirmed closed.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatConfigErrors, loadConfigFile } from '../config/index.js';

export const ADMIN_USAGE = `  switchyard kill [-c FILE] [--url URL] [--timeout MS] [--json]
                                    halt the daemon and cancel every open order; waits for the venues' confirmations
                                    (exit 3 when some order could not be confirmed closed)
  switchyard halt|reduce|resume [-c FILE] [--url URL] [--strategy ID | --venue NAME | --symbol SYMBOL] [--reason TEXT]
                                    set the trading state (HALTED, REDUCING, ACTIVE) of the daemon or of one scope
  switchyard state [-c FILE] [--url URL] [--json]
                                    print the trading states`;

export const ADMIN_COMMANDS = ['kill', 'halt', 'reduce', 'resume', 'state'] as const;

export interface AdminIo {
  out(line: string): void;
  err(line: string): void;
  env: NodeJS.ProcessEnv;
  /** Default configuration file. */
  defaultConfig: string;
}

interface Parsed {
  config: string;
  url: string | undefined;
  json: boolean;
  timeoutMs: number | undefined;
  scope: 'daemon' | 'strategy' | 'venue' | 'symbol';
  name: string | undefined;
  reason: string | undefined;
}

class UsageError extends Error {}

function parse(command: string, args: readonly string[], defaultConfig: string): Parsed {
  const p: Parsed = { config: defaultConfig, url: undefined, json: false, timeoutMs: undefined, scope: 'daemon', name: undefined, reason: undefined };
  const value = (i: number, flag: string): string => {
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    switch (a) {
      case '-c': case '--config': p.config = value(i++, a); break;
      case '--url': p.url = value(i++, a); break;
      case '--json': p.json = true; break;
      case '--timeout': {
        if (command !== 'kill') throw new UsageError('--timeout is for kill');
        const t = Number(value(i++, a));
        if (!Number.isInteger(t) || t < 1 || t > 600_000) throw new UsageError('--timeout must be a whole number of ms from 1 to 600000');
        p.timeoutMs = t;
        break;
      }
      case '--strategy': case '--venue': case '--symbol': {
        if (command === 'kill' || command === 'state') throw new UsageError(`${a} is for halt, reduce and resume`);
        if (p.scope !== 'daemon') throw new UsageError('name one scope: --strategy, --venue or --symbol');
        p.scope = a.slice(2) as Parsed['scope'];
        p.name = value(i++, a);
        break;
      }
      case '--reason': p.reason = value(i++, a); break;
      default: throw new UsageError(`unknown argument ${a}`);
    }
  }
  return p;
}

/** The daemon's base URL and token from the configuration (or --url). */
function target(p: Parsed, env: NodeJS.ProcessEnv): { base: string; token: string } {
  const loaded = loadConfigFile(p.config, env);
  if (!loaded.ok) throw new UsageError(`${p.config}:\n${formatConfigErrors(loaded.errors)}`);
  const api = loaded.config.daemon.api;
  let base = p.url;
  if (base === undefined) {
    if (api.port === 0) throw new UsageError('daemon.api.port is 0 (a free port at each start): give --url');
    base = `http://${api.host.includes(':') ? `[${api.host}]` : api.host}:${api.port}`;
  }
  let token = env.SWITCHYARD_API_TOKEN ?? api.token;
  if (token === undefined) {
    const file = resolve(process.cwd(), api.tokenFile!);
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch {
      throw new UsageError(`no API token: set SWITCHYARD_API_TOKEN or start the daemon once (it writes ${file})`);
    }
  }
  return { base: base.replace(/\/$/, ''), token };
}

async function call(base: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(620_000),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { error: { code: 'INTERNAL', message: text.slice(0, 200) } };
  }
  return { status: res.status, body: parsed };
}

function stateLine(s: { scope: string; name?: string; state: string; reason?: string; since: number }): string {
  const who = s.scope === 'daemon' ? 'daemon' : `${s.scope} ${s.name ?? ''}`;
  const since = s.since > 0 ? ` since ${new Date(s.since).toISOString()}` : '';
  return `${who.padEnd(28)} ${s.state.padEnd(9)}${since}${s.reason !== undefined ? `  (${s.reason})` : ''}`;
}

export async function runAdminCli(command: string, args: readonly string[], io: AdminIo): Promise<number> {
  let p: Parsed;
  let t: { base: string; token: string };
  try {
    p = parse(command, args, io.defaultConfig);
    t = target(p, io.env);
  } catch (err) {
    io.err(`switchyard ${command}: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  let r: { status: number; body: any };
  try {
    if (command === 'kill') r = await call(t.base, t.token, 'POST', '/v1/admin/kill', p.timeoutMs === undefined ? {} : { timeoutMs: p.timeoutMs });
    else if (command === 'state') r = await call(t.base, t.token, 'GET', '/v1/admin/state');
    else {
      const state = command === 'halt' ? 'HALTED' : command === 'reduce' ? 'REDUCING' : 'ACTIVE';
      r = await call(t.base, t.token, 'POST', '/v1/admin/state', { scope: p.scope, ...(p.name === undefined ? {} : { name: p.name }), state, ...(p.reason === undefined ? {} : { reason: p.reason }) });
    }
  } catch (err) {
    io.err(`switchyard ${command}: cannot reach the daemon at ${t.base}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  if (r.status >= 400) {
    const e = r.body?.error ?? {};
    io.err(`switchyard ${command}: ${String(e.code ?? r.status)}: ${String(e.message ?? '')}`);
    return r.status === 400 ? 2 : 1;
  }
  if (p.json) io.out(JSON.stringify(r.body));
  if (command === 'kill') {
    const k = r.body as { orders: number; confirmed: number; elapsedMs: number; unconfirmed: { orderId: number; clientOrderId: string; venue?: string; state: string }[] };
    if (!p.json) {
      io.out(`daemon HALTED; ${k.confirmed} of ${k.orders} open orders confirmed closed in ${Math.round(k.elapsedMs)} ms`);
      for (const u of k.unconfirmed) io.out(`  not confirmed: order ${u.orderId} (${u.clientOrderId}) at ${u.venue ?? '-'}: ${u.state}`);
    }
    return k.unconfirmed.length === 0 ? 0 : 3;
  }
  if (!p.json) {
    const states = (r.body.states ?? []) as Parameters<typeof stateLine>[0][];
    for (const s of states) io.out(stateLine(s));
  }
  return 0;
}
