/**
 * Seqs of a worker strategy across a daemon restart (the real daemon process, kill -9, restarted on the same journal,
 * daemon.startup.policy resume): the orders the journal gives back keep their seqs, and the new worker's seqs start
 * above them. Otherwise a new submit got the seq of a resumed order: both orders' events carried it, openOrders / a
 * RESYNC listed the old one under the seq of a new one, and a cancel by the old order's seq canceled the new order.
 *
 * The worker (test/strategy/fixtures/seq-resume.ts) rests its orders in the internal crossing book (a long crossing
 * window): those come back after a crash (the paper venue's book dies with the daemon's process).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, DaemonProcess, ensureBuilt } from '../helpers/daemon-process.js';
import { ApiClient } from '../helpers/http.js';
import { pollUntil } from '../helpers/poll.js';
import { paperConfigText } from '../helpers/repo.js';

const TOKEN = 'worker-seq-test-token-0123456789abcdef';
const FIXTURE = fileURLToPath(new URL('../strategy/fixtures/seq-resume.ts', import.meta.url));
const STRATEGY = 'market-maker'; // paper.yaml's strategy with crossing enabled

interface ApiOrder { orderId: number; strategy: string; clientOrderId: string; state: string; venue?: string }
interface Listed { seq: number; orderId: number; clientOrderId: string }
interface EventLog { kind: string; seq: number; orderId: number; code: string | null }

const OPEN = new Set(['CREATED', 'SUBMITTED', 'ACCEPTED', 'PARTIALLY_FILLED', 'PENDING_CANCEL']);

describe('worker strategy seqs across a daemon restart', () => {
  let dir: string;
  const running: DaemonProcess[] = [];

  beforeAll(() => ensureBuilt());

  afterEach(async () => {
    for (const d of running.splice(0)) await d.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the new worker starts above the resumed orders\' seqs: openOrders lists them with theirs, events never share one, a cancel by seq hits the order it names', { timeout: 90_000 }, async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-worker-seq-'));
    const file = join(dir, 'switchyard.yaml');
    writeFileSync(file, paperConfigText([
      [['daemon', 'api', 'port'], 0],
      [['daemon', 'dataDir'], dir],
      [['daemon', 'api', 'tokenFile'], join(dir, 'token')],
      [['daemon', 'startup', 'policy'], 'resume'],
      [['strategies', 1, 'module'], FIXTURE],
      [['strategies', 1, 'crossing', 'windowMs'], 60_000],
    ], { workers: false }));
    const start = async (): Promise<{ d: DaemonProcess; api: ApiClient }> => {
      const d = DaemonProcess.start(file, { ...childEnv(), SWITCHYARD_API_TOKEN: TOKEN });
      running.push(d);
      const { host, port } = await d.listening(30_000);
      return { d, api: new ApiClient(`http://${host}:${port}`, TOKEN) };
    };
    const fromWorker = (msg: string) => (l: Record<string, unknown>): boolean => l.strategy === STRATEGY && l.msg === msg;
    const orders = async (api: ApiClient): Promise<ApiOrder[]> =>
      ((await api.get('/v1/orders?state=all&limit=1000')).body as { orders: ApiOrder[] }).orders.filter((o) => o.strategy === STRATEGY);

    // 1. the first run: three resting orders, then a crash
    let { d, api } = await start();
    const first = (await d.waitForLog(fromWorker('placed'), 30_000)) as unknown as { seqs: number[] };
    const before = await pollUntil(() => orders(api), (os) => os.length === 3 && os.every((o) => o.state === 'SUBMITTED'), { timeoutMs: 20_000, what: 'three orders resting in the crossing book' });
    expect(before.every((o) => o.venue === 'internal')).toBe(true);
    const oldId = new Map(before.map((o) => [o.clientOrderId, o.orderId]));
    d.signal('SIGKILL');
    await d.waitForExit(10_000);

    // 2. the daemon starts again on its journal and resumes them; a new worker starts
    ({ d, api } = await start());
    const resumed = ((await d.waitForLog(fromWorker('resumed'), 30_000)) as unknown as { orders: Listed[] }).orders;
    // openOrders lists the old orders with the seqs they were submitted with
    expect([...resumed].sort((a, b) => a.seq - b.seq)).toEqual(['old1', 'old2', 'old3'].map((cid, i) => ({ seq: first.seqs[i], orderId: oldId.get(cid), clientOrderId: cid })));
    const placed = ((await d.waitForLog(fromWorker('placed'), 30_000)) as unknown as { seqs: number[] }).seqs;
    const canceled = (await d.waitForLog(fromWorker('canceled'), 30_000)) as unknown as { newSeq: number; oldSeq: number };
    // its seqs go on above every seq of the orders the daemon holds
    const oldSeqs = first.seqs;
    for (const s of placed) expect(s, `new seq ${s} vs resumed ${oldSeqs.join(',')}`).toBeGreaterThan(Math.max(...oldSeqs));

    // the cancels (of new1 by its seq, of old2 by the seq openOrders gave) hit those two orders and no other
    const after = await pollUntil(() => orders(api), (os) => os.some((o) => o.clientOrderId === 'new3') && os.filter((o) => OPEN.has(o.state)).length === 4,
      { timeoutMs: 20_000, what: 'the new orders in, the two cancels done' });
    const openNow = after.filter((o) => OPEN.has(o.state)).map((o) => o.clientOrderId).sort();
    expect(openNow).toEqual(['new2', 'new3', 'old1', 'old3']);
    expect(after.find((o) => o.clientOrderId === 'old2')?.state).toBe('CANCELED');
    // new1 was canceled, or withdrawn from the ring before it became an order
    expect(['CANCELED', undefined]).toContain(after.find((o) => o.clientOrderId === 'new1')?.state);
    expect(canceled.oldSeq).toBe(first.seqs[1]);

    // every event the new worker got carries its order's own seq: no seq names both an old and a new order
    await d.waitForLog((l) => fromWorker('event')(l) && (l as unknown as EventLog).orderId === oldId.get('old2') && (l as unknown as EventLog).kind === 'CANCELED', 20_000);
    const events = d.jsonLogs().filter(fromWorker('event')) as unknown as EventLog[];
    const seqOf = new Map<number, number>(resumed.map((o) => [o.orderId, o.seq]));
    const newIds = new Set(after.filter((o) => o.clientOrderId.startsWith('new')).map((o) => o.orderId));
    for (const e of events) {
      if (e.orderId === 0) continue; // (a withdrawn submit: REFUSED, its own seq)
      if (seqOf.has(e.orderId)) expect(e.seq, `event ${JSON.stringify(e)}`).toBe(seqOf.get(e.orderId));
      else expect(newIds.has(e.orderId), `event ${JSON.stringify(e)} of an order of this run`).toBe(true);
    }
    const oldEventSeqs = new Set(events.filter((e) => seqOf.has(e.orderId)).map((e) => e.seq));
    const newEventSeqs = events.filter((e) => !seqOf.has(e.orderId)).map((e) => e.seq);
    expect(newEventSeqs.filter((s) => oldEventSeqs.has(s))).toEqual([]);
  });
});
