/**
 * The operator's commands against a running daemon, over its control API:
 *
 *   switchyard kill    [-c FILE] [--url URL] [--timeout MS] [--json]
 *   switchyard halt    [-c FILE] [--url URL] [--strategy ID | --venue NAME | --symbol SYMBOL] [--reason TEXT] [--json]
 *   switchyard reduce  (same options as halt)
 *   switchyard resume  (same options as halt)
 *   switchyard state   [-c FILE] [--url URL] [--json]
 *
 * The daemon's address and token come from the configuration file (daemon-client.ts: daemon.api.host and port; the
 * token from SWITCHYARD_API_TOKEN or daemon.api.token, else the token file), or --url. Exit codes are those of every
 * daemon command (daemon-client.ts EXIT): 0 done; 1 the daemon answered with an error; 2 bad arguments or
 * configuration (or a 400 from the daemon: an unknown strategy); 3 the daemon cannot be reached; 4 (kill) some
 * orders were not confirmed closed.
 */
import { DaemonClient, daemonTarget, errorText, EXIT, exitOfError, UnreachableError, UsageError, type CliIo } from './daemon-client.js';

export const ADMIN_USAGE = `  switchyard kill [-c FILE] [--url URL] [--timeout MS] [--json]
                                    halt the daemon and cancel every open order; waits for the venues' confirmations
                                    (exit 4 when some order could not be confirmed closed)
  switchyard halt|reduce|resume [-c FILE] [--url URL] [--strategy ID | --venue NAME | --symbol SYMBOL] [--reason TEXT]
                                    set the trading state (HALTED, REDUCING, ACTIVE) of the daemon or of one scope
  switchyard state [-c FILE] [--url URL] [--json]
                                    print the trading states`;

export const ADMIN_COMMANDS = ['kill', 'halt', 'reduce', 'resume', 'state'] as const;

/** The admin commands' output and environment (the same as every daemon command's). */
export type AdminIo = CliIo;

interface Parsed {
  config: string;
  url: string | undefined;
  json: boolean;
  timeoutMs: number | undefined;
  scope: 'daemon' | 'strategy' | 'venue' | 'symbol';
  name: string | undefined;
  reason: string | undefined;
}

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

function stateLine(s: { scope: string; name?: string; state: string; reason?: string; since: number }): string {
  const who = s.scope === 'daemon' ? 'daemon' : `${s.scope} ${s.name ?? ''}`;
  const since = s.since > 0 ? ` since ${new Date(s.since).toISOString()}` : '';
  return `${who.padEnd(28)} ${s.state.padEnd(9)}${since}${s.reason !== undefined ? `  (${s.reason})` : ''}`.trimEnd();
}

export async function runAdminCli(command: string, args: readonly string[], io: AdminIo): Promise<number> {
  let p: Parsed;
  let client: DaemonClient;
  try {
    p = parse(command, args, io.defaultConfig);
    // the kill switch answers when the venues have confirmed: wait its timeout (at most 600 s) and some more
    client = new DaemonClient(daemonTarget(p.config, p.url, io.env), command === 'kill' ? (p.timeoutMs ?? 600_000) + 15_000 : undefined);
  } catch (err) {
    io.err(`switchyard ${command}: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT.USAGE;
  }
  let r: { status: number; body: any };
  try {
    if (command === 'kill') r = await client.request('POST', '/v1/admin/kill', { body: p.timeoutMs === undefined ? {} : { timeoutMs: p.timeoutMs } });
    else if (command === 'state') r = await client.request('GET', '/v1/admin/state');
    else {
      const state = command === 'halt' ? 'HALTED' : command === 'reduce' ? 'REDUCING' : 'ACTIVE';
      r = await client.request('POST', '/v1/admin/state', { body: { scope: p.scope, ...(p.name === undefined ? {} : { name: p.name }), state, ...(p.reason === undefined ? {} : { reason: p.reason }) } });
    }
  } catch (err) {
    if (!(err instanceof UnreachableError || err instanceof UsageError)) throw err;
    io.err(`switchyard ${command}: ${err.message}`);
    return err instanceof UsageError ? EXIT.USAGE : EXIT.UNREACHABLE;
  }
  if (r.status >= 400) {
    if (p.json) io.out(JSON.stringify(r.body));
    io.err(`switchyard ${command}: ${errorText(r, client.target)}`);
    return exitOfError(r.status);
  }
  if (p.json) io.out(JSON.stringify(r.body));
  if (command === 'kill') {
    const k = r.body as { orders: number; confirmed: number; elapsedMs: number; unconfirmed: { orderId: number; clientOrderId: string; venue?: string; state: string }[] };
    if (!p.json) {
      io.out(`daemon HALTED; ${k.confirmed} of ${k.orders} open orders confirmed closed in ${Math.round(k.elapsedMs)} ms`);
      for (const u of k.unconfirmed) io.out(`  not confirmed: order ${u.orderId} (${u.clientOrderId}) at ${u.venue ?? '-'}: ${u.state}`);
    }
    return k.unconfirmed.length === 0 ? EXIT.OK : EXIT.INCOMPLETE;
  }
  if (!p.json) {
    const states = (r.body.states ?? []) as Parameters<typeof stateLine>[0][];
    for (const s of states) io.out(stateLine(s));
  }
  return EXIT.OK;
}
