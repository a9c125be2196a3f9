/**
 * kill -9 mid-sweep: the real daemon trading through two fake venues (fake Binance via binance-ws, fake OKX via
 * okx-ws), each with a public BTC-USDT book on 127.0.0.1 that the daemon follows (market data on). A strategy with
 * `route: sweep` sends a parent that the daemon splits across both venues; the daemon is SIGKILLed a seeded few
 * milliseconds after the POST returned (children may or may not have gone out), restarted on the same journal, and
 * the outcome is judged from the venues' own records:
 *
 * - every client order id appears at most once per venue (no child sent twice), and every order at a venue is a
 *   child of a parent the daemon knows (nothing sent that the daemon forgot);
 * - each child's fills in the daemon equal the venue's fills for its client order id, its state agrees with the
 *   venue's;
 * - the parent's filled quantity is the sum of its children's, FILLED iff filled == quantity; an IOC parent not
 *   FILLED ends CANCELED; a GTC parent not FILLED rests with exactly one open GTC child, open at its venue too —
 *   which a cancel of the parent (DELETE) then cancels, at the venue as well.
 *
 * Per round and venue, seeded, the first placement (a sweep child) may travel slowly to the venue (executed on
 * arrival up to 3 s later: the daemon dies with the child in flight, so recovery must wait out the request's validity
 * window before calling it lost) or be executed at once with its answer held back (the child exists, the daemon
 * never heard).
 *
 * Both fakes carry the same ladder (asks 60010, 60020, ... and bids 59990, 59980, ... with 0.01 BTC each), so a
 * sweep up to a limit 3 levels deep finds 0.06 BTC over the two venues. Between rounds the ladders are re-seeded.
 * Every wait is a bounded poll; nothing asserts on timing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomSource } from '../../adapters/paper/prng.js';
import { childEnv, DaemonProcess, ensureBuilt } from '../helpers/daemon-process.js';
import { ApiClient } from '../helpers/http.js';
import type { OrderView as VenueOrderView } from '../venues/index.js';
import { type FakeBinance, type FakeOkx, startFakeBinance, startFakeOkx } from '../venues/index.js';

export interface SweepCrashOptions {
  readonly seed: number;
  /** Rounds (one kill each): round 0 an IOC and round 1 a GTC parent larger than the books up to the limit, then
   * seeded kinds and sizes. */
  readonly rounds: number;
  readonly log?: (line: string) => void;
}

export interface RoundResult {
  readonly round: number;
  readonly tif: 'IOC' | 'GTC';
  readonly side: 'BUY' | 'SELL';
  readonly quantity: string;
  readonly killAfterMs: number;
  readonly parentId: number;
  readonly parentState: string;
  readonly parentFilled: string;
  /** venue:filled per child, in the order sent. */
  readonly children: readonly string[];
  /** The GTC rest was canceled through DELETE /v1/orders/:id (GTC rounds that rested). */
  readonly restCanceled: boolean;
  /** Not taken as a parent (no venue book to walk when it was dispatched): routed whole, judged as a plain order. */
  readonly routedWhole?: boolean;
}

export interface SweepCrashResult {
  readonly rounds: readonly RoundResult[];
  readonly problems: readonly string[];
  /** Error-level log records of the daemon runs (for the report; not part of the verdict). */
  readonly daemonErrors: readonly string[];
}

const TOKEN = 'sweep-crash-token-0123456789abcdef';
const SYMBOL = 'BTC-USDT';
/** The daemon's lot: 0.00001 BTC. */
const LOT_DECIMALS = 5;
/** Per level of each ladder, BTC. */
const LEVEL_QTY = '0.01';
const LADDER = { mid: '60000', levels: 10, spacing: '10', qty: LEVEL_QTY };
/** Three levels deep on each side. */
const LIMIT = { BUY: '60030', SELL: '59970' } as const;

const VENUE_OPEN = new Set(['NEW', 'PARTIALLY_FILLED']);
const DAEMON_OPEN = new Set(['CREATED', 'SUBMITTED', 'ACCEPTED', 'PARTIALLY_FILLED', 'PENDING_CANCEL']);

/** A decimal text as a count of 0.00001 lots (exact; throws off the grid). */
export function lots(text: string): number {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (m === null) throw new Error(`not a decimal: ${text}`);
  const frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac.length > LOT_DECIMALS) throw new Error(`quantity ${text} is not on the lot grid`);
  const n = Number(m[2] || '0') * 10 ** LOT_DECIMALS + Number(frac.padEnd(LOT_DECIMALS, '0') || '0');
  return m[1] === '-' ? -n : n;
}

interface DaemonOrder {
  orderId: number;
  clientOrderId: string;
  side: string;
  type: string;
  timeInForce: string;
  price: string | null;
  quantity: string;
  filledQty: string;
  state: string;
  venue: string | null;
  reason: string | null;
  route: string;
  parentOrderId: number | null;
  children?: DaemonOrder[];
}

interface BookBody {
  venues: { venue: string; status: string; asks: string[][]; bids: string[][] }[];
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value (not undefined) or the deadline passes (then returns undefined). */
async function within<T>(timeoutMs: number, probe: () => Promise<T | undefined>, intervalMs = 50): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch {
      // not yet (the daemon may be starting)
    }
    if (Date.now() >= deadline) return undefined;
    await pause(intervalMs);
  }
}

export async function runSweepCrash(options: SweepCrashOptions): Promise<SweepCrashResult> {
  const b0 = Date.now();
  ensureBuilt();
  const t0 = Date.now();
  const log = (line: string): void => options.log?.(`[+${((Date.now() - t0) / 1000).toFixed(1)} s] ${line}`);
  log(`ensureBuilt took ${((t0 - b0) / 1000).toFixed(1)} s`);
  const random = randomSource(options.seed);
  const problems: string[] = [];
  const rounds: RoundResult[] = [];
  const daemonErrors: string[] = [];
  const ladders = { [SYMBOL]: LADDER };
  const binance = await startFakeBinance({
    ladders,
    rateLimits: { weightPerMinute: 1_000_000, ordersPer10s: 100_000, ordersPerDay: 10_000_000 },
  });
  let okx: FakeOkx | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-sweep-crash-'));
  let daemon: DaemonProcess | undefined;
  try {
    okx = await startFakeOkx({ ladders, marketData: { publishMs: 50, idleMs: 1000 } });
    const venues: Record<string, FakeBinance | FakeOkx> = { fbin: binance, fokx: okx };
    const file = join(dir, 'sweep-crash.yaml');
    // The rest of a GTC sweep rests at the venue with the lower taker fee (ties: the first venue): by the seed's
    // parity that is the fake OKX (odd) or the fake Binance (even). The fakes charge nothing; these fees only rank.
    const okxCheaper = options.seed % 2 === 1;
    const fees = { fbin: okxCheaper ? '10' : '5', fokx: okxCheaper ? '5' : '10' };
    writeFileSync(file, `daemon:
  name: sweepcrash
  api: { port: 0 }
  dataDir: ${dir}
  shutdown: { policy: leave, timeoutMs: 2000 }
  journal: { maxDelayMs: 1 }
  marketData: { staleMs: 600000 }
venues:
  - name: fbin
    adapter: binance-ws
    exchange: binance
    symbols: [${SYMBOL}]
    fees: { takerBps: "${fees.fbin}" }
    urls: { rest: "${binance.origin}", ws: "${binance.wsOrigin}" }
    credentials:
      apiKey: \${SC_BIN_KEY}
      secret: \${SC_BIN_SECRET}
    requestTimeoutMs: 4000
    pollIntervalMs: 200
    reconnect: { minMs: 50, maxMs: 500 }
  - name: fokx
    adapter: okx-ws
    exchange: okx
    symbols: [${SYMBOL}]
    fees: { takerBps: "${fees.fokx}" }
    urls: { rest: "${okx.origin}", ws: "${okx.wsOrigin}" }
    credentials:
      apiKey: \${SC_OKX_KEY}
      secret: \${SC_OKX_SECRET}
      passphrase: \${SC_OKX_PASSPHRASE}
    requestTimeoutMs: 4000
    pollIntervalMs: 200
    reconnect: { minMs: 50, maxMs: 500 }
instruments:
  - { symbol: ${SYMBOL}, tickSize: "0.1", lotSize: "0.00001", minQty: "0.00001", minNotional: "5" }
strategies:
  - { id: sw, symbols: [${SYMBOL}], route: sweep }
routing:
  ${SYMBOL}: { fbin: 1, fokx: 1 }
`);
    const env = {
      ...childEnv(),
      SWITCHYARD_API_TOKEN: TOKEN,
      SC_BIN_KEY: binance.endpoints.apiKey,
      SC_BIN_SECRET: binance.endpoints.secret,
      SC_OKX_KEY: okx.endpoints.apiKey,
      SC_OKX_SECRET: okx.endpoints.secret,
      SC_OKX_PASSPHRASE: okx.endpoints.passphrase,
    };
    const start = async (): Promise<ApiClient> => {
      if (daemon !== undefined) collectErrors(daemon);
      daemon = DaemonProcess.start(file, env);
      const { host, port } = await daemon.listening(30_000);
      return new ApiClient(`http://${host}:${port}`, TOKEN);
    };
    /** Error-level log records of every daemon run (reported, not judged). */
    const collectErrors = (d: DaemonProcess): void => {
      for (const r of d.jsonLogs()) if (typeof r.level === 'number' && r.level >= 50) daemonErrors.push(JSON.stringify(r));
    };
    /** All the daemon's own orders at both venues (account main), per venue name. */
    const venueOrders = (): Map<string, VenueOrderView[]> =>
      new Map(Object.entries(venues).map(([name, fake]) => [name, fake.orders({ account: 'main' })]));
    const byCid = (name: string, cid: string): VenueOrderView[] => venues[name]!.orders({ account: 'main' }).filter((o) => o.clientOrderId === cid);
    const getOrder = async (api: ApiClient, id: number): Promise<DaemonOrder | undefined> => {
      const r = await api.get<DaemonOrder>(`/v1/orders/${id}`);
      return r.status === 200 ? r.body : undefined;
    };
    const parents: number[] = [];

    /** Orders routed whole (not taken as parents): venue/client order id. */
    const wholeOrders = new Set<string>();
    /** One order at its venue: sent once, to that venue only; fills and state as the venue's records say. */
    const judgeAtVenue = (c: DaemonOrder, what: string): void => {
      if (c.venue !== 'fbin' && c.venue !== 'fokx') {
        problems.push(`${what} ${c.orderId} at venue ${c.venue}`);
        return;
      }
      const list = byCid(c.venue, c.clientOrderId);
      if (list.length > 1) problems.push(`${what} ${c.orderId} (${c.clientOrderId}) sent ${list.length} times to ${c.venue}`);
      const other = c.venue === 'fbin' ? 'fokx' : 'fbin';
      if (byCid(other, c.clientOrderId).length > 0) problems.push(`${what} ${c.orderId} (${c.clientOrderId}) also at ${other}`);
      const v = list[0];
      const vFilled = v === undefined ? 0 : lots(v.filled);
      const vFills = v === undefined ? [] : venues[c.venue]!.fills({ orderId: v.orderId });
      const fromFills = vFills.reduce((sum, f) => sum + lots(f.qty), 0);
      if (lots(c.filledQty) !== vFilled || fromFills !== vFilled) {
        problems.push(`${what} ${c.orderId} (${c.clientOrderId}) at ${c.venue}: daemon filled ${c.filledQty}, venue ${v?.filled ?? 'no order'} (${vFills.length} fills summing ${fromFills} lots)`);
      }
      const venueOpen = v !== undefined && VENUE_OPEN.has(v.status);
      const same = v === undefined
        ? ['DENIED', 'REJECTED', 'CANCELED', 'EXPIRED'].includes(c.state)
        : venueOpen ? c.state === 'ACCEPTED' || c.state === 'PARTIALLY_FILLED'
          : v.status === 'FILLED' ? c.state === 'FILLED'
            : ['CANCELED', 'EXPIRED', 'REJECTED'].includes(c.state);
      if (!same) problems.push(`${what} ${c.orderId} (${c.clientOrderId}): daemon ${c.state}, ${c.venue} ${v?.status ?? 'no order'}`);
    };

    let api = await start();
    for (let round = 0; round < options.rounds; round++) {
      const tif: 'IOC' | 'GTC' = round === 0 ? 'IOC' : round === 1 ? 'GTC' : random() < 0.5 ? 'IOC' : 'GTC';
      const side: 'BUY' | 'SELL' = random() < 0.5 ? 'BUY' : 'SELL';
      // 0.04 .. 0.08 BTC: within the 0.06 the two venues show up to the limit, or past it (IOC: a canceled rest; GTC:
      // a resting child). Rounds 0 and 1 always ask for more than there is.
      const quantity = round < 2 ? (0.07 + Math.floor(random() * 2) * 0.01).toFixed(2) : (0.04 + Math.floor(random() * 5) * 0.01).toFixed(2);
      const killAfterMs = Math.floor(random() * 51);
      const explicitRoute = random() < 0.5;

      // Both venue books synced and showing the full ladder on the side the sweep takes.
      const wantSide = side === 'BUY' ? 'asks' : 'bids';
      const ready = await within(20_000, async () => {
        const b = (await api.get<BookBody>(`/v1/books/${SYMBOL}`)).body;
        const ok = ['fbin', 'fokx'].every((name) => {
          const v = b.venues.find((x) => x.venue === name);
          if (v === undefined || v.status !== 'SYNCED') return false;
          // exactly the re-seeded ladder's first three levels (the previous round's sweep took them: a view
          // without them is one the re-seed has not reached yet)
          const levels = v[wantSide].slice(0, 3);
          const prices = side === 'BUY' ? ['60010', '60020', '60030'] : ['59990', '59980', '59970'];
          return levels.length === 3 && levels.every(([p, q], i) => Number(p) === Number(prices[i]) && lots(q!) === lots(LEVEL_QTY));
        });
        return ok ? b : undefined;
      }, 100);
      log(`round ${round}: books ready`);
      if (ready === undefined) {
        problems.push(`round ${round}: venue books not both SYNCED with the ladder after 20 s: ${(await api.get(`/v1/books/${SYMBOL}`)).text}`);
        break;
      }

      // Both venues open to the router (started, reconciled, healthy).
      const healthy = await within(20_000, async () => {
        const h = (await api.get<{ venues?: { name: string; available: boolean }[] }>('/health')).body;
        return h.venues !== undefined && ['fbin', 'fokx'].every((n) => h.venues!.find((v) => v.name === n)?.available === true) ? h : undefined;
      }, 100);
      if (healthy === undefined) {
        problems.push(`round ${round}: venues not both available after 20 s: ${(await api.get('/health')).text}`);
        break;
      }

      // Seeded per venue: the round's first placement (a sweep child) travels slowly to the venue — executed only
      // on arrival, 0.3-3 s later (the daemon dies with it in flight: recovery must wait out its validity window,
      // requestTimeoutMs 4000, before it may call it lost) — or is executed at once and only its answer is slow (the
      // order exists, the daemon never heard), or nothing. Within the window, so both fakes stand for real venues
      // (the fake Binance checks recvWindow on arrival; OKX's expTime is not checked by the fake).
      const faults: string[] = [];
      for (const [name, fake, path] of [['fbin', binance, 'order.place'], ['fokx', okx, 'order']] as const) {
        const r = random();
        const ms = 300 + Math.floor(random() * 2700);
        const mode = r < 1 / 3 ? 'none' : r < 2 / 3 ? 'in-flight' : 'answer-late';
        fake.faults.apply({
          clear: true,
          add: mode === 'none' ? [] : [{ kind: 'delay', transport: 'ws', path, ms, times: 1, ...(mode === 'answer-late' ? { afterExecute: true } : {}) }],
        });
        faults.push(mode === 'none' ? `${name} -` : `${name} ${mode} ${ms} ms`);
      }

      const body: Record<string, unknown> = { strategy: 'sw', symbol: SYMBOL, side, type: 'LIMIT', price: LIMIT[side], quantity, timeInForce: tif };
      if (explicitRoute) body.route = 'sweep';
      let res: Awaited<ReturnType<typeof api.post<{ orderId?: number }>>>;
      try {
        res = await api.post<{ orderId?: number }>('/v1/orders', body);
      } catch (err) {
        await pause(500);
        const d = daemon!;
        problems.push(`round ${round}: POST /v1/orders failed (${String(err)}${err instanceof Error && err.cause !== undefined ? `: ${String(err.cause)}` : ''}); daemon ${d.hasExited ? 'exited' : 'running'}; stderr tail:\n${d.stderrLines.slice(-30).join('\n')}\nstdout tail:\n${d.stdoutLines.slice(-15).join('\n')}`);
        break;
      }
      const parentId = res.body?.orderId;
      if (res.status !== 201 || typeof parentId !== 'number') {
        problems.push(`round ${round}: POST /v1/orders answered ${res.status} ${res.text}`);
        break;
      }
      parents.push(parentId);
      await pause(killAfterMs);
      daemon!.signal('SIGKILL');
      await daemon!.waitForExit(10_000);
      log(`round ${round}: ${tif} ${side} ${quantity} parent ${parentId} (${faults.join(', ')}), killed ${killAfterMs} ms after the POST returned`);

      api = await start();
      log(`round ${round}: restarted`);
      // The parent settles: finished, or (GTC) resting through one open GTC child.
      const settled = await within(20_000, async () => {
        const p = await getOrder(api, parentId);
        if (p === undefined) return undefined;
        if (!DAEMON_OPEN.has(p.state)) return p;
        // routed whole (not a parent): resting at its venue
        if (p.venue !== 'smart' && (p.state === 'ACCEPTED' || p.state === 'PARTIALLY_FILLED')) return p;
        const kids = p.children ?? [];
        const rest = kids.filter((c) => c.timeInForce === 'GTC' && (c.state === 'ACCEPTED' || c.state === 'PARTIALLY_FILLED'));
        const othersDone = kids.every((c) => c.timeInForce === 'GTC' || !DAEMON_OPEN.has(c.state));
        return tif === 'GTC' && (p.state === 'ACCEPTED' || p.state === 'PARTIALLY_FILLED') && rest.length === 1 && othersDone ? p : undefined;
      }, 100);
      if (settled === undefined) {
        const last = await getOrder(api, parentId);
        problems.push(`round ${round}: parent ${parentId} did not settle within 20 s after the restart: ${JSON.stringify(last)}`);
        break;
      }

      // The children's fills converge with the venues' (reconciliation may apply them a little later).
      const venueFilled = (c: DaemonOrder): number => {
        const list = c.venue === null ? [] : byCid(c.venue, c.clientOrderId);
        return list.length === 0 ? 0 : lots(list[0]!.filled);
      };
      const converged = await within(15_000, async () => {
        const p = await getOrder(api, parentId);
        if (p === undefined) return undefined;
        const judged = p.venue === 'smart' ? p.children ?? [] : [p];
        return judged.every((c) => lots(c.filledQty) === venueFilled(c)) ? p : undefined;
      }, 100);
      const parent = converged ?? (await getOrder(api, parentId))!;
      const kids = parent.children ?? [];
      const where = `round ${round} (${tif} ${side} ${quantity}, kill +${killAfterMs} ms) parent ${parentId}`;
      if (parent.venue !== 'smart') {
        // Not taken as a parent: documented for a sweep with no venue book to walk (the order is routed whole), which
        // a parent re-dispatched at a restart before the books synced can meet. Judged as a plain order.
        if (kids.length > 0) problems.push(`${where}: at ${parent.venue} but with children`);
        judgeAtVenue(parent, `${where}: routed whole,`);
        wholeOrders.add(`${parent.venue}/${parent.clientOrderId}`);
        if (DAEMON_OPEN.has(parent.state)) {
          await api.delete(`/v1/orders/${parentId}`);
          const done = await within(15_000, async () => {
            const p = await getOrder(api, parentId);
            return p !== undefined && !DAEMON_OPEN.has(p.state) ? p : undefined;
          }, 100);
          if (done?.state !== 'CANCELED') problems.push(`${where}: routed whole, after DELETE: ${done?.state ?? 'still open'}`);
        }
        rounds.push({ round, tif, side, quantity, killAfterMs, parentId, parentState: parent.state, parentFilled: parent.filledQty, children: [], restCanceled: false, routedWhole: true });
        log(`round ${round}: routed whole to ${parent.venue}: ${parent.state} ${parent.filledQty}/${parent.quantity}`);
        for (const fake of [binance, okx]) fake.faults.apply({ clear: true });
        binance.reseed(SYMBOL);
        okx.reseed(SYMBOL);
        continue;
      }

      // Each child: once per venue, fills and state as the venue says.
      let sumChildren = 0;
      for (const c of kids) {
        if (c.parentOrderId !== parentId) problems.push(`${where}: child ${c.orderId} names parent ${c.parentOrderId}`);
        judgeAtVenue(c, `${where}: child`);
        sumChildren += lots(c.filledQty);
      }

      // The parent: the sum of its children, and a state that fits its time in force.
      const filled = lots(parent.filledQty);
      const qty = lots(parent.quantity);
      if (filled !== sumChildren) problems.push(`${where}: parent filled ${parent.filledQty}, children ${sumChildren} lots`);
      if ((parent.state === 'FILLED') !== (filled === qty)) problems.push(`${where}: parent ${parent.state} with ${parent.filledQty} of ${parent.quantity}`);
      const openKids = kids.filter((c) => DAEMON_OPEN.has(c.state));
      let restCanceled = false;
      if (parent.state !== 'FILLED') {
        if (tif === 'IOC') {
          if (parent.state !== 'CANCELED') problems.push(`${where}: IOC parent ${parent.state} (${parent.filledQty} of ${parent.quantity}), expected CANCELED`);
          if (openKids.length > 0) problems.push(`${where}: IOC parent with open children ${openKids.map((c) => `${c.orderId} ${c.state}`).join(', ')}`);
        } else if (DAEMON_OPEN.has(parent.state)) {
          const rest = openKids.filter((c) => c.timeInForce === 'GTC');
          if (rest.length !== 1 || openKids.length !== 1) {
            problems.push(`${where}: resting GTC parent with open children ${openKids.map((c) => `${c.orderId} ${c.timeInForce} ${c.state}`).join(', ')}`);
          } else {
            const child = rest[0]!;
            // (a rest child may have traded on arrival: what it has open is the parent's rest)
            if (lots(child.quantity) - lots(child.filledQty) !== qty - filled) {
              problems.push(`${where}: rest child ${child.orderId} open for ${child.quantity} - ${child.filledQty}, parent's rest ${qty - filled} lots`);
            }
            const atVenue = byCid(child.venue!, child.clientOrderId);
            if (atVenue.length !== 1 || !VENUE_OPEN.has(atVenue[0]!.status)) {
              problems.push(`${where}: rest child ${child.orderId} (${child.clientOrderId}) at ${child.venue}: ${atVenue.map((o) => o.status).join(', ') || 'no order'}`);
            }
            // Cancel the parent: it ends CANCELED, its rest canceled at the venue.
            const del = await api.delete(`/v1/orders/${parentId}`);
            if (del.status >= 300) problems.push(`${where}: DELETE answered ${del.status} ${del.text}`);
            const done = await within(15_000, async () => {
              const p = await getOrder(api, parentId);
              return p !== undefined && !DAEMON_OPEN.has(p.state) ? p : undefined;
            }, 100);
            if (done === undefined || done.state !== 'CANCELED') {
              problems.push(`${where}: after DELETE the parent is ${done?.state ?? 'still open'}: ${JSON.stringify(await getOrder(api, parentId))}`);
            } else {
              restCanceled = true;
              const childDone = done.children?.find((c) => c.orderId === child.orderId);
              if (childDone?.state !== 'CANCELED') problems.push(`${where}: rest child after the cancel: ${childDone?.state}`);
              const v = await within(10_000, async () => {
                const o = byCid(child.venue!, child.clientOrderId)[0];
                return o !== undefined && !VENUE_OPEN.has(o.status) ? o : undefined;
              }, 100);
              if (v?.status !== 'CANCELED') problems.push(`${where}: rest child ${child.clientOrderId} at ${child.venue} after the cancel: ${byCid(child.venue!, child.clientOrderId)[0]?.status}`);
              if (lots(done.filledQty) !== filled) problems.push(`${where}: filled changed by the cancel: ${done.filledQty}`);
            }
          }
        } else if (parent.state !== 'CANCELED') {
          problems.push(`${where}: GTC parent ended ${parent.state} (${parent.reason}) with ${parent.filledQty} of ${parent.quantity}`);
        }
      } else if (openKids.length > 0) {
        problems.push(`${where}: FILLED parent with open children ${openKids.map((c) => `${c.orderId} ${c.state}`).join(', ')}`);
      }
      rounds.push({
        round, tif, side, quantity, killAfterMs, parentId, parentState: parent.state, parentFilled: parent.filledQty,
        children: kids.map((c) => `${c.venue}:${c.timeInForce}:${c.filledQty}:${c.state}`), restCanceled,
      });
      log(`round ${round}: parent ${parent.state} ${parent.filledQty}/${parent.quantity} (${parent.reason ?? ''}); children ${kids.map((c) => `${c.venue} ${c.timeInForce} ${c.filledQty} ${c.state}`).join(', ')}${restCanceled ? '; rest canceled' : ''}`);

      // Fresh ladders (and no faults) for the next round.
      for (const fake of [binance, okx]) fake.faults.apply({ clear: true });
      binance.reseed(SYMBOL);
      okx.reseed(SYMBOL);
    }

    // Across every round: no client order id twice at a venue, and nothing at a venue the daemon does not know as
    // a child of one of the parents.
    const known = new Set<string>(wholeOrders);
    for (const id of parents) for (const c of (await getOrder(api, id))?.children ?? []) known.add(`${c.venue}/${c.clientOrderId}`);
    for (const [name, list] of venueOrders()) {
      const seen = new Map<string, number>();
      for (const o of list) seen.set(o.clientOrderId, (seen.get(o.clientOrderId) ?? 0) + 1);
      for (const [cid, n] of seen) {
        if (n > 1) problems.push(`${name}: client order id ${cid} ${n} times`);
        if (!known.has(`${name}/${cid}`)) problems.push(`${name}: order ${cid} is no child of any parent the daemon knows`);
      }
    }
    log('verdict done');
    daemon!.signal('SIGINT');
    await daemon!.waitForExit(15_000).catch(() => undefined);
    log('daemon stopped');
    collectErrors(daemon!);
    return { rounds, problems, daemonErrors };
  } finally {
    const d = daemon as DaemonProcess | undefined;
    if (d !== undefined) await d.kill();
    await binance.close();
    await okx?.close();
    if (process.env.SWEEP_CRASH_KEEP === undefined) rmSync(dir, { recursive: true, force: true });
    else log(`kept ${dir}`);
  }
}
