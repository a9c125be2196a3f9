import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDaemon, type Daemon } from '../../src/daemon.js';
import { openEventReplay } from '../../src/journal/event-replay.js';
import { Journal } from '../../src/journal/journal.js';
import { discardLogs, TEST_TOKEN } from '../helpers/daemon.js';
import { ApiClient } from '../helpers/http.js';
import { testStore } from '../helpers/model.js';
import { pollUntil } from '../helpers/poll.js';
import { configFromText, paperConfigText, type YamlEdit } from '../helpers/repo.js';
import { StreamClient } from '../helpers/ws-client.js';

/*
 * The event stream across restarts, snapshots, resumes and slow clients (issue 10, item 6), on config/paper.yaml
 * with API-only strategies and a data directory each test owns (a restart reuses it).
 */

interface Running {
  readonly daemon: Daemon;
  readonly api: ApiClient;
  readonly wsUrl: string;
  stop(): Promise<void>;
}

const dirs: string[] = [];
const running: Running[] = [];

afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-stream-'));
  dirs.push(dir);
  return dir;
}

async function startOn(dir: string, edits: readonly YamlEdit[] = []): Promise<Running> {
  const text = paperConfigText([
    [['daemon', 'api', 'host'], '127.0.0.1'],
    [['daemon', 'api', 'port'], 0],
    [['daemon', 'dataDir'], dir],
    [['daemon', 'api', 'tokenFile'], join(dir, 'api-token')],
    ...edits,
  ], { workers: false });
  const daemon = createDaemon(configFromText(text), { env: { SWITCHYARD_API_TOKEN: TEST_TOKEN }, logDestination: discardLogs(), baseDir: dir });
  const { port } = await daemon.start();
  let stopped = false;
  const r: Running = {
    daemon,
    api: new ApiClient(`http://127.0.0.1:${port}`, TEST_TOKEN),
    wsUrl: `ws://127.0.0.1:${port}/v1/stream`,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await daemon.stop('test finished');
    },
  };
  running.push(r);
  return r;
}

const connect = (r: Running, query = ''): Promise<StreamClient> => StreamClient.connect(`${r.wsUrl}${query}`, TEST_TOKEN);

/**
 * Marketable orders that fill (buys and sells alternate, so positions stay flat; IOC: a marketable order never rests,
 * so self-trade prevention never sees one cross another), and a resting one every 5th, far from the market.
 */
function order(i: number, o: Record<string, unknown> = {}): Record<string, unknown> {
  const side = i % 2 === 0 ? 'BUY' : 'SELL';
  const resting = i % 5 === 4;
  const price = resting ? (side === 'BUY' ? '30000' : '90000') : side === 'BUY' ? '70000' : '50000';
  return { strategy: 'momentum', symbol: 'BTC-USDT', side, price, quantity: '0.001', ...(resting ? {} : { timeInForce: 'IOC' }), ...o };
}

/** Submits orders over a stream connection (pipelined) and returns their ids once all are answered. */
async function submitAll(ws: StreamClient, orders: readonly Record<string, unknown>[], tag: string): Promise<number[]> {
  const results = await Promise.all(orders.map((o, i) => ws.request({ op: 'submit', id: `${tag}-${i}`, order: o }, 20_000)));
  for (const r of results) expect(r.ok, JSON.stringify(r.error)).toBe(true);
  return results.map((r) => r.order.orderId as number);
}

/** Waits until `ws` has an event for `orderId` in one of `states`. */
const eventFor = (ws: StreamClient, orderId: number, states: readonly string[], timeoutMs = 10_000): Promise<any> =>
  ws.next((m) => m.type === 'event' && m.orderId === orderId && states.includes(m.state), timeoutMs, `order ${orderId} in ${states.join('/')}`);

const FINAL = ['FILLED', 'ACCEPTED', 'CANCELED', 'DENIED', 'REJECTED', 'EXPIRED'];

function snapshotSeqs(dir: string): number[] {
  return readdirSync(join(dir, 'journal')).filter((n) => n.endsWith('.snap')).map((n) => Number(n.slice(0, n.indexOf('.'))));
}

function expectIncreasing(seqs: readonly number[]): void {
  for (let i = 1; i < seqs.length; i++) expect(seqs[i]!, `seq ${seqs[i]} after ${seqs[i - 1]}`).toBeGreaterThan(seqs[i - 1]!);
}

describe('stream seq is the journal seq', () => {
  it('never goes backwards across a snapshot and continues after a restart; since= replays across both', async () => {
    const dir = dataDir();
    const edits: YamlEdit[] = [[['daemon', 'journal', 'snapshotEvery'], 1000]];
    const d1 = await startOn(dir, edits);
    const a = await connect(d1);
    const hello1 = await a.next((m) => m.type === 'hello');
    // Orders in rounds until a snapshot was written (1000 records: a few hundred orders), at most 20 rounds.
    let ids: number[] = [];
    for (let round = 0; round < 20 && snapshotSeqs(dir).length === 0; round++) {
      ids = await submitAll(a, Array.from({ length: 60 }, (_, i) => order(i)), `r${round}`);
      await eventFor(a, ids[ids.length - 1]!, FINAL);
      await pollUntil(() => snapshotSeqs(dir), (s) => s.length > 0, { timeoutMs: 500, what: 'a snapshot' }).catch(() => undefined);
    }
    const snap = snapshotSeqs(dir)[0];
    expect(snap, 'a snapshot was written').toBeDefined();
    // a few more orders after the snapshot
    ids = await submitAll(a, Array.from({ length: 10 }, (_, i) => order(i)), 'after');
    await eventFor(a, ids[ids.length - 1]!, FINAL);
    const seen1 = a.events();
    const seqs1 = seen1.map((e) => e.seq);
    expect(seqs1[0]).toBeGreaterThan(hello1.seq);
    expectIncreasing(seqs1);
    expect(seqs1.some((s) => s < snap!) && seqs1.some((s) => s > snap!)).toBe(true);
    const last1 = seqs1[seqs1.length - 1]!;
    await a.close();
    await d1.stop();

    const d2 = await startOn(dir, edits);
    const b = await connect(d2);
    const hello2 = await b.next((m) => m.type === 'hello');
    expect(hello2.seq).toBeGreaterThan(last1); // not back at 0: the journal's seq goes on
    const [fresh] = await submitAll(b, [order(0)], 'fresh');
    await eventFor(b, fresh!, ['FILLED']);
    const seqs2 = b.events().map((e) => e.seq);
    expect(seqs2[0]).toBeGreaterThan(hello2.seq);
    expectIncreasing(seqs2);

    // Resume from before the snapshot (replayed from seq 1) and from after it (replayed from the snapshot):
    // exactly the events the first client saw after that point, then the ones since the restart.
    for (const since of [seqs1[5]!, seqs1.find((s) => s > snap!)!]) {
      const c = await connect(d2, `?since=${since}`);
      await eventFor(c, fresh!, ['FILLED']);
      const replayed = c.events().filter((e) => e.seq <= last1);
      expect(replayed).toEqual(seen1.filter((e) => e.seq > since));
      const after = c.events().filter((e) => e.seq > last1);
      expect(after.filter((e) => e.orderId === fresh)).toEqual(b.events().filter((e) => e.orderId === fresh));
      expectIncreasing(c.events().map((e) => e.seq));
      await c.close();
    }
    await b.close();
  }, 120_000);
});

describe('resume with since=', () => {
  it('gets exactly the missed events, then the live ones: no gap, no duplicate at the seam', async () => {
    const d = await startOn(dataDir());
    const ref = await connect(d); // connected throughout: the reference
    const b = await connect(d);
    let ids = await submitAll(ref, Array.from({ length: 20 }, (_, i) => order(i)), 'one');
    await eventFor(b, ids[ids.length - 1]!, FINAL);
    const since = b.events()[b.events().length - 1].seq;
    await b.close();
    // missed while away: new orders, and cancels of the resting ones
    ids = await submitAll(ref, Array.from({ length: 20 }, (_, i) => order(i)), 'two');
    for (const id of [ids[4]!, ids[9]!, ids[14]!]) { // resting ones (order(i) rests when i % 5 === 4)
      await eventFor(ref, id, ['ACCEPTED']);
      expect((await d.api.delete(`/v1/orders/${id}`)).status).toBe(202);
    }
    // reconnect while orders keep coming: some events land during the replay
    const during = submitAll(ref, Array.from({ length: 30 }, (_, i) => order(i)), 'three');
    const resumed = await connect(d, `?since=${since}`);
    const lastIds = await during;
    const more = await submitAll(ref, Array.from({ length: 5 }, (_, i) => order(i)), 'four');
    const lastId = more[more.length - 1]!;
    await eventFor(ref, lastId, FINAL);
    await eventFor(resumed, lastId, FINAL);
    expect(lastIds.length).toBe(30);
    const lastSeq = (await eventFor(ref, lastId, FINAL)).seq;
    const want = ref.events().filter((e) => e.seq > since && e.seq <= lastSeq);
    const got = resumed.events().filter((e) => e.seq <= lastSeq);
    expect(got.length).toBeGreaterThan(0);
    expect(got).toEqual(want);
    expect(resumed.messages.filter((m) => m.type === 'resync')).toEqual([]);
    await resumed.close();
    await ref.close();
  }, 60_000);

  it('says RESYNC with the open orders when since cannot be replayed', async () => {
    const d = await startOn(dataDir());
    const ws = await connect(d);
    const [id] = await submitAll(ws, [order(4)], 'rest'); // resting
    await eventFor(ws, id!, ['ACCEPTED']);
    const hello = ws.messages[0];
    const ahead = await connect(d, `?since=${hello.seq + 1_000_000}`);
    const resync = await ahead.next((m) => m.type === 'resync');
    expect(resync.reason).toMatch(/after the last event seq/);
    expect(resync.orders.map((o: any) => o.orderId)).toContain(id);
    expect(resync.seq).toBe(ahead.messages[0].seq);
    await ahead.close();
    await ws.close();
  }, 30_000);
  it('a RESYNC larger than the slow-consumer bound is sent whole: the client is not dropped for it, and stays live', async () => {
    // 24 resting orders' views (about 600 bytes each) in one RESYNC, against a bound of 4096 bytes
    const d = await startOn(dataDir(), [[['daemon', 'api', 'streamMaxBufferedBytes'], 4096]]);
    const ids: number[] = [];
    for (let i = 0; i < 24; i++) {
      const r = await d.api.post('/v1/orders', order(4, { clientOrderId: `rsx${i}` }));
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      ids.push((r.body as { orderId: number }).orderId);
    }
    const ahead = await connect(d, '?since=999999999');
    const resync = await ahead.next((m) => m.type === 'resync');
    expect(JSON.stringify(resync).length).toBeGreaterThan(4096);
    expect(resync.orders.map((o: any) => o.orderId)).toEqual(expect.arrayContaining(ids));
    // live events go on: the bound alone applies again once the RESYNC was read
    const [id] = await submitAll(ahead, [order(0)], 'after');
    await eventFor(ahead, id!, ['FILLED']);
    expect(ahead.ws.readyState).toBe(ahead.ws.OPEN);
    expect(((await d.api.get('/health')).body as any).stream.slowConsumerDisconnects).toBe(0);
    await ahead.close();
  }, 30_000);
});


describe('stream filters', () => {
  it('sends only the events of the strategies and symbols asked for; an unknown one closes with 1008', async () => {
    const d = await startOn(dataDir());
    const all = await connect(d);
    const some = await connect(d, '?strategy=market-maker,manual&symbol=ETH-USDT&symbol=SOL-USDT');
    const orders = [
      order(0), order(1),
      order(0, { strategy: 'market-maker', symbol: 'ETH-USDT', price: '5000', quantity: '0.01' }),
      order(1, { strategy: 'market-maker', symbol: 'BTC-USDT' }),
      order(0, { strategy: 'manual', symbol: 'SOL-USDT', price: '1000', quantity: '1' }),
      order(0, { strategy: 'momentum', symbol: 'ETH-USDT', price: '5000', quantity: '0.01' }),
    ];
    const ids = await submitAll(all, orders, 'f');
    for (const id of ids) await eventFor(all, id, FINAL);
    const match = (e: any): boolean => ['market-maker', 'manual'].includes(e.strategy) && ['ETH-USDT', 'SOL-USDT'].includes(e.symbol);
    const want = all.events().filter(match);
    expect(new Set(want.map((e) => e.orderId))).toEqual(new Set([ids[2], ids[4]]));
    const upTo = want[want.length - 1].seq;
    await some.next((m) => m.type === 'event' && m.seq === upTo, 5000, 'the last matching event');
    expect(some.events().filter((e) => e.seq <= upTo)).toEqual(want);
    expect(some.events().every(match)).toBe(true);
    // the same filter on a resume
    const resumed = await connect(d, `?since=${all.messages[0].seq}&strategy=market-maker&symbol=ETH-USDT`);
    const wantMm = want.filter((e) => e.strategy === 'market-maker');
    await resumed.next((m) => m.type === 'event' && m.seq === wantMm[wantMm.length - 1].seq, 5000, 'the last replayed event');
    expect(resumed.events().filter((e) => e.seq <= upTo)).toEqual(wantMm);

    const bad = await connect(d, '?strategy=nobody');
    expect(await bad.whenClosed()).toEqual({ code: 1008, reason: 'bad stream query: unknown strategy "nobody"' });
    const badSince = await connect(d, '?since=-1');
    expect((await badSince.whenClosed()).code).toBe(1008);
    await Promise.all([all.close(), some.close(), resumed.close()]);
  }, 30_000);
  it('sends only the lifecycle events asked for with event=, live and replayed, and makes no event nobody asked for', async () => {
    const d = await startOn(dataDir());
    const all = await connect(d);
    const acks = await connect(d, '?event=ACCEPT,FILL');
    const repeated = await connect(d, '?event=SUBMIT&event=FILL&strategy=momentum');
    const ids = await submitAll(all, [order(0), order(1), order(4), order(5)], 'e');
    for (const id of ids) await eventFor(all, id, FINAL);
    const seen = all.events();
    expect(new Set(seen.map((e) => e.event))).toEqual(new Set(['SUBMIT', 'ACCEPT', 'FILL']));
    const upTo = seen[seen.length - 1].seq;
    const want = (names: readonly string[]): any[] => seen.filter((e) => names.includes(e.event));
    const wantAcks = want(['ACCEPT', 'FILL']);
    await acks.next((m) => m.type === 'event' && m.seq === wantAcks[wantAcks.length - 1].seq, 5000, 'the last ACCEPT or FILL');
    expect(acks.events().filter((e) => e.seq <= upTo)).toEqual(wantAcks);
    const wantRepeated = want(['SUBMIT', 'FILL']);
    await repeated.next((m) => m.type === 'event' && m.seq === wantRepeated[wantRepeated.length - 1].seq, 5000, 'the last SUBMIT or FILL');
    expect(repeated.events().filter((e) => e.seq <= upTo)).toEqual(wantRepeated);
    // replayed events are filtered the same way
    const resumed = await connect(d, `?since=${all.messages[0].seq}&event=FILL`);
    const fills = want(['FILL']);
    expect(fills.length).toBeGreaterThan(0);
    await resumed.next((m) => m.type === 'event' && m.seq === fills[fills.length - 1].seq, 5000, 'the last replayed FILL');
    expect(resumed.events().filter((e) => e.seq <= upTo)).toEqual(fills);
    await Promise.all([all.close(), repeated.close(), resumed.close()]);
    await pollUntil(async () => (await d.api.get('/health')).body.stream.clients, (n) => n === 1, { timeoutMs: 5000, what: 'one client left' });

    // with only `acks` connected, the SUBMIT events are not even made: /health counts the events made for clients
    const made0 = (await d.api.get('/health')).body.stream.events as number;
    const before = acks.events().length;
    const more = await submitAll(acks, [order(0), order(1), order(4)], 'm');
    for (const id of more) await eventFor(acks, id, FINAL);
    const got = acks.events().slice(before);
    expect(got.every((e) => e.event === 'ACCEPT' || e.event === 'FILL')).toBe(true);
    expect((await d.api.get('/health')).body.stream.events - made0).toBe(got.length);

    const bad = await connect(d, '?event=FILLED');
    expect(await bad.whenClosed()).toEqual({ code: 1008, reason: 'bad stream query: unknown event "FILLED"' });
    await acks.close();
  }, 30_000);
});

describe('slow consumers', () => {
  it('disconnects a client that stops reading once its send buffer passes the bound, and serves the others', async () => {
    const max = 65536;
    const d = await startOn(dataDir(), [[['daemon', 'api', 'streamMaxBufferedBytes'], max]]);
    const health = async (): Promise<any> => (await d.api.get('/health')).body.stream;
    const slow = await connect(d);
    await slow.next((m) => m.type === 'hello');
    slow.ws.pause(); // reads nothing more: the kernel buffers fill, then the daemon's send buffer
    const other = await connect(d);
    expect((await health()).clients).toBe(2);
    let rounds = 0;
    // Orders that fill (3 events each; long client ids make them bigger) until the daemon gave up on the slow
    // client. The kernel's socket buffers take a few MB first; bounded at 60 rounds of 200 orders.
    const marketable = (i: number): Record<string, unknown> =>
      ({ ...order(i % 2), clientOrderId: `slow${rounds}x${i}`.padEnd(32, 'z') });
    while ((await health()).slowConsumerDisconnects === 0) {
      expect(rounds++, 'the slow client was never disconnected').toBeLessThan(60);
      const ids = await submitAll(other, Array.from({ length: 200 }, (_, i) => marketable(i)), `s${rounds}`);
      await eventFor(other, ids[ids.length - 1]!, ['FILLED']);
    }
    expect(await health()).toMatchObject({ clients: 1, slowConsumerDisconnects: 1 });
    slow.ws.resume(); // reads the backlog, then the close frame with the reason
    expect(await slow.whenClosed()).toEqual({ code: 4000, reason: `slow consumer: send buffer over ${max} bytes` });
    // the daemon keeps serving the other client
    const [id] = await submitAll(other, [order(0)], 'last');
    await eventFor(other, id!, ['FILLED']);
    expect(other.ws.readyState).toBe(other.ws.OPEN);
    await other.close();
  }, 120_000);
});

describe('events no longer in the journal', () => {
  it('are reported unavailable (the stream then sends RESYNC) once a snapshot deleted their segments', async () => {
    const dir = dataDir();
    const journal = await Journal.open(dir, { segmentBytes: 1024, retainSnapshots: 1, maxDelayMs: 0 });
    try {
      const body = new TextEncoder().encode(JSON.stringify({ event: 'filler', pad: 'x'.repeat(100) }));
      for (let i = 0; i < 60; i++) {
        journal.append(3, body);
        if (i % 10 === 9) await journal.flush(); // batches: segments rotate between them
      }
      await journal.flush();
      const store = testStore();
      // Before the snapshot every record is there: events after seq 1 can be rebuilt (there are none: no orders).
      const before = openEventReplay(dir, store, 100, 1, journal.lastSeq);
      expect(before.ok).toBe(true);
      if (before.ok) {
        expect(before.cursor.next()).toBeNull();
        before.cursor.close();
      }
      const info = await journal.writeSnapshot(40, new TextEncoder().encode(JSON.stringify({ v: 1, lastOrderId: 0, risk: { positions: [], marks: [] }, orders: [] })));
      expect(info.deletedSegments.length).toBeGreaterThan(0);
      const gone = openEventReplay(dir, store, 100, 1, journal.lastSeq);
      expect(gone.ok).toBe(false);
      if (!gone.ok) {
        expect(gone.firstSeq).toBeGreaterThan(2);
        expect(gone.reason).toMatch(/no longer in the journal/);
      }
      // From the snapshot on, they can.
      const after = openEventReplay(dir, store, 100, 45, journal.lastSeq);
      expect(after.ok).toBe(true);
      if (after.ok) after.cursor.close();
    } finally {
      await journal.close();
    }
  }, 30_000);
});
