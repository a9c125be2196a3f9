/**
 * The fake OKX's public channels (okx-market-data.ts) as independent clients see them: ccxt pro's okx
 * `watchOrderBook` / `watchTrades` (their own parsing and prevSeqId chaining), and a raw websocket that checks the
 * protocol messages and every checksum with node:zlib.
 */
import { crc32 } from 'node:zlib';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { localOkxPro, waitFor } from '../helpers/ccxt-local.js';
import { type FakeOkx, startFakeOkx } from './fake-okx.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
type Json = Record<string, unknown>;

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function fakeOkx(): Promise<FakeOkx> {
  const fake = await startFakeOkx({ marketData: { publishMs: 20, idleMs: 100 } });
  cleanup.push(() => fake.close());
  return fake;
}

/** A raw public websocket collecting every message. */
async function rawClient(fake: FakeOkx): Promise<{ ws: WebSocket; messages: Array<Json | string> }> {
  const ws = new WebSocket(fake.urls.wsPublic);
  const messages: Array<Json | string> = [];
  ws.on('message', (d) => {
    const t = String(d);
    messages.push(t === 'pong' ? t : (JSON.parse(t) as Json));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  cleanup.push(() => void ws.terminate());
  return { ws, messages };
}

/** A book kept from snapshot + updates by price text, as a client following OKX's documentation does. */
class ClientBook {
  readonly sides: [Map<string, string>, Map<string, string>] = [new Map(), new Map()];
  seqId = -1;

  apply(d: Json, snapshot: boolean): void {
    if (snapshot) {
      this.sides[0].clear();
      this.sides[1].clear();
    } else {
      expect(d['prevSeqId']).toBe(this.seqId);
    }
    this.seqId = d['seqId'] as number;
    for (const [i, key] of [[0, 'bids'], [1, 'asks']] as const) {
      for (const [px, sz] of d[key] as string[][]) {
        if (/[1-9]/.test(sz!)) this.sides[i].set(px!, sz!);
        else this.sides[i].delete(px!);
      }
    }
    expect(d['checksum']).toBe(this.checksum());
  }

  sorted(i: 0 | 1): string[][] {
    return [...this.sides[i]].sort((a, b) => (i === 0 ? Number(b[0]) - Number(a[0]) : Number(a[0]) - Number(b[0])));
  }

  checksum(): number {
    const bids = this.sorted(0).slice(0, 25);
    const asks = this.sorted(1).slice(0, 25);
    const parts: string[] = [];
    for (let i = 0; i < Math.max(bids.length, asks.length); i++) {
      if (i < bids.length) parts.push(...bids[i]!);
      if (i < asks.length) parts.push(...asks[i]!);
    }
    return crc32(parts.join(':')) | 0;
  }
}

describe('fake OKX public channels', () => {
  test('subscribe answers, snapshot then linked updates with OKX checksums, no-change messages, ping/pong, errors', async () => {
    const fake = await fakeOkx();
    const { ws, messages } = await rawClient(fake);
    ws.send(JSON.stringify({ op: 'subscribe', args: [{ channel: 'books', instId: 'BTC-USDT' }, { channel: 'trades', instId: 'BTC-USDT' }, { channel: 'books', instId: 'NOPE-USDT' }] }));
    await waitFor(() => messages.some((m) => typeof m === 'object' && m['action'] === 'snapshot'), 5000, 'snapshot');
    const events = messages.filter((m): m is Json => typeof m === 'object' && m['event'] !== undefined);
    expect(events.slice(0, 2).map((e) => [e['event'], e['arg']])).toEqual([
      ['subscribe', { channel: 'books', instId: 'BTC-USDT' }],
      ['subscribe', { channel: 'trades', instId: 'BTC-USDT' }],
    ]);
    expect(events[2]).toMatchObject({ event: 'error', code: '60018' });

    const book = new ClientBook();
    let seen = 0;
    const follow = (): void => {
      for (; seen < messages.length; seen++) {
        const m = messages[seen]!;
        if (typeof m !== 'object' || m['event'] !== undefined || (m['arg'] as Json | undefined)?.['channel'] !== 'books') continue;
        const d = (m['data'] as Json[])[0]!;
        book.apply(d, m['action'] === 'snapshot');
      }
    };
    follow();
    expect(book.sorted(0).length).toBe(10);
    for (let i = 0; i < 200; i++) fake.market.churn('BTC-USDT', 5);
    fake.market.publishNow();
    const noChange = fake.market.sent.noChange;
    await waitFor(() => fake.market.sent.noChange > noChange + 2, 5000, 'no-change messages');
    follow();
    expect(book.sorted(0)).toEqual(fake.market.book('BTC-USDT').bids);
    expect(book.sorted(1)).toEqual(fake.market.book('BTC-USDT').asks);
    const books = messages.filter((m): m is Json => typeof m === 'object' && m['event'] === undefined && (m['arg'] as Json)['channel'] === 'books');
    const idle = books.filter((m) => (m['data'] as Json[])[0]!['prevSeqId'] === (m['data'] as Json[])[0]!['seqId']);
    expect(idle.length).toBeGreaterThan(0);
    expect((idle[0]!['data'] as Json[])[0]).toMatchObject({ asks: [], bids: [] });

    ws.send('ping');
    await waitFor(() => messages.includes('pong'), 5000, 'pong');
    ws.send(JSON.stringify({ op: 'unsubscribe', args: [{ channel: 'books', instId: 'BTC-USDT' }] }));
    await waitFor(() => messages.some((m) => typeof m === 'object' && m['event'] === 'unsubscribe'), 5000, 'unsubscribe answer');
    expect(fake.market.subscriptions()).toEqual(['trades:BTC-USDT']);
  });

  test('ccxt pro watchOrderBook follows the book and watchTrades reports the taker side', async () => {
    const fake = await fakeOkx();
    const ex: Loose = await localOkxPro(fake.endpoints);
    cleanup.push(() => ex.close());
    await ex.loadMarkets();
    let ob: Loose = await ex.watchOrderBook('BTC/USDT');
    expect(ob.bids.length).toBe(10);
    fake.market.startMarketMaker({ intervalMs: 5, symbols: ['BTC-USDT'], seed: 3 });
    const until = Date.now() + 1500;
    while (Date.now() < until) ob = await ex.watchOrderBook('BTC/USDT');
    fake.market.stopMarketMaker();
    fake.market.publishNow();
    const expected = fake.market.book('BTC-USDT');
    const asNumbers = (side: string[][]): number[][] => side.map(([p, q]) => [Number(p), Number(q)]);
    await waitFor(
      async () => {
        ob = await ex.watchOrderBook('BTC/USDT');
        return JSON.stringify(ob.bids.slice(0, 25)) === JSON.stringify(asNumbers(expected.bids).slice(0, 25)) && JSON.stringify(ob.asks.slice(0, 25)) === JSON.stringify(asNumbers(expected.asks).slice(0, 25));
      },
      5000,
      'ccxt book equal to the venue',
    );
    const trades = ex.watchTrades('BTC/USDT');
    await waitFor(() => fake.market.subscriptions().includes('trades:BTC-USDT'), 5000, 'trades subscription');
    // exactly the best ask level (the market maker left it at any size): one trade, at its price, of its size
    const bestAsk = fake.market.book('BTC-USDT', 1).asks[0]!;
    fake.taker({ symbol: 'BTC-USDT', side: 'buy', qty: bestAsk[1]! });
    const [t] = (await trades) as Loose[];
    expect(t).toMatchObject({ symbol: 'BTC/USDT', side: 'buy', price: Number(bestAsk[0]), amount: Number(bestAsk[1]) });
  });
});
